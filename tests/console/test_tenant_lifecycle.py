"""A platform admin creates a tenant through the form, reads its overview, edits it (never
over someone else's change), suspends, activates, re-plans and deletes it, resends the
owner's invitation and retries a failed provisioning; the API's state is checked after
every action."""

import re
import subprocess

from playwright.sync_api import expect

from conftest import DB_ENDPOINT, ROOT, RUN, submit, tenant_of, unique, wait_until


def dd_of(page, label):
    """The value of a `dt` label in the page's first fact list naming it."""
    return page.locator(f"dl.facts dt:text-is('{label}') + dd").first


def test_create_form_creates_the_tenant_and_opens_its_overview(admin_page, api):
    page = admin_page
    page.goto("/console/tenants")
    page.get_by_role("link", name="New tenant").click()
    expect(page.get_by_role("heading", name="New tenant")).to_be_visible()
    slug = unique("form")
    page.get_by_label("Name", exact=True).fill(f"Form Made {RUN}")
    page.get_by_label("Slug").fill(slug)
    page.get_by_label("Owner email").fill(f"owner-{RUN}@form.example")
    page.get_by_label("Owner name").fill("Ada Owner")
    page.get_by_label("Billing email").fill(f"billing-{RUN}@form.example")
    page.get_by_label("External id").fill(f"crm-{RUN}")
    page.get_by_label("Plan").select_option("pro")
    page.get_by_label("Kind").select_option("trial")
    response = submit(page, "Create tenant", status=303)
    page.wait_for_url(re.compile(r"/console/tenants/tenant_[0-9a-f-]+\?done=created$"))
    assert re.search(r"/console/tenants/tenant_[0-9a-f-]+\?done=created$", response.headers["location"])
    tenant_id = re.search(r"/console/tenants/(tenant_[0-9a-f-]+)", page.url).group(1)
    expect(page.get_by_role("status")).to_have_text("Tenant created.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Form Made {RUN}")

    tenant = tenant_of(api, tenant_id)
    assert tenant["slug"] == slug
    assert tenant["name"] == f"Form Made {RUN}"
    assert tenant["ownerEmail"] == f"owner-{RUN}@form.example"
    assert tenant["ownerName"] == "Ada Owner"
    assert tenant["billingEmail"] == f"billing-{RUN}@form.example"
    assert tenant["externalId"] == f"crm-{RUN}"
    assert tenant["plan"] == "pro"
    assert tenant["kind"] == "trial"
    assert tenant["status"] == "active"


def test_create_with_an_invalid_slug_shows_the_api_reason_beside_the_field_and_creates_nothing(
    admin_page, api
):
    page = admin_page
    page.goto("/console/tenants/new")
    name = f"Bad Slug {RUN}"
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Slug").fill("Bad Slug!")
    submit(page, "Create tenant", status=400)
    # The API's reason, beside the field and tied to it.
    slug = page.get_by_label("Slug")
    expect(slug).to_have_value("Bad Slug!")
    expect(slug).to_have_attribute("aria-describedby", "slug-error")
    expect(page.locator("#slug-error")).to_contain_text("must start with a lowercase letter")
    expect(page.get_by_role("alert")).to_contain_text("invalid fields")
    # What was typed is kept.
    expect(page.get_by_label("Name", exact=True)).to_have_value(name)
    assert api("GET", f"/v1/tenants?search=Bad+Slug+{RUN}").json()["items"] == []


