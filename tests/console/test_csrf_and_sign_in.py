"""Forged requests: a state-changing POST needs the session's CSRF token and must come from
the console's own origin; a sign-in's callback needs the state, nonce and code of a
sign-in this browser began, once; the page to return to must be the console's."""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from playwright.sync_api import expect

from conftest import (
    CONSOLE_URL, OIDC_ISSUER, RUN, authorize_at_provider, claims_of, csrf_of, post_form, tenant_of,
)

EVIL = "https://evil.example"
SESSION = "__Host-tm-session"


@pytest.fixture(scope="module")
def target(make_tenant):
    """The tenant the forged requests try to suspend."""
    return make_tenant("csrf", name=f"CSRF Target {RUN}")


def suspend_form(page, **fields):
    return {"csrf": csrf_of(page), "reason": f"forged {RUN}", **fields}


def assert_refused(response, api, tenant_id):
    assert response.status == 403, (response.status, response.headers.get("location"))
    assert "Request refused" in response.text()
    assert tenant_of(api, tenant_id)["status"] == "active"


def test_a_post_without_the_csrf_field_is_refused_and_changes_nothing(admin_page, target, api):
    page = admin_page
    page.goto(f"/console/tenants/{target['id']}")
    form = suspend_form(page)
    del form["csrf"]
    response = post_form(page.context, f"/console/tenants/{target['id']}/suspend", form)
    assert_refused(response, api, target["id"])


def test_a_post_with_a_wrong_csrf_token_is_refused(admin_page, target, api):
    page = admin_page
    page.goto(f"/console/tenants/{target['id']}")
    form = suspend_form(page)
    form["csrf"] = form["csrf"][:-1] + ("A" if form["csrf"][-1] != "A" else "B")
    response = post_form(page.context, f"/console/tenants/{target['id']}/suspend", form)
    assert_refused(response, api, target["id"])


def test_a_post_from_another_origin_is_refused_even_with_the_token(admin_page, target, api):
    page = admin_page
    page.goto(f"/console/tenants/{target['id']}")
    response = post_form(page.context, f"/console/tenants/{target['id']}/suspend", suspend_form(page), origin=EVIL)
    assert_refused(response, api, target["id"])


@pytest.mark.parametrize("site", ["cross-site", "same-site", "none"])
def test_a_post_the_browser_marks_as_not_same_origin_is_refused_even_with_the_token(admin_page, target, api, site):
    page = admin_page
    page.goto(f"/console/tenants/{target['id']}")
    response = post_form(page.context, f"/console/tenants/{target['id']}/suspend", suspend_form(page),
                         headers={"sec-fetch-site": site})
    assert_refused(response, api, target["id"])


def test_a_post_without_origin_or_fetch_metadata_is_refused_even_with_the_token(admin_page, target, api):
    page = admin_page
    page.goto(f"/console/tenants/{target['id']}")
    response = post_form(page.context, f"/console/tenants/{target['id']}/suspend", suspend_form(page), origin=None)
    assert_refused(response, api, target["id"])


def test_a_same_origin_post_with_the_token_is_accepted(admin_page, make_tenant, api):
    # The control of the refusals above: the same request, as the console's own form sends it.
    tenant = make_tenant("csrf-ok")
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}")
    response = post_form(page.context, f"/console/tenants/{tenant['id']}/suspend", suspend_form(page),
                         headers={"sec-fetch-site": "same-origin"})
    assert response.status == 303
    assert response.headers["location"] == f"/console/tenants/{tenant['id']}?done=suspended"
    assert tenant_of(api, tenant["id"])["status"] == "suspended"


def test_sign_out_without_the_token_is_refused_and_the_session_lives_on(page, context, sign_in):
    sign_in(page, f"logout-csrf-{RUN}", ["platform_admin"])
    for form, headers in [({}, {"sec-fetch-site": "same-origin"}),
                          ({"csrf": csrf_of(page)}, {"sec-fetch-site": "cross-site"})]:
        response = post_form(context, "/console/logout", form, headers=headers)
        assert response.status == 403
    assert page.goto(CONSOLE_URL + "/console/tenants").status == 200
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


# ---- the sign-in's callback ------------------------------------------------------------

def session_cookies(context):
    return [c for c in context.cookies() if c["name"] == SESSION]


def begin_sign_in(page):
    """Opens the console's sign-in; returns the provider's authorization URL it sent the
    browser to."""
    page.goto(CONSOLE_URL + "/console/login")
    page.wait_for_url(OIDC_ISSUER + "/oauth2/authorize**")
    return page.url


def with_param(url, name, change):
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query[name] = change(query[name])
    return urlunsplit(parts._replace(query=urlencode(query)))


def one_char_changed(value):
    return value[:-1] + ("A" if value[-1] != "A" else "B")


def finish_at_provider(page, sub):
    """Completes the provider's form; returns the console's answer to the callback."""
    with page.expect_response(lambda r: r.url.startswith(CONSOLE_URL + "/console/callback")) as info:
        authorize_at_provider(page, sub, claims_of(["platform_admin"]))
    page.wait_for_load_state()
    return info.value


