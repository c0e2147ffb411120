"""Adverts captured from real keepalived 2.2.7 (tests/golden/adverts/, see its README): no root needed.

Each capture is decoded (checksums, AH ICV), compared with the fields of the configuration it was
captured with, and rebuilt byte for byte from the decoded advert; scapy reads the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path
from typing import Any

import pytest

from keepalived_py.vrrp import packet as P
from keepalived_py.vrrp.packet import Advertisement

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "adverts"
KA4, PEER4, KA6 = IPv4Address("192.0.2.1"), IPv4Address("192.0.2.2"), IPv6Address("fe80::1")


def _v4(*a: str) -> tuple[IPv4Address, ...]:
    return tuple(IPv4Address(x) for x in a)


@dataclass(frozen=True)
class Golden:
    expect: Advertisement
    dst: IPv4Address | IPv6Address = P.VRRP_MCAST_V4
    ah_key: str | None = None
    unicast: bool = False
    checksum_dst: IPv4Address | None = None  # old_unicast_checksum


_V2 = Advertisement(2, 51, 150, 1, _v4("192.0.2.100", "192.0.2.101"))
_AH = Advertisement(2, 53, 255, 1, _v4("192.0.2.103"), auth_type=2)
_V6 = Advertisement(3, 56, 255, 50, (IPv6Address("2001:db8::100"), IPv6Address("2001:db8::101")))

CASES: dict[str, Golden] = {
    "v2_mcast": Golden(_V2),
    "v2_mcast_prio0": Golden(Advertisement(2, 51, 0, 1, _V2.addresses)),
    "v2_pass": Golden(Advertisement(2, 52, 255, 1, _v4("192.0.2.102"), auth_type=1, auth_data=b"pw1234")),
    "v2_ah": Golden(_AH, ah_key="ahkey"),
    "v2_ah_prio0": Golden(Advertisement(2, 53, 0, 1, _AH.addresses, auth_type=2), ah_key="ahkey"),
    "v3_ipv4": Golden(Advertisement(3, 54, 200, 50, _v4("192.0.2.104", "192.0.2.105", "192.0.2.106"))),
    "v3_ipv4_unicast_old_checksum": Golden(
        Advertisement(3, 55, 255, 25, _v4("192.0.2.107")),
        dst=PEER4,
        unicast=True,
        checksum_dst=P.VRRP_MCAST_V4,
    ),
    "v3_ipv6": Golden(_V6, dst=P.VRRP_MCAST_V6),
    "v3_ipv6_prio0": Golden(Advertisement(3, 56, 0, 50, _V6.addresses), dst=P.VRRP_MCAST_V6),
    "v2_ipv6": Golden(Advertisement(2, 59, 255, 1, (IPv6Address("2001:db8::102"),)), dst=P.VRRP_MCAST_V6),
    "v2_unicast": Golden(Advertisement(2, 57, 255, 1, _v4("192.0.2.108")), dst=PEER4, unicast=True),
    "v2_unicast_ah": Golden(
        Advertisement(2, 58, 255, 1, _v4("192.0.2.109"), auth_type=2),
        dst=PEER4,
        unicast=True,
        ah_key="unicast8",
    ),
}


def _load(name: str) -> bytes:
    return bytes.fromhex((GOLDEN / f"{name}.hex").read_text().strip())


def test_every_golden_file_is_covered() -> None:
    assert {p.stem for p in GOLDEN.glob("*.hex")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_advert(name: str) -> None:
    case, pkt = CASES[name], _load(name)
    if isinstance(case.dst, IPv6Address):
        assert pkt[6] == P.IPPROTO_VRRP and pkt[7] == 255
        assert ((pkt[0] & 0x0F) << 4) | (pkt[1] >> 4) == 0xC0
        src, dst, payload = IPv6Address(pkt[8:24]), IPv6Address(pkt[24:40]), pkt[40:]
        assert (src, dst) == (KA6, case.dst)
        adv = P.decode(payload, src=src, dst=dst, family=P.AF_INET6)
        assert adv == case.expect
        assert P.encode(adv, src=src, dst=dst) == payload
        return
    ip = P.parse_ipv4_packet(pkt)
    assert (ip.src, ip.dst, ip.tos, ip.ttl, ip.flags_fragment) == (KA4, case.dst, 0xC0, 255, 0)
    csum_dst = case.checksum_dst or ip.dst
    if case.ah_key is None:
        assert ip.protocol == P.IPPROTO_VRRP
        adv = P.decode(ip.payload, src=ip.src, dst=csum_dst, family=P.AF_INET)
        assert adv == case.expect
        vrrp = P.encode(adv, src=ip.src, dst=csum_dst)
        assert P.build_ipv4_packet(vrrp, src=ip.src, dst=ip.dst, ident=ip.ident) == pkt
    else:
        assert ip.protocol == P.IPPROTO_AH
        ah = P.ah_unwrap(pkt, key=case.ah_key, unicast=case.unicast)
        adv = P.decode(ah.vrrp, src=ip.src, dst=csum_dst, family=P.AF_INET)
        assert adv == case.expect
        vrrp = P.encode(adv, src=ip.src, dst=csum_dst)
        again = P.ah_wrap(
            vrrp, src=ip.src, dst=ip.dst, key=case.ah_key, seq=ah.seq, ident=ip.ident, unicast=case.unicast
        )
        assert again == pkt
        with pytest.raises(P.DecodeError):
            P.ah_unwrap(pkt, key=case.ah_key, unicast=not case.unicast)
    if case.checksum_dst is not None:
        with pytest.raises(P.DecodeError):
            P.decode(ip.payload, src=ip.src, dst=ip.dst, family=P.AF_INET)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.ah_key is None))
def test_scapy_reads_the_same_fields_from_the_goldens(name: str) -> None:
    inet = pytest.importorskip("scapy.layers.inet")
    inet6 = pytest.importorskip("scapy.layers.inet6")
    vrrp_mod = pytest.importorskip("scapy.layers.vrrp")
    case, pkt = CASES[name], _load(name)
    is6 = isinstance(case.dst, IPv6Address)
    parsed: Any = (inet6.IPv6 if is6 else inet.IP)(pkt)
    if is6 and case.expect.version == 2:
        return  # scapy's VRRP (v2) layer is IPv4-only
    layer = parsed[vrrp_mod.VRRPv3 if case.expect.version == 3 else vrrp_mod.VRRP]
    exp = case.expect
    assert (layer.version, layer.vrid, layer.priority, layer.adv) == (
        exp.version,
        exp.vrid,
        exp.priority,
        exp.adver_int,
    )
    assert tuple(ip_address(a) for a in layer.addrlist) == exp.addresses
    if case.checksum_dst is None:  # scapy has no notion of keepalived's old unicast checksum
        ours = layer.chksum
        del layer.chksum
        rebuilt: Any = (inet6.IPv6 if is6 else inet.IP)(bytes(parsed))
        assert rebuilt[type(layer)].chksum == ours
