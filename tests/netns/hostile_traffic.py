"""Hostile VRRP traffic for the namespace tests (``python -m tests.netns.hostile_traffic``, run in a node).

Frames are written whole (Ethernet + IPv4/IPv6 + VRRP or AH) to an AF_PACKET socket on ``eth0``, so
any header can lie: truncated and oversized adverts, bad checksums, wrong versions / types / VRIDs,
TTL or hop limit != 255, auth type and password errors, address counts that do not match, IP options,
IPv6 extension headers, fragments (complete and incomplete), adverts unicast to a node, AH (IP
protocol 51) packets.  Built with ``struct`` (and nothing from keepalived_py: the daemon under test
must not judge packets made by its own codec).

Sub-commands (argument: one JSON object; output: one JSON line):

* ``battery SPEC``: every class of hostile packet ``spec["repeat"]`` times, paced by
  ``spec["gap"]`` seconds; prints the number sent per class.
* ``fuzz SPEC``: ``spec["count"]`` random mutations (seeded by ``spec["seed"]``) of adverts that stay
  unacceptable to every node (v2: a wrong password; v3: a priority below every node's), plus raw
  garbage, at up to ``spec["rate"]`` packets a second.
* ``prio0 SPEC``: ``spec["count"]`` valid priority-0 adverts (the password is right), paced.
* ``capture SECONDS SRC``: prints ``ready``, then one JSON line per VRRP/AH packet from SRC seen on
  eth0: ``{"t": kernel receive time (monotonic seconds), "priority": ..}``.

SPEC keys: ``family`` (4 or 6), ``src``, ``src_mac``, ``group_mac``, ``unicast`` (list of
[address, mac] of nodes to send unicast copies to), ``vrid``, ``vips`` (list), ``password`` (v2),
``advert_int`` (v2 seconds / v3 centiseconds), ``version``.
"""

from __future__ import annotations

import ipaddress
import json
import random
import select
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35
PROTO_VRRP = 112
PROTO_AH = 51
MCAST4 = "224.0.0.18"
MCAST6 = "ff02::12"


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def vrrp_message(
    *,
    version: int,
    vrid: int,
    priority: int,
    vips: list[str],
    advert_int: int,
    auth_type: int = 0,
    password: bytes = b"",
    naddr: int | None = None,
    msg_type: int = 1,
    src: str = "",
    dst: str = "",
    family: int = 4,
    bad_checksum: bool = False,
) -> bytes:
    """A VRRP message with its checksum (v2: over the message; v3: with the pseudo-header)."""
    addrs = b"".join(ipaddress.ip_address(v).packed for v in vips)
    count = len(vips) if naddr is None else naddr
    if version == 2:
        head = struct.pack("!BBBBBBH", (2 << 4) | msg_type, vrid, priority, count, auth_type, advert_int, 0)
        body = head + addrs + password.ljust(8, b"\0")[:8]
        csum = checksum(body)
    else:
        head = struct.pack("!BBBBHH", (3 << 4) | msg_type, vrid, priority, count, advert_int & 0xFFF, 0)
        body = head + addrs
        s, d = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
        if family == 4:
            pseudo = s + d + struct.pack("!BBH", 0, PROTO_VRRP, len(body))
        else:
            pseudo = s + d + struct.pack("!I3xB", len(body), PROTO_VRRP)
        csum = checksum(pseudo + body)
    if bad_checksum:
        csum ^= 0x5A5A
    return body[:6] + struct.pack("!H", csum) + body[8:]


def ipv4_packet(
    payload: bytes,
    *,
    src: str,
    dst: str,
    proto: int = PROTO_VRRP,
    ttl: int = 255,
    options: bytes = b"",
    ident: int = 1,
    frag: int = 0,
    total_length: int | None = None,
    bad_checksum: bool = False,
) -> bytes:
    ihl = 5 + len(options) // 4
    total = ihl * 4 + len(payload) if total_length is None else total_length
    head = struct.pack(
        "!BBHHHBBH4s4s",
        0x40 | ihl,
        0xC0,
        total,
        ident,
        frag,
        ttl,
        proto,
        0,
        ipaddress.IPv4Address(src).packed,
        ipaddress.IPv4Address(dst).packed,
    )
    head += options
    csum = checksum(head) ^ (0x1111 if bad_checksum else 0)
    return head[:10] + struct.pack("!H", csum) + head[12:] + payload


