"""What each identity may do in the console, decided by the API's own policies: a tenant's
admin manages their tenant only, a member reads it, machine identities (provisioner,
login_service) are kept out."""

import pytest
from playwright.sync_api import expect

from conftest import (
    CONSOLE_URL, OIDC_ISSUER, RUN, api_keys, authorize_at_provider, claims_of, csrf_of, once_of, post_form, publish_txt, submit,
    tenant_of, unique,
)


@pytest.fixture(scope="module")
def tenants(make_tenant):
    """The tenant administered here, another one, and one whose member signs in."""
    return {
        "own": make_tenant("ta", settled=True, name=f"Tenant Admin Own {RUN}"),
        "other": make_tenant("ta-other", name=f"Tenant Admin Other {RUN}"),
        "member": make_tenant("tm", settled=True, name=f"Member Tenant {RUN}"),
    }


@pytest.fixture
def tenant_admin(context, page, signed_in, tenants):
    signed_in(context, f"tenant-admin-{RUN}", ["tenant_admin"], tenant_id=tenants["own"]["id"],
              email=f"tenant-admin-{RUN}@own.example")
    return page


@pytest.fixture
def member(context, page, signed_in, tenants):
    signed_in(context, f"member-{RUN}", ["tenant_member"], tenant_id=tenants["member"]["id"],
              email=f"member-{RUN}@member.example")
    return page


# ---- a tenant's admin ------------------------------------------------------------------

def test_tenant_admin_lists_only_their_tenant_without_platform_controls(tenant_admin, tenants):
    page = tenant_admin
    response = page.goto("/console/tenants")
    assert response.status == 200
    links = page.locator("table tbody tr td:first-child a")
    expect(links).to_have_count(1)
    expect(links).to_have_text(f"Tenant Admin Own {RUN}")
    expect(links).to_have_attribute("href", f"/console/tenants/{tenants['own']['id']}")
    expect(page.get_by_role("region", name="Summary")).to_have_count(0)
    expect(page.get_by_role("link", name="New tenant")).to_have_count(0)


def test_tenant_admin_cannot_open_another_tenant(tenant_admin, tenants):
    response = tenant_admin.goto(f"/console/tenants/{tenants['other']['id']}")
    assert response.status == 404
    expect(tenant_admin.get_by_role("heading", level=1)).to_have_text("Not found")


