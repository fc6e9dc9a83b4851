"""Every page of the console passes axe-core without a serious or critical violation, and
is saved as a screenshot (target/console/<name>.png)."""

import pytest

from conftest import CONSOLE_URL, RUN, authorize_at_provider, claims_of, submit, unique


@pytest.fixture(scope="module")
def shown(make_tenant, session_api):
    """A tenant with something on every page: an owner, an admin, a domain, a key, changes."""
    tenant = make_tenant("a11y", name=f"Accessible {RUN}", ownerEmail=f"owner-{RUN}@a11y.example")
    tenant_id = tenant["id"]
    for method, path, body in [
        ("PATCH", f"/v1/tenants/{tenant_id}", {"name": f"Accessible Tenant {RUN}", "locale": "en-GB"}),
        ("PUT", f"/v1/tenants/{tenant_id}/admins/a11y-admin-{RUN}", {}),
        ("POST", f"/v1/tenants/{tenant_id}/domains", {"domain": f"{unique('a11y')}.example"}),
        ("POST", "/v1/api-keys", {"name": f"a11y key {RUN}", "roles": ["tenant_member"], "tenantId": tenant_id}),
    ]:
        headers = {"content-type": "application/merge-patch+json"} if method == "PATCH" else None
        response = session_api(method, path, json=body, headers=headers)
        assert response.status in (200, 201), (path, response.status, response.body)
    return tenant_id


def new_tenant_errors(page, tenant_id):
    page.goto("/console/tenants/new")
    page.get_by_label("Name", exact=True).fill("Errors")
    page.get_by_label("Slug").fill("-bad-")
    submit(page, "Create tenant", status=400)


def key_created(page, tenant_id):
    page.goto(f"/console/tenants/{tenant_id}/keys")
    page.get_by_label("Key name").fill(f"a11y created {unique('k')}")
    submit(page, "Create key", status=201)


def forbidden(page, tenant_id):
    # A machine identity's sign-in: the 403 page, outside any session.
    page.context.clear_cookies()
    page.goto(CONSOLE_URL + "/console")
    with page.expect_response(lambda r: "/console/callback" in r.url) as info:
        authorize_at_provider(page, f"a11y-provisioner-{RUN}", claims_of(["provisioner"]))
    page.wait_for_load_state()
    assert info.value.status == 403


def member_forbidden(page, tenant_id):
    # A member opening the audit trail: a 403 page inside a session.
    page.context.clear_cookies()
    page.signed_in(page.context, f"a11y-member-{RUN}", ["tenant_member"], tenant_id=tenant_id)
    response = page.goto(f"/console/tenants/{tenant_id}/events")
    assert response.status == 403


def signed_out(page, tenant_id):
    page.goto("/console/tenants")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/signed-out")


PAGES = {
    "tenants-list": "/console/tenants",
    "new-tenant": "/console/tenants/new",
    "new-tenant-errors": new_tenant_errors,
    "tenant-overview": "/console/tenants/{id}",
    "audit-trail": "/console/tenants/{id}/events",
    "admins": "/console/tenants/{id}/admins",
    "api-keys": "/console/tenants/{id}/keys",
    "key-created": key_created,
    "domains": "/console/tenants/{id}/domains",
    "entitlements": "/console/tenants/{id}/entitlements",
    "not-found": "/console/nope",
    "forbidden": forbidden,
    "forbidden-in-session": member_forbidden,
    "signed-out": signed_out,
}
STATUS = {"not-found": 404}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_violation(name, context, page, sign_in, signed_in, shown, axe, screenshot):
    if name == "signed-out":
        # Signing out ends the session: one of this test's own.
        sign_in(page, f"a11y-sign-out-{RUN}", ["platform_admin"])
    else:
        signed_in(context, "console-platform-admin", ["platform_admin"], email="platform-admin@example.com")
    target = PAGES[name]
    if isinstance(target, str):
        response = page.goto(target.format(id=shown))
        assert response.status == STATUS.get(name, 200), response.status
    else:
        page.signed_in = signed_in
        target(page, shown)
    violations = [v for v in axe(page) if v["impact"] in ("serious", "critical")]
    screenshot(page, name)
    assert violations == [], [
        (v["id"], v["impact"], v["description"], [n["target"] for n in v["nodes"]][:5]) for v in violations
    ]
