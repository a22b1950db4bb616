"""The roles' modes: who works in which mode, and each mode's first screen.

A person who logs in gets the first mode their role may work in (`domain.auth`); the app adds
it for them and removes it at logout. The packer's and the lead's modes plug in here, not in the
App.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from picker_app.domain.auth import ROLE_MAY
from picker_app.errors import PickerError, UserError
from picker_app.parts import Parts
from picker_app.ui.screens.lead.home import LeadHome
from picker_app.ui.screens.packer.waiting import WaitingScreen
from picker_app.ui.screens.picker.queue import QueueScreen

Home = Callable[[Parts, dict[str, str]], Screen[object] | None]


@dataclass(frozen=True)
class RoleMode:
    name: str  # the Textual mode, named for whose screens they are: "picker"
    action: str  # what a person must be allowed to do to work in it (domain.auth)
    home: Home  # its first screen for this person; None: not on this device (e.g. no layout)


def packer_home(parts: Parts, user: dict[str, str]) -> Screen[object] | None:
    if parts.packing is None:
        return None
    return WaitingScreen(
        parts.packing, user, parts.users, demo=parts.demo_pins is not None,
        scale=(parts.options.scale, parts.options.scale_baud) if parts.options.scale else None,
    )  # fmt: skip


def picker_home(parts: Parts, user: dict[str, str]) -> Screen[object] | None:
    if parts.picking is None:
        return None
    options = parts.options
    return QueueScreen.open(
        parts.picking, user, options.batch_max, options.scan_config, parts.counting
    )


def lead_home(parts: Parts, user: dict[str, str]) -> Screen[object] | None:
    return LeadHome(parts, user)


# A person gets the first mode their role may work in: a lead the lead's (who may pick and
# pack from there), a packer the packer's, a picker the picker's.
MODES = (
    RoleMode("lead", "count", lead_home),
    RoleMode("packer", "pack", packer_home),
    RoleMode("picker", "pick", picker_home),
)


def open_mode(parts: Parts, user: dict[str, str]) -> tuple[str, Screen[object]]:
    """The mode `user` works in and its first screen, or a UserError saying why they cannot
    work on this device."""
    for mode in MODES:
        if mode.action not in ROLE_MAY.get(user["role"], frozenset()):
            continue
        try:
            home = mode.home(parts, user)
        except PickerError as err:  # e.g. their task is open in another app on this device
            raise UserError(f"{user['name']}: {err}.") from None
        if home is not None:
            return mode.name, home
    screens = " and ".join(f"the {mode.name}'s" for mode in MODES)
    able = [role for role, may in ROLE_MAY.items() if any(m.action in may for m in MODES)]
    raise UserError(
        f"{user['name']} is a {user['role']}: this version has {screens} screens only. "
        f"Log in as {' or '.join(f'a {role}' for role in able)}."
    )