def test_overview_shows_the_tenant_details_provisioning_and_resources(admin_page, make_tenant, api):
    tenant = make_tenant("ov", name=f"Overview {RUN}", ownerEmail=f"owner-{RUN}@overview.example")
    wait_until(lambda: tenant_of(api, tenant["id"])["provisioning"]["status"] == "ready", what="provisioning")
    current = tenant_of(api, tenant["id"])
    page = admin_page
    page.goto("/console/tenants")
    page.get_by_label("Search").fill(tenant["slug"])
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("link", name=f"Overview {RUN}").click()
    page.wait_for_url(f"**/console/tenants/{tenant['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Overview {RUN} active")
    expect(dd_of(page, "Id")).to_have_text(tenant["id"])
    expect(dd_of(page, "Slug")).to_have_text(tenant["slug"])
    expect(dd_of(page, "Plan")).to_have_text(current["plan"])
    expect(dd_of(page, "Version")).to_have_text(str(current["version"]))
    provisioning = page.get_by_role("region", name="Provisioning")
    expect(provisioning.locator("dt:text-is('Status') + dd")).to_have_text("ready")
    resources = provisioning.get_by_role("table", name="Resources")
    expect(resources.locator("tbody tr")).to_have_count(1)
    expect(resources.locator("tbody tr").first).to_contain_text("owner-invitation")
    expect(resources.locator("tbody tr").first).to_contain_text("ready")
    expect(page.get_by_role("link", name="Overview", exact=True)).to_have_attribute("aria-current", "page")


def test_edit_saves_the_changes(admin_page, make_tenant, api):
    tenant = make_tenant("edit", settled=True, name=f"Before Edit {RUN}")
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}")
    page.get_by_label("Name", exact=True).fill(f"After Edit {RUN}")
    page.get_by_label("Billing email").fill(f"billing-{RUN}@edit.example")
    page.get_by_label("Locale").fill("fr-ca")
    submit(page, "Save changes", status=303)
    page.wait_for_url(f"**/console/tenants/{tenant['id']}?done=updated")
    expect(page.get_by_role("status")).to_have_text("Changes saved.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"After Edit {RUN}")
    current = tenant_of(api, tenant["id"])
    assert current["name"] == f"After Edit {RUN}"
    assert current["billingEmail"] == f"billing-{RUN}@edit.example"
    assert current["locale"] == "fr-CA"
    assert current["version"] == tenant["version"] + 1


def test_an_edit_over_a_concurrent_change_is_refused_with_412_and_saves_nothing(admin_page, make_tenant, api):
    tenant = make_tenant("race", settled=True, name=f"Race Original {RUN}")
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}")
    # Someone else changes the tenant while the form is open.
    changed = api(
        "PATCH", f"/v1/tenants/{tenant['id']}", json={"name": f"Race Theirs {RUN}"},
        headers={"content-type": "application/merge-patch+json"},
    )
    assert changed.status == 200, changed.body
    page.get_by_label("Name", exact=True).fill(f"Race Mine {RUN}")
    submit(page, "Save changes", status=412)
    expect(page.get_by_role("alert")).to_contain_text("changed by someone else")
    expect(page.get_by_role("alert")).to_contain_text("Your changes were not saved")
    current = tenant_of(api, tenant["id"])
    assert current["name"] == f"Race Theirs {RUN}"
    assert current["version"] == changed.json()["version"]


def test_suspend_with_a_reason_then_activate(admin_page, make_tenant, api):
    tenant = make_tenant("susp")
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}")
    page.get_by_label("Reason for suspending").fill(f"Unpaid invoice {RUN}")
    submit(page, "Suspend tenant", status=303)
    expect(page.get_by_role("status")).to_have_text("Tenant suspended.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("suspended")
    current = tenant_of(api, tenant["id"])
    assert current["status"] == "suspended"
    assert current["suspendedReason"] == f"Unpaid invoice {RUN}"
    expect(dd_of(page, "Suspended because")).to_have_text(f"Unpaid invoice {RUN}")
    expect(page.get_by_role("button", name="Suspend tenant")).to_have_count(0)

    submit(page, "Activate tenant", status=303)
    expect(page.get_by_role("status")).to_have_text("Tenant activated.")
    current = tenant_of(api, tenant["id"])
    assert current["status"] == "active"
    assert current["suspendedReason"] is None
    expect(page.get_by_role("button", name="Activate tenant")).to_have_count(0)


def test_plan_select_upgrades_and_downgrades_the_tenant(admin_page, make_tenant, api):
    tenant = make_tenant("plan")
    assert tenant["plan"] == "starter"
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}")
    plan = page.get_by_role("combobox", name="Plan")
    expect(plan).to_have_value("starter")
    plan.select_option("business")
    submit(page, "Change plan", status=303)
    expect(page.get_by_role("status")).to_have_text("Plan changed.")
    assert tenant_of(api, tenant["id"])["plan"] == "business"
    expect(dd_of(page, "Plan")).to_have_text("business")

    page.get_by_role("combobox", name="Plan").select_option("free")
    submit(page, "Change plan", status=303)
    assert tenant_of(api, tenant["id"])["plan"] == "free"
    types = [e["type"] for e in api("GET", f"/v1/tenants/{tenant['id']}/events?type=tenant.plan_changed").json()["items"]]
    assert types == ["tenant.plan_changed", "tenant.plan_changed"]


