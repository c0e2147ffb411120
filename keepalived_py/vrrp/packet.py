"""VRRP advertisement codec: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798), IPv4 and IPv6.

Pure functions over bytes; the adapters own the sockets.  Two kinds of failure are kept apart
(DESIGN.md 2.6): bytes from the network that are not a usable advert raise :class:`DecodeError`
(and only that, whatever the input), while misuse of the API (an advert that cannot exist, a
source address of the wrong family) raises ``ValueError``/``TypeError``.

What goes on the wire is what keepalived 2.2.7 sends, so that captures of the real daemon are
reproduced byte for byte (``tests/netns/test_capture_keepalived_adverts.py``):

* v2 over IPv4 always carries the 8-byte authentication field: the password zero-padded for
  PASS, zeros otherwise (also with AH, where the field is unused).  v2 over IPv6 has no such field.
* checksums: v2/IPv4 over the message only; v3/IPv4 over the IPv4 pseudo-header plus the
  message, or the message only with ``v3_checksum_as_v2`` (the interop option of later
  keepalived releases); IPv6 (v2 or v3) over the IPv6 pseudo-header, which the kernel computes for
  keepalived through IPV6_CHECKSUM.  keepalived's old unicast VRRPv3 checksum is the ordinary one
  with 224.0.0.18 as pseudo-header destination: pass that as ``dst``.
* the IPv4 header keepalived writes itself (IP_HDRINCL): TOS 0xC0, TTL 255, its own identification
  counter, no DF, protocol 112, or 51 when IPsec AH wraps the advert.
* IPsec AH as keepalived does it (RFC 2402 layout, HMAC-MD5-96 keyed with the 8-byte padded
  password, SPI = sender address).  The ICV covers the IPv4 header with TOS, flags/fragment
  offset and header checksum zeroed (and TTL too for unicast instances, but not for multicast
  ones, unlike RFC 4302), then the AH header with a zero ICV, then the VRRP message.
  The replay check on the sequence number is state and belongs to the instance core.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import struct
from dataclasses import dataclass

IPv4Address = ipaddress.IPv4Address
IPv6Address = ipaddress.IPv6Address
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Linux address-family numbers (the values keepalived's sockets use); spelt out here because
# the pure core may not import socket.
AF_INET = 2
AF_INET6 = 10

IPPROTO_AH = 51
IPPROTO_VRRP = 112
VRRP_TTL = 255
VRRP_TOS = 0xC0
VRRP_MCAST_V4 = ipaddress.IPv4Address("224.0.0.18")
VRRP_MCAST_V6 = ipaddress.IPv6Address("ff02::12")

ADVERT = 1
AUTH_NONE = 0
AUTH_PASS = 1
AUTH_AH = 2
AUTH_LEN = 8
HEADER_LEN = 8
IPV4_HEADER_LEN = 20
AH_LEN = 24
AH_ICV_LEN = 12
AH_PAYLOAD_LEN = 4  # RFC 2402: AH length in 32-bit words minus 2, for a 96-bit ICV

_ZERO_AUTH = bytes(AUTH_LEN)


class DecodeReason(enum.StrEnum):
    """Why bytes from the network were refused; values name keepalived's counters where it has one."""

    LENGTH = "packet_len_err"
    VERSION = "vers_err"
    CHECKSUM = "chk_err"
    VRID = "vrid_err"
    ADVERT_INTERVAL = "advert_interval_err"
    AUTH_FAILURE = "auth_failure"
    AUTHTYPE_MISMATCH = "authtype_mismatch"
    INVALID_AUTHTYPE = "invalid_authtype"
    # An AH header for another protocol: keepalived drops it silently, without counting.
    AH_OTHER_PROTOCOL = "ah_other_protocol"
    IP_HEADER = "ip_header_err"


