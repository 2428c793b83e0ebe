"""Categorisation rules for statement imports: yours apply before the shipped ones."""

from fastapi import APIRouter, status

from database import delete_owned, get_owned, paginate, update_owned
from imports import corrections, rule_store
from routes.deps import (
    NO_CONTENT,
    CurrentUser,
    Db,
    ETagged,
    IfMatch,
    IfNoneMatch,
    Pagination,
    responses,
    tagged,
)
from schemas import (
    Page,
    RuleApplied,
    RuleCreate,
    RuleOut,
    RuleUpdate,
    rule_document_fields,
)

router = APIRouter(prefix="/rules", tags=["rules"])
E401 = responses(401)
E404 = responses((404, "Rule not found (or not yours)"))
E422 = responses(422)
E304, E412 = responses(304), responses(412)
IN_ORDER = [("order", 1), ("created_at", 1), ("_id", 1)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **tagged(201),
        **E401,
        **E422,
        **responses((409, "You have the most rules there can be")),
    },
)
async def create_rule(body: RuleCreate, user: CurrentUser, db: Db, tag: ETagged) -> RuleOut:
    """Add a rule: rows whose payee, UPI address or narration contain your text (and that
    match the direction and amounts you give) become the kind and category you set."""
    return tag(
        RuleOut.model_validate(
            await rule_store.create_rule(db, user.id, rule_document_fields(body))
        )
    )


@router.get("", responses=E401)
async def list_rules(user: CurrentUser, db: Db, page: Pagination) -> Page[RuleOut]:
    """Your rules in the order they apply: `order`, then oldest first. The shipped rules
    (merchants, salary, interest, cash withdrawals) come after all of them."""
    query = {"user_id": user.id}
    return await paginate(db.rules, query, page, RuleOut.model_validate, sort=IN_ORDER)


@router.get("/{rule_id}", responses={**tagged(), **E304, **E401, **E404})
async def get_rule(rule_id: str, user: CurrentUser, db: Db, tag: IfNoneMatch) -> RuleOut:
    """One rule."""
    return tag(RuleOut.model_validate(await get_owned(db.rules, rule_id, user.id, "rule")))


@router.put("/{rule_id}", responses={**tagged(), **E401, **E404, **E412, **E422})
async def update_rule(
    rule_id: str, body: RuleUpdate, user: CurrentUser, db: Db, if_match: IfMatch, tag: ETagged
) -> RuleOut:
    """Change a rule; `match` and `set`, when sent, replace the old ones whole."""
    changes = rule_document_fields(body)
    doc = await update_owned(db.rules, rule_id, user.id, changes, "rule", expected=if_match)
    return tag(RuleOut.model_validate(doc))


@router.delete("/{rule_id}", **NO_CONTENT, responses={**E401, **E404, **E412})
async def delete_rule(rule_id: str, user: CurrentUser, db: Db, if_match: IfMatch) -> None:
    """Delete a rule (what it already labelled stays as it is)."""
    await delete_owned(db, "rules", rule_id, user.id, "rule", expected=if_match)


@router.post("/{rule_id}/apply", responses={**E401, **E404})
async def apply_rule(rule_id: str, user: CurrentUser, db: Db) -> RuleApplied:
    """Re-label the expenses and income your imports created whose rows the rule matches
    (title, category or income type, tags; an entry keeps its kind). Answers how many
    changed."""
    return RuleApplied(changed=await corrections.apply_rule(db, user.id, rule_id))
