//! Who may open the console (`UseConsole`): people, not the machine roles.

use super::*;
use crate::auth::credentials::CallerKind;
use crate::domain::roles::Role;

fn caller(platform: &[Role]) -> Caller {
    Caller {
        kind: CallerKind::User,
        id: "alice".into(),
        platform_roles: platform.iter().copied().collect(),
        bound_tenant: None,
        bound_roles: Roles::new(),
        verified_email_domain: None,
        verified_email: None,
    }
}

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
