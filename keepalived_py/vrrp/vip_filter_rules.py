"""The nftables rules of VRRP's accept mode and use_vmac, as keepalived 2.2.7 builds them (pure).

An instance without ``accept`` mode (the default with ``vrrp_strict``, or ``no_accept``) that is
not the address owner must not let its host answer for the virtual addresses (RFC 5798
Accept_Mode).  keepalived puts each such instance's VIPs and eVIPs into sets of its own nftables
tables (``ip`` / ``ip6`` family, named by ``nftables``, default ``keepalived``) whose ``input``
and ``output`` chains drop what is addressed to / sent from them.  The addresses go in when the
instance becomes MASTER (before the VIPs are added) and come out when it leaves MASTER (after
the VIPs are removed); the tables themselves are built piece by piece the first time an address
of a kind needs them (old tables of the name deleted first), and deleted when the VRRP process
ends.  A use_vmac instance's VMAC gets rules in the same tables from the start: its IGMP / MLD
reports leave from the base interface (``dup``), its IPv6 router solicitations are dropped.

``VipFilterTables`` records what is installed and turns each change into a ``Change``: an
``nft -f`` script for the structure (tables, chains, sets, rules), which creates the same
objects in the same order as keepalived's netlink batches (accept-mode rules with the same byte
code, checked with ``nft --debug=netlink``; the VMAC rules load the same values in another
register order), and the set elements to add or delete, which the adapter sends as keepalived
does.  ``render()`` is what ``nft list ruleset`` then shows, compared in tests with listings
recorded from keepalived (tests/golden/nftables/).
"""

from __future__ import annotations

import ipaddress
import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from keepalived_py.config.model.global_defs import GlobalDefs
from keepalived_py.config.model.vrrp import PRIO_OWNER, VrrpInstance

IpAddr = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_TABLE = "keepalived"
IFNAMSIZ = 16
DEFAULT_PRIORITY = -1

IP = "ip"
IP6 = "ip6"

VIPS = "vips"
LINK_LOCAL = "vips_link_local"
LINK_LOCAL_NAME = "vips_link_local_name"
NEIGHBOR_DISCOVERY = "neighbor-discovery"
VMAC_MAP = "vmac_map"
VMAC_SET = "vmac_set"

# keepalived's log line when it takes the default table (vrrp_complete_instance)
DEFAULT_TABLE_MESSAGE = "use_vmac or no_accept/strict specified, but no firewall configured - using nftables"


def needs_filter(*, accept: bool, priority: int) -> bool:
    """keepalived sets drop rules for an instance that is neither in accept mode nor the owner."""
    return not accept and priority != PRIO_OWNER


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """The global_defs keywords: ``nftables [NAME]``, ``nftables_priority``,
    ``nftables_counters`` and ``nftables_ifindex``."""

    table: str = DEFAULT_TABLE
    priority: int = DEFAULT_PRIORITY
    counters: bool = False
    # nftables_ifindex: link-local VIPs always keyed by interface index, never by name.
    force_ifindex: bool = False

    @classmethod
    def from_global_defs(cls, gd: GlobalDefs) -> FilterOptions:
        return cls(
            table=gd.nftables or DEFAULT_TABLE,
            priority=gd.nftables_priority,
            counters=gd.nftables_counters,
            force_ifindex=gd.nftables_ifindex,
        )


