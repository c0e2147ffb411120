"""Keyword tables of virtual_server, virtual_server_group, real_server and SSL.

Each block's draft is a dict on ``ctx.stack`` tagged with ``_kind`` ("vs", "rs", "ssl"):
when keepalived skips a block whose address is invalid, no draft is pushed, and the handlers
and close handlers then work on a scratch dict instead of someone else's draft.  The checker
keywords (schema/checkers.py) append their frozen objects to the real_server draft under
``checkers``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import cache
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from keepalived_py.config.dispatch import Keyword, ParseContext, Status, Table
from keepalived_py.config.errors import Severity
from keepalived_py.config.model.lvs import (
    DEFAULT_PERSISTENCE_TIMEOUT,
    FWMARK_MAX,
    MAX_PERSISTENCE_TIMEOUT,
    SCHEDULERS,
    WEIGHT_LIMIT,
    ForwardingMethod,
    IpAddress,
    Protocol,
    RealServer,
    ServiceFlag,
    SockAddr,
    SorryServer,
    SslContext,
    Tunnel,
    TunnelChecksum,
    TunnelType,
    VirtualServer,
    VirtualServerGroup,
    VsgFwmark,
    VsgRange,
)
from keepalived_py.config.schema import checkers
from keepalived_py.config.schema.common import append, area, block
from keepalived_py.config.scripts import parse_script
from keepalived_py.config.values import UINT_MAX, check_true_false, read_timer, read_unsigned

Draft = dict[str, Any]

# keepalived's TIMER_MAXIMUM (ULONG_MAX - 1): the upper bound of timers given without one.
TIMER_MAX_US = 2**64 - 2

# -- addresses ---------------------------------------------------------------------------------

_IPV4_DOTTED = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")


def inet_pton(family: int, text: str) -> IpAddress | None:
    """glibc's inet_pton: strict dotted quad for IPv4, no scope for IPv6."""
    try:
        if family == 6:
            return None if "%" in text else IPv6Address(text)
        return IPv4Address(text) if _IPV4_DOTTED.fullmatch(text) else None
    except ValueError:
        return None


def inet_aton(text: str) -> IPv4Address | None:
    """glibc's inet_aton (getaddrinfo AI_NUMERICHOST): 1 to 4 C numbers, last one fills up."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values: list[int] = []
    for p in parts:
        m = re.fullmatch(r"0[xX]([0-9a-fA-F]*)|0([0-7]*)|([1-9][0-9]*)", p)
        if m is None:
            return None
        if m.group(1) is not None:
            values.append(int(m.group(1) or "0", 16))
        elif m.group(2) is not None:
            values.append(int(m.group(2) or "0", 8))
        else:
            values.append(int(m.group(3)))
    *head, last = values
    if any(v > 255 for v in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    num = 0
    for v in head:
        num = (num << 8) | v
    num = (num << (8 * (4 - len(head)))) | last
    return IPv4Address(num)


def _port_word(port: str | None) -> str | None:
    """keepalived passes no port for a missing or all-zero port word (2.0.7 compatibility)."""
    if port is None or port.strip("0") == "":
        return None
    return port


def sockaddr(ctx: ParseContext, ip: str, port: str | None) -> SockAddr | None:
    """keepalived's inet_stosockaddr(): a range or mask suffix of ``ip`` is ignored."""
    family = 6 if ":" in ip else 4
    port_num = 0
    if port is not None:
        value = read_unsigned(ctx, port, 1, 65535, ignore_error=True)
        if value is None:
            return None
        port_num = value
    cut = ip.find("-")
    if cut < 0:
        cut = ip.find("/")
    addr = inet_pton(family, ip[:cut] if cut >= 0 else ip)
    if addr is None:
        return None
    return SockAddr(addr, port_num)


# -- drafts -----------------------------------------------------------------------------------


def _top(ctx: ParseContext, kind: str) -> Draft:
    """The draft of the innermost ``kind`` block, or a scratch dict if it was not opened."""
    if ctx.stack and isinstance(ctx.stack[-1], dict) and ctx.stack[-1].get("_kind") == kind:
        d: Draft = ctx.stack[-1]
        return d
    return {"_kind": kind}


def _pop(ctx: ParseContext, kind: str) -> Draft | None:
    if ctx.stack and isinstance(ctx.stack[-1], dict) and ctx.stack[-1].get("_kind") == kind:
        d: Draft = ctx.stack.pop()
        return d
    return None


