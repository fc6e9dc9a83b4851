"""The README's two pictures (docs/images/): the tenants list of a small platform and one
tenant's overview, as an operator sees them. Run alone for clean pictures
(`make console-test CONSOLE_TEST_ARGS="-k readme"`), then copy
target/console/readme-*.png to docs/images/."""

from playwright.sync_api import expect

from conftest import CONSOLE_URL, unique

PLATFORM = [
    ("Acme Corp", "pro", "owner@acme.example.com"),
    ("Globex", "business", "ops@globex.example.com"),
    ("Initech", "starter", "bill@initech.example.com"),
    ("Umbrella Health", "enterprise", "it@umbrella.example.com"),
    ("Hooli", "free", "gavin@hooli.example.com"),
    ("Stark Industries", "business", "pepper@stark.example.com"),
]


def test_an_operator_sees_every_tenant_and_one_tenant_whole(admin_page, session_api, screenshot):
    run = unique("readme")
    made = []
    for name, plan, owner in PLATFORM:
        body = {"name": name, "slug": f"{run}-{name.split()[0].lower()}", "plan": plan,
                "ownerEmail": owner, "ownerName": owner.split("@")[0].title()}
        response = session_api("POST", "/v1/tenants", json=body)
        assert response.status == 201, response.body
        made.append(response.json())
    hooli = made[4]["id"]
    response = session_api("POST", f"/v1/tenants/{hooli}/suspend", json={"reason": "unpaid invoices"})
    assert response.status == 200, response.body

    page = admin_page
    page.goto(CONSOLE_URL + "/console/tenants")
    for name, _, _ in PLATFORM:
        expect(page.get_by_role("link", name=name).first).to_be_visible()
    screenshot(page, "readme-tenants")

    page.goto(f"{CONSOLE_URL}/console/tenants/{made[0]['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme Corp")
    expect(page.get_by_text("owner@acme.example.com").first).to_be_visible()
    screenshot(page, "readme-tenant")
