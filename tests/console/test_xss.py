"""Text a tenant's admins write (its name, its metadata) is shown as text: on the list,
the overview and the audit trail no markup of theirs runs or renders, and the browser
reports no Content-Security-Policy violation (nothing inline was even attempted)."""

import re

import pytest
from playwright.sync_api import expect

from conftest import RUN, submit

NAME = '"><img src=x onerror=alert(1)>'
SCRIPT = "</script><script>alert(1)</script>"
# How chromium reports a blocked inline script or handler on the console.
CSP_REPORT = re.compile(r"content.security.policy", re.I)


@pytest.fixture(scope="module")
def hostile(make_tenant, session_api):
    tenant = make_tenant("xss", name=f"Plain {RUN}")
    response = session_api(
        "PATCH", f"/v1/tenants/{tenant['id']}",
        json={"name": NAME, "metadata": {"note": SCRIPT, "html": "<b>bold</b>"}},
        headers={"content-type": "application/merge-patch+json"},
    )
    assert response.status == 200, response.body
    assert response.json()["name"] == NAME
    return response.json()


@pytest.fixture
def watched(admin_page):
    """The page, with what it could betray an injection by: dialogs and CSP reports."""
    page = admin_page
    page.dialogs = []
    page.csp_errors = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: m.type == "error" and CSP_REPORT.search(m.text) and page.csp_errors.append(m.text))
    page.on("pageerror", lambda error: page.csp_errors.append(f"page error: {error}"))
    return page


def assert_inert(page):
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # a failed image and its onerror would have fired by now
    assert page.dialogs == []
    assert page.csp_errors == []
    expect(page.locator("img")).to_have_count(0)
    expect(page.locator("script")).to_have_count(0)
    expect(page.locator("b")).to_have_count(0)


def test_a_hostile_name_is_text_on_the_tenants_list(watched, hostile):
    page = watched
    page.goto(f"/console/tenants?search={hostile['slug']}")
    link = page.locator("table tbody tr td:first-child a")
    expect(link).to_have_count(1)
    expect(link).to_have_text(NAME)
    expect(page.get_by_role("link", name=NAME)).to_be_visible()
    assert_inert(page)


def test_a_hostile_name_and_metadata_are_text_on_the_overview(watched, hostile):
    page = watched
    page.goto(f"/console/tenants/{hostile['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{NAME} active")
    assert page.title() == f"{NAME} · Tenant console"
    metadata = page.locator("dl.facts dt:text-is('Metadata') + dd")
    expect(metadata).to_contain_text(SCRIPT)
    expect(metadata).to_contain_text("<b>bold</b>")
    expect(page.get_by_label("Name", exact=True)).to_have_value(NAME)
    assert_inert(page)


def test_a_hostile_change_is_text_on_the_audit_trail(watched, hostile):
    page = watched
    page.goto(f"/console/tenants/{hostile['id']}/events?type=tenant.updated")
    change = page.locator("table tbody tr").first.locator("td").nth(3)
    expect(change).to_contain_text(f"name: Plain {RUN} → {NAME}")
    expect(change).to_contain_text(SCRIPT)
    expect(change).to_contain_text("<b>bold</b>")
    assert_inert(page)


def test_a_hostile_key_name_is_text_on_the_key_pages(watched, hostile):
    page = watched
    page.goto(f"/console/tenants/{hostile['id']}/keys")
    page.get_by_label("Key name").fill(NAME)
    submit(page, "Create key", status=201)
    expect(page.locator("dl.facts dt:text-is('Name') + dd")).to_have_text(NAME)
    assert_inert(page)
    page.get_by_role("link", name="Done").click()
    page.wait_for_url(f"**/console/tenants/{hostile['id']}/keys")
    expect(page.get_by_role("row").filter(has_text=NAME)).to_have_count(1)
    expect(page.get_by_role("button", name=f"Revoke key {NAME}")).to_have_count(1)
    assert_inert(page)


def test_a_hostile_suspension_reason_is_text_on_the_overview(watched, make_tenant, api):
    tenant = make_tenant("xss-reason")
    page = watched
    page.goto(f"/console/tenants/{tenant['id']}")
    page.get_by_label("Reason for suspending").fill(SCRIPT)
    submit(page, "Suspend tenant", status=303)
    assert api("GET", f"/v1/tenants/{tenant['id']}").json()["suspendedReason"] == SCRIPT
    expect(page.locator("dl.facts dt:text-is('Suspended because') + dd")).to_have_text(SCRIPT)
    assert_inert(page)


def test_a_hostile_email_claim_is_text_in_the_page_header(page, sign_in):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    email = '"><img src=x onerror=alert(1)>@evil.example'
    sign_in(page, f"xss-email-{RUN}", ["platform_admin"], email=email)
    expect(page.locator(".who")).to_have_text(f"Signed in as {email}")
    page.wait_for_timeout(300)
    assert dialogs == []
    expect(page.locator("img")).to_have_count(0)