def _vs(ctx: ParseContext) -> Draft:
    """The virtual server being read (also from inside one of its real servers)."""
    for d in reversed(ctx.stack):
        if isinstance(d, dict) and d.get("_kind") == "vs":
            found: Draft = d
            return found
    return {"_kind": "vs"}


Setter = Callable[[ParseContext, tuple[str, ...], Draft], None]


def _kw(name: str, kind: str, fn: Setter, status: Status = "supported", note: str = "") -> Keyword:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        fn(ctx, words, _vs(ctx) if kind == "vs" else _top(ctx, kind))

    return Keyword(name, handler, status=status, note=note)


def _timer(key: str, lo: int, hi: int, message: str) -> Setter:
    def fn(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
        text = ctx.word(words, 1)
        value = read_timer(ctx, text, lo, hi, ignore_error=True)
        if value is None:
            ctx.report(Severity.GENERAL_ERROR, message.format(text))
            return
        d[key] = value

    return fn


def _unsigned(key: str, lo: int, hi: int, message: str, ignore_error: bool = True) -> Setter:
    def fn(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
        text = ctx.word(words, 1)
        value = read_unsigned(ctx, text, lo, hi, ignore_error=ignore_error)
        if value is None:
            ctx.report(Severity.GENERAL_ERROR, message.format(text))
            return
        d[key] = value

    return fn


def _set_true(key: str) -> Setter:
    def fn(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
        d[key] = True

    return fn


def _true_false(key: str, message: str) -> Setter:
    def fn(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
        value: bool | None = True
        if len(words) >= 2:
            value = check_true_false(words[1])
            if value is None:
                ctx.report(Severity.GENERAL_ERROR, message.format(words[1]))
                return
        d[key] = value

    return fn


def _virtualhost(who: str) -> Setter:
    def fn(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
        if len(words) < 2:
            ctx.report(Severity.GENERAL_ERROR, f"{who} virtualhost missing")
            return
        d["virtualhost"] = words[1]

    return fn


def _snmp_name(who: str) -> Setter:
    def fn(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
        if len(words) != 2:
            ctx.report(Severity.GENERAL_ERROR, f"{who} snmp_name missing or extra parameters")
            return
        d["snmp_name"] = words[1]

    return fn


def _script(key: str, kind: str) -> Setter:
    """quorum_up/down, notify_up/down: a second one is reported and ignored."""

    def fn(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
        if d.get(key) is not None:
            group = _vs(ctx).get("group") or "(null)"
            ctx.report(
                Severity.GENERAL_ERROR,
                f"({group}) {key} script already specified - ignoring {ctx.word(words, 1)}",
            )
            return
        st = ctx.statements[ctx.pos - 1]
        d[key] = parse_script(ctx, st.text, key)

    return fn


# -- forwarding -------------------------------------------------------------------------------

_METHODS = {"NAT": ForwardingMethod.NAT, "DR": ForwardingMethod.DR, "TUN": ForwardingMethod.TUN}
_TUN_TYPES = {"ipip": TunnelType.IPIP, "gue": TunnelType.GUE, "gre": TunnelType.GRE}
_CSUMS = {"nocsum": TunnelChecksum.NOCSUM, "csum": TunnelChecksum.CSUM, "remcsum": TunnelChecksum.REMCSUM}


def _forwarding(ctx: ParseContext, words: tuple[str, ...], d: Draft, who: str) -> None:
    """``NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]``.

    As in keepalived the method is kept even when a tunnel option is then rejected (the
    tunnel settings are left as they were).
    """
    text = ctx.word(words, 1)
    method = _METHODS.get(text)
    if method is None:
        ctx.report(Severity.GENERAL_ERROR, f"PARSER : unknown [{text}] routing method for {who} server.")
        return
    d["forwarding"] = method
    tun_type, port, csum = TunnelType.IPIP, 0, TunnelChecksum.NOCSUM
    i = 2
    while i < len(words):
        opt = words[i]
        if opt == "type":
            if i + 1 == len(words):
                ctx.report(Severity.GENERAL_ERROR, f"Missing tunnel type for {who} server.")
                return
            if words[i + 1] not in _TUN_TYPES:
                ctx.report(Severity.GENERAL_ERROR, f"Unknown tunnel type {words[i + 1]} for {who} server.")
                return
            tun_type = _TUN_TYPES[words[i + 1]]
            i += 1
        elif opt == "port":
            if i + 1 == len(words):
                ctx.report(Severity.GENERAL_ERROR, f"Missing port for {who} server gue tunnel.")
                return
            value = read_unsigned(ctx, words[i + 1], 1, 65535)
            if value is None:
                ctx.report(
                    Severity.GENERAL_ERROR, f"Invalid gue tunnel port {words[i + 1]} for {who} server."
                )
                return
            port = value
            i += 1
        elif opt in _CSUMS:
            csum = _CSUMS[opt]
        else:
            ctx.report(Severity.GENERAL_ERROR, f"Invalid tunnel option {opt} for {who} server.")
            return
        i += 1
    if (tun_type == TunnelType.GUE) != (port != 0):
        ctx.report(Severity.GENERAL_ERROR, "gue tunnels require port, otherwise cannot have port.")
        return
    if tun_type == TunnelType.IPIP and csum != TunnelChecksum.NOCSUM:
        ctx.report(Severity.GENERAL_ERROR, "ipip tunnels do not support checksum option.")
        return
    if tun_type == TunnelType.GRE and csum == TunnelChecksum.REMCSUM:
        ctx.report(Severity.GENERAL_ERROR, "gre tunnels do not support remote checksum option.")
        return
    d["tunnel"] = Tunnel(tun_type, port, csum)


# -- SSL --------------------------------------------------------------------------------------


def _ssl_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    lvs = area(ctx, "lvs")
    if lvs.get("ssl") is not None:
        ctx.report(Severity.GENERAL_ERROR, "SSL context already specified - replacing")
    lvs["ssl"] = SslContext()
    ctx.stack.append({"_kind": "ssl"})


def _ssl_close(ctx: ParseContext) -> None:
    d = _pop(ctx, "ssl")
    if d is not None:
        d.pop("_kind")
        area(ctx, "lvs")["ssl"] = SslContext(**d)


def _ssl_file(name: str, key: str, what: str) -> Keyword:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        d = _top(ctx, "ssl")
        if len(words) < 2:
            ctx.report(Severity.GENERAL_ERROR, f"SSL {what} missing")
            return
        if d.get(key) is not None:
            ctx.report(Severity.GENERAL_ERROR, f"SSL {what} already specified - replacing")
        d[key] = words[1]

    return Keyword(name, handler, status="supported")


def _ssl_table() -> Table:
    return Table(
        "SSL",
        [
            _ssl_file("password", "password", "password"),
            _ssl_file("ca", "ca", "cafile"),
            _ssl_file("certificate", "certificate", "certfile"),
            _ssl_file("key", "key", "keyfile"),
        ],
    )


# -- virtual_server_group ---------------------------------------------------------------------


def _mask_bits(text: str) -> int | None:
    """strtoul() of a netmask suffix, None unless the whole text is a number."""
    m = re.fullmatch(r"[ \t\n\r\f\v]*([+-]?)([0-9]+)", text)
    if m is None:
        return None
    value = int(m.group(2))
    return (2**64 - value) if m.group(1) == "-" and value else value


def _vsg_range_end(ctx: ParseContext, addr_str: str, start: IpAddress) -> int | None:
    """keepalived's inet_stor(): the last byte (IPv4) or 16 bits (IPv6, hex) after '-'.

    Returns -1 for "no range", None when the entry is rejected.
    """
    cut = addr_str.find("-")
    if cut < 0:
        return -1
    text = addr_str[cut + 1 :]
    base = 16 if start.version == 6 else 10
    valid = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
    body = text.lstrip(" \t\n\r\f\v")
    sign = body[:1] if body[:1] in ("+", "-") else ""
    body = body[len(sign) :]
    if base == 16 and body[:2].lower() == "0x" and len(body) > 2 and body[2] in valid:
        body = body[2:]
    j = 0
    while j < len(body) and body[j] in valid:
        j += 1
    digits, rest = body[:j], body[j:]
    if not digits:
        rest = text
    value = int(digits, base) if digits else 0
    if sign == "-" and value:
        value = 2**64 - value
    if rest:
        warn = "" if ctx.options.test_mode else "WARNING - "
        ctx.report(
            Severity.INVALID_NUMBER,
            f"{warn}Virtual server group range '{addr_str}' has extra characters at end '{rest}'",
        )
        return None if ctx.options.test_mode else value
    if value > (0xFFFF if start.version == 6 else 255):
        ctx.report(Severity.INVALID_NUMBER, f"Virtual server group range '{addr_str}' end '{text}' too large")
        return None
    return value


def _vsg_entry(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    name = d["name"]
    addr_str = words[0]
    if addr_str == "fwmark":
        text = ctx.word(words, 1)
        mark = read_unsigned(ctx, text, 0, UINT_MAX, ignore_error=True)
        if mark is None:
            ctx.report(
                Severity.GENERAL_ERROR, f"({name}): fwmark '{text}' must be in [0, {UINT_MAX}] - ignoring"
            )
            return
        family = 0
        if len(words) > 2:
            if words[2] == "inet":
                family = 4
            elif words[2] == "inet6":
                family = 6
            else:
                ctx.report(
                    Severity.GENERAL_ERROR, f"({name}): fwmark '{mark}' family {words[2]} unknown - ignoring"
                )
                return
        d["fwmarks"].append(VsgFwmark(mark, family))
        return

    port_str = _port_word(words[1]) if len(words) >= 2 else None
    addr = sockaddr(ctx, addr_str, port_str)
    if addr is None:
        port_part = f"/port/{port_str}" if port_str else ""
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Invalid virtual server group IP address {addr_str} {port_part} - skipping",
        )
        return
    start = addr.ip
    bits = 32 if start.version == 4 else 128
    end: IpAddress = start
    if "/" in addr_str:
        mask = _mask_bits(addr_str[addr_str.index("/") + 1 :])
        if mask is None or not mask or mask > bits:
            ctx.report(Severity.GENERAL_ERROR, f"Invalid netmask - {addr_str} - skipping")
            return
        host = (1 << (bits - mask)) - 1
        if int(start) & host:
            ctx.report(Severity.GENERAL_ERROR, f"Address mask bits not empty - {addr_str} - skipping")
            return
        end = ip_address(int(start) | host) if start.version == 4 else IPv6Address(int(start) | host)
    else:
        cut = addr_str.find("-")
        sep = "." if start.version == 4 else ":"
        if cut >= 0 and sep in addr_str[cut + 1 :]:
            end_addr = sockaddr(ctx, addr_str[cut + 1 :], port_str)
            if end_addr is None:
                ctx.report(Severity.GENERAL_ERROR, f"Invalid range end {addr_str} - skipping")
                return
            if end_addr.family != start.version:
                ctx.report(
                    Severity.GENERAL_ERROR, f"Range address families do not match {addr_str} - skipping"
                )
                return
            if int(end_addr.ip) < int(start):
                ctx.report(
                    Severity.GENERAL_ERROR,
                    f"Address range end is less than address range start - {addr_str} - skipping",
                )
                return
            end = end_addr.ip
        else:
            last = _vsg_range_end(ctx, addr_str, start)
            if last is None:
                return
            if last >= 0:
                width = 8 if start.version == 4 else 16
                low = int(start) & ((1 << width) - 1)
                end_int = (int(start) >> width << width) | (last & ((1 << width) - 1))
                end = IPv4Address(end_int) if start.version == 4 else IPv6Address(end_int)
                if low >= last:
                    ctx.report(
                        Severity.GENERAL_ERROR,
                        f"Address range end is not greater than address range start - {addr_str} - skipping",
                    )
                    return
    d["ranges"].append(VsgRange(start, end, addr.port))


def _vsg_handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
    name = ctx.word(words, 1)
    if len(words) > 2:
        # keepalived hands the words after the name to its value-block reader without a
        # block name, whose complaint then fails on the missing name.
        raise ctx.missing_parameter((), 0)
    d: Draft = {"name": name, "ranges": [], "fwmarks": []}
    location = ctx.location
    for line, loc in ctx.read_value_block((words[0],)):
        ctx.location = loc
        _vsg_entry(ctx, line, d)
    ctx.location = ctx.statements[ctx.pos - 1].location if ctx.pos else location
    group = VirtualServerGroup(name, tuple(d["ranges"]), tuple(d["fwmarks"]), location)
    if not group.ranges and not group.fwmarks:
        ctx.report(Severity.GENERAL_ERROR, f"virtual server group {name} has no entries - removing")
        return
    if group.have_ipv4 and group.have_ipv6 and group.fwmark_no_family:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"virtual server group {name} cannot have IPv4, IPv6 and fwmark without family - removing",
        )
        return
    append(ctx, "lvs", "virtual_server_groups", group)


# -- virtual_server ---------------------------------------------------------------------------


def _vs_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    param1 = ctx.word(words, 1)
    param2 = words[2] if len(words) >= 3 else None
    d: Draft = {"_kind": "vs", "location": ctx.location, "real_servers": []}
    if param1 == "group":
        if param2 is None:
            # keepalived 2.2.7 crashes here; treat it as the missing parameter it is.
            raise ctx.missing_parameter(words, 2)
        d["group"] = param2
    elif param1 == "fwmark":
        if param2 is None:
            raise ctx.missing_parameter(words, 2)
        mark = read_unsigned(ctx, param2, 0, FWMARK_MAX, ignore_error=True)
        if mark is None:
            ctx.report(
                Severity.GENERAL_ERROR,
                f"virtual server fwmark '{param2}' must be in [0, {FWMARK_MAX}] - ignoring",
            )
            ctx.skip_block(True)
            return
        d["fwmark"] = mark
    else:
        port_str = _port_word(param2)
        addr = sockaddr(ctx, param1, port_str)
        if addr is None:
            what = f"/port {param1}/{port_str}" if port_str else f" {param1}"
            ctx.report(Severity.GENERAL_ERROR, f"Invalid virtual server IP address{what} - skipping")
            ctx.skip_block(True)
            return
        d["address"] = addr
        d["family"] = addr.family
    ctx.stack.append(d)


def _vs_close(ctx: ParseContext) -> None:
    """keepalived's vs_end_handler: settle the address family."""
    d = _pop(ctx, "vs")
    if d is None:
        return
    family: int = d.get("family", 0)
    sorry: SorryServer | None = d.get("sorry_server")
    if sorry is not None and sorry.forwarding != ForwardingMethod.TUN:
        if family == 0:
            family = sorry.address.family
        elif family != sorry.address.family:
            ctx.report(
                Severity.GENERAL_ERROR,
                f"Address family of virtual server and sorry server {sorry.address} don't match"
                " - skipping sorry server.",
            )
            sorry = None
    rss: list[RealServer] = d.pop("real_servers")
    if family == 0 and d.get("group") is None:
        # Only tunnelled servers (or none): take their family if they agree, else IPv4.
        families = ({sorry.address.family} if sorry is not None else set()) | {
            rs.address.family for rs in rss
        }
        family = families.pop() if len(families) == 1 else 4
    d.pop("_kind")
    d.pop("checkers", None)
    d["family"] = family
    d["sorry_server"] = sorry
    append(ctx, "lvs", "virtual_servers", VirtualServer(real_servers=tuple(rss), **d))


def _ip_family(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    text = ctx.word(words, 1)
    if text not in ("inet", "inet6"):
        ctx.report(Severity.GENERAL_ERROR, f"unknown address family {text}")
        return
    family = 4 if text == "inet" else 6
    if d.get("family", 0) not in (0, family):
        ctx.report(
            Severity.GENERAL_ERROR, f"Virtual server specified family {text} conflicts with server family"
        )
        return
    d["family"] = family


def _lb_algo(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    text = ctx.word(words, 1)
    if text not in SCHEDULERS:
        ctx.report(Severity.GENERAL_ERROR, f"Invalid lvs_scheduler '{text}' - ignoring")
        return
    d["scheduler"] = text


_ALWAYS_FLAGS = {
    "ops": ServiceFlag.ONEPACKET,
    "flag-1": ServiceFlag.SCHED1,
    "flag-2": ServiceFlag.SCHED2,
    "flag-3": ServiceFlag.SCHED3,
}
_SCHED_FLAGS = {
    "sh": {"sh-port": ServiceFlag.SH_PORT, "sh-fallback": ServiceFlag.SH_FALLBACK},
    "mh": {"mh-port": ServiceFlag.MH_PORT, "mh-fallback": ServiceFlag.MH_FALLBACK},
}


def _lb_flag(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    """ops, flag-N, and sh-*/mh-* (which only count after ``lb_algo sh``/``mh``)."""
    name = words[0]
    flags: ServiceFlag = d.get("flags", ServiceFlag.NONE)
    sched = d.get("scheduler", "")
    if name in _ALWAYS_FLAGS:
        flags |= _ALWAYS_FLAGS[name]
    elif sched in _SCHED_FLAGS:
        flags |= _SCHED_FLAGS[sched].get(name, ServiceFlag.NONE)
    else:
        ctx.report(Severity.GENERAL_ERROR, f"{name} only applies to sh scheduler - ignoring")
    d["flags"] = flags


def _persistence_timeout(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    if len(words) < 2:
        d["persistence_timeout"] = DEFAULT_PERSISTENCE_TIMEOUT
        return
    value = read_unsigned(ctx, words[1], 1, MAX_PERSISTENCE_TIMEOUT)
    if value is None:
        ctx.report(Severity.GENERAL_ERROR, "persistence_timeout invalid")
        return
    d["persistence_timeout"] = value


def _persistence_engine(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    text = ctx.word(words, 1)
    if len(text.encode()) > 16:
        ctx.report(Severity.GENERAL_ERROR, f"persistence_name too long, truncating - {text}")
        text = text.encode()[:16].decode(errors="ignore")
    d["persistence_engine"] = text


def _persistence_granularity(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    text = ctx.word(words, 1)
    family = d.get("family", 0) or (4 if "." in text else 6)
    if family == 6:
        prefix = read_unsigned(ctx, text, 1, 128)
        if prefix is None:
            ctx.report(Severity.GENERAL_ERROR, f"Invalid IPv6 persistence_granularity specified - {text}")
            return
        d["persistence_granularity"] = prefix
    else:
        mask = inet_aton(text)
        if mask is None:
            ctx.report(Severity.GENERAL_ERROR, f"Invalid IPv4 persistence_granularity specified - {text}")
            return
        d["persistence_granularity"] = mask
    if not d.get("family"):
        d["family"] = family
    if not d.get("persistence_timeout"):
        d["persistence_timeout"] = DEFAULT_PERSISTENCE_TIMEOUT


_PROTOCOLS = {"tcp": Protocol.TCP, "udp": Protocol.UDP, "sctp": Protocol.SCTP}


def _protocol(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    text = ctx.word(words, 1)
    proto = _PROTOCOLS.get(text.lower())
    if proto is None:
        ctx.report(Severity.GENERAL_ERROR, f"Unknown protocol {text} - ignoring")
        return
    d["protocol"] = proto


def _quorum(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 1, UINT_MAX, ignore_error=True)
    if value is None:
        ctx.report(Severity.GENERAL_ERROR, f"Quorum {text} must be in [1, {UINT_MAX}]. Setting to 1.")
        value = 1
    d["quorum"] = value


def _sorry_server(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    ip = ctx.word(words, 1)
    port = words[2] if len(words) >= 3 else None
    addr = sockaddr(ctx, ip, _port_word(port))
    if addr is None:
        ctx.report(Severity.GENERAL_ERROR, f"Invalid sorry server IP address {ip} - skipping")
        return
    d["sorry_server"] = SorryServer(
        addr, d.get("forwarding"), d.get("tunnel", Tunnel()), location=ctx.location
    )


def _sorry_inhibit(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    sorry: SorryServer | None = d.get("sorry_server")
    if sorry is None:
        ctx.report(
            Severity.GENERAL_ERROR, "Ignoring sorry_server inhibit used before or without sorry_server"
        )
        return
    d["sorry_server"] = _replace_sorry(sorry, inhibit=True)


def _sorry_forwarding(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    sorry: SorryServer | None = d.get("sorry_server")
    if sorry is None:
        ctx.report(Severity.GENERAL_ERROR, "sorry_server forwarding used without sorry_server")
        return
    tmp: Draft = {"forwarding": sorry.forwarding, "tunnel": sorry.tunnel}
    _forwarding(ctx, words, tmp, "sorry")
    d["sorry_server"] = _replace_sorry(sorry, forwarding=tmp["forwarding"], tunnel=tmp["tunnel"])


def _replace_sorry(sorry: SorryServer, **changes: Any) -> SorryServer:
    return dataclasses.replace(sorry, **changes)


# -- real_server ------------------------------------------------------------------------------


def _rs_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    ip = ctx.word(words, 1)
    port = words[2] if len(words) >= 3 else None
    addr = sockaddr(ctx, ip, _port_word(port))
    if addr is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Invalid real server ip address/port {ip}/{port if port is not None else '(null)'} - skipping",
        )
        ctx.skip_block(True)
        return
    vs = _vs(ctx)
    ctx.stack.append(
        {
            "_kind": "rs",
            "address": addr,
            "forwarding": vs.get("forwarding"),
            "tunnel": vs.get("tunnel", Tunnel()),
            "location": ctx.location,
        }
    )


def _rs_close(ctx: ParseContext) -> None:
    """keepalived's rs_end_handler: a non-tunnelled server fixes the virtual server's family."""
    d = _pop(ctx, "rs")
    if d is None:
        return
    d.pop("_kind")
    d["checkers"] = tuple(d.get("checkers", ()))
    rs = RealServer(**d)
    vs = _vs(ctx)
    if rs.forwarding != ForwardingMethod.TUN:
        if not vs.get("family"):
            vs["family"] = rs.address.family
        elif vs["family"] != rs.address.family:
            ctx.report(
                Severity.GENERAL_ERROR,
                f"Address family of virtual server and real server {rs.address} don't match"
                " - skipping real server.",
            )
            return
    vs.setdefault("real_servers", []).append(rs)


def _rs_forwarding(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    _forwarding(ctx, words, d, "real")


def _vs_forwarding(ctx: ParseContext, words: tuple[str, ...], d: Draft) -> None:
    _forwarding(ctx, words, d, "virtual")


def _rs_table() -> Table:
    rs = "rs"
    table = Table(
        "real_server",
        [
            _kw(
                "weight",
                rs,
                _unsigned(
                    "weight", 0, WEIGHT_LIMIT, f"Real server weight {{}} is outside range 0-{WEIGHT_LIMIT}"
                ),
            ),
            _kw("lvs_method", rs, _rs_forwarding),
            _kw(
                "uthreshold",
                rs,
                _unsigned("uthreshold", 0, UINT_MAX, "Invalid real_server uthreshold '{}' - ignoring"),
            ),
            _kw(
                "lthreshold",
                rs,
                _unsigned("lthreshold", 0, UINT_MAX, "Invalid real_server lthreshold '{}' - ignoring"),
            ),
            _kw(
                "inhibit_on_failure",
                rs,
                _true_false("inhibit_on_failure", "Invalid inhibit_on_failure parameter {}"),
            ),
            _kw("notify_up", rs, _script("notify_up", rs)),
            _kw("notify_down", rs, _script("notify_down", rs)),
            _kw("alpha", rs, _true_false("alpha", "Invalid alpha parameter {}")),
            _kw("retry", rs, _unsigned("retry", 1, UINT_MAX, "retry value invalid - {}", ignore_error=False)),
            _kw(
                "delay_before_retry",
                rs,
                _timer(
                    "delay_before_retry",
                    0,
                    TIMER_MAX_US,
                    "real server delay_before_retry '{}' invalid - ignoring",
                ),
            ),
            _kw(
                "warmup", rs, _timer("warmup", 0, TIMER_MAX_US, "real server warmup '{}' invalid - ignoring")
            ),
            _kw(
                "connect_timeout",
                rs,
                _timer("connect_timeout", 1, UINT_MAX, "real server connect_timeout {} invalid - ignoring"),
            ),
            _kw(
                "delay_loop",
                rs,
                _timer("delay_loop", 1, TIMER_MAX_US, "real server delay_loop '{}' invalid - ignoring"),
            ),
            _kw("smtp_alert", rs, _true_false("smtp_alert", "Invalid real_server smtp_alert parameter {}")),
            _kw("virtualhost", rs, _virtualhost("real server")),
            _kw("snmp_name", rs, _snmp_name("real server"), status="not yet", note="SNMP is not implemented"),
        ],
    )
    table.extend(_running(kw) for kw in checkers.checker_keywords())
    return table


# checkers the checker process does not run (BFD_CHECK needs the BFD process)
_NOT_RUN = frozenset({"BFD_CHECK"})


def _running(kw: Keyword) -> Keyword:
    """A checker block and its keywords as the checker process runs them (runtime/check_process.py
    with runtime/checkers.py): supported, unless marked otherwise or not run at all."""
    if kw.name in _NOT_RUN or kw.status == "not yet":
        return kw
    sub = None
    if kw.sub is not None:
        sub = Table(kw.sub.name, (_running(k) for k in kw.sub))
    return dataclasses.replace(kw, sub=sub, status="supported")


def _vs_table() -> Table:
    vs = "vs"
    return Table(
        "virtual_server",
        [
            _kw("ip_family", vs, _ip_family),
            _kw("retry", vs, _unsigned("retry", 1, UINT_MAX, "retry value invalid - {}", ignore_error=False)),
            _kw(
                "delay_before_retry",
                vs,
                _timer(
                    "delay_before_retry",
                    0,
                    TIMER_MAX_US,
                    "virtual server delay before retry '{}' invalid - ignoring",
                ),
            ),
            _kw(
                "warmup",
                vs,
                _timer("warmup", 0, TIMER_MAX_US, "virtual server warmup '{}' invalid - ignoring"),
            ),
            _kw(
                "connect_timeout",
                vs,
                _timer(
                    "connect_timeout", 1, UINT_MAX, "virtual server connect_timeout {} invalid - ignoring"
                ),
            ),
            _kw(
                "delay_loop",
                vs,
                _timer("delay_loop", 1, TIMER_MAX_US, "virtual server delay loop '{}' invalid - ignoring"),
            ),
            _kw("inhibit_on_failure", vs, _set_true("inhibit_on_failure")),
            _kw("lb_algo", vs, _lb_algo, note="alias of lvs_sched"),
            _kw("lvs_sched", vs, _lb_algo),
            _kw(
                "hashed", vs, _lb_flag, note="only accepted (silently) after lb_algo sh/mh, as in keepalived"
            ),
            _kw("ops", vs, _lb_flag),
            _kw("flag-1", vs, _lb_flag),
            _kw("flag-2", vs, _lb_flag),
            _kw("flag-3", vs, _lb_flag),
            _kw("sh-port", vs, _lb_flag),
            _kw("sh-fallback", vs, _lb_flag),
            _kw("mh-port", vs, _lb_flag),
            _kw("mh-fallback", vs, _lb_flag),
            _kw("lb_kind", vs, _vs_forwarding, note="alias of lvs_method"),
            _kw("lvs_method", vs, _vs_forwarding),
            _kw("persistence_engine", vs, _persistence_engine),
            _kw("persistence_timeout", vs, _persistence_timeout),
            _kw("persistence_granularity", vs, _persistence_granularity),
            _kw("protocol", vs, _protocol),
            _kw("ha_suspend", vs, _set_true("ha_suspend")),
            _kw(
                "smtp_alert", vs, _true_false("smtp_alert", "Invalid virtual_server smtp_alert parameter {}")
            ),
            _kw("virtualhost", vs, _virtualhost("virtual server")),
            _kw(
                "snmp_name",
                vs,
                _snmp_name("virtual server"),
                status="not yet",
                note="SNMP is not implemented",
            ),
            _kw("alpha", vs, _set_true("alpha")),
            _kw("omega", vs, _set_true("omega")),
            _kw("quorum_up", vs, _script("quorum_up", vs)),
            _kw("quorum_down", vs, _script("quorum_down", vs)),
            _kw("quorum", vs, _quorum),
            _kw(
                "hysteresis",
                vs,
                _unsigned(
                    "hysteresis", 0, UINT_MAX, f"Hysteresis {{}} must be in [0, {UINT_MAX}] - ignoring"
                ),
            ),
            _kw(
                "weight",
                vs,
                _unsigned(
                    "weight", 1, WEIGHT_LIMIT, f"Virtual server weight {{}} is outside range 1-{WEIGHT_LIMIT}"
                ),
            ),
            _kw("sorry_server", vs, _sorry_server),
            _kw("sorry_server_inhibit", vs, _sorry_inhibit),
            _kw("sorry_server_lvs_method", vs, _sorry_forwarding),
            block("real_server", _rs_table(), _rs_open, _rs_close, status="supported"),
        ],
    )


@cache
def _root() -> tuple[Keyword, ...]:
    return (
        block(
            "SSL",
            _ssl_table(),
            _ssl_open,
            _ssl_close,
            status="supported",
            note="TLS context of SSL_GET checkers",
        ),
        Keyword("virtual_server_group", _vsg_handler, status="supported"),
        block("virtual_server", _vs_table(), _vs_open, _vs_close, status="supported"),
    )


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return list(_root())
