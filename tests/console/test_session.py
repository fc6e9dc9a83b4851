"""The browser holds one opaque, HttpOnly, Secure, SameSite=Lax, host-only session cookie
and nothing else: no token in storage, script-readable cookies or pages. Signing out
ends the session on the server, so the old cookie opens nothing."""

import time

from playwright.sync_api import expect

from conftest import CONSOLE_URL, JWT_LIKE, OIDC_ISSUER, RUN, authorize_at_provider, claims_of

SESSION = "__Host-tm-session"


def session_cookies(context):
    return [c for c in context.cookies() if c["name"] == SESSION]


def test_the_session_cookie_is_http_only_secure_lax_and_host_wide(page, context, sign_in):
    sign_in(page, f"cookie-{RUN}", ["platform_admin"], email=f"cookie-{RUN}@example.com")
    cookies = session_cookies(context)
    assert len(cookies) == 1
    cookie = cookies[0]
    assert cookie["httpOnly"] is True
    assert cookie["secure"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["domain"] == "127.0.0.1"  # host-only: a __Host- cookie names no Domain
    assert cookie["expires"] > 0, "a session cookie with a lifetime, not a browser-session one"
    assert not JWT_LIKE.search(cookie["value"]), "the cookie is an opaque id, not a token"
    # Only the session: the sign-in's own cookie is gone once signed in.
    assert [c["name"] for c in context.cookies()] == [SESSION]


def test_the_sign_in_cookie_is_http_only_secure_lax_and_short_lived(page, context):
    page.goto(CONSOLE_URL + "/console/login")
    page.wait_for_url(OIDC_ISSUER + "/oauth2/authorize**")
    cookies = [c for c in context.cookies() if c["name"] == "__Host-tm-signin"]
    assert len(cookies) == 1
    cookie = cookies[0]
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"], cookie["path"]) == (True, True, "Lax", "/")
    assert cookie["domain"] == "127.0.0.1"
    assert 0 < cookie["expires"] - time.time() <= 600
    assert session_cookies(context) == []


def test_scripts_and_storage_hold_no_session_or_token(page, sign_in):
    sign_in(page, f"storage-{RUN}", ["platform_admin"])
    assert SESSION not in page.evaluate("document.cookie")
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("sessionStorage.length") == 0


def test_no_page_carries_a_token(page, sign_in, make_tenant, api):
    tenant = make_tenant("jwt", ownerEmail=f"owner-{RUN}@jwt.example")
    api("POST", f"/v1/tenants/{tenant['id']}/domains", json={"domain": f"jwt-{RUN}.example"})
    # Every answer of the sign-in, its redirects included: their headers.
    seen = []
    page.on("response", lambda r: r.url.startswith(CONSOLE_URL) and seen.append((r.url, r.all_headers())))
    sign_in(page, f"no-jwt-{RUN}", ["platform_admin"], email=f"no-jwt-{RUN}@example.com")
    for path in ["/console/tenants", "/console/tenants/new", f"/console/tenants/{tenant['id']}",
                 f"/console/tenants/{tenant['id']}/events", f"/console/tenants/{tenant['id']}/admins",
                 f"/console/tenants/{tenant['id']}/keys", f"/console/tenants/{tenant['id']}/domains",
                 f"/console/tenants/{tenant['id']}/entitlements", "/console/nope"]:
        response = page.goto(path)
        body = response.text()
        assert not JWT_LIKE.search(body), f"{path} holds something JWT-like: {JWT_LIKE.search(body).group(0)}"
    assert any("/console/callback" in url for url, _ in seen)
    for url, headers in seen:
        for name, value in headers.items():
            assert not JWT_LIKE.search(value), f"{url}: header {name}: {value}"


def test_sign_out_ends_the_session_and_its_cookie(page, context, sign_in):
    sign_in(page, f"sign-out-{RUN}", ["platform_admin"], email=f"sign-out-{RUN}@example.com")
    old = session_cookies(context)
    assert len(old) == 1
    with page.expect_response(lambda r: r.url == CONSOLE_URL + "/console/logout") as info:
        page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(CONSOLE_URL + "/console/signed-out")
    assert info.value.status == 303
    deleted = info.value.header_values("set-cookie")
    assert any(c.startswith(f"{SESSION}=;") and "Max-Age=0" in c for c in deleted), deleted
    expect(page.get_by_role("heading", level=1)).to_have_text("Signed out")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert session_cookies(context) == []

    # A console page now sends the browser to sign in.
    page.goto(CONSOLE_URL + "/console/tenants")
    assert page.url.startswith(OIDC_ISSUER + "/oauth2/authorize"), page.url

    # The old cookie, put back, opens nothing: the session is gone on the server too.
    context.clear_cookies()
    context.add_cookies(old)
    response = context.request.get(CONSOLE_URL + "/console/tenants", max_redirects=0)
    assert response.status == 303
    assert response.headers["location"].startswith("/console/login?")
    page.goto(CONSOLE_URL + "/console/tenants")
    assert page.url.startswith(OIDC_ISSUER + "/oauth2/authorize"), page.url


def test_signing_in_again_replaces_the_session_id_and_ends_the_old_session(page, context, sign_in):
    sign_in(page, f"again-{RUN}", ["platform_admin"])
    first = session_cookies(context)
    # Signed in, /console opens the console: sign in again through /console/login.
    page.goto(CONSOLE_URL + "/console/login")
    authorize_at_provider(page, f"again-{RUN}", claims_of(["platform_admin"]))
    page.wait_for_url(CONSOLE_URL + "/console/tenants")
    second = session_cookies(context)
    assert len(first) == len(second) == 1
    assert first[0]["value"] != second[0]["value"]
    assert page.goto(CONSOLE_URL + "/console/tenants").status == 200
    context.clear_cookies()
    context.add_cookies(first)
    response = context.request.get(CONSOLE_URL + "/console/tenants", max_redirects=0)
    assert response.status == 303, "the session of the first sign-in has ended"
    assert response.headers["location"].startswith("/console/login?")
