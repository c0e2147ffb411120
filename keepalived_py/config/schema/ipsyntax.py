"""Readers for keepalived's ip(8)-style lines: addresses, routes, rules.

keepalived reads ``virtual_ipaddress``, ``virtual_routes``, ``virtual_rules`` and their
``static_*`` counterparts with its own small ip(8) parsers; these readers accept the same words,
resolve the same /etc/iproute2 names and report the same messages (all GENERAL_ERROR unless
said otherwise).  A word missing after an option that needs one is keepalived's fatal "missing
a parameter" (exit status 2), except in address lines, which check for it themselves.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any

from keepalived_py.config.dispatch import ParseContext
from keepalived_py.config.errors import Severity
from keepalived_py.config.model.ip import (
    INFINITY_LIFE_TIME,
    RT_TABLE_MAIN,
    RTN_UNICAST,
    RTPROT_KEEPALIVED,
    Encap,
    IpAddress,
    IpPrefix,
    Nexthop,
    Route,
    Rule,
)
from keepalived_py.config.values import UINT_MAX, ULONG_MAX, read_decimal, read_unsigned

GE = Severity.GENERAL_ERROR
DEFAULT_INTERFACE = "eth0"  # keepalived's DFLT_INT
RULE_START_PRIORITY = 16384
IFNAMSIZ = 16
_BLANKS = " \t\n\r\f\v"

# -- plain addresses ---------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _pton(text: str, v6: bool) -> str | None:
    """inet_pton(): the canonical text of an address of the given family, or None."""
    if "%" in text or not text:
        return None
    try:
        addr = ipaddress.IPv6Address(text) if v6 else ipaddress.IPv4Address(text)
    except ValueError:
        return None
    return str(addr)


def _parse_address(ctx: ParseContext, text: str, allow_prefix: bool) -> tuple[str, int, int] | None:
    """keepalived's parse_ipaddress(): (address, prefix length, family) or None after its message."""
    v6 = ":" in text
    plen = 128 if v6 else 32
    addr_text = text
    if allow_prefix and "/" in text:
        addr_text, _, ptext = text.partition("/")
        value = read_unsigned(ctx, ptext, 0, plen, ignore_error=True)
        if value is None:
            ctx.report(GE, f"Invalid address prefix len {ptext} for address {text} - using {plen}")
        else:
            plen = value
    addr = _pton(addr_text, v6)
    if addr is None:
        ctx.report(GE, f"VRRP parsed invalid IP {text}. skipping IP...")
        return None
    return addr, plen, 6 if v6 else 4


def _parse_prefix(ctx: ParseContext, text: str) -> IpPrefix | None:
    """keepalived's parse_route(): a prefix, or default/any/all (family decided later)."""
    if text in ("default", "any", "all"):
        return IpPrefix(None, 0, 0)
    if text == "default6":
        ctx.report(Severity.OK, "'default6' is deprecated - please replace with 'inet6 default'")
        return IpPrefix(None, 0, 6)
    parsed = _parse_address(ctx, text, True)
    return None if parsed is None else IpPrefix(*parsed)


# -- interfaces and per-parse state ------------------------------------------------------------


def _static_draft(ctx: ParseContext) -> dict[str, Any]:
    d: dict[str, Any] = ctx.result.setdefault("static", {})
    return d


def _global_setting(ctx: ParseContext, key: str) -> Any:
    g = ctx.result.get("global_defs")
    return g.get(key) if isinstance(g, dict) else None


def note_nonexistent_interface(ctx: ParseContext, name: str) -> None:
    """Remember that a missing interface was named (keepalived's BAD_IF after parsing)."""
    _static_draft(ctx).setdefault("nonexistent_interfaces", []).append(name)


def lookup_interface(ctx: ParseContext, name: str, dynamic: bool = True) -> bool:
    """keepalived's if_get_by_ifname(): does ``name`` exist (or may it appear later)?

    With ``dynamic_interfaces`` an unknown interface is created (once, with keepalived's log
    line); otherwise it is noted for the "Non-existent interface" error after parsing.
    """
    if name in ctx.host.interface_names():
        return True
    created: set[str] = _static_draft(ctx).setdefault("_created_interfaces", set())
    if name in created:
        return True
    if dynamic and _global_setting(ctx, "dynamic_interfaces"):
        created.add(name)
        ctx.report(
            Severity.OK,
            f"Configuration specifies interface {name} which doesn't currently exist - will use if created",
        )
        return True
    if dynamic:
        note_nonexistent_interface(ctx, name)
    return False


def default_interface(ctx: ParseContext) -> str | None:
    """The interface of static addresses without ``dev`` (global_defs default_interface)."""
    name = _global_setting(ctx, "default_interface") or DEFAULT_INTERFACE
    return str(name) if lookup_interface(ctx, str(name)) else None


def _track_group_exists(ctx: ParseContext, name: str) -> bool:
    return any(g.name == name for g in _static_draft(ctx).get("track_groups", ()))


# -- /etc/iproute2 names ----------------------------------------------------------------------

_RTNTYPES = {
    "local": 2,
    "nat": 10,
    "broadcast": 3,
    "brd": 3,
    "anycast": 4,
    "multicast": 5,
    "prohibit": 8,
    "unreachable": 7,
    "blackhole": 6,
    "xresolve": 11,
    "unicast": 1,
    "throw": 9,
}
_RT_DEFAULTS: dict[str, tuple[tuple[int, str], ...]] = {
    "rt_tables": ((253, "default"), (254, "main"), (255, "local")),
    "rt_protos": (
        (0, "none"),
        (1, "redirect"),
        (2, "kernel"),
        (3, "boot"),
        (4, "static"),
        (8, "gated"),
        (9, "ra"),
        (10, "mrt"),
        (11, "zebra"),
        (12, "bird"),
        (42, "babel"),
        (13, "dnrouted"),
        (14, "xorp"),
        (15, "ntk"),
        (16, "dhcp"),
    ),
    "rt_scopes": ((0, "global"), (255, "nowhere"), (254, "host"), (253, "link"), (200, "site")),
    "rt_dsfield": (),
    "rt_realms": (),
    "group": (),
}
_PROTOCOLS = {
    "ip": 0, "icmp": 1, "igmp": 2, "ggp": 3, "ipencap": 4, "st": 5, "tcp": 6, "egp": 8, "igp": 9,
    "pup": 12, "udp": 17, "hmp": 20, "xns-idp": 22, "rdp": 27, "iso-tp4": 29, "dccp": 33,
    "xtp": 36, "ddp": 37, "idpr-cmtp": 38, "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44,
    "idrp": 45, "rsvp": 46, "gre": 47, "esp": 50, "ah": 51, "skip": 57, "ipv6-icmp": 58,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "rspf": 73, "vmtp": 81, "eigrp": 88, "ospf": 89,
    "ax.25": 93, "ipip": 94, "etherip": 97, "encap": 98, "pim": 103, "ipcomp": 108, "vrrp": 112,
    "l2tp": 115, "isis": 124, "sctp": 132, "fc": 133, "mobility-header": 135, "udplite": 136,
    "mpls-in-ip": 137, "manet": 138, "hip": 139, "shim6": 140, "wesp": 141, "rohc": 142,
    "ethernet": 143,
}  # fmt: skip


