"""``use_vmac``: the names, MAC addresses and kernel parameters keepalived 2.2.7 gives a VMAC.

Pure: the runtime (``runtime/vrrp_vmac.py``) asks the kernel what exists and applies what these
functions decide.  Facts from keepalived 2.2.7 (``vrrp/vrrp.c``, ``vrrp_vmac.c``,
``vrrp_if_config.c``) and RFC 5798 section 7.3:

* the virtual MAC is 00:00:5e:00:01:VRID for an IPv4 instance, 00:00:5e:00:02:VRID for IPv6,
  unless ``use_vmac`` names one (five octets: the VRID is the sixth);
* without a configured name the interface is ``<vmac_prefix>.<VRID>`` (prefix ``vrrp``); when
  that name is taken, ``vrrp1.<VRID>``, ``vrrp2.<VRID>``... (IPv6 tries ``vrrp6.<VRID>`` first
  and never uses 6 after that), the prefix shortened to fit the kernel's 15 characters;
* an IPv4 VMAC gets arp_ignore 1, accept_local 1, rp_filter 0, promote_secondaries 1, its base
  interface arp_ignore 1 and arp_filter 1 (put back as they were when its last VMAC goes), and
  net.ipv4.conf.all.rp_filter is moved to 0 without weakening any interface (see
  ``rp_filter_clear``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from keepalived_py.config.model.ip import IpAddress

IFNAMSIZ = 16  # the kernel's limit, terminating NUL included
DEFAULT_PREFIX = "vrrp"
_RFC5798_PREFIX = (0x00, 0x00, 0x5E, 0x00)

# (parameter, value) under net/ipv4/conf/<vmac>/, in keepalived's order
VMAC_IPV4_SYSCTLS: tuple[tuple[str, int], ...] = (
    ("arp_ignore", 1),
    ("accept_local", 1),
    ("rp_filter", 0),
    ("promote_secondaries", 1),
)
# (parameter, value) under net/ipv4/conf/<base>/ while a VMAC sits on it
BASE_IPV4_SYSCTLS: tuple[tuple[str, int], ...] = (("arp_ignore", 1), ("arp_filter", 1))


def vmac_mac(vrid: int, family: int, configured: str | None = None) -> str:
    """The VMAC's address, ``aa:bb:cc:dd:ee:ff`` (lower case, as ``ip link`` prints it).

    ``configured`` is ``use_vmac``'s MAC as the config layer keeps it: six octets, or five when
    the VRID completes it.
    """
    if not 1 <= vrid <= 255:
        raise ValueError(f"VRID {vrid} outside [1, 255]")
    if configured:
        octets = [int(part, 16) for part in configured.split(":") if part]
        if len(octets) == 5:
            octets.append(vrid)
        if len(octets) != 6 or any(not 0 <= o <= 255 for o in octets):
            raise ValueError(f"not a MAC address: {configured!r}")
    else:
        octets = [*_RFC5798_PREFIX, 0x02 if family == 6 else 0x01, vrid]
    return ":".join(f"{o:02x}" for o in octets)


def mac_bytes(mac: str) -> bytes:
    return bytes(int(part, 16) for part in mac.split(":"))


def _fit(prefix: str, number: str, vrid: int) -> str:
    """``<prefix><number>.<vrid>``, the prefix cut so the name has at most 15 characters."""
    tail = f"{number}.{vrid}"
    room = IFNAMSIZ - 1 - len(tail)
    return prefix[: max(room, 0)] + tail


def vmac_name_candidates(prefix: str, vrid: int, family: int) -> Iterator[str]:
    """The names keepalived tries in turn for an unnamed VMAC (an endless sequence)."""
    yield _fit(prefix, "", vrid)
    num = 0
    while True:
        if family == 6:
            if num == 0:
                num = 6
            elif num == 6:
                num = 1
            else:
                num += 1
                if num == 6:
                    num += 1
        else:
            num += 1
        yield _fit(prefix, str(num), vrid)


def choose_vmac_name(prefix: str | None, vrid: int, family: int, taken: Callable[[str], bool]) -> str:
    """The first candidate name that no interface and no other instance's VMAC uses."""
    for name in vmac_name_candidates(prefix or DEFAULT_PREFIX, vrid, family):
        if not taken(name):
            return name
    raise AssertionError("unreachable: the candidates never end")  # pragma: no cover


def is_matching_vmac(
    *, kind: str | None, mode: str | None, mac: str | None, base_ok: bool, want_mac: str
) -> bool:
    """An existing interface keepalived would adopt as this instance's VMAC."""
    return (
        kind == "macvlan"
        and mode == "private"
        and base_ok
        and mac is not None
        and mac.lower() == want_mac.lower()
    )


def link_local_from_mac(mac: str) -> ipaddress.IPv6Address:
    """The modified EUI-64 link-local address of ``mac`` (fe80::/64, universal/local bit flipped)."""
    b = mac_bytes(mac)
    iid = bytes((b[0] ^ 0x02, b[1], b[2], 0xFF, 0xFE, b[3], b[4], b[5]))
    return ipaddress.IPv6Address(b"\xfe\x80" + b"\0" * 6 + iid)


@dataclass(frozen=True, slots=True)
class SysctlWrite:
    """One value written to /proc/sys/net/ipv4/conf/<ifname>/<param>."""

    ifname: str
    param: str
    value: int


