"""keepalived's length verdicts on received VRRP packets (runtime/rx_length.py)."""

from __future__ import annotations

import socket

from hypothesis import given
from hypothesis import strategies as st

from keepalived_py.runtime.rx_length import expected_length, length_mismatch, too_short

V2_ONE_VIP = bytes([0x21, 51, 100, 1, 1, 1, 0, 0]) + bytes(4) + b"secret\0\0"
V3_ONE_VIP6 = bytes([0x31, 51, 100, 1, 0, 100, 0, 0]) + bytes(16)


def test_dispatcher_wants_a_whole_header() -> None:
    assert too_short(socket.AF_INET, 26, 6) == "IPv4 VRRP packet too short - 26 bytes"
    assert too_short(socket.AF_INET, 50, 7, ah=True) == "IPv4 VRRP packet with AH too short - 50 bytes"
    assert too_short(socket.AF_INET6, 7, 7) == "IPv6 VRRP packet too short - 7 bytes"
    assert too_short(socket.AF_INET, 28, 8) is None


def test_expected_lengths() -> None:
    assert expected_length(socket.AF_INET, 20, V2_ONE_VIP) == 40
    assert expected_length(socket.AF_INET, 20 + 24, V2_ONE_VIP) == 64
    assert expected_length(socket.AF_INET, 24, bytes([0x31, 51, 100, 2, 0, 100, 0, 0])) == 24 + 8 + 8
    assert expected_length(socket.AF_INET6, 0, V3_ONE_VIP6) == 24


def test_mismatch_lines() -> None:
    assert length_mismatch("VI_1", socket.AF_INET, 40, 20, V2_ONE_VIP) is None
    assert length_mismatch("VI_1", socket.AF_INET, 32, 20, V2_ONE_VIP[:12]) == (
        "(VI_1) vrrp packet too short, length 32 and expect 40"
    )
    assert length_mismatch("VI_1", socket.AF_INET6, 40, 0, V3_ONE_VIP6 + bytes(16)) == (
        "(VI_1) vrrp packet too long, length 40 and expect 24"
    )


@given(st.binary(max_size=64), st.integers(0, 80), st.sampled_from([socket.AF_INET, socket.AF_INET6]))
def test_never_raises(vrrp: bytes, header_len: int, family: int) -> None:
    packet_len = header_len + len(vrrp)
    too_short(family, packet_len, len(vrrp))
    line = length_mismatch("VI_1", family, packet_len, header_len, vrrp)
    assert line is None or line.startswith("(VI_1) vrrp packet too ")


def test_ah_prechecks_in_keepalived_order() -> None:
    from keepalived_py.runtime.rx_length import ah_precheck

    ah_vrrp = bytes([0x21, 51, 100, 1, 2, 1, 0, 0]) + bytes(12)
    kw = {"packet_len": 20 + 24 + 20, "ip_header_len": 20, "ttl": 255, "unicast": False, "version": 2}
    assert ah_precheck("VI_1", vrrp=ah_vrrp, **kw) is None  # type: ignore[arg-type]
    pass_vrrp = ah_vrrp[:4] + b"\x01" + ah_vrrp[5:]
    assert ah_precheck("VI_1", vrrp=pass_vrrp, **kw) == (  # type: ignore[arg-type]
        "authtype_mismatch",
        "(VI_1) received a 1 auth, expecting 2!",
    )
    assert ah_precheck("VI_1", vrrp=pass_vrrp, **{**kw, "ttl": 64})[0] == "ip_ttl_err"  # type: ignore[arg-type,index]
    assert ah_precheck("VI_1", vrrp=ah_vrrp[:4] + b"\x07" + ah_vrrp[5:], **kw)[0] == "invalid_authtype"  # type: ignore[arg-type,index]
    assert ah_precheck("VI_1", vrrp=ah_vrrp, **{**kw, "packet_len": 70})[0] == "packet_len_err"  # type: ignore[arg-type,index]
