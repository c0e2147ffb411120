"""Cross-check of our VRRP codec with scapy's VRRP and VRRPv3 layers (scapy.layers.vrrp), both ways.

scapy's VRRP (v2) layer is IPv4-only (it always has the auth words); its VRRPv3 layer computes
the checksum with the IPv4 or IPv6 pseudo-header, so v3_checksum_as_v2 has no counterpart there.
scapy chooses VRRP or VRRPv3 from the first byte only when the message has at least 9 (16) bytes,
so the v3 adverts here carry at least one address and type 1.
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepalived_py.vrrp import packet as P
from keepalived_py.vrrp.packet import Advertisement

scapy_inet = pytest.importorskip("scapy.layers.inet")
scapy_inet6 = pytest.importorskip("scapy.layers.inet6")
scapy_vrrp = pytest.importorskip("scapy.layers.vrrp")
IP: Any = scapy_inet.IP
IPv6: Any = scapy_inet6.IPv6
VRRP: Any = scapy_vrrp.VRRP
VRRPv3: Any = scapy_vrrp.VRRPv3

SCAPY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ipv4 = st.builds(IPv4Address, st.integers(0, 2**32 - 1))
ipv6 = st.builds(IPv6Address, st.integers(0, 2**128 - 1))


def _ipv6_packet(msg: bytes, src: IPv6Address, dst: IPv6Address) -> bytes:
    return struct.pack("!IHBB", 0x6C000000, len(msg), 112, 255) + src.packed + dst.packed + msg


@st.composite
def v2_adverts(draw: st.DrawFn) -> Advertisement:
    return Advertisement(
        version=2,
        vrid=draw(st.integers(1, 255)),
        priority=draw(st.integers(0, 255)),
        adver_int=draw(st.integers(1, 255)),
        addresses=tuple(draw(st.lists(ipv4, max_size=20))),
        auth_type=draw(st.integers(0, 255)),
        auth_data=draw(st.binary(max_size=8)),
        type=draw(st.integers(0, 15)),
    )


@st.composite
def v3_adverts(draw: st.DrawFn, addr: st.SearchStrategy[IPv4Address | IPv6Address]) -> Advertisement:
    return Advertisement(
        version=3,
        vrid=draw(st.integers(1, 255)),
        priority=draw(st.integers(0, 255)),
        adver_int=draw(st.integers(1, 4095)),
        addresses=tuple(draw(st.lists(addr, min_size=1, max_size=20))),
    )


def _same_fields(layer: Any, adv: Advertisement) -> None:
    assert (layer.version, layer.type, layer.vrid, layer.priority, layer.ipcount, layer.adv) == (
        adv.version,
        adv.type,
        adv.vrid,
        adv.priority,
        len(adv.addresses),
        adv.adver_int,
    )
    assert tuple(ip_address(a) for a in layer.addrlist) == adv.addresses


# --- our encode -> scapy --------------------------------------------------------------------


@SCAPY
@given(v2_adverts(), ipv4, ipv4, st.integers(1, 0xFFFF))
def test_scapy_dissects_our_v2(adv: Advertisement, src: IPv4Address, dst: IPv4Address, ident: int) -> None:
    msg = P.encode(adv, src=src, dst=dst)
    pkt = IP(P.build_ipv4_packet(msg, src=src, dst=dst, ident=ident))
    assert (
        ip_address(pkt.src),
        ip_address(pkt.dst),
        pkt.ttl,
        pkt.tos,
        pkt.proto,
        pkt.id,
        pkt.flags.value,
        pkt.frag,
    ) == (
        src,
        dst,
        255,
        0xC0,
        112,
        ident,
        0,
        0,
    )
    layer = pkt[VRRP]
    _same_fields(layer, adv)
    assert layer.authtype == adv.auth_type
    assert struct.pack("!II", layer.auth1, layer.auth2) == (adv.auth_data or bytes(8))
    # scapy's own checksums (IP header and VRRP) agree with ours
    ours_ip, ours_vrrp = pkt.chksum, layer.chksum
    del pkt.chksum, layer.chksum
    rebuilt = IP(bytes(pkt))
    assert (rebuilt.chksum, rebuilt[VRRP].chksum) == (ours_ip, ours_vrrp)


@SCAPY
@given(v3_adverts(ipv4), ipv4, ipv4)
def test_scapy_dissects_our_v3_ipv4(adv: Advertisement, src: IPv4Address, dst: IPv4Address) -> None:
    msg = P.encode(adv, src=src, dst=dst)
    pkt = IP(P.build_ipv4_packet(msg, src=src, dst=dst, ident=1))
    layer = pkt[VRRPv3]
    _same_fields(layer, adv)
    assert layer.res == 0
    ours = layer.chksum
    del layer.chksum
    assert IP(bytes(pkt))[VRRPv3].chksum == ours


@SCAPY
@given(v3_adverts(ipv6), ipv6, ipv6)
def test_scapy_dissects_our_v3_ipv6(adv: Advertisement, src: IPv6Address, dst: IPv6Address) -> None:
    msg = P.encode(adv, src=src, dst=dst)
    pkt = IPv6(_ipv6_packet(msg, src, dst))
    layer = pkt[VRRPv3]
    _same_fields(layer, adv)
    ours = layer.chksum
    del layer.chksum
    assert IPv6(bytes(pkt))[VRRPv3].chksum == ours


# --- scapy builds -> our decode ---------------------------------------------------------------


@SCAPY
@given(v2_adverts(), ipv4, ipv4, st.integers(1, 0xFFFF))
def test_we_decode_scapys_v2(adv: Advertisement, src: IPv4Address, dst: IPv4Address, ident: int) -> None:
    auth1, auth2 = struct.unpack("!II", adv.auth_data or bytes(8))
    built = bytes(
        IP(src=str(src), dst=str(dst), ttl=255, tos=0xC0, id=ident)
        / VRRP(
            type=adv.type,
            vrid=adv.vrid,
            priority=adv.priority,
            authtype=adv.auth_type,
            adv=adv.adver_int,
            addrlist=[str(a) for a in adv.addresses],
            auth1=auth1,
            auth2=auth2,
        )
    )
    ip = P.parse_ipv4_packet(built)
    assert (ip.src, ip.dst, ip.protocol, ip.ident) == (src, dst, 112, ident)
    assert P.decode(ip.payload, src=src, dst=dst, family=P.AF_INET) == adv
    # and the whole datagram is what we would have built
    assert P.build_ipv4_packet(P.encode(adv, src=src, dst=dst), src=src, dst=dst, ident=ident) == built


@SCAPY
@given(v3_adverts(ipv4), ipv4, ipv4)
def test_we_decode_scapys_v3_ipv4(adv: Advertisement, src: IPv4Address, dst: IPv4Address) -> None:
    built = bytes(
        IP(src=str(src), dst=str(dst), ttl=255, tos=0xC0, id=7)
        / VRRPv3(
            vrid=adv.vrid, priority=adv.priority, adv=adv.adver_int, addrlist=[str(a) for a in adv.addresses]
        )
    )
    ip = P.parse_ipv4_packet(built)
    assert P.decode(ip.payload, src=src, dst=dst, family=P.AF_INET) == adv
    assert P.encode(adv, src=src, dst=dst) == ip.payload


@SCAPY
@given(v3_adverts(ipv6), ipv6, ipv6)
def test_we_decode_scapys_v3_ipv6(adv: Advertisement, src: IPv6Address, dst: IPv6Address) -> None:
    built = bytes(
        IPv6(src=str(src), dst=str(dst), hlim=255)
        / VRRPv3(
            vrid=adv.vrid, priority=adv.priority, adv=adv.adver_int, addrlist=[str(a) for a in adv.addresses]
        )
    )
    payload = built[40:]
    assert P.decode(payload, src=src, dst=dst, family=P.AF_INET6) == adv
    assert P.encode(adv, src=src, dst=dst) == payload


def test_scapy_v3_reserved_bits_and_bad_checksum() -> None:
    src, dst = IPv4Address("192.0.2.1"), P.VRRP_MCAST_V4
    built = bytes(IP(src=str(src), dst=str(dst)) / VRRPv3(vrid=5, res=0xF, adv=100, addrlist=["192.0.2.100"]))
    assert P.decode(built[20:], src=src, dst=dst, family=P.AF_INET).adver_int == 100
    bad = bytes(
        IP(src=str(src), dst=str(dst)) / VRRPv3(vrid=5, adv=100, addrlist=["192.0.2.100"], chksum=0x1234)
    )
    with pytest.raises(P.DecodeError):
        P.decode(bad[20:], src=src, dst=dst, family=P.AF_INET)
