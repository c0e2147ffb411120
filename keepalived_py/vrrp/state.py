"""VRRP instance states and the transitions keepalived 2.2.7 makes, as data.

The core asks ``check_transition`` before every state change, so a transition that is not in
``TRANSITIONS`` is a bug in the core (``IllegalTransition``), never something the network can
cause.  ``to_dot`` draws the diagram from the same table (h11's make-state-diagrams idea).

RFC 5798 section 6.4 knows Initialize / Backup / Master; keepalived adds FAULT (an interface,
tracked script or other tracker is down) and STOP (shutdown), and never leaves STOP.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class State(enum.Enum):
    INIT = "INIT"
    BACKUP = "BACKUP"
    MASTER = "MASTER"
    FAULT = "FAULT"
    STOP = "STOP"


class Reason(enum.Enum):
    START = "start"  # leaving INIT
    MASTER_DOWN = "master down timer expired"  # RFC 5798 6.4.2 Master_Down_Timer fires
    HIGHER_PRIORITY = "higher priority advert"  # RFC 5798 6.4.3, incl. equal priority + higher IP
    FAULT = "fault"
    FAULT_CLEARED = "fault cleared"
    SHUTDOWN = "shutdown"
    SYNC_GROUP = "sync group"  # forced to follow another member of the vrrp_sync_group
    ADDRESS_DELETED = "address deleted"  # one of our VIPs was removed behind our back


class IllegalTransition(RuntimeError):
    """The core tried a transition the table does not allow: a programming error."""


_S, _R = State, Reason
_ROWS: tuple[tuple[State, State, Reason], ...] = (
    (_S.INIT, _S.BACKUP, _R.START),
    (_S.INIT, _S.FAULT, _R.START),
    (_S.INIT, _S.FAULT, _R.FAULT),
    (_S.INIT, _S.FAULT, _R.SYNC_GROUP),
    (_S.INIT, _S.BACKUP, _R.SYNC_GROUP),
    (_S.INIT, _S.STOP, _R.SHUTDOWN),
    (_S.BACKUP, _S.MASTER, _R.MASTER_DOWN),
    (_S.BACKUP, _S.MASTER, _R.SYNC_GROUP),
    (_S.BACKUP, _S.FAULT, _R.FAULT),
    (_S.BACKUP, _S.FAULT, _R.SYNC_GROUP),
    (_S.BACKUP, _S.STOP, _R.SHUTDOWN),
    (_S.MASTER, _S.BACKUP, _R.HIGHER_PRIORITY),
    (_S.MASTER, _S.BACKUP, _R.SYNC_GROUP),
    (_S.MASTER, _S.BACKUP, _R.ADDRESS_DELETED),
    (_S.MASTER, _S.FAULT, _R.FAULT),
    (_S.MASTER, _S.FAULT, _R.SYNC_GROUP),
    (_S.MASTER, _S.STOP, _R.SHUTDOWN),
    (_S.FAULT, _S.BACKUP, _R.FAULT_CLEARED),
    (_S.FAULT, _S.MASTER, _R.FAULT_CLEARED),
    (_S.FAULT, _S.BACKUP, _R.SYNC_GROUP),
    (_S.FAULT, _S.MASTER, _R.SYNC_GROUP),
    (_S.FAULT, _S.STOP, _R.SHUTDOWN),
)

TRANSITIONS: Mapping[tuple[State, State], frozenset[Reason]] = {
    key: frozenset(r for a, b, r in _ROWS if (a, b) == key) for key in {(a, b) for a, b, _ in _ROWS}
}


def check_transition(old: State, new: State, reason: Reason) -> None:
    if reason not in TRANSITIONS.get((old, new), frozenset()):
        raise IllegalTransition(f"{old.value} -> {new.value} ({reason.value}) is not a VRRP transition")


def to_dot() -> str:
    """Graphviz source of the state diagram."""
    lines = ["digraph vrrp {", "  rankdir=LR;"]
    for (a, b), reasons in sorted(TRANSITIONS.items(), key=lambda kv: (kv[0][0].value, kv[0][1].value)):
        label = "\\n".join(sorted(r.value for r in reasons))
        lines.append(f'  {a.value} -> {b.value} [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
