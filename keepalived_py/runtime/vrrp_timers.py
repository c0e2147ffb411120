"""The one event-loop timer behind all VRRP instances' deadlines (vrrp/timer_queue.py).

Every driver of a loop shares a ``LoopTimers``: a backup's master down timer moved by each
advert costs an attribute store, and the loop wakes up only when some instance is really due
(or when an obsolete entry reaches the top of the heap: then all moved entries are refreshed
at once).  Due slots run in deadline order inside one loop callback, after the socket readers of
the same loop iteration (asyncio runs I/O callbacks before timers), as separate timer handles did.

Takeover deadlines (a backup's master down timer, the skew time after a priority-0 advert) are
``precise``: asyncio runs a timer 0-1 ms after its time (the selector rounds its timeout up to
whole milliseconds, plus the kernel's timer slack), which keepalived (~0.1 ms) does not.  For them
the loop's timer is armed ``EARLY`` before the deadline and, when it fires, the rest is waited out
with a blocking sleep on the monotonic clock (the last ``SPIN`` by polling it), then the slot
expires on time.  The loop blocks at most ``EARLY`` per takeover; a master's periodic advert
timer is never precise (1,000 masters would block the loop all the time), nor is any other.

Only ``loop.time()`` and ``loop.call_at()`` are used, so the drivers' tests can pass a fake loop.
The early wake-up needs a ``sleep`` on the loop's clock: ``for_loop`` gives ``time.sleep`` to an
asyncio loop (its clock is ``time.monotonic``); a stand-in gets none unless it brings its own
(then precise deadlines are armed at their time, as any other).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from typing import Any, Protocol

from keepalived_py.vrrp.timer_queue import DeadlineQueue, Slot

log = logging.getLogger(__name__)


class _Handle(Protocol):
    def cancel(self) -> None: ...


class _Loop(Protocol):
    def time(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], None], /) -> Any: ...


# how long before a precise deadline the loop's timer fires (its lateness is below 1 ms + slack)
EARLY = 0.0015
# the end of the wait is spent polling the clock (a sleep may end ~50 us late: timer slack)
SPIN = 0.0001

_BY_LOOP: weakref.WeakKeyDictionary[Any, LoopTimers] = weakref.WeakKeyDictionary()


class LoopTimers:
    """A ``DeadlineQueue`` driven by one ``call_at`` handle of ``loop``."""

    def __init__(self, loop: _Loop, *, sleep: Callable[[float], None] | None = None) -> None:
        self.loop = loop
        self._sleep = sleep
        self._early = EARLY if sleep is not None else 0.0
        self.queue = DeadlineQueue()
        self._handle: _Handle | None = None
        self._armed: float | None = None
        self._firing = False
        # the deferred socket reads (runtime/rx_batch.py): done before any slot is expired
        self.before_expire: Callable[[], None] | None = None

    @classmethod
    def for_loop(cls, loop: _Loop) -> LoopTimers:
        """The loop's shared instance (made on first use)."""
        try:
            found = _BY_LOOP.get(loop)
            if found is None:
                found = _BY_LOOP[loop] = cls(loop, sleep=_sleep_for(loop))
        except TypeError:  # not weakly referable (a test's stand-in): not shared
            found = cls(loop, sleep=_sleep_for(loop))
        return found

    def slot(self, callback: Callable[[], None]) -> Slot:
        return Slot(callback)

    def set(self, slot: Slot, deadline: float | None, *, precise: bool = False) -> None:
        """``slot`` is due at ``deadline`` (None: never); its callback runs from the loop then.

        ``precise``: a takeover deadline, run on time rather than up to a millisecond late.
        """
        slot.precise = precise
        on_top = self.queue.set(slot, deadline)
        if deadline is not None and (on_top or precise) and not self._firing:
            # a precise deadline is due earlier than its heap order says: compared in any case
            # (the common later move of a backup's deadline stays one comparison)
            when = deadline - self._early if precise else deadline
            armed = self._armed
            if armed is None or when < armed:
                self._arm(when)
        elif (
            deadline is None
            and self._handle is not None
            and not self._firing
            and self.queue.earliest() is None
        ):
            # a cancellation (stop, reload: rare): the loop's timer goes when nothing is left
            self._handle.cancel()
            self._handle = None
            self._armed = None

    def flush_reads(self) -> None:
        """Read the deferred sockets now: an input other than an advert is about to reach an
        instance, and the adverts that arrived before it must be handled first."""
        if self.before_expire is not None and not self._firing:
            self.before_expire()

    def _arm(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._armed = when
        self._handle = self.loop.call_at(when, self._fire)

    def _wait_until(self, deadline: float) -> None:
        """Block until ``deadline`` on the loop's clock (at most ``EARLY``: a precise slot)."""
        loop = self.loop
        left = deadline - loop.time()
        if left > SPIN and self._sleep is not None:
            self._sleep(left - SPIN)
        while loop.time() < deadline:  # not sleep(0): that too ends after the timer slack
            pass

    def _fire(self) -> None:
        self._handle = None
        self._armed = None
        self._firing = True
        try:
            first = self.queue.first()
            if first is not None and first[1].precise and self._early:
                left = first[0] - self.loop.time()
                if 0 < left <= self._early:
                    self._wait_until(first[0])
            if self.before_expire is not None:
                try:
                    self.before_expire()
                except Exception:
                    log.exception("error reading VRRP sockets")
            for slot in self.queue.expire(self.loop.time()):
                try:
                    slot.callback()
                except Exception:  # one instance's failure must not stop the others' timers
                    log.exception("error in a VRRP timer")
        finally:
            self._firing = False
            first = self.queue.first()
            if first is not None:
                when, slot = first
                self._arm(when - self._early if slot.precise else when)


def _sleep_for(loop: _Loop) -> Callable[[float], None] | None:
    return time.sleep if isinstance(loop, asyncio.AbstractEventLoop) else None