def test_tenant_admin_edits_their_tenant_but_not_its_owner(tenant_admin, tenants, api):
    tenant_id = tenants["own"]["id"]
    page = tenant_admin
    page.goto(f"/console/tenants/{tenant_id}")
    expect(page.get_by_label("Owner email")).to_have_count(0)
    for name in ("Suspend tenant", "Delete tenant", "Change plan"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    page.get_by_label("Technical contact email").fill(f"tech-{RUN}@own.example")
    submit(page, "Save changes", status=303)
    expect(page.get_by_role("status")).to_have_text("Changes saved.")
    tenant = tenant_of(api, tenant_id)
    assert tenant["technicalContactEmail"] == f"tech-{RUN}@own.example"
    assert tenant["name"] == f"Tenant Admin Own {RUN}"


def test_tenant_admin_adds_and_verifies_a_domain(tenant_admin, tenants, api):
    tenant_id = tenants["own"]["id"]
    domain = f"{unique('own')}.example"
    page = tenant_admin
    page.goto(f"/console/tenants/{tenant_id}/domains")
    page.get_by_label("Domain", exact=True).fill(domain)
    submit(page, "Add domain", status=303)
    claim = api("GET", f"/v1/tenants/{tenant_id}/domains").json()["items"]
    assert [(d["domain"], d["status"], d["addedBy"]) for d in claim] == [(domain, "pending", f"tenant-admin-{RUN}")]
    record = claim[0]["verification"]
    expect(page.get_by_role("row").filter(has_text=domain)).to_contain_text(record["value"])
    publish_txt(record["name"], record["value"])
    submit(page, page.get_by_role("button", name=f"Verify {domain}"), status=303)
    expect(page.get_by_role("status")).to_have_text("Domain verified.")
    claim = api("GET", f"/v1/tenants/{tenant_id}/domains").json()["items"]
    assert claim[0]["status"] == "verified"


def test_tenant_admin_grants_an_admin(tenant_admin, tenants, api):
    tenant_id = tenants["own"]["id"]
    colleague = f"colleague-{RUN}"
    page = tenant_admin
    page.goto(f"/console/tenants/{tenant_id}/admins")
    page.get_by_label("User id").fill(colleague)
    submit(page, "Grant admin", status=303)
    expect(page.get_by_role("status")).to_have_text("Admin granted.")
    admins = api("GET", f"/v1/tenants/{tenant_id}/admins").json()["items"]
    assert [(a["userId"], a["grantedBy"]) for a in admins] == [(colleague, f"tenant-admin-{RUN}")]


def keys_named(api, name):
    return [k for k in api_keys(api) if k["name"] == name]


def test_tenant_admin_creates_a_member_key_bound_to_their_tenant(tenant_admin, tenants, api):
    tenant_id = tenants["own"]["id"]
    name = f"Member key {RUN}"
    page = tenant_admin
    page.goto(f"/console/tenants/{tenant_id}/keys")
    page.get_by_label("Key name").fill(name)
    page.get_by_label("Role").select_option("tenant_member")
    submit(page, "Create key", status=201)
    expect(page.get_by_role("heading", level=1)).to_have_text("Key created")
    key = page.locator("#new-key").inner_text().strip()
    created = keys_named(api, name)
    assert [(k["tenantId"], k["roles"], k["status"]) for k in created] == [(tenant_id, ["tenant_member"], "active")]
    read = api("GET", f"/v1/tenants/{tenant_id}", token=None, headers={"x-api-key": key})
    assert read.status == 200, read.body


def test_tenant_admin_is_refused_an_admin_key(tenant_admin, tenants, api):
    tenant_id = tenants["own"]["id"]
    name = f"Admin key {RUN}"
    page = tenant_admin
    page.goto(f"/console/tenants/{tenant_id}/keys")
    offered = page.get_by_label("Role").locator("option").evaluate_all("options => options.map(o => o.value)")
    if "tenant_admin" in offered:
        page.get_by_label("Key name").fill(name)
        page.get_by_label("Role").select_option("tenant_admin")
        submit(page, "Create key", status=403)
        notices = " | ".join(page.get_by_role("alert").all_inner_texts())
        expect(page.locator("#new-key")).to_have_count(0)
    else:
        # Not offered to a tenant's admins; asked for anyway (a forged form), the API refuses.
        response = post_form(page.context, f"/console/tenants/{tenant_id}/keys",
                             {"csrf": csrf_of(page), "once": once_of(page), "name": name, "role": "tenant_admin"},
                             headers={"sec-fetch-site": "same-origin"})
        assert response.status == 403, response.status
        notices = response.text()
        assert 'id="new-key"' not in notices
    assert "admin-keys-need-platform-admin" in notices, notices
    assert keys_named(api, name) == []


# ---- a tenant's member -----------------------------------------------------------------

def test_member_reads_their_tenant_without_lifecycle_controls(member, tenants):
    page = member
    response = page.goto(f"/console/tenants/{tenants['member']['id']}")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Member Tenant {RUN}")
    for name in ("Suspend tenant", "Activate tenant", "Delete tenant", "Change plan", "Retry provisioning"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)


def test_member_edit_is_refused_with_403_and_changes_nothing(member, tenants, api):
    tenant_id = tenants["member"]["id"]
    before = tenant_of(api, tenant_id)
    page = member
    page.goto(f"/console/tenants/{tenant_id}")
    form = page.locator(f"form[action='/console/tenants/{tenant_id}/edit']")
    if form.count():
        form.get_by_label("Name", exact=True).fill(f"Renamed by a member {RUN}")
        submit(page, form.get_by_role("button"), status=403)
    else:
        # No form shown: the same POST, as a forged form would send it.
        response = post_form(page.context, f"/console/tenants/{tenant_id}/edit",
                             {"csrf": csrf_of(page), "version": str(before["version"]),
                              "name": f"Renamed by a member {RUN}"})
        assert response.status == 403
    after = tenant_of(api, tenant_id)
    assert after["name"] == before["name"] and after["version"] == before["version"]


@pytest.mark.parametrize("action, form", [
    ("suspend", {"reason": "member"}),
    ("plan", {"plan": "enterprise"}),
    ("delete", {"confirm": "SLUG"}),
    ("retry", {}),
], ids=["suspend", "plan", "delete", "retry"])
def test_member_lifecycle_posts_are_refused_with_403(member, tenants, api, action, form):
    tenant_id = tenants["member"]["id"]
    before = tenant_of(api, tenant_id)
    page = member
    page.goto(f"/console/tenants/{tenant_id}")
    form = {k: (before["slug"] if v == "SLUG" else v) for k, v in form.items()}
    response = post_form(page.context, f"/console/tenants/{tenant_id}/{action}",
                         {"csrf": csrf_of(page), "version": str(before["version"]), **form})
    assert response.status == 403, (response.status, response.headers.get("location"))
    after = tenant_of(api, tenant_id)
    assert (after["status"], after["plan"], after["version"]) == (before["status"], before["plan"], before["version"])


# ---- machine identities ----------------------------------------------------------------

@pytest.mark.parametrize("role, notice", [
    ("provisioner", "provisioner-only-reads-and-reports"),
    ("login_service", "login-service-only-discovers"),
])
def test_machine_identities_get_a_403_page_and_no_session(page, context, role, notice):
    page.goto(CONSOLE_URL + "/console")
    with page.expect_response(lambda r: "/console/callback" in r.url) as info:
        authorize_at_provider(page, f"{role}-{RUN}", claims_of([role]))
    page.wait_for_load_state()
    assert info.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_role("alert")).to_contain_text(notice)
    assert [c["name"] for c in context.cookies() if c["name"] == "__Host-tm-session"] == []
    # Nothing to use afterwards: the console asks to sign in again.
    page.goto(CONSOLE_URL + "/console/tenants")
    assert page.url.startswith(OIDC_ISSUER + "/oauth2/authorize"), page.url
