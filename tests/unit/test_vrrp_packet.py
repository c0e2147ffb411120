"""Examples for the VRRP codec (keepalived_py/vrrp/packet.py): fields, checksums, auth, errors."""

from __future__ import annotations

import hashlib
import hmac
import struct
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from keepalived_py.vrrp import packet as P
from keepalived_py.vrrp.packet import Advertisement, DecodeError, DecodeReason

SRC4, PEER4 = IPv4Address("192.0.2.1"), IPv4Address("192.0.2.2")
SRC6 = IPv6Address("fe80::1")
VIP4 = (IPv4Address("192.0.2.100"), IPv4Address("192.0.2.101"))
VIP6 = (IPv6Address("2001:db8::100"),)


def _dec4(data: bytes, dst: IPv4Address = P.VRRP_MCAST_V4, **kw: bool) -> Advertisement:
    return P.decode(data, src=SRC4, dst=dst, family=P.AF_INET, **kw)


# --- the Advertisement value ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"priority": 300},
        {"priority": -1},
        {"vrid": 0},
        {"vrid": 256},
        {"version": 1},
        {"version": 4},
        {"adver_int": 0},
        {"adver_int": 256},  # v2: seconds in one byte
        {"type": 16},
        {"auth_data": b"123456789"},
        {"auth_type": 256},
        {"addresses": (IPv4Address("192.0.2.1"), IPv6Address("2001:db8::1"))},
        {"addresses": tuple(IPv4Address(f"192.0.2.{i % 250}") for i in range(256))},
        {"addresses": (IPv6Address("2001:db8::1"),), "auth_type": 1},
    ],
)
def test_invalid_advertisements_cannot_be_built(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {"version": 2, "vrid": 1, "priority": 100, "adver_int": 1}
    with pytest.raises(ValueError):
        Advertisement(**{**base, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"priority": "100"}, {"priority": True}, {"addresses": [VIP4[0]]}, {"addresses": ("192.0.2.1",)}],
)
def test_wrong_types_are_type_errors(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {"version": 2, "vrid": 1, "priority": 100, "adver_int": 1}
    with pytest.raises(TypeError):
        Advertisement(**{**base, **kwargs})  # type: ignore[arg-type]


def test_v3_ranges_and_no_auth() -> None:
    assert Advertisement(3, 255, 0, 4095).adver_int == 4095
    with pytest.raises(ValueError):
        Advertisement(3, 1, 100, 4096)
    with pytest.raises(ValueError):
        Advertisement(3, 1, 100, 100, auth_type=1)
    with pytest.raises(ValueError):
        Advertisement(3, 1, 100, 100, auth_data=b"x")


def test_auth_data_is_normalised_to_the_8_byte_field() -> None:
    assert Advertisement(2, 1, 100, 1, auth_type=1, auth_data=b"pw").auth_data == b"pw\0\0\0\0\0\0"
    assert Advertisement(2, 1, 100, 1, auth_data=bytes(8)).auth_data == b""
    assert Advertisement(2, 1, 100, 1, auth_data=b"pw") == Advertisement(2, 1, 100, 1, auth_data=b"pw\0")
    assert P.pad_password("longer than eight") == b"longer t"
    assert P.pad_password(b"ab") == b"ab" + bytes(6)


def test_family() -> None:
    assert Advertisement(2, 1, 100, 1).family is None
    assert Advertisement(2, 1, 100, 1, VIP4).family == P.AF_INET
    assert Advertisement(3, 1, 100, 1, VIP6).family == P.AF_INET6


# --- wire layout and checksums --------------------------------------------------------------


def test_v2_ipv4_layout_by_hand() -> None:
    adv = Advertisement(2, 51, 150, 1, VIP4, auth_type=1, auth_data=b"secret")
    msg = P.encode(adv, src=SRC4, dst=P.VRRP_MCAST_V4)
    assert msg[:6] == bytes([0x21, 51, 150, 2, 1, 1])
    assert msg[8:16] == VIP4[0].packed + VIP4[1].packed
    assert msg[16:] == b"secret\0\0"
    assert P.internet_checksum(msg) == 0  # v2: over the message alone
    # ... so the destination does not matter to a v2 checksum
    assert P.encode(adv, src=SRC4, dst=PEER4) == msg
    assert _dec4(msg) == adv


def test_v2_without_auth_sends_8_zero_bytes() -> None:
    msg = P.encode(Advertisement(2, 1, 100, 3, VIP4[:1]), src=SRC4, dst=P.VRRP_MCAST_V4)
    assert len(msg) == 8 + 4 + 8 and msg[-8:] == bytes(8)
    assert msg[4:6] == b"\x00\x03"


def test_v2_ah_advert_has_auth_type_2_and_zero_field() -> None:
    msg = P.encode(Advertisement(2, 1, 100, 1, VIP4, auth_type=2), src=SRC4, dst=P.VRRP_MCAST_V4)
    assert msg[4] == 2 and msg[-8:] == bytes(8)


def _pseudo4(src: IPv4Address, dst: IPv4Address, length: int) -> bytes:
    return src.packed + dst.packed + struct.pack("!BBH", 0, 112, length)


def test_v3_ipv4_checksum_uses_the_pseudo_header() -> None:
    adv = Advertisement(3, 7, 200, 100, VIP4)
    msg = P.encode(adv, src=SRC4, dst=P.VRRP_MCAST_V4)
    assert msg[4:6] == b"\x00\x64"
    assert len(msg) == 8 + 8
    assert P.internet_checksum(_pseudo4(SRC4, P.VRRP_MCAST_V4, len(msg)) + msg) == 0
    assert P.internet_checksum(msg) != 0
    # unicast: the peer is in the pseudo-header, so the checksum differs per destination
    assert P.encode(adv, src=SRC4, dst=PEER4) != msg
    assert _dec4(msg) == adv
    with pytest.raises(DecodeError) as err:
        _dec4(msg, dst=PEER4)
    assert err.value.reason is DecodeReason.CHECKSUM


def test_v3_checksum_as_v2() -> None:
    adv = Advertisement(3, 7, 200, 100, VIP4)
    msg = P.encode(adv, src=SRC4, dst=P.VRRP_MCAST_V4, v3_checksum_as_v2=True)
    assert P.internet_checksum(msg) == 0
    assert P.encode(adv, src=SRC4, dst=PEER4, v3_checksum_as_v2=True) == msg
    assert _dec4(msg, v3_checksum_as_v2=True) == adv
    with pytest.raises(DecodeError):
        _dec4(msg)
    std = P.encode(adv, src=SRC4, dst=P.VRRP_MCAST_V4)
    with pytest.raises(DecodeError):
        _dec4(std, v3_checksum_as_v2=True)


def test_ipv6_checksum_uses_the_ipv6_pseudo_header_for_both_versions() -> None:
    for adv in (Advertisement(3, 9, 100, 100, VIP6), Advertisement(2, 9, 100, 1, VIP6)):
        msg = P.encode(adv, src=SRC6, dst=P.VRRP_MCAST_V6)
        assert len(msg) == 8 + 16  # no auth field, also for v2
        pseudo = SRC6.packed + P.VRRP_MCAST_V6.packed + struct.pack("!I3xB", len(msg), 112)
        assert P.internet_checksum(pseudo + msg) == 0
        assert P.decode(msg, src=SRC6, dst=P.VRRP_MCAST_V6, family=P.AF_INET6) == adv


def test_v3_reserved_bits_are_ignored_on_reception() -> None:
    adv = Advertisement(3, 7, 200, 100, VIP4)
    msg = bytearray(P.encode(adv, src=SRC4, dst=P.VRRP_MCAST_V4, v3_checksum_as_v2=True))
    msg[4] |= 0xF0
    msg[6:8] = b"\0\0"
    msg[6:8] = struct.pack("!H", P.internet_checksum(bytes(msg)))
    assert _dec4(bytes(msg), v3_checksum_as_v2=True) == adv


def test_other_types_and_auth_types_are_kept_for_the_instance_to_count() -> None:
    adv = Advertisement(2, 1, 100, 1, VIP4, auth_type=9, type=3)
    assert _dec4(P.encode(adv, src=SRC4, dst=P.VRRP_MCAST_V4)) == adv


def test_empty_address_list() -> None:
    for adv, src, dst, fam in (
        (Advertisement(2, 1, 100, 1), SRC4, P.VRRP_MCAST_V4, P.AF_INET),
        (Advertisement(3, 1, 100, 1), SRC4, P.VRRP_MCAST_V4, P.AF_INET),
        (Advertisement(3, 1, 100, 1), SRC6, P.VRRP_MCAST_V6, P.AF_INET6),
    ):
        msg = P.encode(adv, src=src, dst=dst)
        assert P.decode(msg, src=src, dst=dst, family=fam) == adv


# --- decode errors --------------------------------------------------------------------------


def _fix_v2(msg: bytearray) -> bytes:
    msg[6:8] = b"\0\0"
    msg[6:8] = struct.pack("!H", P.internet_checksum(bytes(msg)))
    return bytes(msg)


GOOD = P.encode(Advertisement(2, 1, 100, 1, VIP4), src=SRC4, dst=P.VRRP_MCAST_V4)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", DecodeReason.LENGTH),
        (GOOD[:7], DecodeReason.LENGTH),
        (GOOD[:-1], DecodeReason.LENGTH),
        (GOOD + b"\0", DecodeReason.LENGTH),
        (_fix_v2(bytearray(GOOD[:3] + b"\x01" + GOOD[4:])), DecodeReason.LENGTH),  # count says 1, 2 present
        # only v2/IPv4 has the auth field: a length check first, as keepalived makes it
        (_fix_v2(bytearray(b"\x11" + GOOD[1:])), DecodeReason.LENGTH),
        (_fix_v2(bytearray(b"\x11" + GOOD[1:16])), DecodeReason.VERSION),
        (_fix_v2(bytearray(b"\x41" + GOOD[1:16])), DecodeReason.VERSION),
        (GOOD[:6] + b"\0\0" + GOOD[8:], DecodeReason.CHECKSUM),
        (_fix_v2(bytearray(GOOD[:1] + b"\0" + GOOD[2:])), DecodeReason.VRID),
        (_fix_v2(bytearray(GOOD[:5] + b"\0" + GOOD[6:])), DecodeReason.ADVERT_INTERVAL),
    ],
)
def test_decode_errors_carry_a_reason(data: bytes, reason: DecodeReason) -> None:
    with pytest.raises(DecodeError) as err:
        _dec4(data)
    assert err.value.reason is reason
    assert isinstance(err.value, ValueError)


