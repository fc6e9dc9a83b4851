"""Fixtures of the console's browser tests (make console-test; tests/support/console-test.sh
starts the stack they run against and sets the variables below).

  CONSOLE_URL         the console's origin (http://127.0.0.1:<API port>); pages under /console/
  API_URL             the API (the same origin under `cargo lambda watch`)
  OIDC_ISSUER         the local OpenID provider (tests/support/oidc.py)
  CONSOLE_TEST_TOKEN  a platform-admin bearer token for the API (minted with tenantctl when unset)
  CHROMIUM            the browser (/usr/bin/chromium, Debian's: make console-setup)
  CONSOLE_TEST_HEADED set to 1 to watch the browser (needs a display)

Fixtures: browser (session), context and page (one fresh browser profile per test, so no
cookies carry over), sign_in, api, screenshot, axe. A failing test's page is saved as
target/console/failures/<test>.png.
"""

import json as jsonlib
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "target" / "console"
CONSOLE_URL = os.environ.get("CONSOLE_URL", "http://127.0.0.1:9000").rstrip("/")
API_URL = os.environ.get("API_URL", CONSOLE_URL).rstrip("/")
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "http://127.0.0.1:9400").rstrip("/")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The local API's token settings (the Makefile's LOCAL_ENV, Cargo.toml's watch environment).
LOCAL_TOKEN_ENV = {
    "JWT_ISSUER": "tenant-api-local",
    "JWT_AUDIENCE": "tenant-api",
    "JWT_HS256_SECRET": "local-development-only-secret-0123456789",
    "TABLE_NAME": "tenants",
}

# Debug builds behind `cargo lambda watch` answer in milliseconds, but a function's first
# request may wait for its process; 15 s before a page or an expectation gives up.
expect.set_options(timeout=15_000)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Each phase's report on the test item, for the page fixture's failure screenshot.
    report = yield
    setattr(item, "report_" + report.when, report)
    return report


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        # --no-sandbox: chromium's sandbox cannot start as root (these machines, CI).
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox"],
            headless=os.environ.get("CONSOLE_TEST_HEADED") != "1",
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    # A fixed viewport, locale and time zone: screenshots that compare run to run.
    context = browser.new_context(
        base_url=CONSOLE_URL, viewport={"width": 1280, "height": 800}, locale="en-US", timezone_id="UTC"
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context, request):
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        (ARTIFACTS / "failures").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "failures" / f"{name}.png"), full_page=True)


def authorize_at_provider(page, sub, claims):
    """On the provider's authorization page: signs in as `sub` with exactly `claims` (a dict
    replacing the user's claims) and submits the form; returns without waiting."""
    page.wait_for_url(OIDC_ISSUER + "/oauth2/authorize**")
    page.locator("input[name=sub]").fill(sub)
    # The field tests/support/oidc.py adds: the user's claims, replaced by these.
    page.locator("textarea[name=claims]").fill(jsonlib.dumps(claims))
    page.get_by_role("button", name="Authorize").click()


def claims_of(roles, tenant_id=None, email=None, email_verified=True, **claims):
    """The ID token claims sign_in puts in: `roles` (None leaves it out), `tenant_id`,
    `email` with `email_verified`, and any others."""
    if roles is not None:
        claims["roles"] = roles
    if tenant_id is not None:
        claims["tenant_id"] = tenant_id
    if email is not None:
        claims["email"] = email
        claims["email_verified"] = email_verified
    return claims


def sign_in_page(page, sub, roles, tenant_id=None, email=None, email_verified=True, **claims):
    """The sign_in fixture's function (see there)."""
    claims = claims_of(roles, tenant_id, email, email_verified, **claims)
    response = page.goto(CONSOLE_URL + "/console")
    if not page.url.startswith(OIDC_ISSUER + "/"):
        # A sign-in page of the console's own rather than a redirect to the provider.
        name = re.compile("sign in", re.I)
        control = page.get_by_role("link", name=name).or_(page.get_by_role("button", name=name)).first
        try:
            control.click(timeout=5_000)
        except PlaywrightTimeoutError:
            status = response.status if response else "no response"
            text = " ".join(page.locator("body").inner_text().split())[:300]
            raise AssertionError(
                f"{CONSOLE_URL}/console ({status}) neither sent the browser to the provider"
                f" nor offered a sign-in link or button: {text!r}"
            ) from None
    authorize_at_provider(page, sub, claims)
    page.wait_for_url(
        lambda url: url.startswith(CONSOLE_URL + "/") and "/console/callback" not in url
    )
    return page


