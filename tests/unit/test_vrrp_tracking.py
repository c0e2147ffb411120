"""Tracking rules (keepalived 2.2.7 vrrp_track.c / vrrp_scheduler.c), exhaustively."""

from __future__ import annotations

import itertools

import pytest

from keepalived_py.vrrp.tracking import (
    InstanceTracking,
    Kind,
    ScriptState,
    Tracker,
    effective_priority,
    file_status,
    parse_track_file,
    up_down_fault,
    up_down_weight,
)

WEIGHTS = (-253, -10, -1, 0, 1, 10, 253)


@pytest.mark.parametrize(
    ("weight", "reverse", "up"), list(itertools.product(WEIGHTS, (False, True), (True, False)))
)
def test_up_down_weight_matches_keepalived_increments(weight: int, reverse: bool, up: bool) -> None:
    """From unknown, keepalived adds weight*mult only on the side the weight's sign names;
    afterwards each change moves the total by +/-|weight|*mult: the sums must agree."""
    mult = -1 if reverse else 1
    first = up_down_weight(weight, reverse, up)
    if weight == 0:
        assert first == 0
        return
    expected_first = weight * mult if (weight > 0) == up else 0
    assert first == expected_first
    # keepalived's later transition: up -> +|w|*mult, down -> -|w|*mult
    other = up_down_weight(weight, reverse, not up)
    step = abs(weight) * mult * (1 if not up else -1)
    assert other - first == step


def test_unknown_state_counts_for_nothing() -> None:
    for weight, reverse in itertools.product(WEIGHTS, (False, True)):
        assert up_down_weight(weight, reverse, None) == 0
        assert not up_down_fault(weight, reverse, None)


@pytest.mark.parametrize(
    ("weight", "reverse", "up", "fault"),
    [
        (0, False, True, False),
        (0, False, False, True),
        (0, True, True, True),
        (0, True, False, False),
        (5, False, False, False),
        (-5, True, True, False),
    ],
)
def test_weight_zero_means_fault(weight: int, reverse: bool, up: bool, fault: bool) -> None:
    assert up_down_fault(weight, reverse, up) is fault


@pytest.mark.parametrize(
    ("weight", "reverse", "value", "status"),
    [
        (0, False, 0, 0),
        (0, False, 3, -254),
        (0, True, 0, -254),
        (0, True, 7, 0),
        (1, False, 5, 5),
        (1, True, 5, -5),
        (-2, False, 5, -10),
        (10, False, -30, -300),
    ],
)
def test_file_status(weight: int, reverse: bool, value: int, status: int) -> None:
    assert file_status(weight, reverse, value) == status


@pytest.mark.parametrize(
    ("base", "total", "eff"),
    [
        (100, 100, 100),
        (100, 0, 1),
        (100, -500, 1),
        (100, 255, 254),
        (100, 1000, 254),
        (255, 10, 255),
        (1, 1, 1),
    ],
)
def test_effective_priority_clamp_and_owner(base: int, total: int, eff: int) -> None:
    assert effective_priority(base, total) == eff


def test_instance_tracking_sums_and_faults() -> None:
    tr = InstanceTracking(
        100,
        (
            Tracker(Kind.SCRIPT, "chk", -30),
            Tracker(Kind.INTERFACE, "eth1", 20),
            Tracker(Kind.FILE, "f", 2),
            Tracker(Kind.SCRIPT, "must", 0),
        ),
    )
    assert tr.total == 100 and tr.waiting and not tr.fault
    tr.set_state(Kind.SCRIPT, "must", True)
    tr.set_state(Kind.SCRIPT, "chk", False)
    tr.set_state(Kind.INTERFACE, "eth1", True)
    tr.set_file("f", 4)
    assert not tr.waiting
    assert tr.total == 100 - 30 + 20 + 8
    assert tr.effective_priority == 98
    tr.set_state(Kind.SCRIPT, "must", False)
    assert [t.name for t in tr.fault_reasons()] == ["must"]
    tr.set_state(Kind.SCRIPT, "must", True)
    tr.set_file("f", 1000)
    assert tr.total == 100 - 30 + 20 + 253
    assert tr.effective_priority == 254
    tr.set_file("f", -127)  # -254: FAULT, no priority contribution
    assert tr.fault and tr.total == 90


def test_owner_keeps_255() -> None:
    tr = InstanceTracking(255, (Tracker(Kind.INTERFACE, "eth1", -50), Tracker(Kind.INTERFACE, "eth2", 0)))
    tr.set_state(Kind.INTERFACE, "eth1", False)
    assert tr.effective_priority == 255
    tr.set_state(Kind.INTERFACE, "eth2", False)
    assert tr.fault


def run(state: ScriptState, outcomes: str) -> list[bool | None]:
    return [state.feed(c == "1") for c in outcomes]


def test_script_first_result_decides() -> None:
    for rise, fall in itertools.product((1, 2, 5), (1, 2, 5)):
        s = ScriptState(rise, fall)
        assert s.up is None
        assert s.feed(True) is True and s.up is True
        s = ScriptState(rise, fall)
        assert s.feed(False) is False and s.up is False


@pytest.mark.parametrize(("rise", "fall"), list(itertools.product((1, 2, 3, 5), (1, 2, 3, 5))))
def test_script_rise_fall_counts(rise: int, fall: int) -> None:
    s = ScriptState(rise, fall)
    s.feed(True)
    # fall - 1 failures change nothing, the fall-th brings it down
    assert run(s, "0" * (fall - 1)) == [None] * (fall - 1)
    assert s.up is True
    assert s.feed(False) is False and s.up is False
    # rise - 1 successes change nothing, the rise-th brings it up
    assert run(s, "1" * (rise - 1)) == [None] * (rise - 1)
    assert s.feed(True) is True and s.up is True
    # a success resets the fall count
    run(s, "0" * (fall - 1))
    assert s.feed(True) is None
    assert run(s, "0" * (fall - 1)) == [None] * (fall - 1)
    assert s.feed(False) is False
    # a failure while rising resets the rise count; repeated failures report nothing
    run(s, "1" * (rise - 1))
    assert s.feed(False) is None and s.up is False
    assert run(s, "1" * (rise - 1)) == [None] * (rise - 1)
    assert s.feed(True) is True


def test_script_init_fail_needs_rise_successes() -> None:
    s = ScriptState(3, 2, init_fail=True)
    assert s.up is False
    assert s.feed(False) is None
    assert run(s, "11") == [None, None]
    assert s.feed(True) is True


def test_script_rejects_bad_counts() -> None:
    with pytest.raises(ValueError):
        ScriptState(0, 1)


def test_result_range_bounded() -> None:
    for seq in itertools.product("01", repeat=8):
        t = ScriptState(2, 3)
        run(t, "".join(seq))
        assert 0 <= t.result <= 4


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"", 0),
        (b"5\n", 5),
        (b"  -12 trailing", -12),
        (b"+7", 7),
        (b"0x1f", 31),
        (b"0X10", 16),
        (b"010", 8),
        (b"09", 0),  # octal: stops at the 9
        (b"0x", 0),  # strtol reads the 0, the x is trailing garbage
        (b"abc", 0),
        (b"-", 0),
        (b"2147483648", 2147483648),  # keepalived accepts INT32_MAX + 1
        (b"2147483649", None),
        (b"-2147483648", -2147483648),
        (b"-2147483649", None),
    ],
)
def test_parse_track_file(data: bytes, value: int | None) -> None:
    assert parse_track_file(data) == value
