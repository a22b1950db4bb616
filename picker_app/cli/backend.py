"""`picker-app backend serve|add-device|revoke-device|migrate`: the reference order backend."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from picker_app.cli.common import FIXTURES_DIR
from picker_app.errors import PickerError, UserError


def cmd_backend(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`picker-app backend serve|add-device|revoke-device|migrate`: the reference order backend."""
    from picker_app.backend.repository import StorageUnavailable

    if args.backend_command == "migrate" and args.database:
        return migrate_postgres(args.database, err)
    if args.backend_command == "migrate" and args.shards:
        return migrate_shards(Path(args.shards), err)
    if args.backend_command in ("publish", "tail", "stock-check"):
        from picker_app.cli import stream

        run = {"publish": stream.cmd_publish, "tail": stream.cmd_tail,
               "stock-check": stream.cmd_stock_check}[args.backend_command]  # fmt: skip
        return run(args, out, err)
    if getattr(args, "stream", None) and not (args.database or args.shards):
        raise UserError("--stream is the chain's: name its database with --database or --shards")
    if getattr(args, "workers", 1) > 1 and not (args.database or args.shards):
        raise UserError(
            "several --workers need a PostgreSQL database (--database or --shards): the SQLite"
            " file has one writer, in one process"
        )
    db, where = open_repository(args, err)
    if args.backend_command == "migrate":  # opening the file brought it up to date
        err.write(f"{where}: the backend's SQLite schema is up to date\n")
        db.close()
        return 0
    try:
        return _backend_command(args, db, where, out, err)
    except StorageUnavailable as e:  # a city's database down: the person's to see to
        raise UserError(str(e)) from None
    finally:
        db.close()


def open_repository(args: argparse.Namespace, err: TextIO) -> tuple[Any, str]:
    """The repository `args` name (the SQLite file, --database or --shards) and how to name
    it in a sentence; a UserError if it cannot be opened. Sharded, a city whose database
    cannot be reached is said (serve goes on: its stores get 503 until it is back)."""
    from picker_app.config import BACKEND_FILE, data_dir

    if getattr(args, "database", None):
        from picker_app.backend import pg_migrations
        from picker_app.backend.repository import StorageUnavailable
        from picker_app.backend.repository.postgres import PostgresDB

        pg_migrations.connect(args.database).close()  # its sentences for a bad address
        try:
            return PostgresDB(args.database).ready(), pg_migrations.shown(args.database)
        except StorageUnavailable as e:
            raise UserError(str(e)) from None
    if getattr(args, "shards", None):
        from picker_app.backend.repository.sharded import ShardedDB
        from picker_app.backend.shards import load_shards

        sharded = ShardedDB(load_shards(Path(args.shards)))
        if args.backend_command == "serve":
            for why in sharded.ready().unreachable.values():
                err.write(f"picker-app: {why} (its stores are answered 503 until it is"
                          " back)\n")  # fmt: skip
        return sharded, f"the shard map {args.shards}"
    from picker_app.backend.server import BackendDB

    db_path = args.db or data_dir() / BACKEND_FILE
    try:
        return BackendDB(db_path), f"{db_path}"
    except Exception as e:  # sqlite3 or OS errors: name the file, no traceback
        raise UserError(f"{db_path}: cannot open the backend database: {e}") from None