def test_v3_interval_zero_is_refused() -> None:
    msg = bytearray(
        P.encode(Advertisement(3, 1, 100, 1), src=SRC4, dst=P.VRRP_MCAST_V4, v3_checksum_as_v2=True)
    )
    msg[4:6] = b"\xf0\x00"  # only reserved bits set
    with pytest.raises(DecodeError) as err:
        _dec4(_fix_v2(msg), v3_checksum_as_v2=True)
    assert err.value.reason is DecodeReason.ADVERT_INTERVAL


def test_v2_over_ipv6_has_no_auth_field_in_its_length() -> None:
    adv = Advertisement(2, 1, 100, 1, VIP6)
    msg = P.encode(adv, src=SRC6, dst=P.VRRP_MCAST_V6)
    with pytest.raises(DecodeError):
        P.decode(msg + bytes(8), src=SRC6, dst=P.VRRP_MCAST_V6, family=P.AF_INET6)


def test_api_misuse_is_not_a_decode_error() -> None:
    with pytest.raises(ValueError) as err:
        P.decode(GOOD, src=SRC4, dst=P.VRRP_MCAST_V4, family=P.AF_INET6)
    assert not isinstance(err.value, DecodeError)
    with pytest.raises(TypeError):
        P.decode(GOOD, src=SRC4, dst=P.VRRP_MCAST_V6, family=P.AF_INET)
    with pytest.raises(ValueError):
        P.encode(Advertisement(3, 1, 100, 1, VIP6), src=SRC4, dst=P.VRRP_MCAST_V4)
    with pytest.raises(ValueError):
        P.encode(Advertisement(2, 1, 100, 1, auth_type=1, auth_data=b"x"), src=SRC6, dst=P.VRRP_MCAST_V6)
    with pytest.raises(TypeError):
        P.encode(Advertisement(2, 1, 100, 1), src=SRC4, dst=P.VRRP_MCAST_V6)


