"""Capture gratuitous ARPs and unsolicited NAs on a lab node's eth0 (``python -m tests.netns.frame_capture``).

Prints ``ready`` once the AF_PACKET socket is bound, then one JSON line per frame, flushed:
``{"t": <monotonic seconds, kernel receive time>, "kind": "arp"|"na", "address": ..., "mac": ...}``.
Runs until killed or for the number of seconds given as the first argument.

``python -m tests.netns.frame_capture advert SRC PRIORITY VIP...`` sends one VRRPv2 advert
(VRID 51, 1 s) to 224.0.0.18 instead, to provoke a master's lower-priority reaction.
"""

from __future__ import annotations

import ipaddress
import json
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35


def parse(frame: bytes) -> dict[str, object] | None:
    """A gratuitous ARP request or an unsolicited NA, else None."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack_from("!H", frame, 12)[0]
    mac = frame[6:12].hex(":")
    if ethertype == 0x0806 and len(frame) >= 42:
        op = struct.unpack_from("!H", frame, 20)[0]
        spa, tpa = frame[28:32], frame[38:42]
        if op == 1 and spa == tpa:
            return {"kind": "arp", "address": str(ipaddress.IPv4Address(spa)), "mac": mac}
    elif ethertype == 0x86DD and len(frame) >= 14 + 40 + 24:
        nh = frame[14 + 6]
        icmp = frame[54:]
        if nh == 58 and icmp[0] == 136:
            return {"kind": "na", "address": str(ipaddress.IPv6Address(icmp[8:24])), "mac": mac}
    return None


def advert(src: str, priority: int, vips: list[str]) -> None:
    from keepalived_py.adapters.vrrp_socket import VrrpSocketV4
    from keepalived_py.vrrp import packet

    sock = VrrpSocketV4("eth0", group=None)
    s, d = ipaddress.IPv4Address(src), packet.VRRP_MCAST_V4
    adv = packet.Advertisement(2, 51, priority, 1, tuple(ipaddress.IPv4Address(v) for v in vips))
    data = packet.build_ipv4_packet(packet.encode(adv, src=s, dst=d), src=s, dst=d, ident=1)
    print(json.dumps({"sent": sock.send(data, d), "t": time.monotonic()}), flush=True)
    sock.close()


def main() -> None:
    if sys.argv[1:2] == ["advert"]:
        advert(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
        return
    duration = float(sys.argv[1]) if len(sys.argv) > 1 else 3600.0
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind(("eth0", 0))
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    print("ready", flush=True)
    # kernel timestamps are CLOCK_REALTIME: map them onto the monotonic clock once
    offset = time.monotonic() - time.time()
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if not select.select([sock], [], [], 0.2)[0]:
            continue
        frame, ancdata, _flags, _addr = sock.recvmsg(2048, socket.CMSG_SPACE(16))
        when = time.time()
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                sec, nsec = struct.unpack("qq", data[:16])
                when = sec + nsec / 1e9
        found = parse(frame)
        if found is not None:
            found["t"] = round(when + offset, 6)
            print(json.dumps(found), flush=True)


if __name__ == "__main__":
    main()
