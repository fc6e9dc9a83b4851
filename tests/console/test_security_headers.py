"""Every answer of the console carries its security headers (pages, redirects, error
pages alike) and is never cached; its stylesheet, named by its content, is cached for a
year."""

from urllib.parse import urlencode

import pytest

from conftest import CONSOLE_URL, RUN, authorize_at_provider, claims_of, csrf_of, once_of, post_form, unique

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
PAGE_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
}


def assert_security_headers(headers, what):
    headers = {k.lower(): v for k, v in headers.items()}
    for name, value in PAGE_HEADERS.items():
        assert headers.get(name) == value, f"{what}: {name} is {headers.get(name)!r}, not {value!r}"
    hsts = headers.get("strict-transport-security", "")
    assert hsts.startswith("max-age=") and int(hsts.split(";")[0].split("=")[1]) >= 31536000, f"{what}: HSTS {hsts!r}"


@pytest.fixture(scope="module")
def tenant_id(make_tenant, session_api):
    tenant = make_tenant("hdr", ownerEmail=f"owner-{RUN}@headers.example")
    session_api("POST", f"/v1/tenants/{tenant['id']}/domains", json={"domain": f"{unique('hdr')}.example"})
    return tenant["id"]


PAGES = [
    ("/console/tenants", 200),
    ("/console/tenants?search=x&status=active&plan=pro&order=asc", 200),
    ("/console/tenants/new", 200),
    ("/console/tenants/{id}", 200),
    ("/console/tenants/{id}/events", 200),
    ("/console/tenants/{id}/admins", 200),
    ("/console/tenants/{id}/keys", 200),
    ("/console/tenants/{id}/domains", 200),
    ("/console/tenants/{id}/entitlements", 200),
    ("/console/nope", 404),
    ("/console/tenants/tenant_00000000-0000-7000-8000-000000000000", 404),
    ("/console/signed-out", 200),
    ("/console", 303),
    ("/console/login?" + urlencode({"return": "https://evil.example/"}), 400),
    ("/console/callback?code=x&state=y", 400),
]


@pytest.mark.parametrize("path, status", PAGES)
def test_every_page_carries_the_security_headers(admin_page, tenant_id, path, status):
    response = admin_page.context.request.get(CONSOLE_URL + path.format(id=tenant_id), max_redirects=0)
    assert response.status == status, (path, response.status)
    assert_security_headers(response.headers, path)


def test_a_page_without_a_session_redirects_with_the_security_headers(context):
    response = context.request.get(CONSOLE_URL + "/console/tenants", max_redirects=0)
    assert response.status == 303
    assert response.headers["location"] == "/console/login?return=%2Fconsole%2Ftenants"
    assert_security_headers(response.headers, "the redirect to sign-in")
    response = context.request.get(CONSOLE_URL + "/console/login", max_redirects=0)
    assert response.status == 303
    assert_security_headers(response.headers, "the redirect to the provider")


def test_a_refused_post_and_a_post_answer_carry_the_security_headers(admin_page, tenant_id):
    page = admin_page
    page.goto(f"/console/tenants/{tenant_id}")
    refused = post_form(page.context, f"/console/tenants/{tenant_id}/suspend", {"reason": "no token"})
    assert refused.status == 403
    assert_security_headers(refused.headers, "a 403 (no CSRF token)")
    page.goto(f"/console/tenants/{tenant_id}/keys")
    created = post_form(page.context, f"/console/tenants/{tenant_id}/keys",
                        {"csrf": csrf_of(page), "once": once_of(page), "name": f"headers {RUN}",
                         "role": "tenant_member"})
    assert created.status == 201
    assert_security_headers(created.headers, "the key-created page")
    saved = post_form(page.context, f"/console/tenants/{tenant_id}/edit",
                      {"csrf": csrf_of(page), "version": "1", "name": "Stale"})
    assert saved.status == 412
    assert_security_headers(saved.headers, "a 412 (stale edit)")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_a_405_carries_the_security_headers_and_allow(admin_page, method):
    response = admin_page.context.request.fetch(CONSOLE_URL + "/console/tenants", method=method, max_redirects=0)
    assert response.status == 405
    assert response.headers["allow"] == "GET, POST"
    assert_security_headers(response.headers, f"a 405 ({method})")


def test_the_403_page_of_a_machine_identity_carries_the_security_headers(page):
    page.goto(CONSOLE_URL + "/console")
    with page.expect_response(lambda r: "/console/callback" in r.url) as info:
        authorize_at_provider(page, f"headers-provisioner-{RUN}", claims_of(["provisioner"]))
    assert info.value.status == 403
    assert_security_headers(info.value.headers, "the provisioner's 403")


def test_a_member_403_page_carries_the_security_headers(context, page, signed_in, tenant_id):
    signed_in(context, f"headers-member-{RUN}", ["tenant_member"], tenant_id=tenant_id)
    response = page.goto(f"/console/tenants/{tenant_id}/events")
    assert response.status == 403
    assert_security_headers(response.headers, "a member's 403")


def test_the_stylesheet_is_cached_for_a_year_as_immutable(admin_page):
    page = admin_page
    page.goto("/console/tenants")
    href = page.locator("link[rel=stylesheet]").get_attribute("href")
    assert href.startswith("/console/assets/console-") and href.endswith(".css"), href
    response = page.context.request.get(CONSOLE_URL + href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    # Another content hash is no asset (a stale name is not served forever-cached).
    stale = page.context.request.get(CONSOLE_URL + "/console/assets/console-0000000000000000.css", max_redirects=0)
    assert stale.status == 404
    assert stale.headers["cache-control"] == "no-store"
