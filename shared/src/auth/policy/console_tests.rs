//! Who may open the console (`UseConsole`): people, not the machine roles.

use super::tests::caller;
use super::*;
use crate::domain::roles::Role;

#[test]
fn people_open_the_console_but_machine_roles_do_not() {
    let (admin, machine) = (Role::PlatformAdmin, [Role::Provisioner, Role::LoginService]);
    let cases = [
        (&[admin][..], true),
        (&[], true),
        (&machine[..1], false),
        (&machine[1..], false),
    ];
    for (roles, allowed) in cases {
        let decision = Policies::load().unwrap().decide(
            Action::UseConsole,
            &Facts {
                caller: &caller(roles),
                resource: Resource::Platform,
                tenant_roles: &Roles::new(),
                has_tenant_roles: false,
                credential_tenant_status: "none",
                tenant_header_mismatch: false,
            },
        );
        assert_eq!(decision.allowed, allowed, "{roles:?}");
    }
}
