"""keepalived's respawn back-off (lib/scheduler.c calc_restart_delay), as a pure function."""

from __future__ import annotations

from keepalived_py.runtime.supervisor import restart_delay


def test_a_child_that_ran_a_minute_restarts_at_once() -> None:
    assert restart_delay(60.0, 16) == (0, 0)
    assert restart_delay(3600.0, 0) == (0, 0)


def test_quick_deaths_back_off_doubling_up_to_a_minute() -> None:
    delays = []
    previous = 0
    for _ in range(9):
        now, previous = restart_delay(1.0, previous)
        delays.append(now)
    assert delays == [0, 1, 2, 4, 8, 16, 32, 60, 60]