# --- the IPv4 header ------------------------------------------------------------------------


def test_build_ipv4_packet_as_keepalived() -> None:
    vrrp = P.encode(Advertisement(2, 1, 100, 1, VIP4), src=SRC4, dst=P.VRRP_MCAST_V4)
    pkt = P.build_ipv4_packet(vrrp, src=SRC4, dst=P.VRRP_MCAST_V4, ident=0x1234)
    assert pkt[0] == 0x45 and pkt[1] == 0xC0 and pkt[8] == 255 and pkt[9] == 112
    assert pkt[6:8] == b"\0\0"  # no DF
    assert struct.unpack("!HH", pkt[2:6]) == (20 + len(vrrp), 0x1234)
    assert P.internet_checksum(pkt[:20]) == 0
    ip = P.parse_ipv4_packet(pkt + bytes(6))  # Ethernet padding is dropped
    assert (ip.src, ip.dst, ip.ttl, ip.protocol, ip.tos, ip.ident, ip.payload) == (
        SRC4,
        P.VRRP_MCAST_V4,
        255,
        112,
        0xC0,
        0x1234,
        vrrp,
    )
    assert ip.header_length == 20 and ip.total_length == len(pkt)
    custom = P.build_ipv4_packet(vrrp, src=SRC4, dst=PEER4, ttl=64, ident=1, protocol=51, tos=0)
    assert (custom[1], custom[8], custom[9]) == (0, 64, 51)


