"""macvlan interfaces (``use_vmac``) through netlink, and interface parameters through /proc/sys.

Thin: create, find, update, bring up and delete a private-mode macvlan; read and write one
``/proc/sys/net/ipv{4,6}/conf/<ifname>/<param>`` value.  The daemon runs inside its network
namespace, so /proc/sys/net is that namespace's.  Which names, addresses and values is decided
by ``vrrp/vmac_names.py`` and ``runtime/vrrp_vmac.py``.

As in ``addresses.py``, pyroute2's synchronous IPRoute runs in one worker thread (it has an
event loop of its own, which cannot run inside the daemon's).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

T = TypeVar("T")
IFF_UP = 0x1
IFA_F_NODAD = 0x02
INFINITY_LIFE_TIME = 0xFFFFFFFF
PROC_SYS = "/proc/sys"


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """What the kernel says about one interface (the fields a VMAC decision needs)."""

    ifindex: int
    name: str
    kind: str | None  # IFLA_INFO_KIND: "macvlan", "veth"... None for plain devices
    mode: str | None  # macvlan mode ("private", "bridge"...)
    mac: str | None
    link: int | None  # IFLA_LINK: the lower device's ifindex (0 or None when none)
    up: bool


def _info(msg: Any) -> LinkInfo:
    kind = mode = None
    linkinfo = msg.get("IFLA_LINKINFO")
    if linkinfo is not None:
        kind = linkinfo.get("IFLA_INFO_KIND")
        data = linkinfo.get("IFLA_INFO_DATA")
        if kind == "macvlan" and data is not None and hasattr(data, "get"):
            found = data.get("IFLA_MACVLAN_MODE")
            mode = str(found) if found is not None else None
    link = msg.get("IFLA_LINK")
    return LinkInfo(
        ifindex=int(msg["index"]),
        name=str(msg.get("IFLA_IFNAME")),
        kind=str(kind) if kind is not None else None,
        mode=mode,
        mac=str(msg.get("IFLA_ADDRESS")) if msg.get("IFLA_ADDRESS") else None,
        link=int(link) if link else None,
        up=bool(int(msg["flags"]) & IFF_UP),
    )


def _error(exc: NetlinkError) -> str:
    return os.strerror(exc.code) if exc.code else str(exc)


class VmacLinks:
    """One IPRoute socket in a worker thread, opened on first use."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._ipr: Any = None

    def _nl(self, method: str, *args: Any, **kw: Any) -> Any:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vmac-netlink")
            self._ipr = self._pool.submit(IPRoute).result()
        return self._pool.submit(getattr(self._ipr, method), *args, **kw).result()

    def close(self) -> None:
        if self._pool is not None:
            with contextlib.suppress(Exception):
                self._pool.submit(self._ipr.close).result()
            self._pool.shutdown(wait=True)
            self._pool = None

    def links(self) -> list[LinkInfo]:
        try:
            return [_info(msg) for msg in self._nl("get_links")]
        except NetlinkError:
            return []

    def index(self, ifname: str) -> int | None:
        """The ifindex of ``ifname`` (one ioctl, no netlink: cheap enough for every link event)."""
        try:
            return socket.if_nametoindex(ifname)
        except OSError:
            return None

    def get(self, ifname: str) -> LinkInfo | None:
        try:
            index = socket.if_nametoindex(ifname)
            return _info(self._nl("get_links", index)[0])
        except (OSError, NetlinkError, IndexError):
            return None

    def _do(self, fn: Callable[[], Any]) -> str | None:
        try:
            fn()
        except NetlinkError as exc:
            return _error(exc)
        return None

    def create(self, name: str, base_index: int, mac: str) -> str | None:
        """A new private-mode macvlan ``name`` on ``base_index`` with address ``mac`` (down)."""
        return self._do(
            lambda: self._nl(
                "link",
                "add",
                ifname=name,
                kind="macvlan",
                link=base_index,
                macvlan_mode="private",
                address=mac,
            )
        )

    def update(self, index: int, mac: str) -> str | None:
        """Make an existing macvlan private with address ``mac``."""
        return self._do(
            lambda: self._nl("link", "set", index=index, kind="macvlan", macvlan_mode="private", address=mac)
        )

    def delete(self, index: int) -> str | None:
        return self._do(lambda: self._nl("link", "del", index=index))

    def set_up(self, index: int) -> str | None:
        return self._do(lambda: self._nl("link", "set", index=index, state="up"))

    def link_local6(self, index: int) -> str | None:
        """The first IPv6 link-local address of interface ``index``."""
        try:
            msgs = self._nl("get_addr", index=index, family=socket.AF_INET6)
        except NetlinkError:
            return None
        for msg in msgs:
            address = str(msg.get("IFA_ADDRESS") or "")
            if address.lower().startswith("fe80:"):
                return address
        return None

    def add_address6(self, index: int, address: str, prefixlen: int = 64) -> str | None:
        """An IPv6 address as keepalived adds a VMAC's link-local one: no duplicate address
        detection, deprecated (preferred lifetime 0: never picked as a source by the kernel)."""
        error = self._do(
            lambda: self._nl(
                "addr",
                "add",
                index=index,
                address=address,
                prefixlen=prefixlen,
                family=socket.AF_INET6,
                flags=IFA_F_NODAD,
                IFA_CACHEINFO={"ifa_preferred": 0, "ifa_valid": INFINITY_LIFE_TIME},
            )
        )
        return None if error == os.strerror(17) else error  # EEXIST: already there


def _path(tree: str, ifname: str, param: str) -> str:
    return os.path.join(PROC_SYS, "net", tree, "conf", ifname, param)


def read_sysctl(tree: str, ifname: str, param: str) -> int | None:
    """net/<tree>/conf/<ifname>/<param> ("ipv4" or "ipv6"); None when absent or not a digit.

    keepalived reads and writes one digit, which is all these parameters take.
    """
    try:
        with open(_path(tree, ifname, param), "rb") as f:
            first = f.read(1)
    except OSError:
        return None
    return first[0] - 0x30 if first and first.isdigit() else None


def write_sysctl(tree: str, ifname: str, param: str, value: int) -> bool:
    try:
        with open(_path(tree, ifname, param), "wb") as f:
            f.write(str(value).encode())
    except OSError:
        return False
    return True


def ipv4_conf_interfaces() -> list[str]:
    """Every interface with IPv4 parameters (all but "all" and "default")."""
    try:
        names = os.listdir(os.path.join(PROC_SYS, "net", "ipv4", "conf"))
    except OSError:
        return []
    return sorted(n for n in names if n not in ("all", "default"))
