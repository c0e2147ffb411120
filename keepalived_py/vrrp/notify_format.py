"""The lines keepalived 2.2.7 writes to its notify FIFOs (vrrp_notify.c), as pure functions.

``INSTANCE "VI_1" MASTER 150`` / ``GROUP "G1" BACKUP 0``: the kind, the name in double quotes
(not escaped), the state or event, and the priority (an instance's effective priority, 0 for a
group), ended by a newline.  Events are MASTER_RX_LOWER_PRI (a master heard a lower priority
advert) and MASTER_PRIORITY / BACKUP_PRIORITY (notify_priority_changes: MASTER_PRIORITY in
MASTER, BACKUP_PRIORITY in any other state).
"""

from __future__ import annotations

FIFO_STATES = frozenset(
    {
        "MASTER",
        "BACKUP",
        "FAULT",
        "STOP",
        "DELETED",
        "MASTER_RX_LOWER_PRI",
        "MASTER_PRIORITY",
        "BACKUP_PRIORITY",
    }
)


def fifo_line(name: str, state: str, priority: int = 0, *, group: bool = False) -> bytes:
    """One FIFO line; an unknown state reads ``{UNKNOWN}`` and the priority is a byte, as keepalived's."""
    kind = "GROUP" if group else "INSTANCE"
    word = state if state in FIFO_STATES else "{UNKNOWN}"
    return f'{kind} "{name}" {word} {priority & 0xFF}\n'.encode("utf-8", "surrogateescape")


def priority_event(state: str) -> str:
    """The event an effective priority change of an instance in ``state`` is reported as."""
    return "MASTER_PRIORITY" if state == "MASTER" else "BACKUP_PRIORITY"
