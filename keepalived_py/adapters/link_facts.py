"""Every interface of the namespace as keepalived's data dump lists them (pyroute2, read only)."""

from __future__ import annotations

import ipaddress
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pyroute2 import IPRoute


@dataclass(frozen=True, slots=True)
class LinkFacts:
    index: int
    name: str
    flags: int  # IFF_* of ifi_flags
    mtu: int
    hw_type: int  # ARPHRD_*
    mac: str  # "02:6b:6c:00:00:11", "" when none
    broadcast: str
    ipv4: tuple[str, ...]  # the first is keepalived's "IPv4 address"
    ipv6_link_local: tuple[str, ...]


def read_links() -> list[LinkFacts]:
    """All links, in index order, with their IPv4 addresses and IPv6 link-local addresses.

    pyroute2's synchronous IPRoute runs its own event loop, which it cannot do inside a running
    one: the request is made from a short-lived thread (a dump is rare and small)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="link-facts") as pool:
        return pool.submit(_read_links).result()


def _read_links() -> list[LinkFacts]:
    with IPRoute() as ipr:
        links = ipr.get_links()
        addrs = ipr.get_addr()
    v4: dict[int, list[str]] = {}
    v6: dict[int, list[str]] = {}
    for a in addrs:
        address = a.get_attr("IFA_ADDRESS")
        if address is None:
            continue
        index = int(a["index"])
        if a["family"] == 2:
            v4.setdefault(index, []).append(address)
        elif ipaddress.ip_address(address).is_link_local:
            v6.setdefault(index, []).append(address)
    found = []
    for link in links:
        index = int(link["index"])
        found.append(
            LinkFacts(
                index=index,
                name=link.get_attr("IFLA_IFNAME") or "",
                flags=int(link["flags"]),
                mtu=int(link.get_attr("IFLA_MTU") or 0),
                hw_type=int(link["ifi_type"]),
                mac=link.get_attr("IFLA_ADDRESS") or "",
                broadcast=link.get_attr("IFLA_BROADCAST") or "",
                ipv4=tuple(v4.get(index, ())),
                ipv6_link_local=tuple(v6.get(index, ())),
            )
        )
    return sorted(found, key=lambda f: f.index)
