"""Gratuitous ARP and unsolicited Neighbour Advertisements, sent as whole Ethernet frames.

The frames are the ones keepalived sends (inventory 3.9):
* GARP: Ethernet broadcast, ARP *request*, sender = target = the VIP, target MAC = broadcast,
  source MAC = the interface's MAC;
* unsolicited NA: to 33:33:00:00:00:01 / ff02::1 from the VIP, hop limit 255, Override flag
  (Router flag when IPv6 forwarding is on), target link-layer address option.

``GarpSender`` owns one AF_PACKET socket per interface and only sends; when and how often is the
core's decision (its SendGratuitous actions).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct

ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
BROADCAST_MAC = b"\xff" * 6
ALL_NODES_MAC = bytes.fromhex("333300000001")
ALL_NODES = ipaddress.IPv6Address("ff02::1")
ND_NEIGHBOR_ADVERT = 136
NA_FLAG_ROUTER = 0x80000000
NA_FLAG_OVERRIDE = 0x20000000
ND_OPT_TARGET_LINKADDR = 2
IFF_NOARP = 0x80


def garp_frame(mac: bytes, vip: ipaddress.IPv4Address) -> bytes:
    """The gratuitous ARP request keepalived sends for ``vip`` from ``mac``."""
    eth = BROADCAST_MAC + mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + vip.packed + BROADCAST_MAC + vip.packed
    return eth + arp


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return int(~total & 0xFFFF)


def na_frame(mac: bytes, vip: ipaddress.IPv6Address, *, router: bool = False) -> bytes:
    """The unsolicited Neighbour Advertisement keepalived sends for ``vip`` from ``mac``."""
    flags = NA_FLAG_OVERRIDE | (NA_FLAG_ROUTER if router else 0)
    option = struct.pack("!BB", ND_OPT_TARGET_LINKADDR, 1) + mac
    body = struct.pack("!I", flags) + vip.packed + option
    icmp_len = 4 + len(body)
    pseudo = vip.packed + ALL_NODES.packed + struct.pack("!I3xB", icmp_len, socket.IPPROTO_ICMPV6)
    csum = _checksum(pseudo + struct.pack("!BBH", ND_NEIGHBOR_ADVERT, 0, 0) + body)
    icmp = struct.pack("!BBH", ND_NEIGHBOR_ADVERT, 0, csum) + body
    ip6 = struct.pack("!IHBB", 6 << 28, icmp_len, socket.IPPROTO_ICMPV6, 255) + vip.packed + ALL_NODES.packed
    eth = ALL_NODES_MAC + mac + struct.pack("!H", ETH_P_IPV6)
    return eth + ip6 + icmp


class GarpSender:
    """AF_PACKET sockets, one per interface, opened on first use."""

    def __init__(self) -> None:
        self._socks: dict[str, tuple[socket.socket, bytes]] = {}
        self.sent = 0
        self.errors = 0

    def _sock(self, ifname: str) -> tuple[socket.socket, bytes]:
        found = self._socks.get(ifname)
        if found is None:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # send only: protocol 0
            try:
                sock.setblocking(False)
                sock.bind((ifname, 0))
                mac = bytes(sock.getsockname()[4])[:6]
            except BaseException:
                sock.close()
                raise
            found = (sock, mac)
            self._socks[ifname] = found
        return found

    @staticmethod
    def noarp(ifname: str) -> bool:
        """The interface has IFF_NOARP ("ip link set IF arp off"): keepalived sends it no GARP/NA."""
        try:
            with open(f"/sys/class/net/{ifname}/flags", encoding="ascii") as f:
                return bool(int(f.read().strip(), 16) & IFF_NOARP)
        except (OSError, ValueError):
            return False

    def mac(self, ifname: str) -> bytes:
        return self._sock(ifname)[1]

    def _send(self, ifname: str, frame: bytes) -> bool:
        try:
            sock, _mac = self._sock(ifname)
            sock.send(frame)
        except OSError:
            self.errors += 1
            return False
        self.sent += 1
        return True

    def send_garp(self, ifname: str, vip: ipaddress.IPv4Address) -> bool:
        try:
            mac = self.mac(ifname)
        except OSError:
            self.errors += 1
            return False
        return self._send(ifname, garp_frame(mac, vip))

    def send_na(self, ifname: str, vip: ipaddress.IPv6Address, *, router: bool = False) -> bool:
        try:
            mac = self.mac(ifname)
        except OSError:
            self.errors += 1
            return False
        return self._send(ifname, na_frame(mac, vip, router=router))

    def forget(self, ifname: str) -> None:
        """Close the socket of an interface (it went away or changed)."""
        found = self._socks.pop(ifname, None)
        if found is not None:
            found[0].close()

    def close(self) -> None:
        for sock, _mac in self._socks.values():
            with contextlib.suppress(OSError):
                sock.close()
        self._socks.clear()
