"""One queue of deadlines for all VRRP instances, with lazy later moves (pure: no clock, no loop).

A backup re-arms its master down timer with every advert it accepts: with 1,000 instances that
is 1,000 deadline moves a second, and an event-loop timer per instance fires and re-arms every
master down interval (a few hundred wake-ups a second) although nothing is due.  keepalived keeps
one tree of deadlines for all its instances; this is the same idea:

* each instance owns a ``Slot`` whose ``deadline`` is its true next deadline (or None);
* ``set`` only stores a deadline that is later than the slot's entry in the heap (the common case:
  an advert pushes the master down timer forward); an earlier one gets a new heap entry;
* ``earliest`` refreshes entries whose slot moved later (or was cancelled) until the top of the
  heap is a true deadline, so the single timer of the runtime is armed at the real earliest
  deadline of all instances, never later: expiry stays exact;
* ``expire(now)`` returns the slots due at ``now`` in deadline order (ties: the order in which
  the deadlines were set).

Entries that a move made obsolete stay in the heap until they reach its top (they are recognised
by their sequence number); nothing else is ever scanned.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable


class Slot:
    """One instance's deadline in a ``DeadlineQueue``."""

    __slots__ = ("_entry", "_queued", "callback", "deadline", "precise")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        # a deadline whose lateness counts (a backup's takeover): the runtime wakes up a little
        # before it and waits out the rest (runtime/vrrp_timers.py); the queue only carries it
        self.precise = False
        # the true deadline (monotonic seconds), None when nothing is due
        self.deadline: float | None = None
        # the time of this slot's live heap entry (never later than ``deadline``), and its number
        self._queued: float | None = None
        self._entry = 0


class DeadlineQueue:
    """The deadlines of many slots; see the module docstring."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Slot]] = []
        self._ids = itertools.count(1)

    def __len__(self) -> int:
        """Heap entries, obsolete ones included (for tests and statistics)."""
        return len(self._heap)

    def set(self, slot: Slot, deadline: float | None) -> bool:
        """Give ``slot`` its new deadline (None: nothing due).

        Returns True when the slot got a new heap entry at the top of the heap: the earliest
        deadline may have moved earlier, the caller's timer must be armed again.
        """
        slot.deadline = deadline
        if deadline is None:
            return False  # its entry is dropped when it reaches the top
        queued = slot._queued
        if queued is not None and queued <= deadline:
            return False  # later (or the same): the entry is refreshed when it reaches the top
        entry = next(self._ids)
        slot._queued = deadline
        slot._entry = entry
        heap = self._heap
        heapq.heappush(heap, (deadline, entry, slot))
        return heap[0][1] == entry

    def earliest(self) -> float | None:
        """The earliest true deadline of all slots (refreshing the entries that moved)."""
        first = self.first()
        return None if first is None else first[0]

    def first(self) -> tuple[float, Slot] | None:
        """The earliest true deadline and its slot (refreshing the entries that moved)."""
        heap = self._heap
        while heap:
            when, entry, slot = heap[0]
            if slot._entry != entry:  # superseded by an earlier entry of the same slot
                heapq.heappop(heap)
                continue
            deadline = slot.deadline
            if deadline is None:  # cancelled
                heapq.heappop(heap)
                slot._queued = None
                slot._entry = 0
                continue
            if deadline > when:  # moved later since this entry was made
                entry = next(self._ids)
                slot._queued = deadline
                slot._entry = entry
                heapq.heapreplace(heap, (deadline, entry, slot))
                continue
            return when, slot
        return None

    def expire(self, now: float) -> list[Slot]:
        """The slots whose deadline is ``now`` or earlier, earliest first; they leave the heap
        (their ``deadline`` is cleared: the owner sets the next one)."""
        due: list[Slot] = []
        heap = self._heap
        while True:
            when = self.earliest()
            if when is None or when > now:
                return due
            slot = heapq.heappop(heap)[2]
            slot._queued = None
            slot._entry = 0
            slot.deadline = None
            due.append(slot)
