"""A tenant's pages for a platform admin: the audit trail, admins, API keys, domains and
entitlements, each action checked against the API."""

import re

from playwright.sync_api import expect

from conftest import RUN, api_keys, publish_txt, submit, unique

KEY = re.compile(r"^tk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$")


def test_audit_trail_filters_by_type_and_shows_each_change_from_to(admin_page, make_tenant, api):
    tenant = make_tenant("audit", name=f"Audit Before {RUN}")
    for body in ({"name": f"Audit After {RUN}"}, {"locale": "de"}):
        response = api("PATCH", f"/v1/tenants/{tenant['id']}", json=body,
                       headers={"content-type": "application/merge-patch+json"})
        assert response.status == 200, response.body
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}")
    page.get_by_role("link", name="Audit trail").click()
    page.wait_for_url(f"**/console/tenants/{tenant['id']}/events")
    expect(page.get_by_role("link", name="Audit trail")).to_have_attribute("aria-current", "page")
    rows = page.get_by_role("table", name="Change events, newest first").locator("tbody tr")
    expect(rows.filter(has_text="tenant.created")).to_have_count(1)

    page.get_by_label("Event type").select_option("tenant.updated")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/events\?type=tenant\.updated$"))
    expect(page.get_by_label("Event type")).to_have_value("tenant.updated")
    events = api("GET", f"/v1/tenants/{tenant['id']}/events?type=tenant.updated").json()["items"]
    assert len(events) == 2
    expect(rows).to_have_count(2)
    for row in rows.all():
        expect(row.locator("td").nth(1)).to_have_text("tenant.updated")
        expect(row.locator("td").nth(2)).to_have_text("console-test-admin (user)")
    # Newest first: the locale change, then the name change, each as from → to.
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("locale: (none) → de")
    expect(rows.nth(1).locator("td").nth(3)).to_have_text(f"name: Audit Before {RUN} → Audit After {RUN}")


def test_older_events_are_a_page_further_with_the_type_filter_kept(admin_page, make_tenant, api):
    tenant = make_tenant("older", name=f"Older 0 {RUN}")
    for n in range(1, 28):
        response = api("PATCH", f"/v1/tenants/{tenant['id']}", json={"name": f"Older {n} {RUN}"},
                       headers={"content-type": "application/merge-patch+json"})
        assert response.status == 200, response.body
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}/events?type=tenant.updated")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.first.locator("td").nth(3)).to_have_text(f"name: Older 26 {RUN} → Older 27 {RUN}")
    older = page.get_by_role("link", name="Older events")
    assert "type=tenant.updated" in older.get_attribute("href")
    older.click()
    page.wait_for_url(re.compile(r"cursor="))
    expect(page.get_by_label("Event type")).to_have_value("tenant.updated")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(3)).to_have_text(f"name: Older 1 {RUN} → Older 2 {RUN}")
    expect(rows.nth(1).locator("td").nth(3)).to_have_text(f"name: Older 0 {RUN} → Older 1 {RUN}")
    expect(page.get_by_role("link", name="Older events")).to_have_count(0)


def test_admins_are_granted_and_revoked(admin_page, make_tenant, api):
    tenant = make_tenant("admins")
    user = f"console-user-{RUN}"
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}/admins")
    expect(page.get_by_role("table", name="Admins of this tenant")).to_contain_text("No admins yet.")
    page.get_by_label("User id").fill(user)
    submit(page, "Grant admin", status=303)
    expect(page.get_by_role("status")).to_have_text("Admin granted.")
    admins = api("GET", f"/v1/tenants/{tenant['id']}/admins").json()["items"]
    assert [a["userId"] for a in admins] == [user]
    row = page.get_by_role("row").filter(has_text=user)
    expect(row).to_contain_text("console-platform-admin")

    submit(page, page.get_by_role("button", name=f"Revoke {user}"), status=303)
    expect(page.get_by_role("status")).to_have_text("Admin revoked.")
    assert api("GET", f"/v1/tenants/{tenant['id']}/admins").json()["items"] == []
    expect(page.get_by_role("table", name="Admins of this tenant")).to_contain_text("No admins yet.")


