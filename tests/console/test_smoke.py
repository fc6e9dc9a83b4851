"""The console answers: a platform admin signs in through the local provider and lands on
a page with a heading."""

from playwright.sync_api import expect

from conftest import CONSOLE_URL


def test_platform_admin_signs_in_and_sees_a_heading(page, sign_in, screenshot):
    sign_in(page, "console-smoke-admin", ["platform_admin"], email="smoke-admin@example.com")
    assert page.url.startswith(CONSOLE_URL + "/console/")
    expect(page.locator("h1").first).to_be_visible()
    screenshot(page, "smoke-signed-in")
