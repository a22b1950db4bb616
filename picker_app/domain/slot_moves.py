"""Doing a slotting move (issue 14), step by step: scan the bin the product leaves, take each
unit (or a keyed quantity), scan the bin it goes to; for a swap, take the other product's units
there and scan the first bin again to put them. Each scan is accepted with what to do next, or
refused with a sentence; plain logic, no IO (the service resolves a scan to a bin or a SKU)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from picker_app.errors import UserError

FROM_BIN, TAKE, TAKE_BACK, DONE = "from_bin", "take", "take_back", "done"
STEPS = (FROM_BIN, TAKE, TAKE_BACK, DONE)


@dataclass(frozen=True)
class MoveTask:
    """An accepted move: `sku` from `from_bin` to `to_bin`; `swap_sku` back, if any."""

    id: str
    sku: str
    name: str
    from_bin: str
    to_bin: str
    swap_sku: str | None = None
    swap_name: str | None = None
    state: str = "open"  # accepted: the backend does not have it yet
    refused: str | None = None  # why the backend refused it (it will never be a task there)


@dataclass
class MoveProgress:
    """Where a move is: its step and the units taken of each product so far."""

    task: MoveTask
    step: str = FROM_BIN
    qty: float = 0.0
    swap_qty: float = 0.0

    @property
    def done(self) -> bool:
        return self.step == DONE

    def to_dict(self) -> dict[str, Any]:
        """Where the move is, to keep (the task itself is kept apart, by its id)."""
        return {"step": self.step, "qty": self.qty, "swap_qty": self.swap_qty}

    @classmethod
    def from_dict(cls, task: MoveTask, state: dict[str, Any]) -> MoveProgress:
        """The move `task` where `state` (of `to_dict`) left it; its first step if `state` is
        not one (kept by another version of the app)."""
        step, qty, swap_qty = state.get("step"), state.get("qty"), state.get("swap_qty")
        if (
            step not in STEPS or (step == TAKE_BACK and not task.swap_sku)
            or not isinstance(qty, int | float) or not isinstance(swap_qty, int | float)
            or qty < 0 or swap_qty < 0
        ):  # fmt: skip
            return cls(task)
        return cls(task, str(step), float(qty), float(swap_qty))

    def restore(self, state: dict[str, Any]) -> None:
        """Go back to `state` (of `to_dict`): a scan whose saving failed is undone."""
        back = MoveProgress.from_dict(self.task, state)
        self.step, self.qty, self.swap_qty = back.step, back.qty, back.swap_qty

    def summary(self) -> str | None:
        """How far the move is, for the list of moves (None: not begun)."""
        t = self.task
        return {
            FROM_BIN: None,
            TAKE: f"under way: {self.qty:g} taken",
            TAKE_BACK: f"under way: {self.qty:g} put, {self.swap_qty:g} of {t.swap_sku} taken",
            DONE: "done, to report: open it",
        }[self.step]

    def prompt(self) -> str:
        """What to do next, as a sentence."""
        t = self.task
        return {
            FROM_BIN: f"Go to bin {t.from_bin} and scan its label.",
            TAKE: f"Take each unit of {t.name} (F7: a quantity), then scan bin {t.to_bin}.",
            TAKE_BACK: f"Take each unit of {t.swap_name or t.swap_sku} from {t.to_bin}, then"
            f" scan bin {t.from_bin} to put them there.",
            DONE: "The move is done.",
        }[self.step]

    def bin_scanned(self, code: str) -> str:
        """A bin label scanned: the next step, or a UserError saying which bin is wanted."""
        t = self.task
        if self.step == FROM_BIN:
            if code != t.from_bin:
                raise UserError(f"This is bin {code}: the move starts at bin {t.from_bin}.")
            self.step = TAKE
        elif self.step == TAKE:
            if code != t.to_bin:
                raise UserError(f"This is bin {code}: {t.name} goes to bin {t.to_bin}.")
            self.step = TAKE_BACK if t.swap_sku else DONE
        elif self.step == TAKE_BACK:
            if code != t.from_bin:
                raise UserError(
                    f"This is bin {code}: {t.swap_name or t.swap_sku} goes to bin {t.from_bin}."
                )
            self.step = DONE
        else:
            raise UserError("The move is done.")
        return self.prompt()

    def item_scanned(self, sku: str | None, qty: float = 1.0) -> str:
        """A unit (or `qty` of them) of product `sku` (None: not a product of the store)
        scanned: what was taken so far, or a UserError saying what is wanted."""
        t = self.task
        if self.step == FROM_BIN:
            raise UserError(f"Scan bin {t.from_bin} first: the move starts there.")
        if self.step == TAKE and sku == t.sku:
            self.qty += qty
            return f"{self.qty:g} of {t.name} taken: scan bin {t.to_bin} to put them there."
        if self.step == TAKE_BACK and sku == t.swap_sku:
            self.swap_qty += qty
            name = t.swap_name or t.swap_sku
            return f"{self.swap_qty:g} of {name} taken: scan bin {t.from_bin} to put them there."
        if self.step == DONE:
            raise UserError("The move is done.")
        wanted = t.name if self.step == TAKE else (t.swap_name or t.swap_sku)
        raise UserError(f"That is not {wanted}: leave it where it is. {self.prompt()}")