def test_an_admin_whose_id_has_punctuation_is_granted_and_revoked(admin_page, make_tenant, api):
    # User ids are [A-Za-z0-9._@:|+=-]: an IdP's "auth0|..." or an email-like id.
    tenant = make_tenant("admins-punct")
    user = f"auth0|ada+{RUN}@example.com"
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}/admins")
    page.get_by_label("User id").fill(user)
    submit(page, "Grant admin", status=303)
    assert [a["userId"] for a in api("GET", f"/v1/tenants/{tenant['id']}/admins").json()["items"]] == [user]
    submit(page, page.get_by_role("button", name=f"Revoke {user}"), status=303)
    expect(page.get_by_role("status")).to_have_text("Admin revoked.")
    assert api("GET", f"/v1/tenants/{tenant['id']}/admins").json()["items"] == []


def test_granting_an_invalid_user_id_shows_the_reason_and_grants_nothing(admin_page, make_tenant, api):
    tenant = make_tenant("admins-bad")
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}/admins")
    page.get_by_label("User id").fill("not a user id")
    submit(page, "Grant admin", status=400)
    expect(page.locator("#userId-error")).to_be_visible()
    assert api("GET", f"/v1/tenants/{tenant['id']}/admins").json()["items"] == []


def test_an_api_key_is_shown_once_never_cached_works_and_is_revoked(admin_page, make_tenant, api):
    tenant = make_tenant("keys")
    name = f"Console key {RUN}"
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}/keys")
    page.get_by_label("Key name").fill(name)
    page.get_by_label("Role").select_option("tenant_member")
    response = submit(page, "Create key", status=201)
    assert response.headers["cache-control"] == "no-store"
    expect(page.get_by_role("heading", level=1)).to_have_text("Key created")
    expect(page.get_by_role("status")).to_contain_text("shown only once")
    key = page.locator("#new-key").inner_text().strip()
    assert KEY.match(key), key

    listed = [k for k in api_keys(api) if k["name"] == name]
    assert len(listed) == 1
    assert listed[0]["tenantId"] == tenant["id"]
    assert listed[0]["roles"] == ["tenant_member"]
    assert listed[0]["status"] == "active"
    key_id = listed[0]["id"]
    expect(page.locator("dl.facts")).to_contain_text(key_id)
    # The key works against the API, for its tenant.
    read = api("GET", f"/v1/tenants/{tenant['id']}", token=None, headers={"x-api-key": key})
    assert read.status == 200, read.body

    page.get_by_role("link", name="Done").click()
    page.wait_for_url(f"**/console/tenants/{tenant['id']}/keys")
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text(key_id)
    expect(row).to_contain_text("active")
    assert key not in page.content(), "the key is shown once, on the page that created it"

    submit(page, page.get_by_role("button", name=f"Revoke key {name}"), status=303)
    expect(page.get_by_role("status")).to_have_text("API key revoked.")
    expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("revoked")
    revoked = [k for k in api_keys(api) if k["id"] == key_id]
    assert revoked[0]["status"] == "revoked"
    assert api("GET", f"/v1/tenants/{tenant['id']}", token=None, headers={"x-api-key": key}).status == 401


def test_reloading_the_key_created_page_creates_no_second_key(admin_page, make_tenant, api):
    tenant = make_tenant("keys-reload")
    name = f"Reloaded key {RUN}"
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}/keys")
    page.get_by_label("Key name").fill(name)
    page.get_by_label("Role").select_option("tenant_member")
    submit(page, "Create key", status=201)
    expect(page.get_by_role("heading", level=1)).to_have_text("Key created")
    key = page.locator("#new-key").inner_text().strip()

    # A reload sends the same form again (the browser asks; the person says yes).
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.reload()
    assert info.value.status == 409, info.value.status
    expect(page.get_by_role("alert")).to_contain_text("already sent")
    expect(page.locator("#new-key")).to_have_count(0)
    assert key not in page.content()
    listed = [k for k in api_keys(api) if k["name"] == name]
    assert len(listed) == 1, listed
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text(listed[0]["id"])


def test_the_keys_page_lists_the_tenants_keys_among_many_others(admin_page, make_tenant, api):
    # The tenant's key first, then more than a page (100) of another tenant's keys.
    tenant = make_tenant("keys-many")
    other = make_tenant("keys-others")
    mine = api("POST", "/v1/api-keys", json={"name": f"Mine {RUN}", "roles": ["tenant_member"], "tenantId": tenant["id"]})
    assert mine.status == 201, mine.body
    for n in range(101):
        response = api("POST", "/v1/api-keys", json={"name": f"Other {RUN} {n}", "roles": ["tenant_member"],
                                                      "tenantId": other["id"]})
        assert response.status == 201, response.body
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}/keys")
    rows = page.get_by_role("table", name="Keys bound to this tenant").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(mine.json()["id"], timeout=2_000)