def _strtoul(text: str) -> tuple[int, bool, bool]:
    """C strtoul(text, &end, 0) on 64 bits: (value, whole string used, any digit)."""
    s = text.lstrip(" \t\n\r\f\v")
    neg = s[:1] == "-"
    if s[:1] in "+-" and s:
        s = s[1:]
    if s[:2].lower() == "0x" and len(s) > 2 and s[2] in "0123456789abcdefABCDEF":
        m = re.match(r"[0-9a-fA-F]*", s[2:])
        digits, base = (m.group() if m else ""), 16
        rest = s[2 + len(digits) :]
    elif s[:1] == "0":
        m = re.match(r"[0-7]*", s)
        digits, base = (m.group() if m else ""), 8
        rest = s[len(digits) :]
    else:
        m = re.match(r"[0-9]*", s)
        digits, base = (m.group() if m else ""), 10
        rest = s[len(digits) :]
    if not digits:
        return 0, False, False
    val = int(digits, base)
    if val > ULONG_MAX:
        val = ULONG_MAX
    elif neg:
        val = (-val) & ULONG_MAX
    return val, rest == "", True


def _rt_names(ctx: ParseContext, file: str, maxval: int) -> list[tuple[int, str]]:
    cache: dict[str, list[tuple[int, str]]] = _static_draft(ctx).setdefault("_rttables", {})
    if file in cache:
        return cache[file]
    entries: list[tuple[int, str]] = []
    try:
        text = ctx.host.read_file("/etc/iproute2/" + file).decode(errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        words = re.split(r"[ \t]+", line.split("#", 1)[0].split("!", 1)[0].strip())
        if len(words) != 2 or not words[0]:
            continue
        val, whole, _ = _strtoul(words[0])
        if words[0].lstrip(" \t").startswith("-") or not whole or val > maxval:
            continue
        entries.append((val, words[1]))
    ids = {i for i, _ in entries}
    entries.extend(d for d in _RT_DEFAULTS[file] if d[0] not in ids)
    cache[file] = entries
    return entries


def _rt_find(ctx: ParseContext, name: str, file: str, maxval: int) -> int | None:
    val, whole, any_digit = _strtoul(name)
    if any_digit and whole:
        val &= 0xFFFFFFFF
        return val if val <= maxval else None
    for i, n in _rt_names(ctx, file, maxval):
        if n == name:
            return i
    return None


def find_table(ctx: ParseContext, name: str) -> int | None:
    return _rt_find(ctx, name, "rt_tables", 0xFFFFFFFF)


def find_dsfield(ctx: ParseContext, name: str) -> int | None:
    v = _rt_find(ctx, name, "rt_dsfield", 255)
    return None if v is None else v & 0xFF


def find_proto(ctx: ParseContext, name: str) -> int | None:
    v = _rt_find(ctx, name, "rt_protos", 255)
    return None if v is None else v & 0xFF


def find_scope(ctx: ParseContext, name: str) -> int | None:
    v = _rt_find(ctx, name, "rt_scopes", 255)
    return None if v is None else v & 0xFF


def find_realm(ctx: ParseContext, name: str) -> int | None:
    return _rt_find(ctx, name, "rt_realms", 255)


def find_group(ctx: ParseContext, name: str) -> int | None:
    return _rt_find(ctx, name, "group", 0x7FFFFFFF)


def find_rtntype(text: str) -> int | None:
    if text in _RTNTYPES:
        return _RTNTYPES[text]
    val, whole, _ = _strtoul(text)
    if not whole and text != "":
        return None
    if val > 255 or text.startswith("-"):
        return None
    return val


def _realms(ctx: ParseContext, text: str) -> int | None:
    src, slash, dst = text.partition("/")
    v = find_realm(ctx, src)
    if v is None:
        return None
    if slash:
        v1 = find_realm(ctx, dst)
        if v1 is None:
            return None
        v = (v << 16) | v1
    return v


def _get_unsigned(ctx: ParseContext, text: str, maxval: int, errmsg: str) -> int | None:
    """keepalived's get_u8/u16/u32/u64: the number, or None after both messages."""
    value = read_unsigned(ctx, text, 0, maxval) if maxval <= UINT_MAX else _read_u64(ctx, text, maxval)
    if value is None:
        ctx.report(GE, errmsg % text)
    return value


def _read_u64(ctx: ParseContext, text: str, maxval: int) -> int | None:
    s = text.lstrip(" \t\n\r\f\v")
    val, whole, _ = _strtoul(s)
    if s.startswith("-"):
        ctx.report(Severity.INVALID_NUMBER, f"negative number '{text}'")
    elif not whole:
        ctx.report(Severity.INVALID_NUMBER, f"invalid number '{text}'")
    elif val > maxval:
        ctx.report(Severity.INVALID_NUMBER, f"number '{text}' outside range [0, {maxval}]")
    else:
        return val
    return None


_RTT_MIN_MS = 200
_RTT_MAX_MS = 120000


def _time_rtt(ctx: ParseContext, text: str, unit_mult: int) -> int | None:
    """keepalived's get_time_rtt(): a time in kernel units (ms * unit_mult), clamped."""
    s = text.lstrip(" \t\n\r\f\v")
    raw = True
    shift = 0
    m = re.search(r"[sS]", s)
    num = s
    if m:
        p = m.start()
        if s[p:].lower() not in ("s", "sec", "secs"):
            return None
        raw = False
        if p > 0 and s[p - 1].lower() == "m":
            p -= 1
        else:
            shift = 3
        if p == 0:
            return None
        num = s[:p]
    if re.search(r"[eE]", num):
        ctx.report(Severity.OK, f"rtt value exponential form {s} no longer supported")
        return None
    res = read_decimal(ctx, num, 0, _RTT_MAX_MS * unit_mult, shift)
    if res is None:
        return None
    if not raw:
        res *= unit_mult
    if res > _RTT_MAX_MS * unit_mult:
        ctx.report(Severity.OK, f"rtt value {s} exceeds maximum {_RTT_MAX_MS // 1000}s, resetting")
        res = _RTT_MAX_MS * unit_mult
    elif res < _RTT_MIN_MS * unit_mult:
        ctx.report(Severity.OK, f"rtt value {s} below minimum {_RTT_MIN_MS}ms, resetting")
        res = _RTT_MIN_MS * unit_mult
    return res


# -- addresses ---------------------------------------------------------------------------------

_ADDR_FLAGS = {
    "home": "home",
    "-nodad": "nodad",
    "mngtmpaddr": "mngtmpaddr",
    "noprefixroute": "noprefixroute",
    "autojoin": "autojoin",
    "no_track": "no_track",
}


def parse_ip_address(ctx: ParseContext, words: tuple[str, ...], static: bool = False) -> IpAddress | None:
    """One address line; None (after keepalived's message) when keepalived drops it."""
    first = words[0]
    # Fast path: the common "ADDR[/LEN] [dev IF]" line with a valid address.
    parsed = _parse_address(ctx, first, True)
    if parsed is None:
        return None
    address, plen, family = parsed
    n = len(words)
    if n == 1 and not static:
        return IpAddress(address, plen, family, None, preferred_lft=_v6_lft(family, plen, None))
    if n == 3 and words[1] == "dev" and not static:
        if not lookup_interface(ctx, words[2]):
            ctx.report(GE, f"WARNING - interface {words[2]} for ip address {first} doesn't exist")
            return None
        return IpAddress(address, plen, family, words[2], preferred_lft=_v6_lft(family, plen, None))

    f: dict[str, Any] = {}
    dev: str | None = None
    have_broadcast = False
    brd_len = 0
    have_peer = False
    missing = ""
    i = 1
    while i < n:
        w = words[i]
        has_param = i + 1 < n
        if w in ("dev", "scope", "broadcast", "brd", "label", "peer", "preferred_lft") or (
            static and w == "track_group"
        ):
            if not has_param:
                missing = w
                break
            i += 1
            p = words[i]
            if w == "dev":
                if dev is not None:
                    ctx.report(GE, f"Cannot specify ipaddress device more than once for {first}")
                    return None
                if not lookup_interface(ctx, p):
                    ctx.report(GE, f"WARNING - interface {p} for ip address {first} doesn't exist")
                    return None
                dev = p
            elif w == "scope":
                scope = find_scope(ctx, p)
                if scope is None:
                    ctx.report(GE, f"Invalid scope '{p}' specified for {first} - ignoring")
                else:
                    f["scope"] = scope
            elif w in ("broadcast", "brd"):
                if family == 6:
                    ctx.report(
                        GE,
                        f"VRRP is trying to assign a broadcast {w} to the IPv6 address {first} !!?? "
                        "WTF... skipping VIP...",
                    )
                    return None
                have_broadcast = True
                if p == "-":
                    brd_len = -2
                elif p == "+":
                    brd_len = -1
                else:
                    brd = _pton(p, False)
                    if brd is None:
                        ctx.report(GE, f"VRRP is trying to assign invalid broadcast {p}. skipping VIP...")
                        return None
                    f["broadcast"] = brd
            elif w == "label":
                if len(p.encode()) >= IFNAMSIZ:
                    ctx.report(
                        GE,
                        f"Address label {p} is longer than maximum length {IFNAMSIZ - 1} - removing address",
                    )
                    return None
                f["label"] = p
            elif w == "peer":
                if have_peer:
                    ctx.report(GE, f"Peer {p} - another peer has already been specified")
                else:
                    peer = _parse_address(ctx, p, False)
                    if peer is None:
                        ctx.report(GE, f"Invalid peer address {p}")
                    elif peer[2] != family:
                        ctx.report(GE, f"Peer address {p} does not match address family")
                    else:
                        if plen != (128 if family == 6 else 32):
                            ctx.report(
                                GE,
                                "Cannot specify address prefix when specifying peer address - ignoring",
                            )
                        have_peer = True
                        plen = peer[1]
                        f["peer"] = peer[0]
            elif w == "preferred_lft":
                if p == "forever":
                    f["preferred_lft"] = INFINITY_LIFE_TIME
                else:
                    lft = read_unsigned(ctx, p, 0, UINT_MAX, ignore_error=True)
                    if lft is None:
                        ctx.report(GE, f"preferred_lft {p} is invalid")
                    else:
                        f["preferred_lft"] = lft
            else:  # track_group
                if f.get("track_group"):
                    ctx.report(GE, f"track_group {p} is a duplicate")
                    break
                if _track_group_exists(ctx, p):
                    f["track_group"] = p
                else:
                    f["track_group"] = None
                    ctx.report(GE, f"track_group {p} not found")
        elif w in _ADDR_FLAGS:
            f[_ADDR_FLAGS[w]] = True
        elif not static and w == "use_vmac":
            f["use_vmac"] = True
        else:
            ctx.report(GE, f"Unknown configuration entry '{w}' for ip address - ignoring")
        i += 1

    if missing:
        ctx.report(GE, f"No {missing} parameter specified for {first}")
        return None

    if have_broadcast and have_peer:
        ctx.report(GE, "Cannot specify broadcast and peer addresses - ignoring broadcast address")
        f.pop("broadcast", None)
    elif brd_len < 0 and plen <= 30:
        base = int(ipaddress.IPv4Address(f.get("peer") or address))
        mask = 0xFFFFFFFF >> plen
        f["broadcast"] = str(ipaddress.IPv4Address(base | mask if brd_len == -1 else base & ~mask))
    elif brd_len < 0:
        ctx.report(GE, f"Address prefix length {plen} too long for broadcast")

    if static and dev is None:
        dev = default_interface(ctx)
        if dev is None:
            ctx.report(
                Severity.FATAL,
                f"Static address {first} requires either an interface or default interface must exist",
            )
            return None

    if family == 6:
        if f.get("scope"):
            ctx.report(GE, f"Cannot specify scope for IPv6 addresses ({first}) - ignoring scope")
            f["scope"] = 0
        if f.get("label"):
            ctx.report(GE, f"Cannot specify label for IPv6 addresses ({first}) - ignoring label")
            f["label"] = None
        f["preferred_lft"] = _v6_lft(family, plen, f.get("preferred_lft"))

    if f.get("track_group") and dev is None:
        ctx.report(GE, "Static route cannot have track_group if interface not specified")
        f["track_group"] = None
    return IpAddress(address, plen, family, dev, **f)


def _v6_lft(family: int, plen: int, lft: int | None) -> int | None:
    """keepalived's legacy IPv6 preferred_lft: 0 for a /128, forever otherwise."""
    if family != 6 or lft is not None:
        return lft
    return 0 if plen == 128 else INFINITY_LIFE_TIME


# -- routes ------------------------------------------------------------------------------------


class _Drop(Exception):
    """The line is dropped (keepalived's ``goto err``); the message has been reported."""


def _encap_ip(ctx: ParseContext, words: tuple[str, ...], i: int, v6: bool) -> tuple[Encap | None, int]:
    n = len(words)
    e: dict[str, Any] = {}
    name = "ip6" if v6 else "ip"
    err: str | None = None
    while i + 1 < n:
        w, p = words[i], words[i + 1]
        if w == "id":
            msg = "id %s value invalid for IPv6 encapsulation" if v6 else "encap id %s value is invalid"
            v = _get_unsigned(ctx, p, ULONG_MAX, msg)
            if v is None:
                return None, i
            e["id"] = v
        elif w in ("dst", "src"):
            a = _parse_address(ctx, p, False)
            if a is None:
                ctx.report(GE, f"Invalid encap {name} {w} {p}")
                return None, i
            if (a[2] == 6) != v6:
                err = (
                    f"IPv4 address {p} not valid for ip6 encapsulation"
                    if v6
                    else f"IPv6 address {p} not valid for ip encapsulation"
                )
                ctx.report(GE, err)
                return None, i
            e[w] = a[0]
        elif w == ("tc" if v6 else "tos"):
            ds = find_dsfield(ctx, p)
            if ds is None:
                ctx.report(
                    GE,
                    f"tc value {w} is invalid for ip6 encapsulation"
                    if v6
                    else f"dsfield {p} not valid for ip encapsulation",
                )
                return None, i
            e["tos"] = ds
        elif w == ("hoplimit" if v6 else "ttl"):
            msg = (
                "Invalid hoplimit %s specified for ip6 encapsulation"
                if v6
                else "ttl %s is not valid for ip encapsulation"
            )
            v = _get_unsigned(ctx, p, 255, msg)
            if v is None:
                return None, i
            e["ttl"] = v
        elif w == "flags":
            v = _get_unsigned(ctx, p, 0xFFFF, f"flags %s is not valid for {name} encapsulation")
            if v is None:
                return None, i
            e["flags"] = v
        else:
            break
        i += 2
    # keepalived tests the ip (not ip6) dst here, so an ip6 encap always needs an id.
    if ("dst" not in e or v6) and "id" not in e:
        ctx.report(GE, f"address or id missing for {name} encapsulation")
        return None, i
    return Encap(name, **e), i


def _encap(ctx: ParseContext, words: tuple[str, ...], i: int) -> tuple[Encap | None, int]:
    """``encap TYPE ...`` at words[i] == 'encap'; returns the index of the last word used."""
    i += 1
    if i >= len(words):
        ctx.report(GE, "Missing encap type")
        return None, i
    kind = words[i]
    i += 1
    enc: Encap | None = None
    if kind in ("ip", "ip6"):
        enc, i = _encap_ip(ctx, words, i, kind == "ip6")
    elif kind == "mpls":
        if i >= len(words):
            ctx.report(GE, "missing address for MPLS encapsulation")
        else:
            labels = _mpls(words[i])
            i += 1
            if labels is None:
                ctx.report(GE, f"invalid mpls address {words[i - 1]} for encapsulation")
            else:
                enc = Encap("mpls", labels=labels)
    elif kind == "ila":
        if i >= len(words):
            ctx.report(GE, "missing locator for ILA encapsulation")
        else:
            loc = _addr64(words[i])
            i += 1
            if loc is None:
                ctx.report(GE, f"invalid locator {words[i - 1]} for ila encapsulation")
            else:
                enc = Encap("ila", locator=loc)
    else:
        ctx.report(GE, f"Unknown encap type - {kind}")
        return None, i - 1
    return enc, i - 1


def _mpls(text: str) -> tuple[int, ...] | None:
    labels: list[int] = []
    s = text.lstrip(" \t\n\r\f\v")
    for _ in range(16):
        if s.startswith("-") or s[:1].isspace():
            return None
        m = re.match(r"(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", s)
        if not m:
            return None
        label = (
            int(m.group(), 0)
            if not m.group().startswith("0") or m.group() == "0"
            else int(m.group(), 16 if m.group()[1:2] in "xX" else 8)
        )
        if label >= 1 << 20:
            return None
        labels.append(label)
        s = s[m.end() :]
        if s == "":
            return tuple(labels)
        if s[0] != "/":
            return None
        s = s[1:]
    return None


def _addr64(text: str) -> int | None:
    parts = text.lstrip(" \t\n\r\f\v").split(":")
    if len(parts) != 4:
        return None
    val = 0
    for p in parts:
        if not p or not re.fullmatch(r"[0-9a-fA-F]+", p) or int(p, 16) > 0xFFFF:
            return None
        val = (val << 16) | int(p, 16)
    return val


_ROUTE_U32 = {
    "hoplimit": (255, "Invalid hoplimit %s specified for route"),
    "window": (UINT_MAX, "Invalid window value %s specified for route"),
    "initcwnd": (UINT_MAX, "Invalid initcwnd value %s specified for route"),
    "initrwnd": (UINT_MAX, "Invalid initrwnd value %s specified for route"),
    "quickack": (1, "Invalid quickack value %s specified for route"),
    "fastopen_no_cookie": (1, "Invalid fastopen_no_cookie value %s specified for route"),
}
_ROUTE_U32_LOCK = {
    "mtu": "Invalid MTU %s specified for route",
    "advmss": "Invalid advmss %s specified for route",
    "reordering": "Invalid reordering value %s specified for route",
    "cwnd": "Invalid cwnd value %s specified for route",
    "ssthresh": "Invalid ssthresh value %s specified for route",
}
_ROUTE_RTT = {
    "rtt": (8, "Invalid rtt %s for route"),
    "rttvar": (4, "Invalid rttvar %s for route"),
    "rto_min": (1, "Invalid rto_min value %s specified for route"),
}


class _RouteState:
    __slots__ = ("family",)

    def __init__(self) -> None:
        self.family = 0

    def merge(
        self, ctx: ParseContext, family: int, msg: str = "Cannot mix IPv4 and IPv6 addresses for route"
    ) -> None:
        if self.family == 0:
            self.family = family
        elif family and self.family != family:
            ctx.report(GE, msg)
            raise _Drop


def parse_route(ctx: ParseContext, words: tuple[str, ...], static: bool = False) -> Route | None:
    """One route line; None (after keepalived's message) when keepalived drops it."""
    try:
        return _parse_route(ctx, words, static)
    except _Drop:
        return None


def _route_mode(bits: dict[str, bool]) -> str:
    """How keepalived 2.2.7 adds the route (and prints it first in its dump).

    In vrrp_iproute.h the enum member IPROUTE_ADD is shadowed by a later ``#define IPROUTE_ADD 1``,
    so IPROUTE_BIT_ADD is 1 << 1, the bit of IPROUTE_TYPE.  A route type word (``blackhole``,
    ``unicast``, ...) therefore makes the route an "add" (NLM_F_EXCL), even after ``append``; a
    later ``prepend`` or ``append`` clears it.  No word at all is "prepend".
    """
    if bits["add"]:
        return "add"
    return "append" if bits["append"] else "prepend"


def _parse_route(ctx: ParseContext, words: tuple[str, ...], static: bool) -> Route:
    st = _RouteState()
    r: dict[str, Any] = {}
    mode_bits = {"add": False, "append": False}
    metrics: dict[str, int] = {}
    locked: list[str] = []
    nexthops: list[Nexthop] = []
    dst: IpPrefix | None = None
    dest_text = ""
    do_nexthop = False
    word = ctx.word
    n = len(words)
    i = 0
    while i < n:
        w = words[i]
        if w in ("inet", "inet6"):
            fam = 6 if w == "inet6" else 4
            if st.family == 0:
                st.family = fam
            elif st.family != fam:
                ctx.report(GE, f"{w} specified for IPv{10 - fam} route")
                raise _Drop
        elif w == "src":
            i += 1
            a = _parse_address(ctx, word(words, i), False)
            if a is None:
                ctx.report(GE, f"invalid route src address {words[i]}")
                raise _Drop
            r["pref_src"] = a[0]
            st.merge(ctx, a[2])
        elif w == "as":
            i += 1
            if word(words, i) == "to":
                i += 1
            ctx.report(GE, '"as to" for MPLS only - ignoring')
        elif w in ("via", "gw"):
            if w == "gw":
                ctx.report(GE, '"gw" for routes is deprecated. Please use "via"')
            i += 1
            p = word(words, i)
            fam = st.family
            if p in ("inet", "inet6"):
                fam = 6 if p == "inet6" else 4
                i += 1
                p = word(words, i)
            st.merge(ctx, fam)
            a = _parse_address(ctx, p, False)
            if a is None:
                ctx.report(GE, f"invalid route via address {words[i]}")
                raise _Drop
            r["via"] = a[0]
            st.merge(ctx, a[2])
        elif w == "from":
            i += 1
            src = _parse_prefix(ctx, word(words, i))
            if src is None:
                ctx.report(GE, f"invalid route from address {words[i]}")
                raise _Drop
            if src.family != 6:
                ctx.report(GE, f"route from address only supported with IPv6 ({words[i]})")
                raise _Drop
            st.merge(ctx, 6)
            r["src"] = src
        elif w in ("tos", "dsfield"):
            i += 1
            ds = find_dsfield(ctx, word(words, i))
            if ds is None:
                ctx.report(GE, f"TOS value {words[i]} is invalid")
                raise _Drop
            r["tos"] = ds
        elif w == "table":
            i += 1
            t = find_table(ctx, word(words, i))
            if t is None:
                ctx.report(GE, f"Routing table {words[i]} not found for route")
                raise _Drop
            r["table"] = t
        elif w == "protocol":
            i += 1
            pr = find_proto(ctx, word(words, i))
            if pr is None:
                ctx.report(GE, f"Protocol {words[i]} not found or invalid for route")
                raise _Drop
            r["protocol"] = pr
        elif w == "scope":
            i += 1
            sc = find_scope(ctx, word(words, i))
            if sc is None:
                ctx.report(GE, f"Scope {words[i]} not found or invalid for route")
                raise _Drop
            r["scope"] = sc
        elif w in ("metric", "priority", "preference"):
            i += 1
            v = _get_unsigned(ctx, word(words, i), UINT_MAX, "Invalid metric %s specified for route")
            if v is None:
                raise _Drop
            r["metric"] = v
        elif w in ("dev", "oif"):
            i += 1
            p = word(words, i)
            if not lookup_interface(ctx, p):
                ctx.report(GE, f"WARNING - interface {p} for VROUTE nexthop doesn't exist")
                raise _Drop
            r["dev"] = p
        elif w == "onlink":
            r["onlink"] = True
        elif w == "encap":
            enc, i = _encap(ctx, words, i)
            r["encap"] = enc
        elif w == "expires":
            i += 1
            if st.family == 4:
                ctx.report(GE, "expires is only valid for IPv6")
                raise _Drop
            st.family = 6
            v = _get_unsigned(ctx, word(words, i), UINT_MAX, "Invalid expires time %s specified for route")
            if v is None:
                raise _Drop
            r["expires"] = v
        elif w in _ROUTE_U32_LOCK or w in _ROUTE_RTT:
            i += 1
            if word(words, i) == "lock":
                locked.append(w)
                i += 1
            p = word(words, i)
            if w in _ROUTE_RTT:
                mult, msg = _ROUTE_RTT[w]
                v = _time_rtt(ctx, p, mult)
                if v is None:
                    ctx.report(GE, msg % p)
                    raise _Drop
            else:
                v = _get_unsigned(ctx, p, UINT_MAX, _ROUTE_U32_LOCK[w])
                if v is None:
                    raise _Drop
            metrics[w] = v
        elif w in _ROUTE_U32:
            i += 1
            maxval, msg = _ROUTE_U32[w]
            v = _get_unsigned(ctx, word(words, i), maxval, msg)
            if v is None:
                raise _Drop
            metrics[w] = v
        elif w == "realms":
            i += 1
            rv = _realms(ctx, word(words, i))
            if rv is None:
                ctx.report(GE, f"Invalid realms {words[i]} for route")
                raise _Drop
            if st.family == 6:
                ctx.report(GE, "realms are only valid for IPv4")
                raise _Drop
            st.family = 4
            r["realms"] = rv
        elif w == "features":
            i += 1
            if word(words, i) == "ecn":
                r["features_ecn"] = True
            else:
                ctx.report(GE, f"feature {words[i]} not supported")
        elif w == "congctl":
            i += 1
            if word(words, i) == "lock":
                locked.append(w)
                i += 1
            r["congctl"] = word(words, i)
        elif w == "pref":
            i += 1
            if st.family == 4:
                ctx.report(GE, "pref is only valid for IPv6")
                raise _Drop
            st.family = 6
            p = word(words, i)
            prefs = {"low": 3, "medium": 0, "high": 1}
            if p in prefs:
                r["pref"] = prefs[p]
            else:
                v = _get_unsigned(ctx, p, 255, "Invalid pref value %s specified for route")
                if v is None:
                    raise _Drop
                r["pref"] = v
        elif w == "ttl-propagate":
            i += 1
            p = word(words, i)
            if p in ("enabled", "disabled"):
                r["ttl_propagate"] = p == "enabled"
            else:
                ctx.report(GE, f"ttl-propagate value {p} not recognised")
                r["ttl_propagate"] = False
        elif w in ("add", "prepend", "append"):
            # keepalived 2.2.7 keeps these as two mask bits; see _route_mode().
            mode_bits["add"] = w == "add"
            mode_bits["append"] = w == "append"
        elif w == "or":
            ctx.report(GE, '"or" for routes is deprecated. Please use "nexthop"')
            if nexthops:
                ctx.report(GE, '"or" route already specified - ignoring subsequent')
                i += 2
                continue
            nexthops.append(Nexthop(via=r.pop("via", None)))
            i += 1
            a = _parse_address(ctx, word(words, i), False)
            if a is None:
                ctx.report(GE, f'Invalid "or" address {words[i]}')
                raise _Drop
            nexthops.append(Nexthop(via=a[0]))
        elif w == "nexthop":
            if nexthops:
                ctx.report(GE, 'Cannot specify nexthops with "or" route')
            else:
                do_nexthop = True
            break
        elif w == "no_track":
            r["no_track"] = True
        elif static and w == "track_group":
            i += 1
            p = word(words, i)
            if r.get("track_group"):
                ctx.report(GE, f"track_group {p} is a duplicate")
                break
            r["track_group"] = p if _track_group_exists(ctx, p) else None
            if r["track_group"] is None:
                ctx.report(GE, f"track_group {p} not found")
        elif w == "vrf":
            i += 1
            # The test namespace has no VRF devices; keepalived looks only at existing ones.
            p = word(words, i)
            ctx.report(GE, f"VRF {p} not found for route")
            raise _Drop
        else:
            if w == "to":
                i += 1
            t = find_rttables_type_at(words, i)
            if t is not None:
                r["type"] = t
                # keepalived's IPROUTE_BIT_TYPE is also its IPROUTE_BIT_ADD (see _route_mode()).
                mode_bits["add"] = True
                i += 1
            dest_text = word(words, i)
            dst = _parse_prefix(ctx, dest_text)
            if dst is None:
                ctx.report(GE, f"unknown route keyword {dest_text}")
                raise _Drop
            st.merge(ctx, dst.family, f"Cannot mix IPv4 and IPv6 addresses for route ({dest_text})")
        i += 1

    if do_nexthop:
        i = _parse_nexthops(ctx, words, i, st, nexthops)
    elif i < n:
        ctx.report(GE, f"Route has trailing nonsense - {words[i]}")
        raise _Drop

    if dst is None:
        ctx.report(GE, "Route must have a destination")
        raise _Drop
    r["mode"] = _route_mode(mode_bits)

    if not r.get("no_track"):
        if r.get("protocol") is not None and r["protocol"] != RTPROT_KEEPALIVED:
            ctx.report(
                GE,
                "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED"
                f"({RTPROT_KEEPALIVED}), resetting protocol",
            )
        r["protocol"] = RTPROT_KEEPALIVED
        if "dev" not in r:
            ctx.report(
                GE, f"Warning - cannot track route {dest_text} with no interface specified, not tracking"
            )
            r["no_track"] = True
    if r.get("track_group") and "dev" not in r:
        ctx.report(GE, "Static route cannot have track group if no oif specified")
        r["track_group"] = None

    family = st.family or 4
    if dst.family == 0:
        dst = IpPrefix(None, 0, family)
    src = r.get("src")
    if src is not None and src.family == 0:
        r["src"] = IpPrefix(None, 0, family)
    return Route(
        dst,
        family,
        nexthops=tuple(nexthops),
        metrics=tuple(metrics.items()),
        locked=tuple(locked),
        **r,
    )


def find_rttables_type_at(words: tuple[str, ...], i: int) -> int | None:
    return find_rtntype(words[i]) if i < len(words) else None


def _parse_nexthops(
    ctx: ParseContext, words: tuple[str, ...], i: int, st: _RouteState, out: list[Nexthop]
) -> int:
    n = len(words)
    word = ctx.word
    while i < n and words[i] == "nexthop":
        i += 1
        nh: dict[str, Any] = {}
        try:
            while i < n:
                w = words[i]
                if w == "via":
                    i += 1
                    p = word(words, i)
                    fam = 0
                    if p in ("inet", "inet6"):
                        fam = 6 if p == "inet6" else 4
                        i += 1
                        p = word(words, i)
                    if fam:
                        st.merge(ctx, fam, "IPv4/6 mismatch for nexthop")
                    a = _parse_address(ctx, p, False)
                    if a is None:
                        ctx.report(GE, f"invalid nexthop address {p}")
                        raise _Drop
                    st.merge(ctx, a[2], "Address family mismatch for next hop")
                    nh["via"] = a[0]
                elif w == "dev":
                    i += 1
                    p = word(words, i)
                    if not lookup_interface(ctx, p):
                        ctx.report(GE, f"WARNING - interface {p} for VROUTE nexthop doesn't exist")
                        raise _Drop
                    nh["dev"] = p
                elif w == "weight":
                    i += 1
                    v = _get_unsigned(ctx, word(words, i), 256, "Invalid weight %s specified for route")
                    if v is None:
                        raise _Drop
                    if v == 0:
                        ctx.report(GE, "Invalid weight 0 specified for route")
                        raise _Drop
                    nh["weight"] = v
                elif w == "onlink":
                    nh["onlink"] = True
                elif w == "encap":
                    enc, i = _encap(ctx, words, i)
                    nh["encap"] = enc
                elif w == "realms":
                    i += 1
                    rv = _realms(ctx, word(words, i))
                    if rv is None:
                        ctx.report(GE, f"Invalid realms {words[i]} for route")
                        raise _Drop
                    if st.family == 0:
                        st.family = 4
                    elif st.family != 4:
                        ctx.report(GE, "realms are only supported for IPv4")
                        raise _Drop
                    nh["realms"] = rv
                elif w == "as":
                    i += 1
                    if word(words, i) == "to":
                        i += 1
                    ctx.report(GE, "'as [to]' (nat) not supported")
                    raise _Drop
                else:
                    break
                i += 1
        except _Drop:
            # keepalived keeps the route with the next hops read so far.
            return n
        out.append(Nexthop(**nh))
    if i < n:
        ctx.report(GE, f"Route has trailing nonsense after nexthops - {words[i]}")
    return i


# -- rules -------------------------------------------------------------------------------------

_RULE_ACTIONS = {6: "blackhole", 7: "unreachable", 8: "prohibit"}
_SCANF_U = re.compile(r"[ \t\n\r\f\v]*([+-]?\d+)")


def _scanf_range(text: str, bits: int) -> tuple[int, int | None] | None:
    """sscanf(text, "%u-%u"): (first, second or None), or None when nothing matched."""
    m = _SCANF_U.match(text)
    if not m:
        return None
    mask = (1 << bits) - 1
    a = int(m.group(1)) & mask
    rest = text[m.end() :]
    if not rest.startswith("-"):
        return a, None
    m2 = _SCANF_U.match(rest, 1)
    if not m2:
        return a, None
    return a, int(m2.group(1)) & mask


def _ip_proto(ctx: ParseContext, text: str) -> int | None:
    s = text.lstrip(" \t\n\r\f\v")
    if not s or s[0] == "-":
        return None
    m = re.match(r"\+?\d*", s)
    digits = m.group().lstrip("+") if m else ""
    num = int(digits) if digits else 0
    if num > 127:
        return None
    if digits and m is not None and m.end() == len(s):
        return num
    return _protocols(ctx).get(s)


def _protocols(ctx: ParseContext) -> dict[str, int]:
    cache: dict[str, dict[str, int]] = _static_draft(ctx).setdefault("_rttables", {})
    if "/etc/protocols" not in cache:
        table: dict[str, int] = {}
        try:
            text = ctx.host.read_file("/etc/protocols").decode(errors="replace")
        except OSError:
            table = dict(_PROTOCOLS)
        else:
            for line in text.splitlines():
                words = line.split("#", 1)[0].split()
                if len(words) >= 2 and words[1].isdigit():
                    for name in [words[0], *words[2:]]:
                        table.setdefault(name, int(words[1]))
        cache["/etc/protocols"] = table
    return cache["/etc/protocols"]


def parse_rule(ctx: ParseContext, words: tuple[str, ...], static: bool = False) -> Rule | None:
    """One rule line; None (after keepalived's message) when keepalived drops it."""
    try:
        return _parse_rule(ctx, words, static)
    except _Drop:
        return None


def _parse_rule(ctx: ParseContext, words: tuple[str, ...], static: bool) -> Rule:
    r: dict[str, Any] = {}
    family = 0
    action = ""
    table_option = False
    word = ctx.word
    n = len(words)
    i = 0

    def set_family(fam: int) -> None:
        nonlocal family
        if family == 0:
            family = fam
        elif fam and fam != family:
            ctx.report(GE, "rule specification has mixed IPv4 and IPv6")
            raise _Drop

    while i < n:
        w = words[i]
        if w in ("inet", "inet6"):
            fam = 6 if w == "inet6" else 4
            if family == 0:
                family = fam
            elif family != fam:
                ctx.report(GE, f"{w} specified for IPv{10 - fam} rule")
                raise _Drop
            # keepalived 2.2.7 steps over this word twice (once here, once at the end of its
            # loop), so the word after inet/inet6 is never read: "inet6 iif eth1" reads "eth1"
            # as an option ("Unknown rule option eth1") and the rule is dropped.
            i += 1
        elif w in ("from", "to"):
            i += 1
            a = _parse_prefix(ctx, word(words, i))
            if a is None:
                ctx.report(GE, f"Invalid rule {w} address {words[i]}")
                raise _Drop
            set_family(a.family)
            r["from_addr" if w == "from" else "to_addr"] = a
        elif w in ("table", "lookup"):
            i += 1
            t = find_table(ctx, word(words, i))
            if t is None:
                ctx.report(GE, f"Routing table {words[i]} not found for rule")
                raise _Drop
            if t == 0:
                ctx.report(GE, "Table 0 is not valid")
                raise _Drop
            r["table"] = t
            if action:
                ctx.report(
                    GE,
                    "Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule",
                )
                raise _Drop
            action = "table"
        elif w == "not":
            r["invert"] = True
        elif w in ("preference", "order", "priority"):
            i += 1
            v = _read_unsigned_base0(ctx, word(words, i))
            if v is None:
                ctx.report(GE, f"Invalid rule preference {w} specified")
                raise _Drop
            r["priority"] = v
        elif w in ("tos", "dsfield"):
            i += 1
            ds = find_dsfield(ctx, word(words, i))
            if ds is None:
                ctx.report(GE, f"TOS value {words[i]} is invalid")
                raise _Drop
            r["tos"] = ds
        elif w == "fwmark":
            i += 1
            p = word(words, i)
            fw = _fwmark(p)
            if fw is None:
                ctx.report(GE, f"Invalid rule fwmark {p.lstrip(_BLANKS)} specified")
                raise _Drop
            r["fwmark"], r["fwmask"] = fw
        elif w == "realms":
            i += 1
            rv = _realms(ctx, word(words, i))
            if rv is None:
                ctx.report(GE, f"invalid realms {words[i]} for rule")
                raise _Drop
            r["realms"] = rv
            table_option = True
            if family == 0:
                family = 4
            elif family != 4:
                ctx.report(GE, "realms is only valid for IPv4")
                raise _Drop
        elif w in ("suppress_prefixlength", "sup_pl"):
            i += 1
            v = read_unsigned(ctx, word(words, i), 0, 0x7FFFFFFF)
            if v is None:
                ctx.report(GE, f"Invalid suppress_prefixlength {w} specified")
                raise _Drop
            r["suppress_prefix_len"] = v
            table_option = True
        elif w in ("suppress_ifgroup", "sup_group"):
            i += 1
            g = find_group(ctx, word(words, i))
            if g is None:
                ctx.report(GE, f"suppress_group {words[i]} is invalid")
                raise _Drop
            r["suppress_group"] = g
            table_option = True
        elif w in ("dev", "iif", "oif"):
            i += 1
            p = word(words, i)
            if not lookup_interface(ctx, p):
                ctx.report(GE, f"WARNING - interface {p} for rule doesn't exist")
                raise _Drop
            r["oif" if w == "oif" else "iif"] = p
        elif w == "tunnel-id":
            i += 1
            v = _read_u64(ctx, word(words, i), ULONG_MAX)
            if v is None:
                ctx.report(GE, f"Invalid tunnel-id {w} specified")
                raise _Drop
            r["tunnel_id"] = v
        elif w == "uidrange":
            i += 1
            rng = _scanf_range(word(words, i), 32)
            if rng is None or rng[1] is None:
                ctx.report(GE, f"Invalid uidrange {w} specified")
                raise _Drop
            r["uid_range"] = (rng[0], rng[1])
        elif w == "l3mdev":
            r["l3mdev"] = True
            if action:
                ctx.report(GE, "Cannot specify l3mdev with other action")
                raise _Drop
            action = "table"
        elif w == "protocol":
            i += 1
            v = read_unsigned(ctx, word(words, i), 0, 255)
            if v is None:
                ctx.report(GE, f"Invalid protocol {words[i]}")
            else:
                r["protocol"] = v
        elif w == "ipproto":
            i += 1
            ip = _ip_proto(ctx, word(words, i))
            if ip is None or ip > 255:
                ctx.report(GE, f"Invalid ipproto {words[i]}")
            else:
                r["ip_proto"] = ip
        elif w in ("sport", "dport"):
            i += 1
            rng = _scanf_range(word(words, i), 16)
            # keepalived means to accept a single port, but rejects it (2.2.7 checks the count
            # after copying the start to the end).
            if rng is None or rng[1] is None:
                ctx.report(GE, f"invalid {w} range {words[i]}")
            else:
                r[w] = (rng[0], rng[1])
        elif w == "no_track":
            r["no_track"] = True
        elif static and w == "track_group":
            i += 1
            p = word(words, i)
            if r.get("track_group"):
                ctx.report(GE, f"track_group {p} is a duplicate")
                break
            r["track_group"] = p if _track_group_exists(ctx, p) else None
            if r["track_group"] is None:
                ctx.report(GE, f"track_group {p} not found")
        else:
            if w == "type":
                i += 1
                w = word(words, i)
            if w == "goto":
                i += 1
                v = read_unsigned(ctx, word(words, i), 0, UINT_MAX)
                if v is None:
                    ctx.report(GE, f"Invalid target {w} specified")
                    raise _Drop
                r["goto_target"] = v
                new_action = "goto"
            elif w == "nop":
                new_action = "nop"
            else:
                t = find_rtntype(w)
                if t is None:
                    ctx.report(GE, f"Unknown rule option {w}")
                    raise _Drop
                if t not in _RULE_ACTIONS:
                    ctx.report(GE, f"Invalid rule action {w}")
                    raise _Drop
                new_action = _RULE_ACTIONS[t]
            if action:
                ctx.report(
                    GE,
                    "Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev "
                    "for rule",
                )
                raise _Drop
            action = new_action
        i += 1

    if action == "goto":
        if "priority" in r:
            if r["priority"] >= r["goto_target"]:
                ctx.report(GE, f"Invalid rule - preference {r['priority']} >= goto target {r['goto_target']}")
                raise _Drop
        else:
            ctx.report(GE, f"Invalid rule - goto target {r['goto_target']} specified without preference")
            raise _Drop
    if not action:
        ctx.report(GE, "No action specified for rule - ignoring")
        raise _Drop
    if action != "table" and table_option:
        ctx.report(GE, "suppressor/realm specified for non table action - skipping")
        raise _Drop
    if r.get("table") and r.get("l3mdev"):
        ctx.report(GE, "table cannot be specified for l3mdev rules")
        raise _Drop
    if not r.get("no_track"):
        if r.get("protocol") is not None and r["protocol"] != RTPROT_KEEPALIVED:
            ctx.report(
                GE,
                "Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED"
                f"({RTPROT_KEEPALIVED}), resetting protocol",
            )
        r["protocol"] = RTPROT_KEEPALIVED
    if r.get("track_group") and "iif" not in r:
        ctx.report(GE, "Static rule cannot have track_group if dev/iif not specified")
        r["track_group"] = None

    fam = family or 4
    for key in ("to_addr", "from_addr"):
        a = r.get(key)
        if a is not None and a.family == 0:
            r[key] = IpPrefix(None, 0, fam)
    if "priority" not in r:
        counters: dict[int, int] = _static_draft(ctx).setdefault(
            "_rule_priority", {4: RULE_START_PRIORITY, 6: RULE_START_PRIORITY}
        )
        r["priority"] = counters[fam]
        counters[fam] -= 1
        ctx.report(
            GE,
            f"Rule has no preference specified - setting to {r['priority']}. "
            "This is probably not what you want.",
        )
    return Rule(fam, action, **r)


def _read_unsigned_base0(ctx: ParseContext, text: str) -> int | None:
    """read_unsigned_base_strvec(..., base 0): 0x.. and 0.. accepted, as strtoul does."""
    return read_unsigned(ctx, text, 0, UINT_MAX, base=0)


def _fwmark(text: str) -> tuple[int, int | None] | None:
    s = text.lstrip(" \t\n\r\f\v")
    if s.startswith("-"):
        return None
    m = re.match(r"(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?", s)
    head = m.group() if m else ""
    val = _num(head)
    if val > UINT_MAX:
        return None
    rest = s[len(head) :]
    mask: int | None = None
    if rest.startswith("/"):
        tail = rest[1:]
        if tail[:1].isspace() or tail[:1] == "-":
            return None
        tail = tail.lstrip(" \t\n\r\f\v")
        m2 = re.match(r"(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?", tail)
        mh = m2.group() if m2 else ""
        mask = _num(mh)
        if mask > UINT_MAX:
            return None
        rest = tail[len(mh) :]
    if rest:
        return None
    return val, mask


def _num(text: str) -> int:
    if not text:
        return 0
    if text[:2] in ("0x", "0X"):
        return int(text[2:], 16)
    if text.startswith("0"):
        return int(text, 8)
    return int(text)


__all__ = [
    "RTN_UNICAST",
    "RT_TABLE_MAIN",
    "default_interface",
    "lookup_interface",
    "note_nonexistent_interface",
    "parse_ip_address",
    "parse_route",
    "parse_rule",
]