def _backend_command(
    args: argparse.Namespace, db: Any, where: str, out: TextIO, err: TextIO
) -> int:
    """serve, add-device or revoke-device on the opened repository `db`."""
    from picker_app.backend.repository import Sharded, StorageUnavailable

    if isinstance(db, Sharded):  # the store's city, at once (not after the pool's wait)
        try:
            city = db.for_store(args.store)
        except PickerError as e:
            raise UserError(f"--store {args.store}: {e}") from None
        if args.backend_command != "serve":
            city.ready()
    if args.backend_command == "revoke-device":
        gone = db.revoke_device(args.store, args.device)
        if not gone:
            raise UserError(f"store {args.store} has no device {args.device!r}: nothing revoked")
        err.write(f"device {args.device} of store {args.store}: {gone} token(s) revoked; it can "
                  "no longer sync (what it sent is kept)\n")  # fmt: skip
        return 0
    if args.backend_command == "add-device":
        roles = [r.strip() for r in args.roles.split(",")] if args.roles else None
        try:
            token = db.add_device(args.store, args.device or "", roles)
        except StorageUnavailable:
            raise
        except PickerError as e:
            raise UserError(f"{e}: e.g. --roles picker,lead") from None
        found = db.device_for(token, args.store)
        name = found[0] if found else args.device
        out.write(f"{token}\n")
        used = f"; for {', '.join(sorted(set(roles)))} only" if roles else ""
        err.write(
            f"device token for device {name} of store {args.store}{used} (keep it secret; shown"
            " once); the backend takes events from this token only as that device\n"
        )
        return 0
    import uvicorn

    from picker_app.backend.server import (
        DEFAULT_OPEN_ORDERS,
        create_app,
        place_orders,
        seed_from_fixtures,
    )
    from picker_app.domain.demand import DEMO_DAY, RUSH_FACTOR, arrivals, steady

    port_free(args.host, args.port)
    day = DEMO_DAY.rushed() if args.rush else DEMO_DAY
    open_orders = args.open_orders
    if open_orders is None:
        open_orders = round(DEFAULT_OPEN_ORDERS * (RUSH_FACTOR if args.rush else 1))
    seeded = seed_from_fixtures(db, FIXTURES_DIR, args.store, open_orders=open_orders, demand=day)
    if seeded:
        err.write(f"seeded store {args.store} from {FIXTURES_DIR}: {seeded}\n")
    if args.order_rate is None or args.order_rate > 0:
        import random
        import threading
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        curve = day if args.order_rate is None else steady(args.order_rate)
        stream = arrivals(curve, now, random.Random(f"arrivals-{args.seed}"))
        threading.Thread(
            target=place_orders, args=(db, args.store, stream, threading.Event()),
            kwargs={"seed": args.seed}, name="orders", daemon=True,
        ).start()  # fmt: skip
        if args.order_rate is not None:
            what = f"{args.order_rate:g} a minute"
        else:
            day_name = "a festival's day" if args.rush else "the day"
            what = f"as {day_name} brings them, {curve.rate(now):.1f} a minute now"
        err.write(f"new orders: {what}\n")
    import threading

    from picker_app.backend.count_schedule import run_schedule

    every = dict(zip("ABC", args.count_days, strict=True))
    threading.Thread(
        target=run_schedule, args=(db, args.store, threading.Event()), kwargs={"every": every},
        name="count schedule", daemon=True,
    ).start()  # fmt: skip
    days = ", ".join(f"{c} every {d} days" for c, d in every.items())
    err.write(f"cycle counts by schedule: {days}\n")
    db.set_replenish_days(args.store, args.replenish_days)
    err.write(f"pick faces replenished under {args.replenish_days:g} days of sales\n")
    if args.stream:  # in this process: one publisher a city, whatever --workers
        from picker_app.cli.stream import start_publishers

        start_publishers(args, err)
    workers = f", {args.workers} worker processes" if args.workers > 1 else ""
    err.write(f"picker-app backend on http://{args.host}:{args.port} (database {where}"
              f"{workers})\n")  # fmt: skip
    if args.workers > 1:  # each worker opens its own pools (backend/chain_app.py)
        import os

        from picker_app.backend import workers as backend_workers
        from picker_app.backend.chain_app import CHAIN_ENV

        named = args.database or f"shards:{Path(args.shards).resolve()}"
        if backend_workers.can_share_port():  # a socket each: connections spread evenly
            backend_workers.serve_workers(args.workers, args.host, args.port, named, err)
            return 0
        os.environ[CHAIN_ENV] = named
        uvicorn.run(
            "picker_app.backend.chain_app:app", factory=True, host=args.host, port=args.port,
            workers=args.workers, log_level="warning",
        )  # fmt: skip
        return 0
    uvicorn.run(create_app(db), host=args.host, port=args.port, log_level="warning")
    return 0


def migrate_postgres(dsn: str, err: TextIO, city: str = "") -> int:
    """`backend migrate --database DSN`: create or migrate the chain's schema, and say so."""
    from picker_app.backend import pg_migrations

    where = pg_migrations.shown(dsn)
    try:
        conn = pg_migrations.connect(dsn)
    except PickerError as e:  # not there, or not an address: the person's to fix
        raise UserError(f"{city}{e}") from None
    with conn:
        applied = pg_migrations.run(conn, where)
    if applied:
        err.write(f"{city}{where}: migrated ({', '.join(applied)})\n")
    else:
        err.write(f"{city}{where}: the schema is up to date\n")
    return 0


def migrate_shards(path: Path, err: TextIO) -> int:
    """`backend migrate --shards FILE`: each city's database in turn; a city whose database
    cannot be reached is said and the others are still migrated (exit 2 if any was not)."""
    from picker_app.backend.shards import load_shards

    shards = load_shards(path)
    failed = 0
    for name, city in shards.cities.items():
        try:
            migrate_postgres(city.database, err, f"city {name}: ")
        except UserError as e:
            err.write(f"picker-app: {e}\n")
            failed += 1
    if failed:
        raise UserError(f"{failed} of {len(shards.cities)} cities were not migrated (above)")
    return 0


def port_free(host: str, port: int) -> None:
    """A clear sentence, not uvicorn's traceback, when the port cannot be served."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise UserError(
                f"cannot serve on {host}:{port} ({err.strerror}): another program (perhaps a "
                "picker-app already serving the demo) uses it; stop it or pass --port"
            ) from None