def ipv6_packet(
    payload: bytes, *, src: str, dst: str, next_header: int = PROTO_VRRP, hop_limit: int = 255
) -> bytes:
    head = struct.pack("!IHBB", 6 << 28, len(payload), next_header, hop_limit)
    return head + ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed + payload


def ether(dst_mac: str, src_mac: str, ethertype: int, packet: bytes) -> bytes:
    return (
        bytes.fromhex(dst_mac.replace(":", ""))
        + bytes.fromhex(src_mac.replace(":", ""))
        + (struct.pack("!H", ethertype) + packet)
    )


def ah_header(next_header: int, spi: int = 0x100, seq: int = 1) -> bytes:
    """An AH header (RFC 2402) with a zero ICV: never authentic."""
    return struct.pack("!BBHII", next_header, 4, 0, spi, seq) + b"\0" * 12


class Sender:
    """Frames out of eth0, as (class name, frame) pairs."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.v6 = spec["family"] == 6
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind(("eth0", 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        self.sent: dict[str, int] = {}

    def send(self, name: str, frame: bytes) -> None:
        for _ in range(50):
            try:
                self.sock.send(frame)
                break
            except BlockingIOError:
                time.sleep(0.001)
            except OSError as exc:  # ENOBUFS under a flood: wait a little, try again
                if exc.errno != 105:
                    raise
                time.sleep(0.001)
        self.sent[name] = self.sent.get(name, 0) + 1

    @property
    def group(self) -> str:
        """Where the battery goes: ``spec["dst"]`` (one node, unicast) or the VRRP group."""
        return str(self.spec.get("dst") or (MCAST6 if self.v6 else MCAST4))

    def frame(self, ip: bytes, dst_mac: str | None = None) -> bytes:
        return ether(
            dst_mac or self.spec["group_mac"], self.spec["src_mac"], 0x86DD if self.v6 else 0x0800, ip
        )

    # the normal advert of the attacker, with whatever changed
    def message(self, dst: str | None = None, **changes: Any) -> bytes:
        spec = self.spec
        args: dict[str, Any] = {
            "version": spec["version"],
            "vrid": spec["vrid"],
            "priority": 200,
            "vips": spec["vips"],
            "advert_int": spec["advert_int"],
            "src": spec["src"],
            "dst": dst or self.group,
            "family": spec["family"],
        }
        if spec["version"] == 2:
            args["auth_type"] = 1 if spec.get("password") else 0
            args["password"] = spec.get("password", "").encode()
        args.update(changes)
        return vrrp_message(**args)

    def ip(self, payload: bytes, dst: str | None = None, **kw: Any) -> bytes:
        dst = dst or self.group
        if self.v6:
            return ipv6_packet(payload, src=self.spec["src"], dst=dst, **kw)
        return ipv4_packet(payload, src=self.spec["src"], dst=dst, **kw)


def battery_v4(s: Sender) -> Iterator[tuple[str, bytes]]:
    """IPv4 VRRPv2 classes (the instance uses PASS authentication, one VIP)."""
    good = s.message()
    wrong_pw = s.message(password=b"wrong!!")
    yield "truncated_header", s.frame(s.ip(good[:6]))
    yield "truncated_auth", s.frame(s.ip(good[:12]))
    yield "oversized", s.frame(s.ip(good + b"\0" * 20))
    yield "ttl_64", s.frame(s.ip(wrong_pw, ttl=64))  # TTL comes first; not checked for unicast
    yield "version_3", s.frame(s.ip(s.message(version=3)))
    yield "invalid_authtype", s.frame(s.ip(s.message(auth_type=3)))
    yield "auth_none", s.frame(s.ip(s.message(auth_type=0, password=b"")))
    yield "wrong_password", s.frame(s.ip(wrong_pw))
    yield "ah_packet", s.frame(s.ip(ah_header(PROTO_VRRP) + good, proto=PROTO_AH))
    yield "ah_truncated", s.frame(s.ip(ah_header(PROTO_VRRP)[:10], proto=PROTO_AH))
    yield "wrong_interval", s.frame(s.ip(s.message(advert_int=7)))
    yield "type_2", s.frame(s.ip(s.message(msg_type=2)))
    yield "count_lie_short", s.frame(s.ip(s.message(naddr=3)))
    yield "count_two", s.frame(s.ip(s.message(vips=[*s.spec["vips"], "192.0.2.99"])))
    yield "wrong_vip", s.frame(s.ip(s.message(vips=["192.0.2.99"])))
    yield "bad_vrrp_checksum", s.frame(s.ip(s.message(bad_checksum=True)))
    yield "bad_ip_checksum", s.frame(s.ip(good, bad_checksum=True))
    yield "ip_options", s.frame(s.ip(wrong_pw, options=b"\x01\x01\x01\x00"))
    yield "wrong_vrid", s.frame(s.ip(s.message(vrid=(s.spec["vrid"] % 255) + 1)))
    yield "priority0_wrong_password", s.frame(s.ip(s.message(priority=0, password=b"wrong!!")))
    ip = s.ip(wrong_pw, ident=0x4242)
    head, payload = ip[:20], ip[20:]
    first = ipv4_packet(payload[:8], src=s.spec["src"], dst=s.group, ident=0x4242, frag=0x2000)
    second = ipv4_packet(payload[8:], src=s.spec["src"], dst=s.group, ident=0x4242, frag=1)
    del head
    yield "fragments", s.frame(first)
    yield "fragments", s.frame(second)
    lone = ipv4_packet(payload[:8], src=s.spec["src"], dst=s.group, ident=0x4343, frag=0x2000)
    yield "lone_fragment", s.frame(lone)
    for addr, mac in s.spec.get("unicast", []):
        yield "unicast", s.frame(s.ip(s.message(dst=addr), dst=addr), mac)


def battery_v6(s: Sender) -> Iterator[tuple[str, bytes]]:
    """IPv6 VRRPv3 classes (one VIP); priorities above every node's unless the packet is broken."""
    good = s.message()
    yield "truncated_header", s.frame(s.ip(good[:6]))
    yield "truncated_addr", s.frame(s.ip(good[:12]))
    yield "oversized", s.frame(s.ip(s.message() + b"\0" * 16))
    yield "hop_limit_64", s.frame(s.ip(good, hop_limit=64))
    yield "version_2", s.frame(s.ip(s.message(version=2, password=b"", auth_type=0)))
    yield "type_2", s.frame(s.ip(s.message(msg_type=2)))
    yield "count_lie_short", s.frame(s.ip(s.message(naddr=3)))
    yield "count_two", s.frame(s.ip(s.message(vips=[*s.spec["vips"], "2001:db8::99"])))
    yield "wrong_vip", s.frame(s.ip(s.message(vips=["2001:db8::99"])))
    yield "bad_vrrp_checksum", s.frame(s.ip(s.message(bad_checksum=True)))
    yield "wrong_vrid", s.frame(s.ip(s.message(vrid=(s.spec["vrid"] % 255) + 1)))
    hop_by_hop = struct.pack("!BB", PROTO_VRRP, 0) + b"\x01\x04\0\0\0\0"
    yield "hop_by_hop_ttl_64", s.frame(s.ip(hop_by_hop + good, next_header=0, hop_limit=64))
    frag_a = struct.pack("!BBHI", PROTO_VRRP, 0, 0x0001, 0x77) + good[:8]
    frag_b = struct.pack("!BBHI", PROTO_VRRP, 0, 8, 0x77) + good[8:]
    yield "fragments_ttl_64", s.frame(s.ip(frag_a, next_header=44, hop_limit=64))
    yield "fragments_ttl_64", s.frame(s.ip(frag_b, next_header=44, hop_limit=64))
    yield (
        "lone_fragment",
        s.frame(s.ip(struct.pack("!BBHI", PROTO_VRRP, 0, 1, 0x78) + good[:8], next_header=44)),
    )
    yield "ah_packet", s.frame(s.ip(ah_header(PROTO_VRRP) + good, next_header=PROTO_AH))
    for addr, mac in s.spec.get("unicast", []):
        yield "unicast", s.frame(s.ip(s.message(dst=addr), dst=addr), mac)