def assert_sign_in_refused(page, response, why):
    assert 400 <= response.status < 500, response.status
    assert response.headers.get("location") is None
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in refused")
    expect(page.get_by_role("main")).to_contain_text(why)
    assert session_cookies(page.context) == []


def test_a_forged_state_is_refused(page):
    begin_sign_in(page)
    response = page.goto(CONSOLE_URL + "/console/callback?" + urlencode({"code": "forged-code", "state": "forged-state"}))
    assert_sign_in_refused(page, response, "unknown")


def test_a_tampered_state_is_refused(page):
    authorize = begin_sign_in(page)
    page.goto(with_param(authorize, "state", one_char_changed))
    response = finish_at_provider(page, f"tampered-{RUN}")
    assert_sign_in_refused(page, response, "unknown")


def test_an_id_token_with_another_nonce_is_refused(page):
    authorize = begin_sign_in(page)
    page.goto(with_param(authorize, "nonce", one_char_changed))
    response = finish_at_provider(page, f"nonce-{RUN}")
    assert_sign_in_refused(page, response, "did not verify")


def test_a_replayed_callback_is_refused(page, browser):
    callbacks = []
    page.on("request", lambda r: r.url.startswith(CONSOLE_URL + "/console/callback") and callbacks.append(r.url))
    begin_sign_in(page)
    response = finish_at_provider(page, f"replay-{RUN}")
    assert response.status == 303 and len(callbacks) == 1
    assert len(session_cookies(page.context)) == 1

    # The same browser again, then another browser: the sign-in was used.
    response = page.goto(callbacks[0])
    assert response.status == 400
    expect(page.get_by_role("main")).to_contain_text("already used")
    other = browser.new_context(base_url=CONSOLE_URL)
    try:
        replay = other.new_page()
        response = replay.goto(callbacks[0])
        assert_sign_in_refused(replay, response, "already used")
    finally:
        other.close()


def test_a_used_code_under_a_fresh_state_is_refused(page, context):
    # A code already exchanged, delivered with the state of a new sign-in of this browser:
    # the provider refuses the second exchange, and the console refuses the sign-in.
    callbacks = []
    page.on("request", lambda r: r.url.startswith(CONSOLE_URL + "/console/callback") and callbacks.append(r.url))
    begin_sign_in(page)
    assert finish_at_provider(page, f"code-replay-{RUN}").status == 303
    used_code = parse_qs(urlsplit(callbacks[0]).query)["code"][0]
    context.clear_cookies()
    fresh_state = parse_qs(urlsplit(begin_sign_in(page)).query)["state"][0]
    response = page.goto(CONSOLE_URL + "/console/callback?" + urlencode({"code": used_code, "state": fresh_state}))
    assert_sign_in_refused(page, response, "did not verify")


def test_a_callback_in_another_browser_than_the_one_that_began_is_refused(page, browser):
    # The state and code of a sign-in begun here, delivered to another browser.
    begin_sign_in(page)
    urls = []

    def stop_at_the_redirect(route):
        # The provider's answer to the form: the callback URL, which this browser never opens.
        answer = route.fetch(max_redirects=0)
        urls.append(answer.headers["location"])
        route.fulfill(status=200, content_type="text/plain", body="stopped before the callback")

    page.route(lambda url: url.startswith(OIDC_ISSUER + "/oauth2/authorize"), stop_at_the_redirect)
    authorize_at_provider(page, f"elsewhere-{RUN}", claims_of(["platform_admin"]))
    page.get_by_text("stopped before the callback").wait_for()
    assert len(urls) == 1 and urls[0].startswith(CONSOLE_URL + "/console/callback?"), urls
    other = browser.new_context(base_url=CONSOLE_URL)
    try:
        victim = other.new_page()
        response = victim.goto(urls[0])
        assert_sign_in_refused(victim, response, "another browser")
    finally:
        other.close()


def test_a_sign_in_denied_at_the_provider_is_refused(page):
    begin_sign_in(page)
    page.locator("input[name=sub]").fill(f"denied-{RUN}")
    with page.expect_response(lambda r: r.url.startswith(CONSOLE_URL + "/console/callback")) as info:
        page.get_by_role("button", name="Deny").click()
    page.wait_for_load_state()
    assert_sign_in_refused(page, info.value, "did not sign you in")
    expect(page.get_by_role("link", name="Sign in again")).to_have_attribute("href", "/console/login")


@pytest.mark.parametrize("target", [
    EVIL + "/", "//evil.example", "//evil.example/console/", "/console//evil.example", "/\\evil.example",
    # Under /console only as written: the browser resolves it to /v1/tenants.
    "/console/../v1/tenants",
])
def test_a_return_path_outside_the_console_is_refused(context, target):
    response = context.request.get(CONSOLE_URL + "/console/login?" + urlencode({"return": target}), max_redirects=0)
    assert response.status == 400
    assert "location" not in response.headers
    assert "evil.example" not in response.text().replace(target, "")


def test_a_console_return_path_is_where_sign_in_lands(page):
    page.goto(CONSOLE_URL + "/console/login?" + urlencode({"return": "/console/tenants/new"}))
    authorize_at_provider(page, f"return-{RUN}", claims_of(["platform_admin"]))
    page.wait_for_url(CONSOLE_URL + "/console/tenants/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("New tenant")
