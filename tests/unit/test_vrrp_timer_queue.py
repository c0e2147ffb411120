"""vrrp/timer_queue.py and runtime/vrrp_timers.py on a virtual clock: exact expiry with lazy moves.

A model (each slot's true deadline, fired at exactly that time) is compared with the queue under
random moves earlier, later and cancellations; the loop adapter arms one handle, never later
than the earliest true deadline.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from keepalived_py.runtime.vrrp_timers import EARLY, LoopTimers
from keepalived_py.vrrp.timer_queue import DeadlineQueue, Slot


def _slots(n: int, fired: list[int]) -> list[Slot]:
    return [Slot(lambda i=i: fired.append(i)) for i in range(n)]  # type: ignore[misc]


def test_later_moves_do_not_push_entries_and_expiry_is_at_the_true_deadline() -> None:
    q = DeadlineQueue()
    fired: list[int] = []
    (a,) = _slots(1, fired)
    assert q.set(a, 10.0) is True
    for k in range(1, 100):  # a backup hearing its master: the deadline moves later every time
        assert q.set(a, 10.0 + k) is False
    assert len(q) == 1
    assert q.expire(50.0) == []  # not due at the old time: refreshed instead
    assert q.earliest() == 109.0 and len(q) == 1
    assert q.expire(108.999) == []
    assert q.expire(109.0) == [a]
    assert a.deadline is None and q.earliest() is None


def test_earlier_move_and_cancel() -> None:
    q = DeadlineQueue()
    fired: list[int] = []
    a, b = _slots(2, fired)
    q.set(a, 10.0)
    q.set(b, 5.0)
    assert q.set(a, 2.0) is True  # earlier than everything: the caller re-arms
    assert q.earliest() == 2.0
    q.set(a, None)
    assert q.earliest() == 5.0
    assert q.expire(100.0) == [b]
    assert q.earliest() is None and len(q) == 0


def test_ties_fire_in_the_order_the_deadlines_were_set() -> None:
    q = DeadlineQueue()
    slots = _slots(5, [])
    for s in reversed(slots):
        q.set(s, 3.0)
    assert q.expire(3.0) == list(reversed(slots))


def test_random_moves_match_a_model() -> None:
    rng = random.Random(7)
    q = DeadlineQueue()
    fired: list[int] = []
    slots = _slots(40, fired)
    model: dict[int, float | None] = dict.fromkeys(range(40))
    now = 0.0
    for _ in range(5000):
        i = rng.randrange(40)
        roll = rng.random()
        deadline: float | None
        if roll < 0.1:
            deadline = None
        elif roll < 0.3:
            deadline = now + rng.random() * 0.5  # earlier than most
        else:
            deadline = now + 1 + rng.random() * 3  # later (adverts)
        q.set(slots[i], deadline)
        model[i] = deadline
        now += rng.random() * 0.05
        due = q.expire(now)
        want = sorted((d, i) for i, d in model.items() if d is not None and d <= now)
        assert [slots.index(s) for s in due] == [i for _, i in want]
        for _, j in want:
            model[j] = None
        live = [d for d in model.values() if d is not None]
        assert q.earliest() == (min(live) if live else None)
    assert len(q) <= 2 * 40


class _Handle:
    def __init__(self, when: float, cb: Callable[[], None]) -> None:
        self.when, self.cb, self.cancelled = when, cb, False

    def cancel(self) -> None:
        self.cancelled = True


class _Loop:
    def __init__(self) -> None:
        self.now = 0.0
        self.handles: list[_Handle] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, cb: Callable[[], None]) -> Any:
        self.handles.append(_Handle(when, cb))
        return self.handles[-1]

    def armed(self) -> list[_Handle]:
        return [h for h in self.handles if not h.cancelled and h.cb is not None]


def _fire(loop: _Loop) -> None:
    (h,) = loop.armed()
    loop.now = max(loop.now, h.when)
    cb = h.cb
    h.cancelled = True
    cb()


def test_loop_timers_one_handle_for_many_slots_armed_at_the_earliest_true_deadline() -> None:
    loop = _Loop()
    timers = LoopTimers(loop)
    fired: list[tuple[int, float]] = []
    slots = [timers.slot(lambda i=i: fired.append((i, loop.now))) for i in range(100)]  # type: ignore[misc]
    for i, s in enumerate(slots):
        timers.set(s, 3.6 + i / 100)
    assert len(loop.armed()) == 1 and loop.armed()[0].when == 3.6
    for step in range(1, 11):  # adverts every second: every deadline moves later, no handle made
        loop.now = float(step)
        for i, s in enumerate(slots):
            timers.set(s, step + 3.6 + i / 100)
    assert len(loop.handles) == 1
    _fire(loop)  # the stale handle: refreshes all, fires nothing
    assert fired == []
    (h,) = loop.armed()
    assert h.when == 13.6
    # slot 5's master goes silent: the others keep hearing theirs
    for step in range(11, 14):
        loop.now = float(step)
        for i, s in enumerate(slots):
            if i != 5:
                timers.set(s, step + 3.6 + i / 100)
    _fire(loop)
    assert fired == [] and loop.armed()[0].when == 10 + 3.6 + 5 / 100
    _fire(loop)
    assert fired == [(5, 10 + 3.6 + 5 / 100)]


def test_loop_timers_callback_rearms_and_cancel_removes_the_handle() -> None:
    loop = _Loop()
    timers = LoopTimers(loop)
    times: list[float] = []
    slot: Any = None

    def on_due() -> None:
        times.append(loop.now)
        if len(times) < 3:
            timers.set(slot, loop.now + 1.0)

    slot = timers.slot(on_due)
    timers.set(slot, 1.0)
    for _ in range(3):
        _fire(loop)
    assert times == [1.0, 2.0, 3.0] and loop.armed() == []
    timers.set(slot, 5.0)
    assert len(loop.armed()) == 1
    timers.set(slot, None)
    assert loop.armed() == []


def test_loop_timers_earlier_deadline_replaces_the_handle() -> None:
    loop = _Loop()
    timers = LoopTimers(loop)
    a = timers.slot(lambda: None)
    b = timers.slot(lambda: None)
    timers.set(a, 10.0)
    first = loop.armed()[0]
    timers.set(b, 4.0)
    assert first.cancelled and loop.armed()[0].when == 4.0


def test_a_failing_callback_does_not_stop_the_others() -> None:
    loop = _Loop()
    timers = LoopTimers(loop)
    fired: list[str] = []

    def bad() -> None:
        raise RuntimeError("boom")

    timers.set(timers.slot(bad), 1.0)
    timers.set(timers.slot(lambda: fired.append("b")), 1.0)
    _fire(loop)
    assert fired == ["b"]


class _TickingLoop(_Loop):
    """A clock that moves on by 10 us at every reading (the spin at the end of a wait)."""

    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    def time(self) -> float:
        self.now += 1e-5
        return self.now

    def sleep(self, seconds: float) -> None:
        assert 0 <= seconds <= EARLY  # a bounded block of the loop, never more
        self.slept.append(seconds)
        self.now += seconds


def test_a_precise_deadline_is_armed_early_and_expires_on_time_after_a_short_wait() -> None:
    loop = _TickingLoop()
    timers = LoopTimers(loop, sleep=loop.sleep)
    fired: list[float] = []
    slot = timers.slot(lambda: fired.append(loop.now))
    timers.set(slot, 10.0, precise=True)
    (h,) = loop.armed()
    assert h.when == 10.0 - EARLY
    loop.now = h.when + 0.0002  # the loop runs the handle a little late, still early for the deadline
    cb = h.cb
    h.cancelled = True
    cb()
    assert len(fired) == 1 and 10.0 <= fired[0] < 10.0 + 0.0001
    assert len(loop.slept) == 1 and loop.slept[0] < EARLY


def test_a_late_or_stale_precise_entry_is_not_waited_for() -> None:
    loop = _TickingLoop()
    timers = LoopTimers(loop, sleep=loop.sleep)
    fired: list[float] = []
    slot = timers.slot(lambda: fired.append(loop.now))
    timers.set(slot, 10.0, precise=True)
    timers.set(slot, 11.0, precise=True)  # the master was heard: only stored
    (h,) = loop.armed()
    loop.now = h.when
    h.cancelled = True
    h.cb()  # the stale entry: refreshed, re-armed early for the true deadline, no wait
    assert fired == [] and loop.slept == []
    (h,) = loop.armed()
    assert h.when == 11.0 - EARLY
    loop.now = 11.5  # a loaded machine ran it late: it expires at once
    h.cancelled = True
    h.cb()
    assert len(fired) == 1 and loop.slept == []


def test_periodic_deadlines_are_never_waited_for() -> None:
    loop = _TickingLoop()
    timers = LoopTimers(loop, sleep=loop.sleep)
    fired: list[float] = []
    master = timers.slot(lambda: fired.append(loop.now))
    timers.set(master, 5.0)  # a master's advert timer: armed at its time
    (h,) = loop.armed()
    assert h.when == 5.0
    loop.now = 4.9995  # woken early for another reason: nothing runs, nothing blocks
    h.cancelled = True
    h.cb()
    assert fired == [] and loop.slept == []
    assert loop.armed()[0].when == 5.0


def test_a_precise_deadline_just_after_a_periodic_one_is_armed_again_at_once() -> None:
    loop = _TickingLoop()
    timers = LoopTimers(loop, sleep=loop.sleep)
    fired: list[str] = []
    timers.set(timers.slot(lambda: fired.append("master")), 5.0)
    backup = timers.slot(lambda: fired.append("backup"))
    timers.set(backup, 5.001, precise=True)
    (h,) = loop.armed()
    assert h.when == 5.001 - EARLY
    loop.now = 5.0
    h.cancelled = True
    h.cb()  # the master's advert is due: runs; the backup's handle is armed (in the past)
    assert fired == ["master"] and loop.slept == []
    (h,) = loop.armed()
    assert h.when == 5.001 - EARLY
    h.cancelled = True
    h.cb()  # the loop's next iteration: waits out the backup's deadline (< EARLY)
    assert fired == ["master", "backup"] and len(loop.slept) == 1 and 5.001 <= loop.now < 5.0011


def test_on_an_asyncio_loop_a_precise_deadline_never_expires_before_its_time() -> None:
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        timers = LoopTimers.for_loop(loop)
        fired: list[float] = []
        deadlines: list[float] = []
        for k in range(5):
            slot = timers.slot(lambda: fired.append(loop.time()))
            deadlines.append(loop.time() + 0.005 * (k + 1) + 0.0003)
            timers.set(slot, deadlines[-1], precise=True)
        loop.run_until_complete(asyncio.sleep(0.05))
        assert len(fired) == 5
        assert all(f >= d for f, d in zip(fired, deadlines, strict=True))  # a takeover is never early
    finally:
        loop.close()
