"""The one event-loop timer behind all VRRP instances' deadlines (vrrp/timer_queue.py).

Every driver of a loop shares a ``LoopTimers``: a backup's master down timer moved by each
advert costs an attribute store, and the loop wakes up only when some instance is really due
(or when an obsolete entry reaches the top of the heap: then all moved entries are refreshed
at once).  Due slots run in deadline order inside one loop callback, after the socket readers of
the same loop iteration (asyncio runs I/O callbacks before timers), as separate timer handles did.

Only ``loop.time()`` and ``loop.call_at()`` are used, so the drivers' tests can pass a fake loop.
"""

from __future__ import annotations

import logging
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


_BY_LOOP: weakref.WeakKeyDictionary[Any, LoopTimers] = weakref.WeakKeyDictionary()


class LoopTimers:
    """A ``DeadlineQueue`` driven by one ``call_at`` handle of ``loop``."""

    def __init__(self, loop: _Loop) -> None:
        self.loop = loop
        self.queue = DeadlineQueue()
        self._handle: _Handle | None = None
        self._armed: float | None = None
        self._firing = False

    @classmethod
    def for_loop(cls, loop: _Loop) -> LoopTimers:
        """The loop's shared instance (made on first use)."""
        try:
            found = _BY_LOOP.get(loop)
            if found is None:
                found = _BY_LOOP[loop] = cls(loop)
        except TypeError:  # not weakly referable (a test's stand-in): not shared
            found = cls(loop)
        return found

    def slot(self, callback: Callable[[], None]) -> Slot:
        return Slot(callback)

    def set(self, slot: Slot, deadline: float | None) -> None:
        """``slot`` is due at ``deadline`` (None: never); its callback runs from the loop then."""
        if self.queue.set(slot, deadline) and not self._firing:
            assert deadline is not None
            armed = self._armed
            if armed is None or deadline < armed:
                self._arm(deadline)
        elif deadline is None and self._handle is not None and not self._firing:
            # a cancellation (stop, reload: rare): the loop's timer goes when nothing is left
            when = self.queue.earliest()
            if when is None:
                self._handle.cancel()
                self._handle = None
                self._armed = None

    def _arm(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._armed = when
        self._handle = self.loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self._armed = None
        self._firing = True
        try:
            for slot in self.queue.expire(self.loop.time()):
                try:
                    slot.callback()
                except Exception:  # one instance's failure must not stop the others' timers
                    log.exception("error in a VRRP timer")
        finally:
            self._firing = False
            when = self.queue.earliest()
            if when is not None:
                self._arm(when)
