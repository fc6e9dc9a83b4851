"""The console works without JavaScript: plain links and forms, POST then redirect."""

import re

import pytest
from playwright.sync_api import expect

from conftest import CONSOLE_URL, RUN, sign_in_page, submit, tenant_of, unique


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(java_script_enabled=False, base_url=CONSOLE_URL,
                                  viewport={"width": 1280, "height": 800}, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_create_suspend_and_activate_without_javascript(no_js_page, api):
    page = no_js_page
    sign_in_page(page, f"no-js-{RUN}", ["platform_admin"], email=f"no-js-{RUN}@example.com")
    page.get_by_role("link", name="New tenant").click()
    slug = unique("nojs")
    page.get_by_label("Name", exact=True).fill(f"No Script {RUN}")
    page.get_by_label("Slug").fill(slug)
    submit(page, "Create tenant", status=303)
    page.wait_for_url(re.compile(r"/console/tenants/tenant_[0-9a-f-]+\?done=created$"))
    tenant_id = re.search(r"/console/tenants/(tenant_[0-9a-f-]+)", page.url).group(1)
    tenant = tenant_of(api, tenant_id)
    assert (tenant["slug"], tenant["name"], tenant["status"]) == (slug, f"No Script {RUN}", "active")

    page.get_by_label("Reason for suspending").fill("no script")
    submit(page, "Suspend tenant", status=303)
    expect(page.get_by_role("status")).to_have_text("Tenant suspended.")
    tenant = tenant_of(api, tenant_id)
    assert (tenant["status"], tenant["suspendedReason"]) == ("suspended", "no script")

    submit(page, "Activate tenant", status=303)
    expect(page.get_by_role("status")).to_have_text("Tenant activated.")
    assert tenant_of(api, tenant_id)["status"] == "active"
