"""`picker-app backend publish|tail|stock-check`: the chain's inventory stream (issue 16), and
the publishers `backend serve --stream` runs beside the app."""

from __future__ import annotations

import argparse
import asyncio
import threading
from pathlib import Path
from typing import TextIO

from picker_app.errors import PickerError, UserError


def cities(args: argparse.Namespace) -> dict[str, tuple[str, list[str]]]:
    """The cities `args` name, city -> (its database, its stores; empty: every store in it)."""
    from picker_app.backend.stream import SINGLE_CITY

    if getattr(args, "shards", None):
        from picker_app.backend.shards import load_shards

        shards = load_shards(Path(args.shards))
        return {name: (c.database, list(c.stores)) for name, c in shards.cities.items()}
    if getattr(args, "database", None):
        return {SINGLE_CITY: (args.database, [])}
    raise UserError("the stream is the chain's: name its database with --database or --shards")


def start_publishers(args: argparse.Namespace, err: TextIO) -> threading.Event:
    """Publishers for every city `args` name, in a thread of their own, until the returned
    event is set (`backend serve --stream`)."""
    stop = threading.Event()
    threading.Thread(target=_publish, args=(args, stop, err), name="stock publisher",
                     daemon=True).start()  # fmt: skip
    err.write(f"publishing stock moves to {args.stream} (stream PICKER_STOCK)\n")
    return stop


def _publish(args: argparse.Namespace, stop: threading.Event, err: TextIO) -> None:
    from picker_app.backend.stream import Publisher

    def say(text: str) -> None:
        err.write(f"{text}\n")
        err.flush()

    async def run() -> None:
        publishers = [Publisher(dsn, city, args.stream, say=say)
                      for city, (dsn, _) in cities(args).items()]  # fmt: skip
        tasks = [asyncio.create_task(p.run()) for p in publishers]
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for p in publishers:
            p.stopping.set()
        await asyncio.gather(*tasks)

    asyncio.run(run())


def cmd_publish(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`backend publish`: publish every city's outbox until interrupted."""
    cities(args)  # its sentence for a missing --database
    err.write(f"publishing stock moves to {args.stream} (stream PICKER_STOCK); Ctrl-C stops\n")
    _publish(args, threading.Event(), err)
    return 0


def _city_of(args: argparse.Namespace, store: str) -> tuple[str, str]:
    """(city, its database) of `store`."""
    for city, (dsn, stores) in cities(args).items():
        if not stores or store in stores:
            return city, dsn
    raise UserError(f"store {store} is in no city of {args.shards}: add it to one")


def cmd_tail(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`backend tail --store S`: the store's stream from the start, a line a message."""
    from picker_app.backend.stream import messages

    city, _ = _city_of(args, args.store)

    async def run() -> int:
        n = 0
        async for m in messages(args.stream, city, args.store):
            n += 1
            moves = ", ".join(
                f"{mv['bin']} {mv['sku']} " + (f"={mv['on_hand']:g}" if "on_hand" in mv
                                               and m.body["type"] != "stock_loaded"
                                               else f"{mv['delta']:+g}")
                for mv in m.body["moves"][:3]
            ) + (f" (+{len(m.body['moves']) - 3} more)" if len(m.body["moves"]) > 3 else "")
            who = f" {m.body['device']} {m.body['event_id']}" if "device" in m.body else ""
            out.write(f"#{m.seq} {m.body['type']}{who}: {moves}\n")
        return n

    n = _run(run())
    err.write(f"{n} messages of store {args.store} (subject stock.{city}.{args.store})\n")
    return 0


def cmd_stock_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`backend stock-check`: rebuild each store's stock from its stream and compare it with
    PostgreSQL's; 1 if any bin differs."""
    import psycopg

    from picker_app.backend.stream import rebuild

    differ = 0
    for city, (dsn, named) in cities(args).items():
        with psycopg.connect(dsn) as conn:
            stores = [args.store] if args.store else named or [
                r[0] for r in conn.execute("SELECT DISTINCT store FROM stock ORDER BY store")
            ]
            for store in stores:
                if args.store and named and store not in named:
                    continue
                kept = {(r[0], r[1]): r[2] for r in conn.execute(
                    "SELECT bin, sku, on_hand FROM stock WHERE store = %s", (store,)
                )}  # fmt: skip
                built, read = _run(rebuild(args.stream, city, store))
                wrong = sorted(k for k in kept.keys() | built.keys() if kept.get(k) != built.get(k))
                if not wrong:
                    out.write(f"store {store}: {len(kept)} bins from {read} messages: the"
                              " stream's stock equals PostgreSQL's\n")  # fmt: skip
                    continue
                differ += 1
                shown = "; ".join(
                    f"{b} {s}: the stream says {built.get((b, s))}, PostgreSQL {kept.get((b, s))}"
                    for b, s in wrong[:5]
                )
                noun = "bin differs" if len(wrong) == 1 else "bins differ"
                out.write(f"store {store}: {len(wrong)} {noun}: {shown}\n")
    return 1 if differ else 0


def _run(coro):  # type: ignore[no-untyped-def]
    try:
        return asyncio.run(coro)
    except PickerError as e:
        raise UserError(str(e)) from None
