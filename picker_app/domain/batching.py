"""Batches chosen to save walking: which 2-4 of the orders due soonest to pick on one route.

A batch always holds the most urgent order (the first of the queue): the picker takes it
first anyway, and a batch without it would leave it waiting for a whole route. The others
are chosen among the next candidates (the first BATCH_CANDIDATES of the queue) to save the
most metres against picking each order on its own route:

    saved = sum of the orders' own route lengths - the batch's route length

and only if the batch keeps every promise its orders would keep alone: for each order that,
picked alone from now, would be packed by its promise (now + `pick_time` of its own route +
PACK_ALLOWANCE <= promised_at), the batch must be too (now + `pick_time` of the batch route +
PACK_ALLOWANCE <= promised_at). An order that would be late even alone does not stop a batch:
the batch does not make it miss a promise it could keep. Saved picker time is the saved walk at
WALK_SPEED_M_S (the lines and totes are handled either way).

Equal savings go to the more urgent orders (their ranks in the queue, compared in order). When
no batch of the size keeps every promise, none is offered, with a sentence saying why: the
picker asked for a batch, and taking orders that would then be late is the one thing a batch
must not do; they take the next order alone or a smaller batch. When the best batch saves
nothing (no walk is shared), it is still offered, as the most urgent orders that keep their
promises, marked as saving nothing.

The route lengths come from a function (the route planner, in the app): the orders' own routes
are planned once each, then the batches in the order of what they could save at most, with
two cheap bounds that pass over a batch without planning it: a batch's route is at least as
long as the longest route of any part of it already planned (an order's own, a smaller batch's),
so it saves at most the sum of its orders' routes minus that, and it takes at least that long to
walk. At most `max_plans` batch routes are planned for one choice, and none is started that would
likely end past `budget_ms` from the chooser's start (by the slowest plan so far; the first of each
size is always planned): a batch route of many bays can take tens of milliseconds to plan, and
the queue screen waits for the answer. The best batch found by then is offered, marked
as not `complete`; on a normal queue the bounds finish the search well before (the batch bench
prints how often they do not). The bounds assume a route through more bins is no shorter;
with congestion weights or the heuristic planner it can be a little shorter, and a batch that
would have saved a few metres more can then be passed over: never one that breaks a promise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations

from picker_app.domain.queue import PACK_ALLOWANCE, WALK_SPEED_M_S, clock_text, pick_time

BATCH_MARK = "*"  # beside the orders of the batch the queue offers
BATCH_CANDIDATES = 8  # the orders due soonest, among which a batch is chosen
MAX_PLANS = 48  # batch routes planned for one choice at most
BUDGET_MS = 250.0  # a choice of every size plans no more after this (the queue screen waits)


@dataclass(frozen=True)
class Candidate:
    """An order that could join a batch: where its lines are picked and when it is promised."""

    id: str
    bins: tuple[str, ...]
    lines: int
    promised_at: datetime | None


@dataclass(frozen=True)
class BatchChoice:
    """The batch of `size` to offer (`orders`, the most urgent first), or why none is
    (`refusal`, with `orders` empty)."""

    size: int
    orders: tuple[str, ...] = ()
    saved_m: float = 0.0
    walk_m: float = 0.0  # the batch's route
    alone_m: float = 0.0  # the orders' own routes, added up
    refusal: str | None = None
    planned: int = 0  # batch routes planned for this choice
    complete: bool = True  # False when `max_plans` or the time budget stopped the search

    @property
    def offered(self) -> bool:
        return self.refusal is None

    @property
    def saved_s(self) -> float:
        """Picker time saved: the walk saved, at WALK_SPEED_M_S."""
        return self.saved_m / WALK_SPEED_M_S

    @property
    def saving_text(self) -> str:
        """'saves 140 m, about 2 min'."""
        return saving_text(self.saved_m)


def saving_text(saved_m: float) -> str:
    """What a batch saves, as a picker reads it: 'saves 140 m, about 2 min'."""
    if saved_m < 0.5:
        return "saves no walking"
    seconds = saved_m / WALK_SPEED_M_S
    if seconds < 60:
        about = f"{max(5, 5 * int(seconds / 5 + 0.5))} s"
    else:
        about = f"{int(seconds / 60 + 0.5)} min"
    return f"saves {saved_m:.0f} m, about {about}"


def best_offer(choices: Iterable[BatchChoice]) -> BatchChoice | None:
    """Of batches of several sizes, the one that saves the most (the smaller on a tie), or
    None when none is offered."""
    offered = [c for c in choices if c.offered]
    return min(offered, key=lambda c: (-c.saved_m, c.size), default=None)


def offer_line(choices: dict[int, BatchChoice], width: int) -> str:
    """The queue's one line on the batch it offers (of `choices`, by size), fitting `width`
    characters: "4 Enter: the batch marked * saves 112 m, about 2 min" ("" for no choices)."""
    if not choices:
        return ""
    best = best_offer(choices.values())
    if best is None:
        sizes = sorted(choices)
        keys = f"{sizes[0]}-{sizes[-1]}" if len(sizes) > 1 else f"{sizes[0]}"
        texts = [
            f"{keys} Enter: no batch now, it would make an order late; Enter takes the next one",
            f"{keys} Enter: a batch would make one late",
            "A batch would make one late",
        ]
    else:
        saving = best.saving_text
        texts = [
            f"{best.size} Enter: the batch marked {BATCH_MARK} {saving}",
            f"{best.size} Enter: batch {BATCH_MARK} {saving.replace('about ', '~')}",
            f"{best.size} Enter: {BATCH_MARK} {saving.replace('about ', '~')}",
        ]
    return next((t for t in texts if len(t) <= width), texts[-1])


class BatchChooser:
    """Chooses batches among `candidates` (in queue order: the most urgent first) at `now`;
    `length(bins)` is the metres of the route through `bins`. Routes are planned once per set
    of orders for the chooser's life, so choosing several sizes shares them."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        length: Callable[[Sequence[str]], float],
        now: datetime,
        max_plans: int = MAX_PLANS,
        budget_ms: float | None = BUDGET_MS,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        """`budget_ms`: None for no time limit; `timer`: seconds, as time.perf_counter."""
        self.candidates = list(candidates)
        self.now = now
        self.max_plans = max_plans
        self.budget_s = None if budget_ms is None else budget_ms / 1000
        self._timer = timer
        self._started = timer()
        self._slowest = 0.0  # the longest a route took to plan, in seconds
        self._length = length
        self._lengths: dict[frozenset[int], float] = {}
        self._slack = [self._slack_of(i) for i in range(len(self.candidates))]

    def route_m(self, members: frozenset[int]) -> float:
        """The route through every bin of the candidates `members` (indexes), planned once."""
        if members not in self._lengths:
            bins = sorted({b for i in members for b in self.candidates[i].bins})
            t0 = self._timer()
            self._lengths[members] = round(float(self._length(bins)), 3) if bins else 0.0
            self._slowest = max(self._slowest, self._timer() - t0)
        return self._lengths[members]

    def _out_of_time(self) -> bool:
        """Whether one more plan would likely end past the budget."""
        if self.budget_s is None:
            return False
        return self._timer() - self._started + self._slowest > self.budget_s

    def _slack_of(self, i: int) -> float:
        """Seconds of picking candidate `i`'s task may take from now and keep its promise
        (infinite when it has none, or would be late even alone)."""
        c = self.candidates[i]
        if c.promised_at is None:
            return float("inf")
        left = (c.promised_at - self.now - PACK_ALLOWANCE).total_seconds()
        alone = pick_time(self.route_m(frozenset({i})), c.lines, 1).total_seconds()
        return left if alone <= left else float("inf")

    def _lower_bound(self, members: frozenset[int]) -> float:
        """The longest route already planned through part of `members`."""
        return max(m for key, m in self._lengths.items() if key <= members)

    def choose(self, size: int) -> BatchChoice:
        """The batch of `size` orders, the most urgent among them, that saves the most
        walking and keeps every promise its orders would keep alone; or why there is none."""
        cands = self.candidates
        if size < 2 or len(cands) < size:
            return BatchChoice(size, refusal=f"A batch of {size} needs {size} orders waiting: "
                               f"{len(cands)} {'is' if len(cands) == 1 else 'are'}.")  # fmt: skip
        alone = [self.route_m(frozenset({i})) for i in range(len(cands))]
        bounded: list[tuple[float, tuple[int, ...], frozenset[int]]] = []
        for rest in combinations(range(1, len(cands)), size - 1):
            ranks = (0, *rest)
            members = frozenset(ranks)
            shortest = self._lower_bound(members)
            if self._too_slow(members, shortest):
                continue  # even its shortest possible route breaks a promise
            most = round(sum(alone[i] for i in ranks) - shortest, 3)
            bounded.append((most, ranks, members))
        bounded.sort(key=lambda b: (-b[0], b[1]))
        best: tuple[float, tuple[int, ...], float] | None = None  # saved, ranks, walk
        planned = 0
        complete = True
        for most, ranks, members in bounded:
            if best is not None and most < best[0]:
                break  # sorted: nothing after this can save more
            if best is not None and most == best[0] and ranks > best[1]:
                continue  # at best a tie, with less urgent orders
            if planned >= self.max_plans or (planned and self._out_of_time()):
                complete = False
                break
            planned += 1
            walk = self.route_m(members)
            if self._too_slow(members, walk):
                continue
            saved = round(sum(alone[i] for i in ranks) - walk, 3)
            if best is None or (saved, _neg(ranks)) > (best[0], _neg(best[1])):
                best = (saved, ranks, walk)
        if best is None:
            return BatchChoice(size, refusal=self._refusal(size, complete), planned=planned,
                               complete=complete)  # fmt: skip
        saved, ranks, walk = best
        return BatchChoice(
            size, tuple(cands[i].id for i in ranks), max(0.0, saved), walk,
            round(sum(alone[i] for i in ranks), 3), None, planned, complete,
        )  # fmt: skip

    def _too_slow(self, members: frozenset[int], walk_m: float) -> bool:
        """Whether a task of `members` with a walk of `walk_m` would break a kept promise."""
        lines = sum(self.candidates[i].lines for i in members)
        took = pick_time(walk_m, lines, len(members)).total_seconds()
        return any(took > self._slack[i] for i in members)

    def _refusal(self, size: int, complete: bool) -> str:
        first = self.candidates[0]
        due = ""
        if first.promised_at is not None:
            left = (first.promised_at - self.now).total_seconds()
            when = f"due in {clock_text(left)}" if left >= 0 else "already late"
            due = f" ({first.id} is {when})"
        found = "keeps" if complete else "found in time keeps"
        return (
            f"No batch of {size} {found} every promise now{due}: take "
            f"{'it' if due else first.id} alone (Enter), or a smaller batch."
        )


def _neg(ranks: tuple[int, ...]) -> tuple[int, ...]:
    """Ranks turned so that the more urgent compare greater."""
    return tuple(-r for r in ranks)


def choose_batches(
    candidates: Sequence[Candidate],
    sizes: Iterable[int],
    length: Callable[[Sequence[str]], float],
    now: datetime,
    max_plans: int = MAX_PLANS,
    budget_ms: float | None = BUDGET_MS,
) -> dict[int, BatchChoice]:
    """The batch of each size (smallest first, so the larger ones start from its routes),
    all within one `budget_ms`."""
    chooser = BatchChooser(candidates, length, now, max_plans, budget_ms)
    return {n: chooser.choose(n) for n in sorted(set(sizes))}
