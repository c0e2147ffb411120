"""Print the arrival time of every VRRP advert seen on a node (``python -m tests.netns.advert_times``).

A raw IPPROTO_VRRP socket (IPv4) bound to eth0 that joined 224.0.0.18: prints ``ready``, then one
line per advert, flushed: ``<monotonic seconds> <source> <vrid> <priority>``.  Runs until killed.
Used to measure advert gaps (e.g. while the master reloads a large configuration).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import sys
import time


def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
    index = socket.if_nametoindex("eth0")
    mreqn = struct.pack("4s4si", ipaddress.IPv4Address("224.0.0.18").packed, b"\0" * 4, index)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
    print("ready", flush=True)
    while True:
        data = sock.recv(2048)
        t = time.monotonic()
        if len(data) < 24:
            continue
        ihl = (data[0] & 0x0F) * 4
        src = ipaddress.IPv4Address(data[12:16])
        vrid, prio = data[ihl + 1], data[ihl + 2]
        sys.stdout.write(f"{t:.6f} {src} {vrid} {prio}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
