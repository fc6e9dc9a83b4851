"""The tenants list of a platform admin: search, status and plan filters, sort, cursor
paging (20 a page) and the counters, each checked against the API."""

import re

import pytest
from playwright.sync_api import expect

from conftest import RUN

PAGE_SIZE = 20
COUNT = 25


@pytest.fixture(scope="module")
def paging(session_api, make_tenant):
    """25 tenants named "Paging <run> NN" (created oldest first), 3 of them suspended and
    2 on the pro plan."""
    tenants = [make_tenant("pg", name=f"Paging {RUN} {n:02}") for n in range(COUNT)]
    suspended = [tenants[n]["id"] for n in (3, 11, 20)]
    for tenant_id in suspended:
        response = session_api("POST", f"/v1/tenants/{tenant_id}/suspend", json={"reason": "paging test"})
        assert response.status == 200, response.body
    pro = [tenants[n]["id"] for n in (5, 17)]
    for tenant_id in pro:
        response = session_api("POST", f"/v1/tenants/{tenant_id}/upgrade", json={"plan": "pro"})
        assert response.status == 200, response.body
    return {"all": [t["id"] for t in tenants], "suspended": suspended, "pro": pro}


def row_ids(page):
    """The tenant ids the table lists, in order."""
    hrefs = page.locator("table tbody tr td:first-child a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [href.rsplit("/", 1)[1] for href in hrefs]


def apply_filters(page, search=None, status=None, plan=None, order=None):
    page.goto("/console/tenants")
    if search is not None:
        page.get_by_label("Search").fill(search)
    if status is not None:
        page.get_by_label("Status").select_option(status)
    if plan is not None:
        page.get_by_label("Plan").select_option(plan)
    if order is not None:
        page.get_by_label("Sort").select_option(order)
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"/console/tenants\?"))


def test_search_lists_matching_tenants_newest_first_twenty_a_page_with_a_next_page_link(admin_page, paging):
    page = admin_page
    apply_filters(page, search=f"Paging {RUN}")
    assert f"search=Paging+{RUN}" in page.url or f"search=Paging%20{RUN}" in page.url
    first = row_ids(page)
    assert first == list(reversed(paging["all"]))[:PAGE_SIZE]
    expect(page.get_by_label("Search")).to_have_value(f"Paging {RUN}")

    next_link = page.get_by_role("link", name="Next page")
    href = next_link.get_attribute("href")
    assert "cursor=" in href and RUN in href, f"the next page keeps the search: {href}"
    next_link.click()
    page.wait_for_url(re.compile(r"cursor="))
    second = row_ids(page)
    assert second == list(reversed(paging["all"]))[PAGE_SIZE:]
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)


def test_search_matches_a_slug_by_prefix(admin_page, paging, session_api):
    slug = session_api("GET", f"/v1/tenants/{paging['all'][7]}").json()["slug"]
    apply_filters(admin_page, search=slug)
    assert row_ids(admin_page) == [paging["all"][7]]


def test_oldest_first_sort_reverses_the_order(admin_page, paging):
    page = admin_page
    apply_filters(page, search=f"Paging {RUN}", order="asc")
    assert "order=asc" in page.url
    assert row_ids(page) == paging["all"][:PAGE_SIZE]
    expect(page.get_by_label("Sort")).to_have_value("asc")
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"cursor="))
    assert "order=asc" in page.url
    assert row_ids(page) == paging["all"][PAGE_SIZE:]


def test_status_filter_lists_only_tenants_of_that_status(admin_page, paging):
    page = admin_page
    apply_filters(page, search=f"Paging {RUN}", status="suspended")
    assert sorted(row_ids(page)) == sorted(paging["suspended"])
    for status in page.locator("table tbody tr td:nth-child(3)").all_inner_texts():
        assert status.strip() == "suspended"
    expect(page.get_by_label("Status")).to_have_value("suspended")

    apply_filters(page, search=f"Paging {RUN}", status="active")
    ids = row_ids(page)
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"cursor="))
    assert "status=active" in page.url
    ids += row_ids(page)
    assert sorted(ids) == sorted(set(paging["all"]) - set(paging["suspended"]))


def test_plan_filter_lists_only_tenants_on_that_plan(admin_page, paging):
    page = admin_page
    apply_filters(page, search=f"Paging {RUN}", plan="pro")
    assert "plan=pro" in page.url
    assert sorted(row_ids(page)) == sorted(paging["pro"])
    for plan in page.locator("table tbody tr td:nth-child(4)").all_inner_texts():
        assert plan.strip() == "pro"
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)


def test_a_search_without_matches_says_so(admin_page):
    apply_filters(admin_page, search=f"nothing-matches-{RUN}")
    expect(admin_page.locator("table tbody")).to_have_text("No tenants match.")


def test_summary_shows_the_api_counters(admin_page, paging, api):
    page = admin_page
    page.goto("/console/tenants")
    stats = api("GET", "/v1/tenants/stats").json()
    summary = page.get_by_role("region", name="Summary")
    shown = {}
    for item in summary.locator("dl > div").all():
        shown[item.locator("dt").inner_text().strip()] = item.locator("dd").inner_text().strip()
    expected = {"Total": str(stats["total"])}
    expected.update({status: str(n) for status, n in stats["byStatus"].items()})
    expected.update({f"On {plan}": str(n) for plan, n in stats["byPlan"].items()})
    assert shown == expected
    assert stats["byStatus"]["suspended"] >= 3 and stats["byPlan"]["pro"] >= 2
