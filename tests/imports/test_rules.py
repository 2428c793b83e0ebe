"""Categorisation rules through HTTP: CRUD, validation, precedence over the shipped rules at
preview, matching (contains, never a pattern; every given field), and re-applying a rule to
imported entries."""

import pytest

from tests.factories import all_rows, commit, get, upload
from tests.statement_workbooks import FIXTURES

SWIGGY = {"name": "Swiggy is team lunch", "match": {"narration": "swiggy"},
          "set": {"category": "team_lunch"}}  # fmt: skip


async def create(client, user, body, status=201):
    r = await client.post("/api/rules", headers=user.headers, json=body)
    assert r.status_code == status, r.text
    return r.json()


def hdfc() -> bytes:
    return (FIXTURES / "hdfc_delimited.txt").read_bytes()


async def test_rules_crud_in_the_order_they_apply(client, user):
    late = await create(client, user, SWIGGY | {"name": "Late", "order": 50})
    early = await create(client, user, SWIGGY | {"name": "Early", "order": 5})
    also_early = await create(client, user, SWIGGY | {"name": "Also early", "order": 5})
    assert late["match"] == {"payee": None, "vpa": None, "narration": "swiggy",
                             "direction": None, "min_amount": None, "max_amount": None}  # fmt: skip
    assert late["set"] == {"kind": None, "title": None, "category": "team_lunch",
                           "income_type": None, "tags": []}  # fmt: skip
    page = await get(client, user, "/api/rules")
    # by order, then oldest first (the order they are tried in)
    assert [r["name"] for r in page["items"]] == ["Early", "Also early", "Late"]
    assert await get(client, user, f"/api/rules/{early['id']}") == early
    body = early | {"order": 99, "match": {"payee": "Zomato", "direction": "debit"}}
    r = await client.put(f"/api/rules/{early['id']}", headers=user.headers, json=body)
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["order"], changed["match"]["payee"], changed["match"]["narration"]) == (
        99,
        "Zomato",
        None,  # `match` is replaced whole
    )
    r = await client.put(
        f"/api/rules/{early['id']}", headers=user.headers, json={"created_at": "2020-01-01"}
    )
    assert (r.status_code, r.json()["code"]) == (422, "read_only_field")
    r = await client.delete(f"/api/rules/{also_early['id']}", headers=user.headers)
    assert r.status_code == 204
    await get(client, user, f"/api/rules/{also_early['id']}", status=404)
    assert (await get(client, user, "/api/rules"))["total"] == 2