@dataclass(frozen=True, slots=True)
class FilterEntry:
    """One set element: an address, and for an IPv6 link-local one its interface.

    A link-local address is only meaningful with its interface, so keepalived keys it with the
    interface index (set ``vips_link_local``) or, for an instance with ``dont_track_primary``
    whose address is on the instance's interface (or is ``no_track``), with the interface name
    (``vips_link_local_name``), unless ``nftables_ifindex`` is set.
    """

    address: IpAddr
    ifname: str = ""
    # Only used to order the elements as nft lists them (an iface_index set sorts by index).
    ifindex: int = 0
    by_name: bool = False

    @property
    def family(self) -> str:
        return IP if self.address.version == 4 else IP6

    @property
    def link_local(self) -> bool:
        return self.address.version == 6 and self.address.is_link_local

    @property
    def set_name(self) -> str:
        if not self.link_local:
            return VIPS
        return LINK_LOCAL_NAME if self.by_name else LINK_LOCAL

    def element(self) -> str:
        """The element as nft reads and lists it."""
        if not self.link_local:
            return str(self.address)
        return f'{self.address} . "{self.ifname}"'

    def key(self, ifindex: int | None = None) -> bytes:
        """The element's key as the kernel holds it: the address in network order, then for a
        link-local one the interface index (host order) or the name padded to IFNAMSIZ."""
        key = self.address.packed
        if self.link_local:
            if self.by_name:
                key += self.ifname.encode()[:IFNAMSIZ].ljust(IFNAMSIZ, b"\0")
            else:
                key += struct.pack("=I", self.ifindex if ifindex is None else ifindex)
        return key

    def sort_key(self) -> tuple[int, int]:
        # nft lists set elements sorted by value: addresses are big endian, interface names
        # are stored host (little) endian, interface indexes are plain numbers.
        second = 0
        if self.link_local:
            second = int.from_bytes(self.ifname.encode(), "little") if self.by_name else self.ifindex
        return int(self.address), second


def filter_entry(
    address: IpAddr,
    *,
    ifname: str,
    ifindex: int = 0,
    dont_track_primary: bool = False,
    on_instance_interface: bool = True,
    no_track: bool = False,
    options: FilterOptions = FilterOptions(),
) -> FilterEntry:
    """The element for one VIP/eVIP of an instance (``ifname``: the address's interface)."""
    by_name = (
        address.version == 6
        and address.is_link_local
        and not options.force_ifindex
        and dont_track_primary
        and (on_instance_interface or no_track)
    )
    return FilterEntry(address, ifname=ifname, ifindex=ifindex, by_name=by_name)


def instance_entries(
    inst: VrrpInstance,
    options: FilterOptions,
    ifindex: Callable[[str], int] = lambda name: 0,
    *,
    own_ifname: str | None = None,
) -> tuple[FilterEntry, ...]:
    """The elements of one instance: its VIPs then its eVIPs, in configuration order.

    ``own_ifname``: where the instance's addresses go without ``dev`` (its VMAC with use_vmac).
    """
    own = own_ifname or inst.interface or ""
    found = []
    for entry in (*inst.virtual_ipaddresses, *inst.virtual_ipaddresses_excluded):
        address = ipaddress.ip_address(entry.address.split("%", 1)[0])
        ifname = entry.dev or own
        found.append(
            filter_entry(
                address,
                ifname=ifname,
                ifindex=ifindex(ifname) if address.version == 6 and address.is_link_local else 0,
                dont_track_primary=inst.dont_track_primary,
                on_instance_interface=ifname == own,
                no_track=entry.no_track,
                options=options,
            )
        )
    return tuple(found)


def plan_options(gd: GlobalDefs, accepts: Iterable[bool]) -> tuple[FilterOptions | None, tuple[str, ...]]:
    """The tables' options, or None when keepalived would have no VRRP firewall at all.

    Without ``nftables`` in global_defs, an instance without accept mode makes keepalived use
    the default table (and say so once).  ``accepts``: each instance's accept mode.
    """
    if gd.nftables is not None:
        if not nft_identifier(gd.nftables):
            return None, (f"nftables table name '{gd.nftables}' cannot be used with nft - no drop rules",)
        return FilterOptions.from_global_defs(gd), ()
    if all(accepts):
        return None, ()
    return FilterOptions.from_global_defs(gd), (DEFAULT_TABLE_MESSAGE,)