class DecodeError(ValueError):
    """The bytes received are not a usable VRRP advertisement (garbage from the network)."""

    def __init__(self, reason: DecodeReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Advertisement:
    """One VRRP advertisement, as sent or as received.

    ``adver_int`` is in the unit of the wire: seconds for v2 (1..255), centiseconds for v3
    (1..4095).  ``auth_data`` is the 8-byte v2/IPv4 authentication field; it is normalised so
    that equal fields compare equal: a shorter password is zero-padded to 8 bytes and an all-zero
    field is ``b""``.  ``type`` is kept as received (only 1 is an advertisement; the instance
    counts the others as invalid_type_rcvd) and ``auth_type`` likewise (invalid_authtype).
    """

    version: int
    vrid: int
    priority: int
    adver_int: int
    addresses: tuple[IPv4Address | IPv6Address, ...] = ()
    auth_type: int = AUTH_NONE
    auth_data: bytes = b""
    type: int = ADVERT

    def __post_init__(self) -> None:
        if self.version not in (2, 3):
            raise ValueError(f"VRRP version must be 2 or 3, not {self.version!r}")
        _check_range("vrid", self.vrid, 1, 255)
        _check_range("priority", self.priority, 0, 255)
        _check_range("type", self.type, 0, 15)
        if self.version == 2:
            _check_range("adver_int (seconds)", self.adver_int, 1, 255)
        else:
            _check_range("adver_int (centiseconds)", self.adver_int, 1, 4095)
        if not isinstance(self.addresses, tuple):
            raise TypeError("addresses must be a tuple")
        if len(self.addresses) > 255:
            raise ValueError(f"at most 255 addresses fit in an advert, not {len(self.addresses)}")
        kinds = {type(a) for a in self.addresses}
        if not kinds <= {IPv4Address, IPv6Address}:
            raise TypeError("addresses must be ipaddress.IPv4Address or IPv6Address objects")
        if len(kinds) > 1:
            raise ValueError("addresses of an advert must all be of one family")
        if not isinstance(self.auth_data, bytes):
            raise TypeError("auth_data must be bytes")
        if len(self.auth_data) > AUTH_LEN:
            raise ValueError(f"auth_data is at most {AUTH_LEN} bytes")
        padded = self.auth_data.ljust(AUTH_LEN, b"\0")
        object.__setattr__(self, "auth_data", b"" if padded == _ZERO_AUTH else padded)
        if self.version == 3 or kinds == {IPv6Address}:
            if self.auth_type != AUTH_NONE or self.auth_data:
                raise ValueError("authentication exists only in VRRPv2 over IPv4")
        else:
            _check_range("auth_type", self.auth_type, 0, 255)

    @property
    def family(self) -> int | None:
        """AF_INET / AF_INET6 from the addresses, or None for an advert without any."""
        if not self.addresses:
            return None
        return AF_INET6 if isinstance(self.addresses[0], IPv6Address) else AF_INET


def _check_range(name: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in {low}..{high}, not {value}")


def pad_password(password: str | bytes) -> bytes:
    """The 8-byte auth field keepalived makes from ``auth_pass`` (truncated, zero-padded)."""
    raw = password.encode() if isinstance(password, str) else password
    return raw[:AUTH_LEN].ljust(AUTH_LEN, b"\0")


# --- checksums -------------------------------------------------------------------------------


def internet_checksum(data: bytes, initial: int = 0) -> int:
    """RFC 1071 one's-complement checksum of ``data`` (an odd last byte is padded with zero).

    ``initial`` is an unfolded partial sum, so a pseudo-header can be summed first.
    """
    if len(data) % 2:
        data += b"\0"
    total: int = initial + sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _pseudo_sum(src: IPAddress, dst: IPAddress, length: int) -> int:
    if isinstance(src, IPv4Address):
        ph = src.packed + dst.packed + struct.pack("!BBH", 0, IPPROTO_VRRP, length)
    else:
        ph = src.packed + dst.packed + struct.pack("!I3xB", length, IPPROTO_VRRP)
    return sum(struct.unpack(f"!{len(ph) // 2}H", ph))


def _family_of(src: object, dst: object) -> int:
    if isinstance(src, IPv4Address) and isinstance(dst, IPv4Address):
        return AF_INET
    if isinstance(src, IPv6Address) and isinstance(dst, IPv6Address):
        return AF_INET6
    raise TypeError("src and dst must both be IPv4Address or both IPv6Address")


def _vrrp_checksum(msg: bytes, src: IPAddress, dst: IPAddress, version: int, as_v2: bool) -> int:
    """Checksum of ``msg`` (its checksum field zero, or as received to verify: 0 means good)."""
    if isinstance(src, IPv6Address):
        return internet_checksum(msg, _pseudo_sum(src, dst, len(msg)))
    if version == 3 and not as_v2:
        return internet_checksum(msg, _pseudo_sum(src, dst, len(msg)))
    return internet_checksum(msg)


# --- the VRRP message ------------------------------------------------------------------------


def encode(
    adv: Advertisement,
    *,
    src: IPv4Address | IPv6Address,
    dst: IPv4Address | IPv6Address,
    v3_checksum_as_v2: bool = False,
) -> bytes:
    """The VRRP message (no IP header) for ``adv`` sent from ``src`` to ``dst``, checksum filled."""
    family = _family_of(src, dst)
    if adv.family is not None and adv.family != family:
        raise ValueError("the advert's addresses and src/dst are of different families")
    if family == AF_INET6 and (adv.auth_type != AUTH_NONE or adv.auth_data):
        raise ValueError("authentication exists only in VRRPv2 over IPv4")
    if adv.version == 2:
        word2 = struct.pack("!BB", adv.auth_type, adv.adver_int)
    else:
        word2 = struct.pack("!H", adv.adver_int)
    head = struct.pack("!BBBB", (adv.version << 4) | adv.type, adv.vrid, adv.priority, len(adv.addresses))
    body = b"".join(a.packed for a in adv.addresses)
    if adv.version == 2 and family == AF_INET:
        body += adv.auth_data or _ZERO_AUTH
    msg = head + word2 + b"\0\0" + body
    csum = _vrrp_checksum(msg, src, dst, adv.version, v3_checksum_as_v2)
    return msg[:6] + struct.pack("!H", csum) + msg[8:]


def expected_length(data: bytes, family: int) -> int | None:
    """The length the message in ``data`` must have from its header (None: no header yet)."""
    if len(data) < HEADER_LEN:
        return None
    size = 16 if family == AF_INET6 else 4
    extra = AUTH_LEN if family == AF_INET and data[0] >> 4 == 2 else 0
    return HEADER_LEN + data[3] * size + extra


def decode(
    data: bytes,
    *,
    src: IPv4Address | IPv6Address,
    dst: IPv4Address | IPv6Address,
    family: int,
    v3_checksum_as_v2: bool = False,
) -> Advertisement:
    """Parse and check one VRRP message (the IP payload) received from ``src`` for ``dst``.

    Checked here, in keepalived's order where it matters: length (exact, from the address
    count), version (2 or 3), checksum, then what makes an Advertisement (VRID 1..255, an
    interval that is not zero).  Not checked here, as they need the instance: TTL, version and
    auth type equal to ours, PASS/AH verification, the interval of v2, the type, the addresses.
    """
    if family not in (AF_INET, AF_INET6) or _family_of(src, dst) != family:
        raise ValueError("family must be AF_INET or AF_INET6 and match src and dst")
    data = bytes(data)
    want = expected_length(data, family)
    if want is None or len(data) != want:
        raise DecodeError(
            DecodeReason.LENGTH,
            f"vrrp packet too {'short' if want is None or len(data) < want else 'long'}, "
            f"length {len(data)} and expect {want if want is not None else HEADER_LEN}",
        )
    version, ptype = data[0] >> 4, data[0] & 0x0F
    if version not in (2, 3):
        raise DecodeError(DecodeReason.VERSION, f"unknown VRRP version {version}")
    if _vrrp_checksum(data, src, dst, version, v3_checksum_as_v2):
        raise DecodeError(DecodeReason.CHECKSUM, f"Invalid VRRPv{version} checksum")
    vrid, priority, count = data[1], data[2], data[3]
    if vrid == 0:
        raise DecodeError(DecodeReason.VRID, "VRID 0 is not a virtual router")
    auth_type, auth_data = AUTH_NONE, b""
    if version == 2:
        auth_type, adver_int = data[4], data[5]
        if family == AF_INET6 and auth_type != AUTH_NONE:
            # No authentication exists over IPv6; keepalived refuses these by their auth type.
            if auth_type > AUTH_AH:
                raise DecodeError(DecodeReason.INVALID_AUTHTYPE, f"Invalid auth type: {auth_type}")
            raise DecodeError(DecodeReason.AUTHTYPE_MISMATCH, f"received a {auth_type} auth, expecting 0!")
    else:
        # The 4 reserved bits are ignored on reception (RFC 5798 5.2.5; keepalived masks them).
        adver_int = struct.unpack_from("!H", data, 4)[0] & 0x0FFF
    if adver_int == 0:
        raise DecodeError(DecodeReason.ADVERT_INTERVAL, "advertisement interval 0")
    addresses: tuple[IPv4Address | IPv6Address, ...]
    if family == AF_INET:
        addresses = tuple(IPv4Address(data[8 + 4 * i : 12 + 4 * i]) for i in range(count))
        if version == 2:
            auth_data = data[8 + 4 * count :]
    else:
        addresses = tuple(IPv6Address(data[8 + 16 * i : 24 + 16 * i]) for i in range(count))
    return Advertisement(
        version=version,
        vrid=vrid,
        priority=priority,
        adver_int=adver_int,
        addresses=addresses,
        auth_type=auth_type,
        auth_data=auth_data,
        type=ptype,
    )


# --- the IPv4 header -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IPv4Packet:
    """An IPv4 datagram as received: the header fields and the payload (trimmed to total_length)."""

    tos: int
    total_length: int
    ident: int
    flags_fragment: int
    ttl: int
    protocol: int
    checksum: int
    src: IPv4Address
    dst: IPv4Address
    options: bytes
    payload: bytes

    @property
    def header_length(self) -> int:
        return IPV4_HEADER_LEN + len(self.options)


def _ipv4_header(
    *,
    length: int,
    src: IPv4Address,
    dst: IPv4Address,
    ttl: int,
    ident: int,
    protocol: int,
    tos: int,
) -> bytes:
    head = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        tos,
        length,
        ident,
        0,  # flags and fragment offset: keepalived does not set DF
        ttl,
        protocol,
        0,
        src.packed,
        dst.packed,
    )
    return head[:10] + struct.pack("!H", internet_checksum(head)) + head[12:]


def build_ipv4_packet(
    vrrp: bytes,
    *,
    src: IPv4Address,
    dst: IPv4Address,
    ttl: int = VRRP_TTL,
    ident: int,
    protocol: int = IPPROTO_VRRP,
    tos: int = VRRP_TOS,
) -> bytes:
    """The IPv4 datagram keepalived writes with IP_HDRINCL: no options, no DF, header checksum set.

    keepalived's identification counter skips 0 (the kernel would fill in its own); the caller
    keeps that counter.  The kernel recomputes the header checksum on sending anyway.
    """
    if not (isinstance(src, IPv4Address) and isinstance(dst, IPv4Address)):
        raise TypeError("src and dst must be IPv4Address")
    _check_range("ttl", ttl, 0, 255)
    _check_range("ident", ident, 0, 0xFFFF)
    _check_range("protocol", protocol, 0, 255)
    _check_range("tos", tos, 0, 255)
    length = IPV4_HEADER_LEN + len(vrrp)
    if length > 0xFFFF:
        raise ValueError("payload too long for an IPv4 datagram")
    head = _ipv4_header(length=length, src=src, dst=dst, ttl=ttl, ident=ident, protocol=protocol, tos=tos)
    return head + vrrp


def parse_ipv4_packet(data: bytes, *, verify_checksum: bool = True) -> IPv4Packet:
    """Split an IPv4 datagram; bytes after ``total_length`` (Ethernet padding) are dropped."""
    data = bytes(data)
    if len(data) < IPV4_HEADER_LEN:
        raise DecodeError(DecodeReason.IP_HEADER, f"IPv4 header truncated ({len(data)} bytes)")
    vihl, tos, total, ident, frag, ttl, proto, csum, src, dst = struct.unpack_from("!BBHHHBBH4s4s", data)
    if vihl >> 4 != 4:
        raise DecodeError(DecodeReason.IP_HEADER, f"IP version {vihl >> 4}, not 4")
    ihl = (vihl & 0x0F) * 4
    if ihl < IPV4_HEADER_LEN:
        raise DecodeError(DecodeReason.IP_HEADER, f"IPv4 header length {ihl} too small")
    if total < ihl or total > len(data):
        raise DecodeError(
            DecodeReason.LENGTH,
            f"ip_tot_len mismatch against received length. {total} and received {len(data)}",
        )
    if verify_checksum and internet_checksum(data[:ihl]):
        raise DecodeError(DecodeReason.IP_HEADER, "bad IPv4 header checksum")
    return IPv4Packet(
        tos=tos,
        total_length=total,
        ident=ident,
        flags_fragment=frag,
        ttl=ttl,
        protocol=proto,
        checksum=csum,
        src=IPv4Address(src),
        dst=IPv4Address(dst),
        options=data[IPV4_HEADER_LEN:ihl],
        payload=data[ihl:total],
    )


# --- IPsec AH (VRRPv2 over IPv4 only) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AhPacket:
    """A verified AH-wrapped advert: the IP header, the AH fields, and the VRRP message inside."""

    ip: IPv4Packet
    spi: int
    seq: int
    icv: bytes
    vrrp: bytes


def _ah_icv(ip_header: bytes, ah_header: bytes, vrrp: bytes, key: bytes, unicast: bool) -> bytes:
    """keepalived's ICV: HMAC-MD5 truncated to 96 bits over the header with mutable fields zeroed."""
    hdr = bytearray(ip_header)
    hdr[1] = 0  # TOS
    hdr[6:8] = b"\0\0"  # flags and fragment offset
    hdr[10:12] = b"\0\0"  # header checksum (0 in keepalived's send buffer; the kernel fills it)
    if unicast:
        hdr[8] = 0  # TTL, zeroed only by unicast instances
    ah = ah_header[:12] + bytes(AH_ICV_LEN)
    return hmac.new(pad_password(key), bytes(hdr) + ah + vrrp, hashlib.md5).digest()[:AH_ICV_LEN]


def ah_wrap(
    vrrp: bytes,
    *,
    src: IPv4Address,
    dst: IPv4Address,
    key: bytes | str,
    seq: int,
    ident: int,
    ttl: int = VRRP_TTL,
    tos: int = VRRP_TOS,
    unicast: bool = False,
) -> bytes:
    """The whole IPv4 datagram (protocol 51) keepalived sends for a VRRPv2 advert with AH.

    ``key`` is the ``auth_pass`` (zero-padded to 8 bytes like keepalived); ``seq`` is the
    sender's sequence number for this advert (keepalived starts at 1 and adds one per advert);
    ``unicast`` says whether the instance has unicast peers (then TTL is outside the ICV).
    With several unicast peers keepalived sends one advert round with the same sequence number
    and identification to every peer, each with its own destination (and so its own ICV).
    """
    if not (isinstance(src, IPv4Address) and isinstance(dst, IPv4Address)):
        raise TypeError("src and dst must be IPv4Address")
    _check_range("seq", seq, 0, 0xFFFFFFFF)
    _check_range("ident", ident, 0, 0xFFFF)
    _check_range("ttl", ttl, 0, 255)
    _check_range("tos", tos, 0, 255)
    length = IPV4_HEADER_LEN + AH_LEN + len(vrrp)
    if length > 0xFFFF:
        raise ValueError("payload too long for an IPv4 datagram")
    head = _ipv4_header(length=length, src=src, dst=dst, ttl=ttl, ident=ident, protocol=IPPROTO_AH, tos=tos)
    ah_head = struct.pack("!BBH4sI", IPPROTO_VRRP, AH_PAYLOAD_LEN, 0, src.packed, seq)
    icv = _ah_icv(head, ah_head, vrrp, pad_password(key), unicast)
    return head + ah_head + icv + vrrp


def ah_unwrap(data: bytes, *, key: bytes | str, unicast: bool = False) -> AhPacket:
    """Check an AH-wrapped advert as keepalived does (ICV, then SPI = source address).

    Raises DecodeError: AUTH_FAILURE for a bad ICV or SPI, AH_OTHER_PROTOCOL when the AH
    protects something other than VRRP (keepalived drops those silently).  The sequence number
    is returned for the caller's replay check (keepalived: must be greater than the last one).
    keepalived reads a fixed 24-byte AH whatever its length field says; so does this.
    """
    ip = parse_ipv4_packet(data)
    if ip.protocol != IPPROTO_AH:
        raise DecodeError(DecodeReason.AUTHTYPE_MISMATCH, "No AH header but auth type is AH")
    body = ip.payload
    if len(body) < AH_LEN + HEADER_LEN:
        raise DecodeError(DecodeReason.LENGTH, f"AH packet too short ({len(body)} bytes after the IP header)")
    next_header, _plen, _res, spi, seq = struct.unpack_from("!BBHII", body)
    if next_header != IPPROTO_VRRP:
        raise DecodeError(DecodeReason.AH_OTHER_PROTOCOL, f"AH header for protocol {next_header}")
    raw = bytes(data)
    icv = body[12:AH_LEN]
    vrrp = body[AH_LEN:]
    want = _ah_icv(raw[: ip.header_length], body[:12], vrrp, pad_password(key), unicast)
    if not hmac.compare_digest(icv, want):
        raise DecodeError(
            DecodeReason.AUTH_FAILURE,
            "IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !",
        )
    if spi != int(ip.src):
        raise DecodeError(DecodeReason.AUTH_FAILURE, f"IPSEC AH : invalid IPSEC SPI value {spi:#x}")
    return AhPacket(ip=ip, spi=spi, seq=seq, icv=icv, vrrp=vrrp)
