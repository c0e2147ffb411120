"""Small programs run inside lab nodes to exercise the adapters (``python -m tests.netns.adapter_probe``).

Each prints ``ready`` once listening, then one JSON line with what it saw, and exits.
"""

from __future__ import annotations

import ipaddress
import json
import select
import socket
import sys
import time
from collections.abc import Callable

from keepalived_py.adapters.garp import ETH_P_ARP, ETH_P_IPV6, GarpSender
from keepalived_py.adapters.vrrp_socket import ReceivedV4, ReceivedV6, VrrpSocketV4, VrrpSocketV6
from keepalived_py.vrrp import packet


def _say(obj: object) -> None:
    print(json.dumps(obj), flush=True)


def _wait(fd: int, timeout: float) -> bool:
    return bool(select.select([fd], [], [], timeout)[0])


def recv4(group: str) -> None:
    sock = VrrpSocketV4("eth0", group=ipaddress.IPv4Address(group) if group != "none" else None)
    print("ready", flush=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not _wait(sock.fileno(), 0.5):
            continue
        got = sock.recv()
        assert isinstance(got, ReceivedV4)
        ip = packet.parse_ipv4_packet(got.packet)
        adv = packet.decode(ip.payload, src=ip.src, dst=ip.dst, family=socket.AF_INET)
        _say(
            {
                "src": str(ip.src),
                "dst": str(ip.dst),
                "ttl": ip.ttl,
                "tos": ip.tos,
                "vrid": adv.vrid,
                "priority": adv.priority,
                "addresses": [str(a) for a in adv.addresses],
            }
        )
        return
    _say({"timeout": True})


def send4(src: str, dst: str) -> None:
    sock = VrrpSocketV4("eth0", group=None)
    s, d = ipaddress.IPv4Address(src), ipaddress.IPv4Address(dst)
    adv = packet.Advertisement(2, 51, 150, 1, (ipaddress.IPv4Address("192.0.2.100"),))
    data = packet.build_ipv4_packet(packet.encode(adv, src=s, dst=d), src=s, dst=d, ident=1)
    _say({"sent": sock.send(data, d)})


def recv6() -> None:
    sock = VrrpSocketV6("eth0")
    print("ready", flush=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not _wait(sock.fileno(), 0.5):
            continue
        got = sock.recv()
        assert isinstance(got, ReceivedV6)
        assert got.dst is not None
        adv = packet.decode(got.payload, src=got.src, dst=got.dst, family=socket.AF_INET6)
        _say(
            {
                "src": str(got.src),
                "dst": str(got.dst),
                "hop_limit": got.hop_limit,
                "vrid": adv.vrid,
                "priority": adv.priority,
                "addresses": [str(a) for a in adv.addresses],
            }
        )
        return
    _say({"timeout": True})


def send6(src: str, dst: str) -> None:
    sock = VrrpSocketV6("eth0", group=None)
    s, d = ipaddress.IPv6Address(src), ipaddress.IPv6Address(dst)
    adv = packet.Advertisement(3, 52, 120, 100, (ipaddress.IPv6Address("2001:db8::64"),))
    _say({"sent": sock.send(packet.encode(adv, src=s, dst=d), src=s, dst=d)})


def capture(kind: str) -> None:
    proto = ETH_P_ARP if kind == "arp" else ETH_P_IPV6
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    sock.bind(("eth0", 0))
    print("ready", flush=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not _wait(sock.fileno(), 0.5):
            continue
        frame = sock.recv(2048)
        if kind == "na" and (len(frame) < 55 or frame[20] != 58 or frame[54] != 136):
            continue  # not ICMPv6 NA (router solicitations, MLD...)
        _say({"frame": frame.hex()})
        return
    _say({"timeout": True})


def garp(vip: str) -> None:
    sender = GarpSender()
    addr = ipaddress.ip_address(vip)
    if isinstance(addr, ipaddress.IPv4Address):
        ok = sender.send_garp("eth0", addr)
    else:
        ok = sender.send_na("eth0", addr, router=False)
    _say({"sent": ok, "mac": sender.mac("eth0").hex()})


COMMANDS: dict[str, Callable[..., None]] = {
    "recv4": recv4,
    "send4": send4,
    "recv6": recv6,
    "send6": send6,
    "capture": capture,
    "garp": garp,
}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