def test_resend_invitation_mails_the_owner_a_new_one(admin_page, make_tenant, api):
    tenant = make_tenant("inv", ownerEmail=f"owner-{RUN}@invite.example")

    def sent():
        items = api("GET", f"/v1/tenants/{tenant['id']}/events?type=tenant.invitation_sent").json()["items"]
        return len(items)

    wait_until(lambda: sent() == 1, what="the first invitation")
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}")
    expect(page.get_by_role("region", name="Owner's invitation")).to_contain_text(f"owner-{RUN}@invite.example")
    submit(page, "Resend invitation", status=303)
    expect(page.get_by_role("status")).to_have_text("Invitation sent again.")
    wait_until(lambda: sent() == 2, what="a second invitation_sent event")


def test_a_failed_provisioning_is_shown_and_retried(admin_page, make_tenant, api):
    # moto's STS (localdb.py) refuses a role that does not exist: aws-integration fails.
    role = f"arn:aws:iam::123456789012:role/tenant-api-console-{RUN}"
    tenant = make_tenant("prov", awsRoleArn=role)
    wait_until(lambda: tenant_of(api, tenant["id"])["provisioning"]["status"] == "failed", what="a failed provisioning")
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}")
    provisioning = page.get_by_role("region", name="Provisioning")
    expect(provisioning.locator("dt:text-is('Status') + dd")).to_have_text("failed")
    expect(provisioning.get_by_role("listitem").filter(has_text="aws-integration")).to_contain_text("the role does not exist")
    row = provisioning.get_by_role("table", name="Resources").locator("tbody tr").filter(has_text="aws-integration")
    expect(row).to_contain_text("failed")
    expect(row).to_contain_text("the role does not exist")

    # The customer creates the role trusting the platform; the admin retries.
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "tests" / "support" / "localdb.py"), "role",
         "--endpoint", DB_ENDPOINT, "--arn", role, "--external-id", tenant["awsExternalId"]],
        check=True, capture_output=True, text=True,
    )
    submit(page, "Retry provisioning", status=303)
    expect(page.get_by_role("status")).to_have_text("Provisioning retried.")
    current = wait_until(
        lambda: (t := tenant_of(api, tenant["id"]))["provisioning"]["status"] == "ready" and t,
        what="provisioning ready after the retry",
    )
    assert current["provisioning"]["attempts"] == 2
    page.reload()
    expect(provisioning.locator("dt:text-is('Status') + dd")).to_have_text("ready")
    expect(page.get_by_role("button", name="Retry provisioning")).to_have_count(0)


def test_delete_needs_the_slug_typed(admin_page, make_tenant, api):
    tenant = make_tenant("del", settled=True)
    page = admin_page
    page.goto(f"/console/tenants/{tenant['id']}")
    page.get_by_label(re.compile("to delete this tenant")).fill(tenant["slug"] + "x")
    submit(page, "Delete tenant", status=400)
    expect(page.get_by_role("alert")).to_contain_text("nothing was deleted")
    assert tenant_of(api, tenant["id"])["status"] == "active"

    page.get_by_label(re.compile("to delete this tenant")).fill(tenant["slug"])
    submit(page, "Delete tenant", status=303)
    expect(page.get_by_role("status")).to_have_text("Tenant deleted.")
    current = tenant_of(api, tenant["id"])
    assert current["status"] == "deleted"
    expect(page.get_by_role("heading", level=1)).to_contain_text("deleted")
    expect(page.get_by_role("button", name="Delete tenant")).to_have_count(0)
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
