"""Consistent backups in mongodump's directory layout, and their restore.

    python -m ops.backup [--out DIR] [--db NAME]           # make backup [OUT=DIR]
    python -m ops.backup restore DIR [--db NAME] [--drop]  # make restore BACKUP=DIR [REPLACE=1]

A backup is `DIR/<db>/<collection>.bson` (the documents as stored, raw BSON back to back) and
`DIR/<db>/<collection>.metadata.json` (options and indexes in mongodump's canonical extended
JSON), so `mongorestore` loads it into MongoDB and `restore` loads it into either database.
The database is MONGODB_URL, or the embedded one (started for the occasion if it isn't
running). Every collection is read from one point in time: see `snapshot`.
"""

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import bson
from bson import json_util
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.read_concern import ReadConcern

from config import Settings, get_settings
from ops import embedded_db

RAW = CodecOptions(document_class=RawBSONDocument)
BATCH = 1000  # documents per insert on restore (PyMongo splits further at 48 MB)


class RestoreRefused(Exception):
    """The target database holds documents and replacing it was not asked for."""


@contextlib.contextmanager
def connect(settings: Settings) -> Iterator[MongoClient]:
    """A client with the API's write concern, on MONGODB_URL or the embedded database."""
    proc = None
    url = settings.mongodb_url
    if url is None:
        url = embedded_db.url(settings.embedded_db_port)
        if not embedded_db.is_up(settings.embedded_db_port):
            proc = embedded_db.start(
                settings.embedded_db_path,
                settings.embedded_db_port,
                transaction_lifetime_seconds=settings.transaction_lifetime_seconds,
            )
    client: MongoClient = MongoClient(url, w="majority", journal=True)
    try:
        yield client
    finally:
        client.close()
        if proc is not None:
            embedded_db.stop(proc)


@contextlib.contextmanager
def snapshot(client: MongoClient) -> Iterator[tuple[ClientSession, str]]:
    """A session whose reads all see one point in time, and how it gets there.

    MongoDB: a snapshot session (every read at the first read's cluster time; history is
    kept for minSnapshotHistoryWindowInSeconds, 300 s by default). Not a transaction: that
    would be aborted after transactionLifetimeLimitSeconds (8 s here). SecantusDB 0.7
    accepts snapshot sessions but does not pin their reads (measured), so there a read-only
    transaction does it: its WiredTiger snapshot covers every collection, and it only
    expires after TRANSACTION_LIFETIME_SECONDS without a read."""
    if "secantusVersion" in client.admin.command("buildInfo"):
        with (
            client.start_session() as session,
            session.start_transaction(read_concern=ReadConcern("snapshot")),
        ):
            yield session, "read-only snapshot transaction (SecantusDB)"
    else:
        with client.start_session(snapshot=True) as session:
            yield session, "snapshot session (MongoDB)"


def collections(db: Database) -> list[dict[str, Any]]:
    """listCollections entries to back up: collections, without views or system ones."""
    infos = db.list_collections(filter={"type": "collection"})
    return [info for info in infos if not info["name"].startswith("system.")]


def metadata(db: Database, info: dict[str, Any]) -> dict[str, Any]:
    """What mongodump writes (mongo-tools mongodump/metadata_dump.go): options when there
    are any, every index as listIndexes returns it, the UUID as hex, name and type."""
    meta: dict[str, Any] = {"options": info["options"]} if info.get("options") else {}
    meta["indexes"] = list(db[info["name"]].list_indexes())
    uuid = info.get("info", {}).get("uuid")  # Binary subtype 4, or UUID if the URL says so
    if uuid is not None:
        meta["uuid"] = uuid.hex if isinstance(uuid, UUID) else uuid.hex()
    return meta | {"collectionName": info["name"], "type": info["type"]}