@pytest.fixture
def sign_in():
    """sign_in(page, sub, roles, tenant_id=None, email=None, email_verified=True, **claims):
    opens $CONSOLE_URL/console, follows it (or its sign-in link or button) to the provider,
    and signs in there as `sub` with exactly these claims in the ID token: `roles` (a list,
    or a space-separated string, as given; None leaves the claim out), `tenant_id`, `email`
    with `email_verified`, and any others. Returns once the browser is back on the console,
    past its callback."""
    return sign_in_page


@pytest.fixture(scope="session")
def admin_token():
    token = os.environ.get("CONSOLE_TEST_TOKEN")
    if token:
        return token
    # As `make -s token` mints it.
    result = subprocess.run(
        ["cargo", "run", "--quiet", "--bin", "tenantctl", "--", "token", "--sub", "console-test-admin"],
        cwd=ROOT, env={**os.environ, **LOCAL_TOKEN_ENV}, capture_output=True, text=True, check=True,
    )
    return result.stdout.strip()


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return jsonlib.loads(self.body)


ADMIN = object()


def make_api(admin_token):
    def api(method, path, token=ADMIN, json=None, headers=None):
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        if token is ADMIN:
            token = admin_token
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        data = None
        if json is not None:
            data = jsonlib.dumps(json).encode()
            headers.setdefault("content-type", "application/json")
        request = urllib.request.Request(API_URL + path, data=data, method=method.upper(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())

    return api


@pytest.fixture
def api(admin_token):
    """api(method, path, token=<platform admin>, json=None, headers=None) -> Response(status,
    headers, body; .json()): a request to the local API, with the platform-admin bearer
    token unless `token` is another (None: no credential)."""
    return make_api(admin_token)


@pytest.fixture(scope="session")
def session_api(admin_token):
    """The api fixture's function, for module- and session-scoped fixtures."""
    return make_api(admin_token)


@pytest.fixture
def screenshot():
    """screenshot(page, name): the whole page, as target/console/<name>.png (returns the path)."""

    def screenshot(page, name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return screenshot


@pytest.fixture
def axe():
    """axe(page) -> the page's accessibility violations (axe-core rules; a list of dicts
    with id, impact, description, nodes)."""
    from axe_playwright_python.sync_playwright import Axe

    checker = Axe()

    def axe(page):
        return checker.run(page).response["violations"]

    return axe


# ---- helpers of the console's tests ---------------------------------------------------

# This run's mark on what it creates (the stack's table starts empty at every run, but a
# test may be run twice against one stack).
RUN = uuid.uuid4().hex[:6]
# Where the local DNS server reads its TXT records (console-test.sh: $log_dir/dns).
DNS_RECORDS = Path(os.environ.get("CONSOLE_TEST_DNS_RECORDS", ROOT / "target" / "console" / "logs" / "dns"))
# The local moto server (console-test.sh: CONSOLE_TEST_DB_PORT), for a customer's IAM role.
DB_ENDPOINT = f"http://127.0.0.1:{os.environ.get('CONSOLE_TEST_DB_PORT', '9412')}"
# Something that looks like a JWT (a header and a payload, base64url JSON objects).
JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.")


def unique(prefix):
    """A slug (or other name) unique to this run: `<prefix>-<run>-<n>`."""
    unique.n = getattr(unique, "n", 0) + 1
    return f"{prefix}-{RUN}-{unique.n}"


def wait_until(check, timeout=20.0, interval=0.2, what="the condition"):
    """Polls check() until it returns something truthy (returned); fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def make_tenant(session_api):
    """make_tenant(prefix="t", settled=False, **fields) -> the tenant (JSON) created through
    the API as the platform admin, with a slug unique to the run and `name` defaulting to it.
    `settled`: once its provisioning has ended (which changes its version), as it is then, for
    a test whose form carries the version (If-Match)."""

    def make_tenant(prefix="t", settled=False, **fields):
        slug = unique(prefix)
        body = {"name": fields.pop("name", f"Console {slug}"), "slug": slug, **fields}
        response = session_api("POST", "/v1/tenants", json=body)
        assert response.status == 201, (response.status, response.body)
        tenant = response.json()
        if settled:
            return wait_until(
                lambda: (t := tenant_of(session_api, tenant["id"]))["provisioning"]["status"] in ("ready", "failed")
                and t,
                what=f"the provisioning of {slug} to end",
            )
        return tenant

    return make_tenant


def tenant_of(api, tenant_id):
    """The tenant as the platform admin reads it through the API."""
    response = api("GET", f"/v1/tenants/{tenant_id}")
    assert response.status == 200, (response.status, response.body)
    return response.json()


def publish_txt(name, value):
    """Publishes a TXT record on the local DNS server (as `make dns-record` does)."""
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "tests" / "support" / "localdns.py"),
         "publish", "--records", str(DNS_RECORDS), name, value],
        check=True, capture_output=True, text=True,
    )


def csrf_of(page):
    """The CSRF token in the page's forms."""
    return page.locator("input[name=csrf]").first.get_attribute("value")


def once_of(page):
    """The one-shot value of the page's key form."""
    return page.locator("input[name=once]").first.get_attribute("value")


def post_form(context, path, form, origin=CONSOLE_URL, headers=None):
    """POSTs `form` to the console with the browser context's cookies (context.request sends
    neither Origin nor Sec-Fetch-Site: `origin` adds the former, None leaves it out); the
    answer itself, redirects not followed."""
    headers = dict(headers or {})
    if origin is not None:
        headers["origin"] = origin
    return context.request.post(CONSOLE_URL + path, form=form, headers=headers, max_redirects=0)


def sign_in_cookies(browser, sub, roles, tenant_id=None, email=None, **claims):
    """Signs in through the provider in a throwaway browser context; its cookies."""
    context = browser.new_context(base_url=CONSOLE_URL)
    try:
        page = context.new_page()
        sign_in_page(page, sub, roles, tenant_id=tenant_id, email=email, **claims)
        return [c for c in context.cookies() if c["name"] == "__Host-tm-session"]
    finally:
        context.close()


@pytest.fixture(scope="session")
def signed_in(browser):
    """signed_in(context, sub, roles, tenant_id=None, email=None): puts a console session of
    that identity in the browser context (one sign-in through the provider per identity
    and run, shared by the tests: tests that end their session sign in on their own)."""
    sessions = {}

    def signed_in(context, sub, roles, tenant_id=None, email=None):
        key = (sub, jsonlib.dumps(roles), tenant_id, email)
        if key not in sessions:
            sessions[key] = sign_in_cookies(browser, sub, roles, tenant_id=tenant_id, email=email)
        context.add_cookies(sessions[key])
        return context

    return signed_in


@pytest.fixture
def admin_page(context, page, signed_in):
    """The page, signed in as a platform admin (a session shared by the tests)."""
    signed_in(context, "console-platform-admin", ["platform_admin"], email="platform-admin@example.com")
    return page


def submit(page, button, status=None):
    """Clicks the button (a locator, or a button's name) of a form and returns the response
    to its POST (the first answer, before any redirect is followed); asserts its status."""
    if isinstance(button, str):
        button = page.get_by_role("button", name=button, exact=True)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.startswith(CONSOLE_URL)) as info:
        button.click()
    page.wait_for_load_state()
    response = info.value
    if status is not None:
        assert response.status == status, (response.status, response.url, page.locator("main").inner_text()[:500])
    return response


def api_keys(api):
    """Every API key the API lists (all its pages), as the platform admin reads them."""
    keys, cursor = [], None
    while True:
        response = api("GET", "/v1/api-keys?limit=100" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else ""))
        assert response.status == 200, (response.status, response.body)
        keys += response.json()["items"]
        cursor = response.json().get("nextCursor")
        if not cursor:
            return keys