def test_a_domain_is_added_verified_by_its_txt_record_and_removed(admin_page, make_tenant, api):
    tenant = make_tenant("dom")
    domain = f"{unique('acme')}.example"
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}/domains")
    page.get_by_label("Domain", exact=True).fill(domain)
    submit(page, "Add domain", status=303)
    expect(page.get_by_role("status")).to_contain_text("Domain added")
    claims = api("GET", f"/v1/tenants/{tenant['id']}/domains").json()["items"]
    assert [(d["domain"], d["status"]) for d in claims] == [(domain, "pending")]
    record = claims[0]["verification"]
    row = page.get_by_role("row").filter(has_text=domain)
    expect(row).to_contain_text(f"Name {record['name']}")
    expect(row).to_contain_text(f"Value {record['value']}")
    expect(row).to_contain_text("pending")
    assert record["name"] == f"_tenant-api-verification.{domain}"

    # Verifying before the record is published fails and changes nothing.
    submit(page, page.get_by_role("button", name=f"Verify {domain}"))
    expect(page.get_by_role("alert")).to_be_visible()
    assert api("GET", f"/v1/tenants/{tenant['id']}/domains").json()["items"][0]["status"] == "pending"

    # The TXT record the page shows, published on the local DNS server.
    name = row.locator("code").nth(1).inner_text()
    value = row.locator("code").nth(2).inner_text()
    publish_txt(name, value)
    submit(page, page.get_by_role("button", name=f"Verify {domain}"), status=303)
    expect(page.get_by_role("status")).to_have_text("Domain verified.")
    assert api("GET", f"/v1/tenants/{tenant['id']}/domains").json()["items"][0]["status"] == "verified"
    expect(page.get_by_role("row").filter(has_text=domain)).to_contain_text("verified")
    expect(page.get_by_role("button", name=f"Verify {domain}")).to_have_count(0)

    submit(page, page.get_by_role("button", name=f"Remove {domain}"), status=303)
    expect(page.get_by_role("status")).to_have_text("Domain removed.")
    assert api("GET", f"/v1/tenants/{tenant['id']}/domains").json()["items"] == []
    expect(page.get_by_role("row").filter(has_text=domain)).to_have_count(0)


def test_entitlements_show_the_limits_and_usage(admin_page, make_tenant, api):
    tenant = make_tenant("ent", plan="pro")
    used = api("POST", f"/v1/tenants/{tenant['id']}/usage/maxUsers", json={"delta": 4},
               headers={"idempotency-key": f"console-{RUN}-users"})
    assert used.status == 200, used.body
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}/entitlements")
    expect(page.get_by_role("heading", level=1)).to_have_text("Entitlements")
    entitlements = api("GET", f"/v1/tenants/{tenant['id']}/entitlements").json()
    expect(page.get_by_role("main")).to_contain_text(f"Plan {entitlements['plan']}")
    table = page.get_by_role("table", name="Effective limits and usage")
    expect(table.locator("tbody tr")).to_have_count(len(entitlements["items"]))
    for item in entitlements["items"]:
        row = table.locator("tbody tr").filter(has=page.get_by_role("rowheader", name=item["feature"], exact=True))
        cells = row.locator("td")
        value = item["value"]
        granted = ("unlimited" if item["granted"] else "no") if value is None else (
            ("yes" if value else "no") if isinstance(value, bool) else str(value))
        expect(cells.nth(0)).to_have_text(granted)
        expect(cells.nth(1)).to_have_text(item["source"])
        expect(cells.nth(2)).to_contain_text("" if item.get("usage") is None else str(item["usage"]))
        expect(cells.nth(3)).to_have_text("" if item.get("remaining") is None else str(item["remaining"]))
    users = next(i for i in entitlements["items"] if i["feature"] == "maxUsers")
    assert users["usage"] == 4
    row = table.locator("tbody tr").filter(has=page.get_by_role("rowheader", name="maxUsers", exact=True))
    expect(row.locator("td").nth(2)).to_have_text("4")
    expect(row.locator("td").nth(3)).to_have_text(str(users["remaining"]))