@pytest.mark.parametrize(
    ("body", "loc", "code"),
    [
        (SWIGGY | {"order": 100000}, ["body", "order"], "validation_error"),  # the shipped ones'
        (SWIGGY | {"order": -1}, ["body", "order"], "validation_error"),
        (SWIGGY | {"set": {}}, ["body", "set"], "empty_rule"),
        (SWIGGY | {"match": {"min_amount": 500, "max_amount": 100}},
         ["body", "match", "min_amount"], "invalid_range"),
        (SWIGGY | {"set": {"kind": "transfer"}}, ["body", "set", "kind"], "validation_error"),
        (SWIGGY | {"set": {"category": "food & drink"}}, ["body", "set", "category"],
         "validation_error"),
        (SWIGGY | {"match": {"direction": "out"}}, ["body", "match", "direction"],
         "validation_error"),
        (SWIGGY | {"match": {"regex": ".*"}}, ["body", "match", "regex"], "validation_error"),
    ],
    ids=["order-too-high", "order-negative", "sets-nothing", "min-over-max", "bad-kind",
         "bad-category", "bad-direction", "unknown-field"],
)  # fmt: skip
async def test_invalid_rules_are_422_naming_the_field(client, user, body, loc, code):
    r = await client.post("/api/rules", headers=user.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code and loc in [i["loc"] for i in r.json()["detail"]]
    assert (await get(client, user, "/api/rules"))["total"] == 0


async def test_a_user_rule_comes_before_the_shipped_ones(client, user):
    imp = await upload(client, user, hdfc())
    (swiggy,) = [r for r in await all_rows(client, user, imp["id"]) if r["line"] == 3]
    assert (swiggy["category"], swiggy["rule"]) == ("food", "Swiggy (SWIGGY)")  # shipped
    await create(client, user, SWIGGY)  # a category of the user's own, not a shipped one
    imp = await upload(client, user, hdfc())
    (swiggy,) = [r for r in await all_rows(client, user, imp["id"]) if r["line"] == 3]
    assert (swiggy["category"], swiggy["rule"]) == ("team_lunch", "Swiggy is team lunch")


async def test_every_given_field_must_match_and_text_is_plain(client, user):
    # Rs 20 BMTC tickets (lines 9, 10) and nothing else of 20 or less.
    await create(
        client,
        user,
        {
            "name": "Small bus",
            "match": {"payee": "bmtc", "max_amount": 20, "direction": "debit"},
            "set": {"category": "transport", "tags": ["bus"]},
        },
    )
    await create(
        client, user, {"name": "Pattern", "match": {"narration": "UPI-.*"}, "set": {"kind": "skip"}}
    )  # a literal ".*", in no narration
    await create(client, user, {"name": "Credits over 50k", "match": {"direction": "credit",
                 "min_amount": 50000}, "set": {"income_type": "business"}})  # fmt: skip
    imp = await upload(client, user, hdfc())
    rows = {r["line"]: r for r in await all_rows(client, user, imp["id"])}
    assert [(rows[n]["category"], rows[n]["tags"]) for n in (9, 10)] == [("transport", ["bus"])] * 2
    assert all(row["kind"] != "skip" for row in rows.values())
    # 85,000 salary credit: over 50,000; 210 interest: not
    assert (rows[4]["income_type"], rows[11]["income_type"]) == ("business", "interest")


async def test_a_rule_can_skip_rows(client, user):
    await create(client, user, {"name": "Cash is not spending", "match": {"narration": "ATW-"},
                                "set": {"kind": "skip"}})  # fmt: skip
    imp = await upload(client, user, hdfc())
    result = await commit(client, user, imp["id"])
    # 9 rows, the ATM withdrawal skipped: 6 expenses and 2 income
    assert result == {"created": {"expenses": 6, "income": 2, "payments": 0}, "linked": 0,
                      "skipped": 1}  # fmt: skip


async def test_apply_relabels_imported_entries_and_counts_what_changed(client, user):
    imp = await upload(client, user, hdfc())
    await commit(client, user, imp["id"])
    rule = await create(
        client,
        user,
        {
            "name": "Bus",
            "match": {"vpa": "bmtc.pay"},
            "set": {"title": "BMTC", "category": "transport"},
        },
    )
    r = await client.post(f"/api/rules/{rule['id']}/apply", headers=user.headers)
    assert r.status_code == 200 and r.json() == {"changed": 2}  # the two tickets
    spent = (await get(client, user, "/api/expenses", category="transport"))["items"]
    assert [(e["title"], e["amount"]) for e in spent] == [("BMTC", 20), ("BMTC", 20)]
    r = await client.post(f"/api/rules/{rule['id']}/apply", headers=user.headers)
    assert r.json() == {"changed": 0}  # already so
    # Only imported entries: one typed in by hand with the same title stays as it is.
    hand = {"title": "BMTC", "category": "other", "amount": 20, "date": "2024-01-07"}
    await client.post("/api/expenses", headers=user.headers, json=hand)
    r = await client.post(f"/api/rules/{rule['id']}/apply", headers=user.headers)
    assert r.json() == {"changed": 0}
    income = await create(client, user, {"name": "Int", "match": {"narration": "INTEREST"},
                                          "set": {"income_type": "investment"}})  # fmt: skip
    r = await client.post(f"/api/rules/{income['id']}/apply", headers=user.headers)
    assert r.json() == {"changed": 1}
    (interest,) = (await get(client, user, "/api/income", income_type="investment"))["items"]
    assert interest["amount"] == 210


async def test_another_users_rule_is_404_everywhere(client, user, other_user):
    theirs = await create(client, other_user, SWIGGY)
    url = f"/api/rules/{theirs['id']}"
    for method, path, body in (
        ("GET", url, None),
        ("PUT", url, {"name": "Mine"}),
        ("DELETE", url, None),
        ("POST", f"{url}/apply", None),
    ):
        r = await client.request(method, path, headers=user.headers, json=body)
        assert (r.status_code, r.json()["code"]) == (404, "rule_not_found"), (method, path)
    assert await get(client, other_user, url) == theirs
    assert (await get(client, user, "/api/rules"))["total"] == 0
    # Their rule does not touch my preview.
    imp = await upload(client, user, hdfc())
    (swiggy,) = [r for r in await all_rows(client, user, imp["id"]) if r["line"] == 3]
    assert swiggy["category"] == "food"
