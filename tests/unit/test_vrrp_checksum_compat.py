"""keepalived's old VRRPv3 unicast checksum (vrrp/checksum_compat.py) and its use by the driver."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any, cast

import pytest

from keepalived_py.runtime.vrrp_driver import AdvertPath, VrrpDriver
from keepalived_py.vrrp import packet
from keepalived_py.vrrp.checksum_compat import SWITCH_MESSAGE, ChecksumMode, UnicastChecksum
from keepalived_py.vrrp.instance import VrrpCore
from keepalived_py.vrrp.params import InstanceParams

GROUP = ipaddress.IPv4Address("224.0.0.18")
OTHER_GROUP = ipaddress.IPv4Address("224.0.0.19")
A = ipaddress.IPv4Address("192.0.2.1")
B = ipaddress.IPv4Address("192.0.2.2")
VIP = ipaddress.IPv4Address("192.0.2.100")
ADV3 = packet.Advertisement(version=3, vrid=51, priority=100, adver_int=100, addresses=(VIP,))
ADV2 = packet.Advertisement(version=2, vrid=51, priority=100, adver_int=1, addresses=(VIP,))

NEW = packet.encode(ADV3, src=A, dst=B)  # RFC 5798: the peer's address in the pseudo-header
OLD = packet.encode(ADV3, src=A, dst=GROUP)  # keepalived <= 1.3.6 unicast


def compat(
    mode: ChecksumMode, *, unicast: bool = True, group: ipaddress.IPv4Address = GROUP
) -> UnicastChecksum:
    return UnicastChecksum(mode, group, unicast=unicast)


def test_modes_from_config() -> None:
    assert ChecksumMode.from_config(None) is ChecksumMode.NONE
    assert ChecksumMode.from_config("config") is ChecksumMode.CONFIG
    assert ChecksumMode.from_config("never") is ChecksumMode.NEVER
    assert [m.old for m in ChecksumMode] == [False, False, True, True]


def test_new_checksum_accepted_without_switch() -> None:
    c = compat(ChecksumMode.NONE)
    adv, switched = c.decode(NEW, src=A, dst=B, family=packet.AF_INET)
    assert adv == ADV3 and not switched and c.mode is ChecksumMode.NONE
    assert c.pseudo_dst(A, version=3) == A


def test_old_checksum_switches_for_good() -> None:
    c = compat(ChecksumMode.NONE)
    adv, switched = c.decode(OLD, src=A, dst=B, family=packet.AF_INET)
    assert adv == ADV3 and switched and c.mode is ChecksumMode.AUTO
    # our adverts now go out the old way
    assert c.pseudo_dst(A, version=3) == GROUP
    assert packet.encode(ADV3, src=B, dst=c.pseudo_dst(A, version=3)) == packet.encode(ADV3, src=B, dst=GROUP)
    # a second old one is fine, a new-style one is refused from now on (keepalived does not switch back)
    assert c.decode(OLD, src=A, dst=B, family=packet.AF_INET) == (ADV3, False)
    with pytest.raises(packet.DecodeError) as exc:
        c.decode(NEW, src=A, dst=B, family=packet.AF_INET)
    assert exc.value.reason is packet.DecodeReason.CHECKSUM and str(exc.value) == "Invalid VRRPv3 checksum"


def test_never_and_multicast_do_not_switch() -> None:
    for c in (compat(ChecksumMode.NEVER), compat(ChecksumMode.NONE, unicast=False)):
        with pytest.raises(packet.DecodeError, match="Invalid VRRPv3 checksum"):
            c.decode(OLD, src=A, dst=B, family=packet.AF_INET)
        assert c.mode in (ChecksumMode.NEVER, ChecksumMode.NONE)


def test_packet_to_the_group_is_not_retried() -> None:
    # keepalived retries only when the packet's destination is not the multicast group
    bad = packet.encode(ADV3, src=A, dst=OTHER_GROUP)
    c = compat(ChecksumMode.NONE)
    with pytest.raises(packet.DecodeError):
        c.decode(bad, src=A, dst=GROUP, family=packet.AF_INET)
    assert c.mode is ChecksumMode.NONE


def test_configured_old_checksum() -> None:
    c = compat(ChecksumMode.CONFIG)
    assert c.pseudo_dst(B, version=3) == GROUP
    assert c.decode(OLD, src=A, dst=B, family=packet.AF_INET) == (ADV3, False)
    with pytest.raises(packet.DecodeError):
        c.decode(NEW, src=A, dst=B, family=packet.AF_INET)
    # the configured vrrp_mcast_group4 is the one used
    c2 = compat(ChecksumMode.CONFIG, group=OTHER_GROUP)
    assert c2.pseudo_dst(B, version=3) == OTHER_GROUP
    assert (
        c2.decode(packet.encode(ADV3, src=A, dst=OTHER_GROUP), src=A, dst=B, family=packet.AF_INET)[0] == ADV3
    )


def test_other_errors_and_versions_untouched() -> None:
    c = compat(ChecksumMode.NONE)
    with pytest.raises(packet.DecodeError) as exc:
        c.decode(OLD[:-1], src=A, dst=B, family=packet.AF_INET)
    assert exc.value.reason is packet.DecodeReason.LENGTH
    assert c.mode is ChecksumMode.NONE
    v2 = packet.encode(ADV2, src=A, dst=B)
    assert c.decode(v2, src=A, dst=B, family=packet.AF_INET) == (ADV2, False)
    assert compat(ChecksumMode.CONFIG).pseudo_dst(B, version=2) == B
    a6, b6 = ipaddress.IPv6Address("fe80::1"), ipaddress.IPv6Address("fe80::2")
    adv6 = packet.Advertisement(
        version=3, vrid=51, priority=100, adver_int=100, addresses=(ipaddress.IPv6Address("2001:db8::100"),)
    )
    assert compat(ChecksumMode.CONFIG).pseudo_dst(b6, version=3) == b6
    data6 = packet.encode(adv6, src=a6, dst=b6)
    assert compat(ChecksumMode.CONFIG).decode(data6, src=a6, dst=b6, family=packet.AF_INET6) == (adv6, False)


class _Sock:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, ipaddress.IPv4Address]] = []

    def send(self, data: bytes, dst: ipaddress.IPv4Address) -> int:
        self.sent.append((data, dst))
        return 1


def _driver(mode: ChecksumMode) -> tuple[VrrpDriver, _Sock]:
    from keepalived_py.adapters.vrrp_socket import VrrpSocketV4

    sock = _Sock()
    sock.__class__ = type("FakeV4", (_Sock, VrrpSocketV4), {})  # isinstance(VrrpSocketV4) for the path
    params = InstanceParams(
        name="VI_1", vrid=51, version=3, priority=100, advert_int_us=1_000_000, vips=(VIP,), unicast=True
    )
    path = AdvertPath(cast(Any, sock), B, (A,), unicast=True, checksum=compat(mode))
    driver = VrrpDriver(
        VrrpCore(params),
        loop=cast(Any, None),
        path=path,
        ifname="eth0",
        netlink=cast(Any, None),
        garp=cast(Any, None),
    )
    return driver, sock


def test_driver_switch_logs_and_sends_old(caplog: pytest.LogCaptureFixture) -> None:
    driver, sock = _driver(ChecksumMode.NONE)
    with caplog.at_level(logging.INFO):
        assert driver.decode(OLD, src=A, dst=B, family=packet.AF_INET) == ADV3
    assert f"(VI_1) {SWITCH_MESSAGE}" in caplog.messages
    driver.path.send(ADV3)
    data, dst = sock.sent[-1]
    assert dst == A
    ip = packet.parse_ipv4_packet(data)
    assert ip.dst == A
    assert ip.payload == packet.encode(ADV3, src=B, dst=GROUP)


def test_driver_logs_invalid_checksum(caplog: pytest.LogCaptureFixture) -> None:
    driver, _sock = _driver(ChecksumMode.NEVER)
    with caplog.at_level(logging.INFO), pytest.raises(packet.DecodeError):
        driver.decode(OLD, src=A, dst=B, family=packet.AF_INET)
    assert "(VI_1) Invalid VRRPv3 checksum" in caplog.messages
