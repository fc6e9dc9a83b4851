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
import urllib.error
import urllib.request
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


@pytest.fixture
def sign_in():
    """sign_in(page, sub, roles, tenant_id=None, email=None, email_verified=True, **claims):
    opens $CONSOLE_URL/console, follows it (or its sign-in link or button) to the provider,
    and signs in there as `sub` with exactly these claims in the ID token: `roles` (a list,
    or a space-separated string, as given; None leaves the claim out), `tenant_id`, `email`
    with `email_verified`, and any others. Returns once the browser is back on the console,
    past its callback."""

    def sign_in(page, sub, roles, tenant_id=None, email=None, email_verified=True, **claims):
        if roles is not None:
            claims["roles"] = roles
        if tenant_id is not None:
            claims["tenant_id"] = tenant_id
        if email is not None:
            claims["email"] = email
            claims["email_verified"] = email_verified
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
        page.wait_for_url(OIDC_ISSUER + "/oauth2/authorize**")
        page.locator("input[name=sub]").fill(sub)
        # The field tests/support/oidc.py adds: the user's claims, replaced by these.
        page.locator("textarea[name=claims]").fill(jsonlib.dumps(claims))
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(
            lambda url: url.startswith(CONSOLE_URL + "/") and "/console/callback" not in url
        )
        return page

    return sign_in


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


@pytest.fixture
def api(admin_token):
    """api(method, path, token=<platform admin>, json=None, headers=None) -> Response(status,
    headers, body; .json()): a request to the local API, with the platform-admin bearer
    token unless `token` is another (None: no credential)."""

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