def test_build_ipv4_packet_argument_checks() -> None:
    with pytest.raises(ValueError):
        P.build_ipv4_packet(b"", src=SRC4, dst=PEER4, ident=0x10000)
    with pytest.raises(ValueError):
        P.build_ipv4_packet(b"", src=SRC4, dst=PEER4, ident=1, ttl=256)
    with pytest.raises(TypeError):
        P.build_ipv4_packet(b"", src=SRC6, dst=PEER4, ident=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        P.build_ipv4_packet(bytes(0xFFFF), src=SRC4, dst=PEER4, ident=1)


def test_parse_ipv4_packet_with_options() -> None:
    head = bytearray(P.build_ipv4_packet(b"", src=SRC4, dst=PEER4, ident=1)[:20])
    head[0] = 0x46
    head[2:4] = struct.pack("!H", 24 + 3)
    head[10:12] = b"\0\0"
    head += b"\x01\x01\x01\x00"
    head[10:12] = struct.pack("!H", P.internet_checksum(bytes(head)))
    ip = P.parse_ipv4_packet(bytes(head) + b"abc")
    assert ip.options == b"\x01\x01\x01\x00" and ip.payload == b"abc" and ip.header_length == 24


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b: b[:19], DecodeReason.IP_HEADER),
        (lambda b: b"\x65" + b[1:], DecodeReason.IP_HEADER),
        (lambda b: b"\x44" + b[1:], DecodeReason.IP_HEADER),
        (lambda b: b[:2] + b"\xff\xff" + b[4:], DecodeReason.LENGTH),
        (lambda b: b[:2] + b"\x00\x10" + b[4:], DecodeReason.LENGTH),
        (lambda b: b[:10] + b"\0\0" + b[12:], DecodeReason.IP_HEADER),
    ],
)
def test_parse_ipv4_errors(mutate: object, reason: DecodeReason) -> None:
    pkt = P.build_ipv4_packet(b"payload!", src=SRC4, dst=PEER4, ident=7)
    with pytest.raises(DecodeError) as err:
        P.parse_ipv4_packet(mutate(pkt))  # type: ignore[operator]
    assert err.value.reason is reason


