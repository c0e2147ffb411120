"""VRRP timer arithmetic, in integer microseconds as keepalived 2.2.7 computes it.

RFC 3768 (v2): Skew_Time = (256 - Priority) / 256 seconds.
RFC 5798 (v3): Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256, the interval in
centiseconds.  keepalived truncates both to whole microseconds (the v3 form is computed as
``pri * centiseconds * 625 / 16``), and Master_Down_Interval = down_timer_adverts *
Master_Adver_Interval + Skew_Time (down_timer_adverts is 3 in the RFCs, configurable here).
"""

from __future__ import annotations

from keepalived_py.vrrp.params import TIMER_CENTI_HZ, TIMER_HZ


def skew_us(version: int, priority_term: int, master_adver_int_us: int) -> int:
    """Skew for a priority term (256 - priority, or 1 for the minimal skew)."""
    if version == 3:
        return (priority_term * (master_adver_int_us // TIMER_CENTI_HZ) * 625) // 16
    return (priority_term * TIMER_HZ) // 256


def skew_time_us(version: int, priority: int, master_adver_int_us: int) -> int:
    return skew_us(version, 256 - priority, master_adver_int_us)


def skew_min_us(version: int, master_adver_int_us: int) -> int:
    return skew_us(version, 1, master_adver_int_us)


def master_down_us(version: int, priority: int, master_adver_int_us: int, down_timer_adverts: int = 3) -> int:
    return down_timer_adverts * master_adver_int_us + skew_time_us(version, priority, master_adver_int_us)


def to_us(seconds: float) -> int:
    """A monotonic time in seconds as integer microseconds (the cores' internal clock)."""
    return round(seconds * TIMER_HZ)


def to_seconds(us: int) -> float:
    return us / TIMER_HZ
