"""runtime/vrrp_rx.py: the receive fast path gives exactly what the codec gives, faster.

``split_ipv4`` against ``packet.parse_ipv4_packet`` and ``AdvertMemo.decode`` against
``packet.decode``, on real adverts and on garbage (same results, same DecodeError reasons).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepalived_py.runtime.vrrp_rx import AdvertMemo, Splitter, VridIndex
from keepalived_py.vrrp import packet as P

PROPS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SRC = IPv4Address("192.0.2.1")
GROUP = IPv4Address("224.0.0.18")
VIP = IPv4Address("198.51.100.7")


def _datagram(**kw: object) -> bytes:
    adv = P.Advertisement(version=2, vrid=7, priority=150, adver_int=1, addresses=(VIP,))
    msg = P.encode(adv, src=SRC, dst=GROUP)
    return P.build_ipv4_packet(msg, src=SRC, dst=GROUP, ident=5, **kw)  # type: ignore[arg-type]


def _outcome(fn: object, data: bytes) -> object:
    try:
        return fn(data)  # type: ignore[operator]
    except P.DecodeError as exc:
        return ("DecodeError", exc.reason, str(exc))


def test_split_equals_parse_on_an_advert() -> None:
    data = _datagram()
    split = Splitter().split_ipv4(data)
    assert split == P.parse_ipv4_packet(data)
    assert split.src == SRC and split.dst == GROUP and split.ttl == 255


@PROPS
@given(st.binary(max_size=80), st.integers(0, 60), st.binary(min_size=1, max_size=2))
def test_split_equals_parse_on_garbage_and_mutations(junk: bytes, pos: int, patch: bytes) -> None:
    splitter = Splitter()
    base = _datagram()
    mutated = base[:pos] + patch + base[pos + len(patch) :]
    for data in (junk, mutated, base + junk, base[: pos % len(base)]):
        assert _outcome(splitter.split_ipv4, data) == _outcome(P.parse_ipv4_packet, data)


def test_split_reuses_address_objects_and_bounds_its_cache() -> None:
    splitter = Splitter()
    a, b = splitter.split_ipv4(_datagram()), splitter.split_ipv4(_datagram())
    assert a.src is b.src and a.dst is b.dst
    for i in range(5000):
        src = IPv4Address(0xC0000200 + (i % 256)) if i < 256 else IPv4Address(0xC6336400 + i)
        msg = P.encode(P.Advertisement(2, 7, 100, 1, ()), src=src, dst=GROUP)
        assert splitter.split_ipv4(P.build_ipv4_packet(msg, src=src, dst=GROUP, ident=1)).src == src
    assert len(splitter._addresses._known) <= 4096


def test_memo_returns_the_codec_result_and_raises_every_time() -> None:
    memo = AdvertMemo(limit=3)
    ip = P.parse_ipv4_packet(_datagram())
    adv = memo.decode(ip.payload, src=ip.src, dst=ip.dst, family=P.AF_INET)
    assert adv == P.decode(ip.payload, src=ip.src, dst=ip.dst, family=P.AF_INET)
    assert memo.decode(ip.payload, src=ip.src, dst=ip.dst, family=P.AF_INET) is adv
    # another destination is another pseudo-header / key: decoded, not taken from the memo
    other = IPv4Address("192.0.2.2")
    assert memo.decode(ip.payload, src=ip.src, dst=other, family=P.AF_INET) == adv
    bad = ip.payload[:6] + b"\0\0" + ip.payload[8:]
    for _ in range(2):
        with pytest.raises(P.DecodeError) as exc:
            memo.decode(bad, src=ip.src, dst=ip.dst, family=P.AF_INET)
        assert exc.value.reason is P.DecodeReason.CHECKSUM
    # bounded
    for prio in range(1, 10):
        msg = P.encode(P.Advertisement(2, 7, prio, 1, (VIP,)), src=SRC, dst=GROUP)
        memo.decode(msg, src=SRC, dst=GROUP, family=P.AF_INET)
    assert len(memo._known) <= 3


def test_memo_keys_on_the_checksum_mode() -> None:
    """A v3 advert checked over the group (old unicast checksum) is not the same as one over the peer."""
    peer = IPv4Address("192.0.2.2")
    msg = P.encode(P.Advertisement(3, 7, 100, 100, (VIP,)), src=SRC, dst=GROUP)
    memo = AdvertMemo()
    assert memo.decode(msg, src=SRC, dst=GROUP, family=P.AF_INET).vrid == 7
    with pytest.raises(P.DecodeError):
        memo.decode(msg, src=SRC, dst=peer, family=P.AF_INET)
    as_v2 = P.encode(P.Advertisement(3, 7, 100, 100, (VIP,)), src=SRC, dst=GROUP, v3_checksum_as_v2=True)
    assert memo.decode(as_v2, src=SRC, dst=GROUP, family=P.AF_INET, v3_checksum_as_v2=True).vrid == 7
    with pytest.raises(P.DecodeError):
        memo.decode(as_v2, src=SRC, dst=GROUP, family=P.AF_INET)


def test_memo_ipv6() -> None:
    src, dst = IPv6Address("fe80::1"), IPv6Address("ff02::12")
    msg = P.encode(P.Advertisement(3, 9, 100, 100, (IPv6Address("2001:db8::9"),)), src=src, dst=dst)
    memo = AdvertMemo()
    first = memo.decode(msg, src=src, dst=dst, family=P.AF_INET6)
    assert first == P.decode(msg, src=src, dst=dst, family=P.AF_INET6)
    assert memo.decode(msg, src=src, dst=dst, family=P.AF_INET6) is first


@dataclass
class _Params:
    vrid: int


@dataclass
class _Core:
    params: _Params


@dataclass
class _Driver:
    core: _Core
    name: str = field(default="")


def test_vrid_index_follows_the_list() -> None:
    index: VridIndex[_Driver] = VridIndex()
    drivers = [_Driver(_Core(_Params(v)), f"d{v}") for v in (1, 2, 2)]
    assert [d.name for d in index.get(drivers, 2)] == ["d2", "d2"]
    assert index.get(drivers, 3) == []
    drivers.append(_Driver(_Core(_Params(3)), "d3"))
    assert [d.name for d in index.get(drivers, 3)] == ["d3"]