def test_parse_ipv4_checksum_check_can_be_skipped() -> None:
    pkt = P.build_ipv4_packet(b"x", src=SRC4, dst=PEER4, ident=7)
    bad = pkt[:10] + b"\0\0" + pkt[10:][2:]
    assert P.parse_ipv4_packet(bad, verify_checksum=False).payload == b"x"


# --- IPsec AH ---------------------------------------------------------------------------------


def _ah_by_hand(vrrp: bytes, *, key: bytes, seq: int, ident: int, ttl: int, unicast: bool) -> bytes:
    """RFC 2402 layout with keepalived's mutable-field rule, written out independently."""
    total = 20 + 24 + len(vrrp)
    zeroed = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        total,
        ident,
        0,
        0 if unicast else ttl,
        51,
        0,
        SRC4.packed,
        P.VRRP_MCAST_V4.packed,
    )
    ah0 = struct.pack("!BBH4sI12x", 112, 4, 0, SRC4.packed, seq)
    icv = hmac.new(key.ljust(8, b"\0"), zeroed + ah0 + vrrp, hashlib.md5).digest()[:12]
    head = bytearray(
        struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0xC0, total, ident, 0, ttl, 51, 0, SRC4.packed, P.VRRP_MCAST_V4.packed
        )
    )
    head[10:12] = struct.pack("!H", P.internet_checksum(bytes(head)))
    return bytes(head) + ah0[:12] + icv + vrrp


@pytest.mark.parametrize("unicast", [False, True])
def test_ah_wrap_matches_an_independent_construction(unicast: bool) -> None:
    vrrp = P.encode(Advertisement(2, 53, 255, 1, VIP4, auth_type=2), src=SRC4, dst=P.VRRP_MCAST_V4)
    pkt = P.ah_wrap(vrrp, src=SRC4, dst=P.VRRP_MCAST_V4, key="ahkey", seq=42, ident=9, unicast=unicast)
    assert pkt == _ah_by_hand(vrrp, key=b"ahkey", seq=42, ident=9, ttl=255, unicast=unicast)
    ah = P.ah_unwrap(pkt, key=b"ahkey", unicast=unicast)
    assert (ah.seq, ah.spi, ah.vrrp, ah.ip.protocol) == (42, int(SRC4), vrrp, 51)
    assert ah.icv == pkt[32:44]
    # the other mode disagrees on the TTL
    with pytest.raises(DecodeError):
        P.ah_unwrap(pkt, key=b"ahkey", unicast=not unicast)


def test_ah_mutable_fields_do_not_matter_but_ttl_does_for_multicast() -> None:
    vrrp = P.encode(Advertisement(2, 1, 255, 1, auth_type=2), src=SRC4, dst=P.VRRP_MCAST_V4)
    pkt = P.ah_wrap(vrrp, src=SRC4, dst=P.VRRP_MCAST_V4, key="k", seq=1, ident=1)
    other_tos = P.ah_wrap(vrrp, src=SRC4, dst=P.VRRP_MCAST_V4, key="k", seq=1, ident=1, tos=0)
    assert other_tos[32:44] == pkt[32:44]
    other_ttl = P.ah_wrap(vrrp, src=SRC4, dst=P.VRRP_MCAST_V4, key="k", seq=1, ident=1, ttl=1)
    assert other_ttl[32:44] != pkt[32:44]
    uni_ttl = P.ah_wrap(vrrp, src=SRC4, dst=P.VRRP_MCAST_V4, key="k", seq=1, ident=1, ttl=1, unicast=True)
    uni = P.ah_wrap(vrrp, src=SRC4, dst=P.VRRP_MCAST_V4, key="k", seq=1, ident=1, unicast=True)
    assert uni_ttl[32:44] == uni[32:44]


def _reicv(pkt: bytearray, key: bytes) -> bytes:
    """Recompute a valid ICV (and IP checksum) after tampering, to reach the later checks."""
    zeroed = bytearray(pkt[:20])
    zeroed[1] = 0
    zeroed[6:8] = zeroed[10:12] = b"\0\0"
    body = bytes(pkt[20:32]) + bytes(12) + bytes(pkt[44:])
    pkt[32:44] = hmac.new(key.ljust(8, b"\0"), bytes(zeroed) + body, hashlib.md5).digest()[:12]
    pkt[10:12] = b"\0\0"
    pkt[10:12] = struct.pack("!H", P.internet_checksum(bytes(pkt[:20])))
    return bytes(pkt)