@dataclass(frozen=True, slots=True)
class ElementChange:
    """Elements in or out of one set: what changes at every MASTER transition.

    Kept apart from the structure so that the adapter can send it as keepalived does, one
    small netlink batch, synchronously (the drop rules are in before the VIPs go on)."""

    add: bool
    family: str
    set_name: str
    entries: tuple[FilterEntry, ...]

    def nft(self, table: str) -> str:
        """The same as an nft command."""
        items = ", ".join(e.element() for e in self.entries)
        return (
            f"{'add' if self.add else 'delete'} element {self.family} {table} {self.set_name} {{ {items} }}"
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One change: an ``nft -f`` script for the tables, chains, sets and rules to create or
    delete (empty: none), the set elements to add or delete, keepalived's log lines."""

    table: str
    script: str = ""
    elements: tuple[ElementChange, ...] = ()
    logs: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.script and not self.elements

    def nft_script(self) -> str:
        """The whole change as one nft script (the structure first, as keepalived's batch)."""
        return self.script + "".join(e.nft(self.table) + "\n" for e in self.elements)


@dataclass
class _Table:
    family: str
    sets: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name -> (type, flags, set/map)
    chains: dict[str, str | None] = field(default_factory=dict)  # name -> hook or None
    rules: dict[str, list[str]] = field(default_factory=dict)  # chain -> rule texts
    elements: dict[str, set[FilterEntry]] = field(default_factory=dict)
    # vmac_map / vmac_set: (VMAC name, its index for the listing order, base name or "")
    vmacs: dict[str, set[tuple[str, int, str]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VmacLink:
    """A VMAC (macvlan) of a use_vmac instance and the interface it sits on."""

    name: str
    base: str
    ifindex: int = 0


def vmac_families(family: int, evip_families: Iterable[int], *, disable_local_igmp: bool) -> tuple[str, ...]:
    """The tables keepalived adds a VMAC to: its instance's family (IPv4 only without
    ``disable_local_igmp``), and the other family too when it has eVIPs of that family."""
    own = IP if family == 4 else IP6
    other = IP6 if family == 4 else IP
    if family == 4 and disable_local_igmp:
        return ()
    found = [own]
    if any(f != family for f in evip_families):
        found.append(other)
    return tuple(found)


class VipFilterTables:
    """keepalived's VRRP nftables tables: what is installed, and the scripts that change it.

    Element bookkeeping is per instance, as keepalived's per-address "rule set" flag: an
    instance adds only what it has not added, removes only what it added; an element already
    in (another instance with the same VIP) is not added twice and one already gone is not
    deleted again, so no script fails on EEXIST / ENOENT.
    """

    def __init__(self, options: FilterOptions = FilterOptions()) -> None:
        self.options = options
        # in creation order, which is the order nft lists them in
        self._tables: dict[str, _Table] = {}
        self._vips_setup: set[str] = set()
        self._owned: dict[str, set[FilterEntry]] = {}

    # -- queries ----------------------------------------------------------------------------

    @property
    def first_setup_pending(self) -> bool:
        """True until a table exists: the next ``add`` may first delete old tables, so the
        caller should say which exist (``existing=``)."""
        return not self._tables

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(self._tables)

    def installed(self, instance: str) -> frozenset[FilterEntry]:
        return frozenset(self._owned.get(instance, ()))

    # -- changes ----------------------------------------------------------------------------

    def add(self, instance: str, entries: Iterable[FilterEntry], *, existing: Iterable[str] = ()) -> Change:
        """Drop traffic to/from ``entries`` (an instance becoming MASTER).

        ``existing``: the families ("ip", "ip6") in which a table of our name exists before
        we have created any (left by a crash): keepalived deletes those first.
        """
        owned = self._owned.setdefault(instance, set())
        todo = [e for e in dict.fromkeys(entries) if e not in owned]
        if not todo:
            return Change(self._name)
        lines: list[str] = []
        logs: list[str] = []
        old = tuple(f for f in (IP, IP6) if f in set(existing))
        for entry in todo:
            if entry.family not in self._vips_setup:
                self._setup_vips(entry.family, lines, logs, old)
            if entry.link_local and entry.set_name not in self._tables[IP6].sets:
                self._setup_link_local(entry.by_name, lines)
            owned.add(entry)
        new = [e for e in todo if e not in self._tables[e.family].elements[e.set_name]]
        elements = []
        for family, set_name, group in self._groups(new):
            self._tables[family].elements[set_name].update(group)
            elements.append(ElementChange(True, family, set_name, tuple(group)))
        return Change(self._name, _script(lines), tuple(elements), tuple(logs))

    def remove(self, instance: str, entries: Iterable[FilterEntry]) -> Change:
        """Stop dropping ``entries`` (an instance leaving MASTER): the sets stay, emptied."""
        owned = self._owned.get(instance, set())
        todo = [e for e in dict.fromkeys(entries) if e in owned]
        owned.difference_update(todo)
        present = [e for e in todo if e in self._tables[e.family].elements.get(e.set_name, set())]
        elements = []
        for family, set_name, group in self._groups(present):
            self._tables[family].elements[set_name].difference_update(group)
            elements.append(ElementChange(False, family, set_name, tuple(group)))
        return Change(self._name, elements=tuple(elements))

    def add_vmac(self, vmac: VmacLink, families: Iterable[str], *, existing: Iterable[str] = ()) -> Change:
        """A VMAC was created: IGMP / MLD reports sent on it are dropped, a copy goes out on its
        base interface (``dup``), and IPv6 router solicitations from it are dropped."""
        lines: list[str] = []
        logs: list[str] = []
        old = tuple(f for f in (IP, IP6) if f in set(existing))
        for family in families:
            if family not in self._tables:
                self._setup_table(family, lines, logs, old)
            table = self._tables[family]
            if VMAC_MAP not in table.sets:
                self._setup_igmp(table, lines)
            entry = (vmac.name, vmac.ifindex, vmac.base)
            if entry in table.vmacs[VMAC_MAP]:
                continue
            # made again (a new index): the old element goes, as keepalived removes it when
            # the link disappears (by number: no interface has that index any more)
            for name in (VMAC_MAP, VMAC_SET):
                for stale in [v for v in table.vmacs.get(name, ()) if v[0] == vmac.name]:
                    table.vmacs[name].discard(stale)
                    if stale[1]:
                        lines.append(f"delete element {family} {self._name} {name} {{ {stale[1]} }}")
            table.vmacs[VMAC_MAP].add(entry)
            lines.append(f'add element {family} {self._name} {VMAC_MAP} {{ "{vmac.name}" : "{vmac.base}" }}')
            if family == IP6:
                table.vmacs[VMAC_SET].add((vmac.name, vmac.ifindex, ""))
                lines.append(f'add element {family} {self._name} {VMAC_SET} {{ "{vmac.name}" }}')
        return Change(self._name, _script(lines), logs=tuple(logs))

    def _setup_igmp(self, table: _Table, lines: list[str]) -> None:
        self._set(table, VMAC_MAP, "iface_index : iface_index", lines, kind="map")
        if table.family == IP6:
            self._set(table, VMAC_SET, "iface_index", lines)
        macvlan = 'meta oifkind "macvlan"'
        if table.family == IP:
            report = "ip protocol igmp"
            dup = "dup to ip daddr device oif map @vmac_map"
        else:
            report = "icmpv6 type mld2-listener-report"
            dup = "dup to ip6 daddr device oif map @vmac_map"
        self._rule(table, "out", f"{report} {macvlan} {dup}", "drop", lines)
        if table.family == IP6:
            self._rule(table, "out", f"icmpv6 type nd-router-solicit {macvlan} oif @vmac_set", "drop", lines)

    def cleanup(self) -> Change:
        """Delete our tables (the VRRP process ends); afterwards everything starts again."""
        lines = [f"delete table {family} {self._name}" for family in (IP, IP6) if family in self._tables]
        self._tables.clear()
        self._vips_setup.clear()
        self._owned.clear()
        return Change(self._name, _script(lines))

    # -- keepalived's construction order --------------------------------------------------------

    @property
    def _name(self) -> str:
        return self.options.table

    def _counter(self) -> str:
        return " counter" if self.options.counters else ""

    def _setup_table(self, family: str, lines: list[str], logs: list[str], old: tuple[str, ...]) -> None:
        if not self._tables:
            for gone in old:
                logs.append(f"Deleting old {gone} {self.options.table} table")
                lines.append(f"delete table {gone} {self._name}")
        table = self._tables[family] = _Table(family)
        lines.append(f"add table {family} {self._name}")
        self._chain(table, "out", "output", lines)

    def _chain(self, table: _Table, name: str, hook: str | None, lines: list[str]) -> None:
        table.chains[name] = hook
        table.rules[name] = []
        spec = ""
        if hook is not None:
            spec = f" {{ type filter hook {hook} priority {self.options.priority}; policy accept; }}"
        lines.append(f"add chain {table.family} {self._name} {name}{spec}")

    def _set(
        self, table: _Table, name: str, type_: str, lines: list[str], flags: str = "", kind: str = "set"
    ) -> None:
        table.sets[name] = (type_, flags, kind)
        table.elements[name] = set()
        table.vmacs[name] = set()
        extra = f" flags {flags};" if flags else ""
        lines.append(f"add {kind} {table.family} {self._name} {name} {{ type {type_};{extra} }}")

    def _rule(self, table: _Table, chain: str, match: str, verdict: str, lines: list[str]) -> None:
        text = f"{match}{self._counter()} {verdict}"
        table.rules[chain].append(text)
        lines.append(f"add rule {table.family} {self._name} {chain} {text}")

    def _setup_vips(self, family: str, lines: list[str], logs: list[str], old: tuple[str, ...]) -> None:
        if family not in self._tables:
            self._setup_table(family, lines, logs, old)
        table = self._tables[family]
        self._chain(table, "in", "input", lines)
        if family == IP:
            self._set(table, VIPS, "ipv4_addr", lines)
            self._rule(table, "in", "ip daddr @vips", "drop", lines)
            self._rule(table, "out", "ip saddr @vips", "drop", lines)
        else:
            self._chain(table, "in_link_local", None, lines)
            self._chain(table, "out_link_local", None, lines)
            self._set(table, VIPS, "ipv6_addr", lines)
            self._set(table, NEIGHBOR_DISCOVERY, "icmpv6_type", lines, flags="constant")
            nd_types = "nd-neighbor-solicit, nd-neighbor-advert"
            lines.append(f"add element ip6 {self._name} {NEIGHBOR_DISCOVERY} {{ {nd_types} }}")
            # keepalived matches the next header itself (not nft's meta l4proto dependency)
            nd = "ip6 nexthdr ipv6-icmp icmpv6 type @neighbor-discovery"
            self._rule(table, "in", nd, "accept", lines)
            self._rule(table, "in", "ip6 daddr fe80::/10", "goto in_link_local", lines)
            self._rule(table, "out", nd, "accept", lines)
            self._rule(table, "out", "ip6 saddr fe80::/10", "goto out_link_local", lines)
            self._rule(table, "in", "ip6 daddr @vips", "drop", lines)
            self._rule(table, "out", "ip6 saddr @vips", "drop", lines)
        self._vips_setup.add(family)

    def _setup_link_local(self, by_name: bool, lines: list[str]) -> None:
        table = self._tables[IP6]
        name, key, iif, oif = (
            (LINK_LOCAL_NAME, "ifname", "iifname", "oifname")
            if by_name
            else (LINK_LOCAL, "iface_index", "iif", "oif")
        )
        self._set(table, name, f"ipv6_addr . {key}", lines)
        self._rule(table, "in_link_local", f"ip6 daddr . {iif} @{name}", "drop", lines)
        self._rule(table, "out_link_local", f"ip6 saddr . {oif} @{name}", "drop", lines)

    @staticmethod
    def _groups(entries: list[FilterEntry]) -> list[tuple[str, str, list[FilterEntry]]]:
        """keepalived sends one element message per set: ip vips, ip6 vips, by index, by name."""
        order = ((IP, VIPS), (IP6, VIPS), (IP6, LINK_LOCAL), (IP6, LINK_LOCAL_NAME))
        found = []
        for family, set_name in order:
            group = [e for e in entries if e.family == family and e.set_name == set_name]
            if group:
                found.append((family, set_name, group))
        return found

    # -- nft list ruleset -------------------------------------------------------------------

    def render(self) -> str:
        """What ``nft list ruleset`` shows of our tables (counters at 0)."""
        out: list[str] = []
        for table in self._tables.values():
            out.append(f"table {table.family} {self._name} {{")
            blocks: list[list[str]] = []
            for name, (type_, flags, kind) in table.sets.items():
                block = [f"\t{kind} {name} {{", f"\t\ttype {type_}"]
                if flags:
                    block.append(f"\t\tflags {flags}")
                elements = table.elements[name]
                if table.vmacs[name]:
                    block.append(f"\t\telements = {{ {_vmac_listing(table.vmacs[name])} }}")
                elif name == NEIGHBOR_DISCOVERY:
                    block.append(f"\t\telements = {{ nd-neighbor-solicit{_NEWLINE}nd-neighbor-advert }}")
                elif elements:
                    block.append(f"\t\telements = {{ {_listing(elements)} }}")
                block.append("\t}")
                blocks.append(block)
            for name, hook in table.chains.items():
                block = [f"\tchain {name} {{"]
                if hook is not None:
                    prio = _priority_name(self.options.priority)
                    block.append(f"\t\ttype filter hook {hook} priority {prio}; policy accept;")
                for rule in table.rules[name]:
                    block.append("\t\t" + _listed_rule(rule))
                block.append("\t}")
                blocks.append(block)
            for i, block in enumerate(blocks):
                if i:
                    out.append("")
                out.extend(block)
            out.append("}")
        return "".join(line + "\n" for line in out)


_NEWLINE = ",\n\t\t\t     "


def _listing(elements: set[FilterEntry]) -> str:
    """nft's element list: sorted by value, IPv4 addresses two per line, others one."""
    ordered = sorted(elements, key=FilterEntry.sort_key)
    texts = [e.element() for e in ordered]
    if ordered[0].address.version == 4:
        pairs = [", ".join(texts[i : i + 2]) for i in range(0, len(texts), 2)]
        return _NEWLINE.join(pairs)
    return _NEWLINE.join(texts)


def _vmac_listing(vmacs: set[tuple[str, int, str]]) -> str:
    """Interface indexes (map elements too): sorted by index, five to a line."""
    texts = [
        f'"{name}" : "{base}"' if base else f'"{name}"' for name, _, base in sorted(vmacs, key=lambda v: v[1])
    ]
    return _NEWLINE.join(", ".join(texts[i : i + 5]) for i in range(0, len(texts), 5))


def _listed_rule(rule: str) -> str:
    """nft lists keepalived's explicit next-header match as the implied icmpv6 dependency."""
    rule = rule.replace("ip6 nexthdr ipv6-icmp ", "")
    return rule.replace(" counter ", " counter packets 0 bytes 0 ")


# nft's standard priority names for the input/output hooks (ip, ip6), used within +-10
_STD_PRIORITIES = (("raw", -300), ("mangle", -150), ("filter", 0), ("security", 50))


def _priority_name(priority: int) -> str:
    for name, value in _STD_PRIORITIES:
        offset = priority - value
        if -10 <= offset <= 10:
            if offset > 0:
                return f"{name} + {offset}"
            if offset < 0:
                return f"{name} - {-offset}"
            return name
    return str(priority)


def nft_identifier(name: str) -> bool:
    """Whether nft reads ``name`` as a table name (its scanner's identifier; nft 1.0.6 takes
    no quoted table names, keepalived's netlink takes any word shorter than 32 bytes)."""
    return re.fullmatch(r"[A-Za-z_.][A-Za-z0-9/\-_.]*", name) is not None


def _script(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)