def dump(client: MongoClient, db_name: str, out: Path) -> tuple[dict[str, int], str]:
    """Write `out/<db_name>/`: (documents per collection, how the snapshot was taken)."""
    db, raw = client[db_name], client.get_database(db_name, codec_options=RAW)
    target = out / db_name
    target.mkdir(parents=True)
    infos = collections(db)
    # Options and indexes first: listIndexes is not allowed in a transaction, and the
    # API creates its indexes at start-up, so they do not move under a running backup.
    for info in infos:
        text = json_util.dumps(
            metadata(db, info), json_options=json_util.CANONICAL_JSON_OPTIONS, separators=(",", ":")
        )
        (target / f"{info['name']}.metadata.json").write_text(text)
    counts = {}
    with snapshot(client) as (session, how):
        for info in infos:
            with (target / f"{info['name']}.bson").open("wb") as f:
                counts[info["name"]] = 0
                for doc in raw[info["name"]].find({}, session=session):
                    f.write(doc.raw)
                    counts[info["name"]] += 1
    return counts, how


def holds_documents(db: Database) -> bool:
    return any(db[info["name"]].find_one({}, {"_id": 1}) for info in collections(db))


def restore(client: MongoClient, db_name: str, source: Path, drop: bool) -> dict[str, int]:
    """Load `source` (one database's directory) into `db_name`: each collection with its
    options, its documents byte for byte, then its indexes, as mongorestore does."""
    db = client.get_database(db_name, codec_options=RAW)
    if drop:
        client.drop_database(db_name)
    elif holds_documents(db):
        raise RestoreRefused(f"database {db_name!r} is not empty; --drop (REPLACE=1) replaces it")
    existing = set(db.list_collection_names())
    counts = {}
    for meta_path in sorted(source.glob("*.metadata.json")):
        meta = json_util.loads(meta_path.read_text())
        name = meta["collectionName"]
        if name not in existing:  # an API started on the empty database may have made it
            db.create_collection(name, **meta.get("options", {}))
        counts[name] = insert_file(db[name], source / f"{name}.bson")
        # `ns` appears in indexes dumped from MongoDB before 4.4; createIndexes refuses it.
        indexes = [{k: v for k, v in ix.items() if k != "ns"} for ix in meta["indexes"]]
        indexes = [ix for ix in indexes if ix["name"] != "_id_"]
        if indexes:
            db.command("createIndexes", name, indexes=indexes)
    return counts


def insert_file(coll: Any, path: Path) -> int:
    """Insert the raw documents of a .bson file unchanged (never decoded)."""
    count, batch = 0, []
    with path.open("rb") as f:
        for doc in bson.decode_file_iter(f, codec_options=RAW):
            batch.append(doc)
            if len(batch) == BATCH:
                coll.insert_many(batch)
                count, batch = count + len(batch), []
    if batch:
        coll.insert_many(batch)
    return count + len(batch)


def summary(counts: dict[str, int]) -> str:
    return f"{sum(counts.values())} documents in {len(counts)} collections"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m ops.backup", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--db", default=settings.mongodb_db, help="database (MONGODB_DB)")
    if argv[:1] == ["restore"]:
        parser.add_argument("dir", type=Path, help="a backup: the directory holding <db>/")
        parser.add_argument("--drop", action="store_true", help="replace a non-empty database")
        args = parser.parse_args(argv[1:])
        source = args.dir / args.db
        if not source.is_dir():
            parser.error(f"{source} does not exist")
        started = time.monotonic()
        with connect(settings) as client:
            try:
                counts = restore(client, args.db, source, args.drop)
            except RestoreRefused as exc:
                print(f"refused: {exc}", file=sys.stderr)
                return 1
        seconds = time.monotonic() - started
        print(f"restored {summary(counts)} into {args.db!r} in {seconds:.2f} s")
        return 0
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    parser.add_argument("--out", type=Path, default=Path("var/backups") / stamp)
    args = parser.parse_args(argv)
    if (args.out / args.db).exists():
        parser.error(f"{args.out / args.db} already exists")
    started = time.monotonic()
    with connect(settings) as client:
        counts, how = dump(client, args.db, args.out)
    seconds = time.monotonic() - started
    print(f"backed up {summary(counts)} of {args.db!r} to {args.out / args.db} in {seconds:.2f} s")
    print(f"consistency: {how}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
