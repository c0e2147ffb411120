"""Property tests for the VRRP codec: round trips, and garbage only ever raises DecodeError."""

from __future__ import annotations

import contextlib
from ipaddress import IPv4Address, IPv6Address

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from keepalived_py.vrrp import packet as P
from keepalived_py.vrrp.packet import Advertisement, DecodeError

PROPS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ipv4 = st.builds(IPv4Address, st.integers(0, 2**32 - 1))
ipv6 = st.builds(IPv6Address, st.integers(0, 2**128 - 1))
AnyAddr = IPv4Address | IPv6Address


def _addr(family: int) -> st.SearchStrategy[AnyAddr]:
    return ipv4 if family == P.AF_INET else ipv6


@st.composite
def adverts(draw: st.DrawFn, family: int | None = None, max_addresses: int = 40) -> tuple[Advertisement, int]:
    """An advert and its family (AF_INET / AF_INET6)."""
    fam = family if family is not None else draw(st.sampled_from([P.AF_INET, P.AF_INET6]))
    version = draw(st.sampled_from([2, 3]))
    addresses = tuple(draw(st.lists(_addr(fam), max_size=max_addresses)))
    auth_type, auth_data = 0, b""
    if version == 2 and fam == P.AF_INET:
        auth_type = draw(st.integers(0, 255))
        auth_data = draw(st.binary(max_size=8))
    adv = Advertisement(
        version=version,
        vrid=draw(st.integers(1, 255)),
        priority=draw(st.integers(0, 255)),
        adver_int=draw(st.integers(1, 255 if version == 2 else 4095)),
        addresses=addresses,
        auth_type=auth_type,
        auth_data=auth_data,
        type=draw(st.integers(0, 15)),
    )
    return adv, fam


@st.composite
def endpoints(draw: st.DrawFn, family: int) -> tuple[IPv4Address | IPv6Address, IPv4Address | IPv6Address]:
    return draw(_addr(family)), draw(_addr(family))


@st.composite
def sent(
    draw: st.DrawFn,
) -> tuple[Advertisement, int, IPv4Address | IPv6Address, IPv4Address | IPv6Address, bool]:
    adv, fam = draw(adverts())
    src, dst = draw(endpoints(fam))
    return adv, fam, src, dst, draw(st.booleans())


@PROPS
@given(sent())
def test_decode_encode_round_trip(case: tuple[Advertisement, int, object, object, bool]) -> None:
    adv, fam, src, dst, as_v2 = case
    msg = P.encode(adv, src=src, dst=dst, v3_checksum_as_v2=as_v2)  # type: ignore[arg-type]
    assert P.decode(msg, src=src, dst=dst, family=fam, v3_checksum_as_v2=as_v2) == adv  # type: ignore[arg-type]
    # and the bytes are fixed by the advert: decode then encode gives them back
    again = P.decode(msg, src=src, dst=dst, family=fam, v3_checksum_as_v2=as_v2)  # type: ignore[arg-type]
    assert P.encode(again, src=src, dst=dst, v3_checksum_as_v2=as_v2) == msg  # type: ignore[arg-type]


