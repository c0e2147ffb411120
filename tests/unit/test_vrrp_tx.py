"""runtime/vrrp_tx.py: the remembered advert bytes equal the codec's, for every identification."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest

from keepalived_py.runtime.vrrp_tx import AdvertBytes
from keepalived_py.vrrp import packet as P

SRC = IPv4Address("192.0.2.1")
GROUP = IPv4Address("224.0.0.18")
PEER = IPv4Address("203.0.113.9")


@pytest.mark.parametrize(
    "adv",
    [
        P.Advertisement(2, 7, 150, 1, (IPv4Address("198.51.100.7"),)),
        P.Advertisement(2, 255, 0, 255, (), auth_type=1, auth_data=b"secret"),
        P.Advertisement(3, 1, 255, 4095, tuple(IPv4Address(f"198.51.100.{i}") for i in range(1, 20))),
    ],
)
@pytest.mark.parametrize(("dst", "ttl"), [(GROUP, 255), (PEER, 64), (PEER, 1)])
def test_every_identification_gives_the_codec_bytes(adv: P.Advertisement, dst: IPv4Address, ttl: int) -> None:
    cache = AdvertBytes()
    msg = cache.message(adv, src=SRC, dst=dst)
    assert msg == P.encode(adv, src=SRC, dst=dst)
    assert cache.message(adv, src=SRC, dst=dst) is msg
    for ident in range(0x10000):
        want = P.build_ipv4_packet(msg, src=SRC, dst=dst, ttl=ttl, ident=ident) if ident % 97 == 0 else None
        got = cache.ipv4(msg, src=SRC, dst=dst, ttl=ttl, ident=ident)
        if want is not None:
            assert got == want, ident
        else:
            assert P.internet_checksum(got[:20]) == 0 and got[4:6] == ident.to_bytes(2, "big")


def test_bounded_and_checked() -> None:
    cache = AdvertBytes()
    for prio in range(50):
        adv = P.Advertisement(2, 7, prio, 1, ())
        msg = cache.message(adv, src=SRC, dst=GROUP)
        assert cache.ipv4(msg, src=SRC, dst=GROUP, ttl=255, ident=prio + 1) == P.build_ipv4_packet(
            msg, src=SRC, dst=GROUP, ident=prio + 1
        )
    assert len(cache._messages) <= 8 and len(cache._headers) <= 8
    with pytest.raises(ValueError):
        cache.ipv4(msg, src=SRC, dst=GROUP, ttl=255, ident=0x10000)


def test_ipv6_message() -> None:
    src, dst = IPv6Address("fe80::1"), IPv6Address("ff02::12")
    adv = P.Advertisement(3, 9, 100, 100, (IPv6Address("2001:db8::9"),))
    assert AdvertBytes().message(adv, src=src, dst=dst) == P.encode(adv, src=src, dst=dst)
