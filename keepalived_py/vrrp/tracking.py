"""Tracking: what tracked interfaces, vrrp_scripts and track_files do to a VRRP instance.

keepalived 2.2.7 (vrrp_track.c, vrrp_scheduler.c) keeps a running ``total_priority`` that each
tracker moves by +/- its weight when its state changes.  Here the same result is computed from
the trackers' current states (a sum, not a history), which gives the same totals and cannot
drift:

* weight 0: the tracker does not move the priority; "down" (or "up" with ``reverse``) puts the
  instance in FAULT.
* weight > 0: added while the tracker is up (``reverse``: subtracted while up);
  weight < 0: added (a decrease) while it is down (``reverse``: the opposite sign).
  A tracker whose state is not known yet (a script that has not run) counts for nothing.
* track_file: the file's number times the weight (times -1 with ``reverse``), at most 253;
  -254 or less puts the instance in FAULT.  With weight 0 a non-zero number (``reverse``: zero)
  means FAULT.
* The effective priority is base + total clamped to 1..254; an address owner (255) keeps 255
  whatever the weights (keepalived refuses weighted trackers on owners at configuration time).

A vrrp_script's ``rise``/``fall`` counting is ``ScriptState``: exit results in, up/down out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

PRIO_OWNER = 255
# A track_file status at or below this means FAULT (keepalived's -254).
FILE_FAULT_STATUS = -254
FILE_MAX_STATUS = 253


class Kind(enum.Enum):
    INTERFACE = "interface"
    SCRIPT = "script"
    FILE = "file"
    PROCESS = "process"
    BFD = "bfd"


@dataclass(frozen=True, slots=True)
class Tracker:
    """One tracking line of an instance, with the weight it resolved to."""

    kind: Kind
    name: str
    weight: int = 0
    reverse: bool = False


def up_down_weight(weight: int, reverse: bool, up: bool | None) -> int:
    """The priority change an up/down tracker (interface, script, process, bfd) contributes."""
    if up is None or weight == 0:
        return 0
    multiplier = -1 if reverse else 1
    if up:
        return weight * multiplier if weight > 0 else 0
    return weight * multiplier if weight < 0 else 0


def up_down_fault(weight: int, reverse: bool, up: bool | None) -> bool:
    """Whether a weight-0 up/down tracker puts the instance in FAULT."""
    if up is None or weight != 0:
        return False
    return up == reverse


def file_status(weight: int, reverse: bool, value: int) -> int:
    """keepalived's status of a track_file for one instance (<= -254 means FAULT)."""
    multiplier = -1 if reverse else 1
    if weight == 0:
        return FILE_FAULT_STATUS if (value != 0) == (multiplier == 1) else 0
    return value * weight * multiplier


INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def parse_track_file(data: bytes) -> int | None:
    """The number a track_file holds, read as keepalived reads it (C ``strtol`` with base 0).

    Leading blanks, a sign, ``0x`` hex and ``0`` octal prefixes; whatever follows the number is
    ignored; no number (an empty or missing file) is 0.  None: out of range (keepalived logs
    "Invalid number" and keeps the previous value).  Only the first 127 bytes are read.
    """
    text = data[:127].decode("latin-1")
    i = 0
    while i < len(text) and text[i] in " \t\n\v\f\r":
        i += 1
    sign = 1
    if i < len(text) and text[i] in "+-":
        sign = -1 if text[i] == "-" else 1
        i += 1
    base = 10
    digits = "0123456789"
    if text[i : i + 2].lower() == "0x" and i + 2 < len(text) and text[i + 2].lower() in "0123456789abcdef":
        base, digits, i = 16, "0123456789abcdef", i + 2
    elif text[i : i + 1] == "0":
        base, digits = 8, "01234567"
    j = i
    while j < len(text) and text[j].lower() in digits:
        j += 1
    value = sign * int(text[i:j], base) if j > i else 0
    if value < INT32_MIN or value > INT32_MAX + 1:
        return None
    return value


def effective_priority(base: int, total: int) -> int:
    """The priority an instance advertises: owners keep 255, others are clamped to 1..254."""
    if base == PRIO_OWNER:
        return PRIO_OWNER
    return min(max(total, 1), PRIO_OWNER - 1)


class ScriptState:
    """A vrrp_script's rise/fall counter, as keepalived keeps it.

    ``result`` runs from 0 to rise + fall - 1; the script is up when it is at least ``rise``.
    Before the first result the state is unknown (``up`` None): then one success is enough to be
    up and one failure to be down.  ``init_fail`` starts it down, needing ``rise`` successes.
    """

    def __init__(self, rise: int = 1, fall: int = 1, init_fail: bool = False) -> None:
        if rise < 1 or fall < 1:
            raise ValueError("rise and fall must be at least 1")
        self.rise = rise
        self.fall = fall
        self.initial = not init_fail
        self.result = 0 if init_fail else rise - 1

    @property
    def up(self) -> bool | None:
        if self.initial:
            return None
        return self.result >= self.rise

    def feed(self, success: bool) -> bool | None:
        """One run's outcome (a timeout is a failure); returns the new state when it changes."""
        was_initial = self.initial
        self.initial = False
        top = self.rise + self.fall - 1
        if success:
            if self.result < self.rise - 1:
                self.result += 1
                return None
            changed = self.result == self.rise - 1 or was_initial
            self.result = top
            return True if changed else None
        if self.result > self.rise:
            self.result -= 1
            return None
        changed = self.result == self.rise or was_initial
        self.result = 0
        return False if changed else None


@dataclass
class InstanceTracking:
    """The trackers of one instance and their current states."""

    base_priority: int
    trackers: tuple[Tracker, ...] = ()
    # (kind, name) -> up/down (None: not known yet); track_file name -> its number.
    states: dict[tuple[Kind, str], bool | None] = field(default_factory=dict)
    file_values: dict[str, int] = field(default_factory=dict)

    def set_state(self, kind: Kind, name: str, up: bool | None) -> None:
        self.states[(kind, name)] = up

    def set_file(self, name: str, value: int) -> None:
        self.file_values[name] = value

    def _state(self, tracker: Tracker) -> bool | None:
        return self.states.get((tracker.kind, tracker.name))

    @property
    def total(self) -> int:
        """keepalived's total_priority: the base plus every tracker's contribution."""
        total = self.base_priority
        for tracker in self.trackers:
            if tracker.kind is Kind.FILE:
                status = file_status(tracker.weight, tracker.reverse, self.file_values.get(tracker.name, 0))
                if status > FILE_FAULT_STATUS:
                    total += min(status, FILE_MAX_STATUS)
            else:
                total += up_down_weight(tracker.weight, tracker.reverse, self._state(tracker))
        return total

    @property
    def effective_priority(self) -> int:
        return effective_priority(self.base_priority, self.total)

    def fault_reasons(self) -> list[Tracker]:
        """The trackers that put the instance in FAULT now."""
        found = []
        for tracker in self.trackers:
            if tracker.kind is Kind.FILE:
                value = self.file_values.get(tracker.name, 0)
                if file_status(tracker.weight, tracker.reverse, value) <= FILE_FAULT_STATUS:
                    found.append(tracker)
            elif up_down_fault(tracker.weight, tracker.reverse, self._state(tracker)):
                found.append(tracker)
        return found

    @property
    def fault(self) -> bool:
        return bool(self.fault_reasons())

    @property
    def waiting(self) -> bool:
        """A weight-0 script has not reported yet: keepalived keeps the instance in INIT."""
        return any(t.kind is Kind.SCRIPT and t.weight == 0 and self._state(t) is None for t in self.trackers)