def test_ah_unwrap_failures() -> None:
    vrrp = P.encode(Advertisement(2, 1, 255, 1, VIP4, auth_type=2), src=SRC4, dst=P.VRRP_MCAST_V4)
    pkt = P.ah_wrap(vrrp, src=SRC4, dst=P.VRRP_MCAST_V4, key="k", seq=5, ident=3)

    def reason(data: bytes, key: str = "k") -> DecodeReason:
        with pytest.raises(DecodeError) as err:
            P.ah_unwrap(data, key=key)
        return err.value.reason

    assert reason(pkt, key="other") is DecodeReason.AUTH_FAILURE
    bad_vrrp = bytearray(pkt)
    bad_vrrp[-1] ^= 1
    assert reason(bytes(bad_vrrp)) is DecodeReason.AUTH_FAILURE
    spi = bytearray(pkt)
    spi[24:28] = PEER4.packed
    assert reason(_reicv(spi, b"k")) is DecodeReason.AUTH_FAILURE
    nxt = bytearray(pkt)
    nxt[20] = 17
    assert reason(_reicv(nxt, b"k")) is DecodeReason.AH_OTHER_PROTOCOL
    plain = P.build_ipv4_packet(vrrp, src=SRC4, dst=P.VRRP_MCAST_V4, ident=3)
    assert reason(plain) is DecodeReason.AUTHTYPE_MISMATCH
    short = P.build_ipv4_packet(pkt[20:40], src=SRC4, dst=P.VRRP_MCAST_V4, ident=3, protocol=51)
    assert reason(short) is DecodeReason.LENGTH
    # keepalived ignores the AH length field (it always reads 24 bytes); so do we
    plen = bytearray(pkt)
    plen[21] = 9
    assert P.ah_unwrap(_reicv(plen, b"k"), key="k").seq == 5
    # a long key is cut to keepalived's 8 bytes
    assert P.ah_unwrap(
        P.ah_wrap(vrrp, src=SRC4, dst=P.VRRP_MCAST_V4, key="12345678", seq=1, ident=1), key="123456789"
    )


def test_ah_wrap_argument_checks() -> None:
    with pytest.raises(ValueError):
        P.ah_wrap(b"", src=SRC4, dst=PEER4, key="k", seq=-1, ident=1)
    with pytest.raises(ValueError):
        P.ah_wrap(b"", src=SRC4, dst=PEER4, key="k", seq=1, ident=1, tos=256)
    with pytest.raises(TypeError):
        P.ah_wrap(b"", src=ip_address("2001:db8::1"), dst=PEER4, key="k", seq=1, ident=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        P.ah_wrap(bytes(0xFFFF), src=SRC4, dst=PEER4, key="k", seq=1, ident=1)


@pytest.mark.parametrize(
    ("auth_type", "reason"), [(1, DecodeReason.AUTHTYPE_MISMATCH), (7, DecodeReason.INVALID_AUTHTYPE)]
)
def test_v2_over_ipv6_with_an_auth_type_is_refused(auth_type: int, reason: DecodeReason) -> None:
    msg = bytearray(P.encode(Advertisement(2, 1, 100, 1, VIP6), src=SRC6, dst=P.VRRP_MCAST_V6))
    msg[4] = auth_type
    msg[6:8] = b"\0\0"
    pseudo = SRC6.packed + P.VRRP_MCAST_V6.packed + struct.pack("!I3xB", len(msg), 112)
    msg[6:8] = struct.pack("!H", P.internet_checksum(pseudo + bytes(msg)))
    with pytest.raises(DecodeError) as err:
        P.decode(bytes(msg), src=SRC6, dst=P.VRRP_MCAST_V6, family=P.AF_INET6)
    assert err.value.reason is reason
