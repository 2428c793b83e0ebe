"""Saved column mappings (`import_templates`): a mapping for a bank's file the parser does not
know, kept under a name the user picks so the next upload of that bank needs only the name."""

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import now_ms
from database import Doc


async def find_template(db: AsyncDatabase, user_id: ObjectId, name: str) -> Doc | None:
    return await db.import_templates.find_one({"user_id": user_id, "name": name})


async def save_template(
    db: AsyncDatabase,
    user_id: ObjectId,
    name: str,
    mapping: Doc,
    session: AsyncClientSession | None = None,
) -> None:
    at = now_ms()
    await db.import_templates.update_one(
        {"user_id": user_id, "name": name},
        {"$set": {"mapping": mapping, "updated_at": at}, "$setOnInsert": {"created_at": at}},
        upsert=True,
        session=session,
    )