@PROPS
@given(sent(), st.data())
def test_any_single_bit_flip_is_detected(
    case: tuple[Advertisement, int, object, object, bool], data: st.DataObject
) -> None:
    adv, fam, src, dst, as_v2 = case
    msg = bytearray(P.encode(adv, src=src, dst=dst, v3_checksum_as_v2=as_v2))  # type: ignore[arg-type]
    bit = data.draw(st.integers(0, len(msg) * 8 - 1))
    msg[bit // 8] ^= 1 << (bit % 8)
    try:
        P.decode(bytes(msg), src=src, dst=dst, family=fam, v3_checksum_as_v2=as_v2)  # type: ignore[arg-type]
    except DecodeError:
        return
    raise AssertionError(f"bit {bit} flipped and still accepted")


def _decode_or_decode_error(data: bytes, fam: int, src: object, dst: object, as_v2: bool) -> None:
    try:
        adv = P.decode(data, src=src, dst=dst, family=fam, v3_checksum_as_v2=as_v2)  # type: ignore[arg-type]
    except DecodeError as err:
        event(f"refused: {err.reason}")
        return
    event("accepted")
    # Whatever is accepted re-encodes to the same bytes, up to v3's ignored reserved bits.
    out = P.encode(adv, src=src, dst=dst, v3_checksum_as_v2=as_v2)  # type: ignore[arg-type]
    if adv.version == 3:
        assert out[:4] == data[:4] and out[8:] == data[8:]
    else:
        assert out == data


@MANY
@given(st.binary(max_size=300), st.sampled_from([P.AF_INET, P.AF_INET6]), st.booleans(), st.data())
def test_random_bytes_raise_only_decode_error(
    data: bytes, fam: int, as_v2: bool, draw: st.DataObject
) -> None:
    src, dst = draw.draw(endpoints(fam))
    _decode_or_decode_error(data, fam, src, dst, as_v2)


@MANY
@given(
    st.sampled_from([0x21, 0x31, 0x11, 0x41, 0x20, 0x3F]),
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(0, 12),
    st.binary(min_size=2, max_size=2),
    st.binary(min_size=220, max_size=220),
    st.sampled_from([0, 0, 0, 0, 0, -1, 1, -8, 8]),
    st.sampled_from([P.AF_INET, P.AF_INET6]),
    st.booleans(),
    st.data(),
)
def test_plausible_headers_with_random_rest_raise_only_decode_error(
    first: int,
    vrid: int,
    prio: int,
    count: int,
    word: bytes,
    rest: bytes,
    skew: int,
    fam: int,
    as_v2: bool,
    d: st.DataObject,
) -> None:
    """Random bodies behind a real-looking header, checksum fixed up so later checks are reached."""
    src, dst = d.draw(endpoints(fam))
    size = 4 if fam == P.AF_INET else 16
    body = rest[: max(0, count * size + (8 if fam == P.AF_INET and first >> 4 == 2 else 0) + skew)]
    msg = bytearray(bytes([first, vrid, prio, count]) + word + b"\0\0" + body)
    # Make the checksum right as the codec would compute it, whatever the rest says.
    good = P._vrrp_checksum(bytes(msg), src, dst, first >> 4, as_v2)
    msg[6:8] = good.to_bytes(2, "big")
    _decode_or_decode_error(bytes(msg), fam, src, dst, as_v2)


@MANY
@given(st.binary(max_size=200))
def test_parse_ipv4_random_bytes_raise_only_decode_error(data: bytes) -> None:
    try:
        ip = P.parse_ipv4_packet(data)
    except DecodeError:
        return
    assert ip.header_length + len(ip.payload) == ip.total_length <= len(data)


@MANY
@given(st.binary(max_size=120), st.binary(max_size=8), st.booleans())
def test_ah_unwrap_random_bytes_raise_only_decode_error(data: bytes, key: bytes, unicast: bool) -> None:
    with contextlib.suppress(DecodeError):
        P.ah_unwrap(data, key=key, unicast=unicast)


@PROPS
@given(
    st.binary(max_size=100),
    ipv4,
    ipv4,
    st.integers(0, 255),
    st.integers(0, 0xFFFF),
    st.integers(0, 255),
    st.integers(0, 255),
)
def test_ipv4_header_round_trip(
    payload: bytes, src: IPv4Address, dst: IPv4Address, ttl: int, ident: int, proto: int, tos: int
) -> None:
    pkt = P.build_ipv4_packet(payload, src=src, dst=dst, ttl=ttl, ident=ident, protocol=proto, tos=tos)
    ip = P.parse_ipv4_packet(pkt)
    assert (
        ip.src,
        ip.dst,
        ip.ttl,
        ip.ident,
        ip.protocol,
        ip.tos,
        ip.payload,
        ip.flags_fragment,
        ip.options,
    ) == (
        src,
        dst,
        ttl,
        ident,
        proto,
        tos,
        payload,
        0,
        b"",
    )


@st.composite
def ah_sent(draw: st.DrawFn) -> tuple[bytes, IPv4Address, IPv4Address, bytes, int, int, int, bool]:
    adv, _ = draw(adverts(family=P.AF_INET))
    src, dst = draw(ipv4), draw(ipv4)
    vrrp = P.encode(adv, src=src, dst=dst)
    return (
        vrrp,
        src,
        dst,
        draw(st.binary(max_size=8)),
        draw(st.integers(0, 2**32 - 1)),
        draw(st.integers(0, 0xFFFF)),
        draw(st.integers(0, 255)),
        draw(st.booleans()),
    )


@PROPS
@given(ah_sent(), st.data())
def test_ah_round_trip_and_every_bit_flip_is_refused(
    case: tuple[bytes, IPv4Address, IPv4Address, bytes, int, int, int, bool], data: st.DataObject
) -> None:
    vrrp, src, dst, key, seq, ident, ttl, unicast = case
    pkt = P.ah_wrap(vrrp, src=src, dst=dst, key=key, seq=seq, ident=ident, ttl=ttl, unicast=unicast)
    ah = P.ah_unwrap(pkt, key=key, unicast=unicast)
    assert (ah.vrrp, ah.seq, ah.spi, ah.ip.src, ah.ip.dst, ah.ip.ident, ah.ip.ttl) == (
        vrrp,
        seq,
        int(src),
        src,
        dst,
        ident,
        ttl,
    )
    bit = data.draw(st.integers(0, len(pkt) * 8 - 1))
    bad = bytearray(pkt)
    bad[bit // 8] ^= 1 << (bit % 8)
    try:
        P.ah_unwrap(bytes(bad), key=key, unicast=unicast)
    except DecodeError:
        return
    raise AssertionError(f"bit {bit} flipped and the AH packet still accepted")


@PROPS
@given(ah_sent(), st.binary(min_size=1, max_size=8))
def test_ah_wrong_key_is_refused(
    case: tuple[bytes, IPv4Address, IPv4Address, bytes, int, int, int, bool], other: bytes
) -> None:
    vrrp, src, dst, key, seq, ident, ttl, unicast = case
    assume(P.pad_password(other) != P.pad_password(key))
    pkt = P.ah_wrap(vrrp, src=src, dst=dst, key=key, seq=seq, ident=ident, ttl=ttl, unicast=unicast)
    try:
        P.ah_unwrap(pkt, key=other, unicast=unicast)
    except DecodeError as err:
        assert err.reason is P.DecodeReason.AUTH_FAILURE
        return
    raise AssertionError("accepted with another key")