def base_changes(ifname: str, current: Mapping[str, int | None]) -> tuple[SysctlWrite, ...]:
    """What base interface ``ifname`` needs when its first VMAC arrives (``current``: parameter
    -> value, None when unreadable).  keepalived sets both together when either differs."""
    if all(current.get(param) == value for param, value in BASE_IPV4_SYSCTLS):
        return ()
    return tuple(SysctlWrite(ifname, param, value) for param, value in BASE_IPV4_SYSCTLS)


def vmac_writes(ifname: str) -> tuple[SysctlWrite, ...]:
    return tuple(SysctlWrite(ifname, param, value) for param, value in VMAC_IPV4_SYSCTLS)


@dataclass(frozen=True, slots=True)
class RpFilterPlan:
    """The writes and log lines of one step of the rp_filter dance."""

    writes: tuple[SysctlWrite, ...]
    logs: tuple[str, ...]


@dataclass
class RpFilterSaved:
    """What ``rp_filter_clear`` changed, for ``rp_filter_restore``."""

    all_value: int
    default_value: int | None = None
    interfaces: dict[str, int] = field(default_factory=dict)


def rp_filter_clear(
    all_value: int | None, default_value: int | None, interfaces: Mapping[str, int | None]
) -> tuple[RpFilterPlan, RpFilterSaved | None]:
    """Let a VMAC have rp_filter 0: the kernel uses max(all, interface), so keepalived raises
    default and every interface to all's value, then sets all to 0.  Nothing changes for any
    interface, existing or future, except that ours can now be 0."""
    if all_value is None:
        return RpFilterPlan((), ("Unable to read sysctl net.ipv4.conf.all.rp_filter",)), None
    if all_value == 0:
        return RpFilterPlan((), ()), None
    saved = RpFilterSaved(all_value)
    writes: list[SysctlWrite] = []
    logs: list[str] = []
    if default_value is not None and default_value < all_value:
        logs.append(
            f"NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from {default_value} to {all_value}"
        )
        writes.append(SysctlWrite("default", "rp_filter", all_value))
        saved.default_value = default_value
    for ifname, value in interfaces.items():
        if value is not None and value < all_value:
            writes.append(SysctlWrite(ifname, "rp_filter", all_value))
            saved.interfaces[ifname] = value
    logs.append(f"NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from {all_value} to 0")
    writes.append(SysctlWrite("all", "rp_filter", 0))
    return RpFilterPlan(tuple(writes), tuple(logs)), saved


def rp_filter_restore(
    saved: RpFilterSaved,
    all_now: int | None,
    default_now: int | None,
    interfaces_now: Mapping[str, int | None],
) -> RpFilterPlan:
    """Put back what ``rp_filter_clear`` changed, where nobody changed it since."""
    writes: list[SysctlWrite] = []
    logs: list[str] = []
    if all_now == 0:
        logs.append(f"NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to {saved.all_value}")
        writes.append(SysctlWrite("all", "rp_filter", saved.all_value))
    if saved.default_value is not None and default_now == saved.all_value:
        logs.append(f"NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to {saved.default_value}")
        writes.append(SysctlWrite("default", "rp_filter", saved.default_value))
    for ifname, value in saved.interfaces.items():
        if interfaces_now.get(ifname) == saved.all_value:
            writes.append(SysctlWrite(ifname, "rp_filter", value))
    return RpFilterPlan(tuple(writes), tuple(logs))


def place_addresses(
    entries: Iterable[IpAddress], *, interface: str, family: int, vmac: str
) -> tuple[IpAddress, ...]:
    """Where keepalived puts a use_vmac instance's VIPs and eVIPs: those of the instance's family
    with no ``dev`` or with the instance's interface go on the VMAC; an address of the other
    family with no ``dev`` stays on the interface; any other ``dev`` is kept."""
    placed = []
    for entry in entries:
        if entry.dev is None or entry.dev == interface:
            entry = replace(entry, dev=vmac if entry.family == family else interface)
        placed.append(entry)
    return tuple(placed)


def plan_placement(
    entries: Iterable[IpAddress], *, interface: str, family: int, vmac: str | None, use_vmac_addr: bool
) -> tuple[tuple[IpAddress, tuple[str, int] | None], ...]:
    """keepalived's placement of VIPs/eVIPs including ``use_vmac_addr`` and a VIP's own
    ``use_vmac``: each entry with its ``dev`` filled in, or with the (interface, family) of the
    extra VMAC it must go on (``dev`` then names the interface under that VMAC).

    * instance's family, no ``dev`` or the instance's interface, instance VMAC -> that VMAC;
    * no ``dev`` or the instance's interface otherwise -> the interface, or an extra VMAC on it
      with the VIP's ``use_vmac``, or for the other family with ``use_vmac_addr``;
    * another ``dev`` -> kept, or an extra VMAC on it with ``use_vmac`` / ``use_vmac_addr``.
    """
    planned: list[tuple[IpAddress, tuple[str, int] | None]] = []
    for entry in entries:
        own = entry.dev is None or entry.dev == interface
        if own and vmac and entry.family == family:
            planned.append((replace(entry, dev=vmac), None))
            continue
        dev = interface if own else str(entry.dev)
        extra = entry.use_vmac or (use_vmac_addr and (not own or entry.family != family))
        planned.append((replace(entry, dev=dev), (dev, entry.family) if extra else None))
    return tuple(planned)
