"""Deferred socket reads for listeners whose instances are all backups: fewer loop wake-ups.

Why: a backup's CPU at scale is mostly the cost of waking up (``benchmarks/scale.py``: 1,000
adverts a second arrive in clusters, ~114 wake-ups a second, each finding the interpreter's
caches cold), not the work per advert.  And a backup does nothing at the moment an advert
arrives: the advert only moves deadlines (master down timer, skew time after priority 0) that
are counted from when it arrived.  So the socket of a listener whose instances are all in BACKUP
is not watched by the loop; it is read by a periodic poll, every ``delay`` seconds, with these
rules that keep every decision the same as an immediate read:

* each advert is handed to its instances with the time the kernel received it
  (``SO_TIMESTAMPNS``, wall clock, converted to the loop's monotonic clock, clamped between the
  previous read of the socket and now);
* the sockets are read before any instance's deadline is looked at (``LoopTimers`` calls
  ``flush`` before it expires slots) and before any other input reaches an instance (priority,
  fault, address events: the driver calls ``flush`` first), so inputs are handled in the order
  they happened;
* ``delay`` is at most a quarter of the shortest skew time of the listener's instances: a
  priority-0 advert, read late, still finds its takeover deadline (arrival + skew) ahead;
* and small enough that the adverts expected meanwhile (one per instance and advert interval)
  fill at most half the socket's receive buffer, counting ``PACKET_COST`` bytes each;
* reads at most ``MAX_DELAY`` late, so that log lines and counters stay close to real time
  (the state dumps read the sockets first);
* a listener goes back to immediate reads (and is read at once) as soon as one of its instances
  leaves BACKUP, or is a sync group member, uses IPsec AH or IPv6: a master must answer a
  higher-priority advert at once.

``batch_delay`` and ``arrival_time`` are pure; ``ReadBatcher`` is the loop's one poll.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Protocol

from keepalived_py.runtime.vrrp_timers import LoopTimers

# the longest a datagram waits for its read, and the shortest delay worth a poll
MAX_DELAY = 0.2
MIN_DELAY = 0.01
# the read delay's share of the shortest skew time
SKEW_SHARE = 4
# what a queued advert costs of the receive buffer (the kernel counts the skb's true size: a
# small datagram takes well under this), and the share of the buffer the delay may fill
PACKET_COST = 2048
BUFFER_SHARE = 2


def batch_delay(instances: Iterable[tuple[int, int] | None], rcvbuf: int) -> float | None:
    """The read delay for a listener whose instances have these (skew time, master advert
    interval) in us (None: an instance that must be read at once), on a socket with ``rcvbuf``
    bytes of receive buffer; None: read at once.  An empty listener is read at once."""
    shortest: int | None = None
    per_second = 0.0
    for instance in instances:
        if instance is None:
            return None
        skew, interval = instance
        if shortest is None or skew < shortest:
            shortest = skew
        per_second += 1e6 / max(interval, 1)
    if shortest is None:
        return None
    room = rcvbuf / BUFFER_SHARE / PACKET_COST / per_second
    delay = min(MAX_DELAY, shortest / 1e6 / SKEW_SHARE, room)
    return delay if delay >= MIN_DELAY else None


def arrival_time(stamp_ns: int, offset_ns: int, earliest: float, now: float) -> float:
    """A kernel receive time (wall clock, ns) on the monotonic clock (``offset_ns``: wall minus
    monotonic, now), kept within [earliest, now]: a clock step cannot move a deadline by more
    than the wait.  In integer ns first: a float of the wall clock has only ~0.2 us of precision."""
    when = (stamp_ns - offset_ns) / 1e9
    if when > now:
        return now
    if when < earliest:
        return earliest
    return when


class _Batched(Protocol):
    def read_batch(self, now: float, offset_ns: int) -> None: ...


_BY_TIMERS: weakref.WeakKeyDictionary[LoopTimers, ReadBatcher] = weakref.WeakKeyDictionary()


class ReadBatcher:
    """The listeners read by the poll, and the poll's slot in the loop's deadline queue."""

    def __init__(self, timers: LoopTimers, wall_ns: Callable[[], int]) -> None:
        self._timers = timers
        self._wall_ns = wall_ns
        self._delays: dict[_Batched, float] = {}
        self._slot = timers.slot(self._poll)
        self._period: float | None = None

    @classmethod
    def for_timers(cls, timers: LoopTimers, wall_ns: Callable[[], int]) -> ReadBatcher:
        """The loop's one batcher; ``wall_ns``: the wall clock in ns (``time.time_ns``)."""
        found = _BY_TIMERS.get(timers)
        if found is None:
            found = _BY_TIMERS[timers] = cls(timers, wall_ns)
        return found

    def __len__(self) -> int:
        return len(self._delays)

    def now(self) -> float:
        return self._timers.loop.time()

    def set(self, listener: _Batched, delay: float | None) -> None:
        """Read ``listener`` by the poll at most ``delay`` s late; None: no longer."""
        if delay is None:
            if self._delays.pop(listener, None) is None:
                return
        elif self._delays.get(listener) == delay:
            return
        else:
            self._delays[listener] = delay
        period = min(self._delays.values()) if self._delays else None
        self._timers.before_expire = self.flush if period is not None else None
        if period != self._period:
            self._period = period
            now = self._timers.loop.time()
            self._timers.set(self._slot, None if period is None else now + period)

    def flush(self) -> None:
        """Read every deferred listener now."""
        if not self._delays:
            return
        now = self._timers.loop.time()
        offset_ns = self._wall_ns() - round(now * 1e9)
        for listener in list(self._delays):
            listener.read_batch(now, offset_ns)

    def _poll(self) -> None:
        # the sockets were just read: LoopTimers flushes before it expires any slot
        if self._period is not None:
            self._timers.set(self._slot, self._timers.loop.time() + self._period)