def mutations(s: Sender, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """Endless random hostile frames; none of them is an advert any node may act upon."""
    spec = s.spec
    while True:
        if spec["version"] == 2:
            msg = bytearray(
                s.message(
                    priority=rng.randrange(256),
                    password=b"wrong!!",
                    vrid=rng.choice([spec["vrid"], spec["vrid"], rng.randrange(256)]),
                    naddr=rng.choice([None, None, rng.randrange(256)]),
                    vips=rng.choice([spec["vips"], [], spec["vips"] * rng.randrange(1, 20)]),
                    advert_int=rng.choice([spec["advert_int"], rng.randrange(256)]),
                    bad_checksum=rng.random() < 0.3,
                )
            )
        else:
            msg = bytearray(
                s.message(
                    priority=rng.randrange(1, 50),
                    vrid=rng.choice([spec["vrid"], spec["vrid"], rng.randrange(256)]),
                    naddr=rng.choice([None, None, rng.randrange(256)]),
                    vips=rng.choice([spec["vips"], [], spec["vips"] * rng.randrange(1, 20)]),
                    advert_int=rng.choice([spec["advert_int"], rng.randrange(4096)]),
                    msg_type=rng.choice([1, 1, 1, rng.randrange(16)]),
                    bad_checksum=rng.random() < 0.3,
                )
            )
        how = rng.randrange(8)
        if how == 0:  # flip bytes
            for _ in range(rng.randrange(1, 4)):
                if msg:
                    msg[rng.randrange(len(msg))] ^= 1 << rng.randrange(8)
            if spec["version"] == 3 and msg:
                msg[2] = rng.randrange(1, 50)  # keep the priority below every node's
        elif how == 1:
            del msg[rng.randrange(len(msg) + 1) :]
        elif how == 2:
            msg += rng.randbytes(rng.randrange(1, 1200))
        elif how == 3:
            msg = bytearray(rng.randbytes(rng.randrange(0, 64)))
            if spec["version"] == 3 and len(msg) > 2:
                msg[2] = rng.randrange(1, 50)
        data = bytes(msg)
        proto = PROTO_AH if rng.random() < 0.15 else PROTO_VRRP
        if proto == PROTO_AH:
            data = (
                ah_header(PROTO_VRRP, seq=rng.randrange(1 << 32))[: rng.choice([24, 24, rng.randrange(24)])]
                + data
            )
        ttl = rng.choice([255, 255, 255, rng.randrange(256)])
        unicast = spec.get("unicast", [])
        dst, mac = (None, None)
        if unicast and rng.random() < 0.2:
            dst, mac = rng.choice(unicast)
        if s.v6:
            if how == 4:
                data = struct.pack("!BB", proto, 0) + b"\x01\x04\0\0\0\0" + data
                nh = 0
            elif how == 5 and len(data) > 8:
                nh = 44
                ident = rng.randrange(1 << 32)
                first = struct.pack("!BBHI", proto, 0, 1, ident) + data[:8]
                yield "fuzz", s.frame(s.ip(first, dst=dst, next_header=44, hop_limit=ttl), mac)
                if rng.random() < 0.5:
                    continue
                data = struct.pack("!BBHI", proto, 0, 1 << 3, ident) + data[8:]
            else:
                nh = proto
            yield "fuzz", s.frame(s.ip(data, dst=dst, next_header=nh, hop_limit=ttl), mac)
        else:
            options = b""
            if how == 4:
                options = rng.randbytes(4 * rng.randrange(1, 11))
            if how == 5 and len(data) > 8:
                ident = rng.randrange(1 << 16)
                first = ipv4_packet(
                    data[:8], src=spec["src"], dst=dst or MCAST4, proto=proto, ident=ident, frag=0x2000
                )
                yield "fuzz", s.frame(first, mac)
                if rng.random() < 0.5:
                    continue
                rest = ipv4_packet(
                    data[8:], src=spec["src"], dst=dst or MCAST4, proto=proto, ident=ident, frag=1
                )
                yield "fuzz", s.frame(rest, mac)
                continue
            total = None
            if how == 6:
                total = rng.randrange(20, 2000)
            yield (
                "fuzz",
                s.frame(
                    s.ip(
                        data,
                        dst=dst,
                        proto=proto,
                        ttl=ttl,
                        options=options,
                        total_length=total,
                        bad_checksum=rng.random() < 0.05,
                    ),
                    mac,
                ),
            )


def paced(items: Iterator[tuple[str, bytes]], s: Sender, gap: float, count: int | None = None) -> None:
    next_at = time.monotonic()
    for n, (name, frame) in enumerate(items):
        if count is not None and n >= count:
            return
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        s.send(name, frame)
        next_at += gap


def battery(spec: dict[str, Any]) -> dict[str, int]:
    s = Sender(spec)
    make: Callable[[Sender], Iterator[tuple[str, bytes]]] = battery_v6 if s.v6 else battery_v4
    for _ in range(spec.get("repeat", 1)):
        paced(make(s), s, spec.get("gap", 0.01))
    return s.sent


def fuzz(spec: dict[str, Any]) -> dict[str, int]:
    s = Sender(spec)
    paced(mutations(s, random.Random(spec.get("seed", 1))), s, 1.0 / spec.get("rate", 2000), spec["count"])
    return s.sent


def prio0(spec: dict[str, Any]) -> dict[str, int]:
    s = Sender(spec)

    def zeros() -> Iterator[tuple[str, bytes]]:
        while True:
            yield "priority_0", s.frame(s.ip(s.message(priority=0)))

    paced(zeros(), s, spec.get("gap", 0.05), spec["count"])
    return s.sent


def capture(seconds: float, src: str) -> None:
    want = ipaddress.ip_address(src)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind(("eth0", 0))
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    print("ready", flush=True)
    offset = time.monotonic() - time.time()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not select.select([sock], [], [], 0.2)[0]:
            continue
        frame, ancdata, _flags, _addr = sock.recvmsg(4096, socket.CMSG_SPACE(16))
        when = time.time()
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                sec, nsec = struct.unpack("qq", data[:16])
                when = sec + nsec / 1e9
        ethertype = struct.unpack_from("!H", frame, 12)[0] if len(frame) >= 14 else 0
        if ethertype == 0x0800 and len(frame) >= 34 + 8:
            ihl = (frame[14] & 0xF) * 4
            source, proto, vrrp = ipaddress.IPv4Address(frame[26:30]), frame[23], frame[14 + ihl :]
        elif ethertype == 0x86DD and len(frame) >= 54 + 8:
            source, proto, vrrp = ipaddress.IPv6Address(frame[22:38]), frame[20], frame[54:]
        else:
            continue
        if source != want or proto not in (PROTO_VRRP, PROTO_AH):
            continue
        if proto == PROTO_AH:
            vrrp = vrrp[24:]
        if len(vrrp) >= 3:
            print(json.dumps({"t": round(when + offset, 6), "priority": vrrp[2]}), flush=True)


def main() -> None:
    command = sys.argv[1]
    if command == "capture":
        capture(float(sys.argv[2]), sys.argv[3])
        return
    spec = json.loads(sys.argv[2])
    result = {"battery": battery, "fuzz": fuzz, "prio0": prio0}[command](spec)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
