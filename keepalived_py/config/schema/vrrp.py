"""Keyword tables of vrrp_instance and vrrp_sync_group (keepalived 2.2.7, Debian build options).

keepalived checks a good deal while it reads an instance (address families, track names,
interfaces); those checks are made here, with its messages, at the line concerned.  What it
checks once the whole file is read is in validate/vrrp.py.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from keepalived_py.config.dispatch import Keyword, ParseContext, Table
from keepalived_py.config.errors import Severity
from keepalived_py.config.model import vrrp as model
from keepalived_py.config.schema.common import (
    Draft,
    append,
    area,
    block,
    draft,
    mark_supported,
    supported,
    value_block,
)
from keepalived_py.config.schema.ipsyntax import parse_ip_address, parse_route, parse_rule
from keepalived_py.config.scripts import parse_script
from keepalived_py.config.values import (
    INT_MAX,
    TIMER_HZ,
    TIMER_HZ_DIGITS,
    UINT_MAX,
    check_true_false,
    read_decimal,
    read_int,
    read_unsigned,
)

IFNAMSIZ = 16
TIMER_MAX_SEC = 1000  # keepalived's TIMER_MAX_SEC (lib/timer.h)


# -- helpers -----------------------------------------------------------------------------------


def _name(ctx: ParseContext) -> str:
    return str(draft(ctx)["name"])


def _interface_exists(ctx: ParseContext, name: str) -> bool:
    """keepalived's if_get_by_ifname(IF_CREATE_IF_DYNAMIC): unknown names are remembered."""
    if name in ctx.host.interface_names():
        return True
    gdefs = ctx.result.get("global_defs")
    if isinstance(gdefs, dict) and gdefs.get("dynamic_interfaces"):
        return True
    area(ctx, "vrrp").setdefault("missing_interfaces", []).append(name)
    return False


def _addr_family(text: str) -> int | None:
    """inet_stosockaddr(): family from a ':' in the text, then a strict parse."""
    family = 6 if ":" in text else 4
    core = text
    for sep in ("-", "/"):
        if sep in core:
            core = core[: core.index(sep)]
            break
    try:
        if family == 6:
            ipaddress.IPv6Address(core)
        else:
            ipaddress.IPv4Address(core)
    except ValueError:
        return None
    return family


def _set_family(ctx: ParseContext, family: int) -> bool:
    d = draft(ctx)
    if d.get("family") is None:
        d["family"] = family
        return True
    return bool(d["family"] == family)


def _flag(name: str, field: str, note: str = "", status: Any = "parsed") -> Keyword:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        draft(ctx)[field] = True

    return Keyword(name, handler, status=status, note=note)


def _onoff(name: str, field: str, message: str, note: str = "") -> Keyword:
    """``name [on|off]``: alone means true; keepalived's message names the instance."""

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        value: bool | None = True
        if len(words) >= 2:
            value = check_true_false(words[1])
            if value is None:
                ctx.report(Severity.GENERAL_ERROR, message.format(name=_name(ctx), value=words[1]))
                return
        draft(ctx)[field] = value

    return Keyword(name, handler, note=note)


def _notify(name: str, field: str, already: str, extra: int = 0) -> Keyword:
    """A notify script; a second one is ignored with keepalived's message."""

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        d = draft(ctx)
        if d.get(field) is not None:
            ctx.report(Severity.GENERAL_ERROR, already.format(name=_name(ctx), value=ctx.word(words, 1)))
            return
        script = parse_script(ctx, ctx.statements[ctx.pos - 1].text, name)
        if script is not None:
            d[field] = script

    return Keyword(name, handler, note="script run on that transition" if not extra else "")


# -- tracked objects ---------------------------------------------------------------------------


def _track_if_line(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    name = _name(ctx)
    tracked = words[0]
    if not _interface_exists(ctx, tracked):
        ctx.report(Severity.GENERAL_ERROR, f"({name}) tracked interface {tracked} doesn't exist")
        return
    items: list[model.TrackedInterface] = d.setdefault("track_interfaces", [])
    if any(t.name == tracked for t in items):
        ctx.report(Severity.GENERAL_ERROR, f"({name}) duplicate track_interface {tracked} - ignoring")
        return
    weight = 0
    reverse = False
    if len(words) >= 2:
        if words[1] != "weight":
            ctx.report(
                Severity.GENERAL_ERROR,
                f"({name}) unknown track_interface {tracked} option {words[1]} - ignoring",
            )
            return
        if len(words) == 2:
            ctx.report(
                Severity.GENERAL_ERROR,
                f"({name}) weight without value specified for track_interface {tracked} - ignoring",
            )
            return
        w = read_int(ctx, words[2], -254, 254, ignore_error=True)
        if w is None:
            ctx.report(
                Severity.GENERAL_ERROR,
                f"({name}) weight {words[2]} for {tracked} must be between [-253..253] inclusive."
                " Ignoring...",
            )
            w = 0
        elif w in (-254, 254):
            ctx.report(
                Severity.GENERAL_ERROR,
                f"({name}) weight for {tracked} cannot be +/-254. Setting to +/-253",
            )
            w = -253 if w < 0 else 253
        weight = w
        if len(words) >= 4:
            if words[3] == "reverse":
                reverse = True
            else:
                ctx.report(
                    Severity.GENERAL_ERROR,
                    f"({name}) unknown track_interace {tracked} weight option {words[3]} - ignoring",
                )
    items.append(model.TrackedInterface(tracked, weight, reverse))


def _known_names(ctx: ParseContext, area_name: str, keys: tuple[str, ...]) -> frozenset[str] | None:
    """Names of trackers of one kind defined so far (another area's draft; read defensively)."""
    adraft = ctx.result.get(area_name)
    if not isinstance(adraft, dict):
        return None
    for key in keys:
        items = adraft.get(key)
        if isinstance(items, dict):
            return frozenset(str(k) for k in items)
        if isinstance(items, list | tuple):
            names: set[str] = set()
            for item in items:
                nm = item.get("name") if isinstance(item, dict) else getattr(item, "name", None)
                if isinstance(nm, str):
                    names.add(nm)
            return frozenset(names)
    # None of that kind defined yet: keepalived resolves names in one pass, so none is known.
    return frozenset()


# kind -> (draft field, tracker area, tracker list keys, what keepalived calls it, weight range,
#          "weight must be" message, unknown option message includes the name)
_TRACK_KINDS: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "track_script": ("track_scripts", "trackers", ("scripts", "vrrp_scripts"), "script"),
    "track_file": ("track_files", "trackers", ("track_files", "files"), "file"),
    "track_process": ("track_processes", "trackers", ("processes", "track_processes"), "process"),
    "track_bfd": ("track_bfds", "bfd", ("vrrp_tracked",), "bfd"),
}


def _track_ref_line(kind: str) -> Callable[[ParseContext, tuple[str, ...]], None]:
    field, area_name, keys, what = _TRACK_KINDS[kind]

    def line(ctx: ParseContext, words: tuple[str, ...]) -> None:
        d = draft(ctx)
        name = _name(ctx)
        tracked = words[0]
        items: list[model.TrackedRef] = d.setdefault(field, [])
        known = _known_names(ctx, area_name, keys)
        if known is not None and tracked not in known:
            ctx.report(Severity.GENERAL_ERROR, f"({name}) track {what} {tracked} not found, ignoring...")
            return
        if any(t.name == tracked for t in items):
            ctx.report(Severity.GENERAL_ERROR, f"({name}) duplicate {kind} {tracked} - ignoring")
            return
        weight: int | None = None
        reverse: bool | None = None
        if len(words) >= 2:
            if words[1] != "weight":
                if kind in ("track_script", "track_process", "track_file"):
                    msg = f"({name}) unknown track {what} option {words[1]} - ignoring"
                else:
                    msg = f"({name}) unknown track bfd {tracked} option {words[1]} - ignoring"
                ctx.report(Severity.GENERAL_ERROR, msg)
                return
            if len(words) == 2:
                ctx.report(
                    Severity.GENERAL_ERROR,
                    f"({name}) weight without value specified for track {what} {tracked} - ignoring",
                )
                return
            lim = 253 if kind == "track_bfd" else 254
            w = read_int(ctx, words[2], -lim, lim, ignore_error=True)
            if w is None:
                msgs = {
                    "track_script": f"({name}) track script {tracked}: weight must be between "
                    "[-253..253] inclusive, ignoring...",
                    "track_file": f"({name}) weight for track file {tracked} must be in "
                    "[-254..254] inclusive. Ignoring...",
                    "track_process": f"({name}) weight for track process {tracked} must be in "
                    "[-254..254] inclusive. Ignoring...",
                    "track_bfd": f"({name}) weight for track bfd {tracked} must be in "
                    "[-253..253] inclusive. Ignoring...",
                }
                ctx.report(Severity.GENERAL_ERROR, msgs[kind])
            else:
                if kind == "track_script" and w in (-254, 254):
                    ctx.report(
                        Severity.GENERAL_ERROR,
                        f"({name}) weight for {tracked} cannot be +/-254. Setting to +/-253",
                    )
                    w = -253 if w < 0 else 253
                weight = w
            if len(words) >= 4:
                if words[3] == "reverse":
                    reverse = True
                elif words[3] == "noreverse":
                    reverse = False
                else:
                    ctx.report(
                        Severity.GENERAL_ERROR,
                        f"({name}) unknown {kind} {tracked} weight option {words[3]} - ignoring"
                        if kind != "track_bfd"
                        else f"({name}) unknown track bfd {tracked} weight option {words[3]} - ignoring",
                    )
                    if kind in ("track_file", "track_bfd"):
                        return
        items.append(model.TrackedRef(tracked, weight, reverse, ctx.location, known))

    return line


def _track_keywords() -> list[Keyword]:
    return [
        value_block("track_interface", _track_if_line, note="interfaces whose state changes the priority"),
        value_block("track_script", _track_ref_line("track_script")),
        value_block("track_file", _track_ref_line("track_file")),
        value_block("track_process", _track_ref_line("track_process"), status="supported"),
        value_block("track_bfd", _track_ref_line("track_bfd")),
    ]


# -- vrrp_instance -----------------------------------------------------------------------------


def _instance_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    if len(words) != 2:
        ctx.report(Severity.GENERAL_ERROR, "vrrp_instance must have a name")
        ctx.skip_block(True)
        return
    name = words[1]
    if any(i.name == name for i in area(ctx, "vrrp").get("instances", [])):
        ctx.report(Severity.GENERAL_ERROR, f"vrrp instance {name} already defined")
        ctx.skip_block(True)
        return
    ctx.stack.append({"name": name, "location": ctx.location})


def _instance_close(ctx: ParseContext) -> None:
    d: Draft = ctx.stack.pop()
    name = d["name"]
    if d.get("unicast_configured") and (d.get("use_vmac") or d.get("use_ipvlan")):
        if d.get("interface") is None:
            ctx.report(
                Severity.GENERAL_ERROR,
                f"({name}): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac",
            )
            d["use_vmac"] = d["use_ipvlan"] = False
            d["vmac_ifname"] = None
        elif not d.get("vmac_xmit_base"):
            ctx.report(
                Severity.GENERAL_ERROR, f"({name}) unicast with use_vmac requires vmac_xmit_base - setting"
            )
            d["vmac_xmit_base"] = True
    if not d.get("unicast_peers") and d.get("unicast_ttl") is not None:
        ctx.report(
            Severity.GENERAL_ERROR, f"({name}): Cannot use unicast_ttl without unicast peers - resetting"
        )
        d["unicast_ttl"] = None
    if d.get("interface") is None:
        d["linkbeat_use_polling"] = False
    append(ctx, "vrrp", "instances", model.build_instance(d))


def _dev_name_valid(name: str) -> bool:
    return (
        bool(name)
        and len(name) < IFNAMSIZ
        and name not in (".", "..")
        and not any(c in "/:" or c.isspace() for c in name)
    )


def _other_vmac_user(ctx: ParseContext, ifname: str) -> str | None:
    for inst in area(ctx, "vrrp").get("instances", []):
        if inst.vmac_ifname == ifname:
            return str(inst.name)
    return None


def _use_vmac(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    name = _name(ctx)
    d["use_vmac"] = True
    for word in words[1:3]:
        if ":" in word:
            if d.get("vmac_mac"):
                ctx.report(Severity.GENERAL_ERROR, "VMAC interface address already specified")
                continue
            if any(c not in "0123456789ABCDEFabcdef:" for c in word):
                ctx.report(Severity.GENERAL_ERROR, f"VMAC invalid MAC address {word}")
                continue
            parts = word.rstrip(":").split(":") if word.count(":") == 4 else word.split(":")
            octets: list[int] = []
            ok = len(parts) in (5, 6) and all(1 <= len(p) <= 2 for p in parts)
            if ok:
                octets = [int(p, 16) for p in parts]
            if not ok:
                ctx.report(Severity.GENERAL_ERROR, f"VMAC invalid MAC address {word} - ignored")
            elif octets[0] & 1:
                ctx.report(Severity.GENERAL_ERROR, f"VMAC MAC address is multicast {word} - ignoring")
            elif octets[:4] == [0, 0, 0x5E, 0] and octets[4] in (1, 2):
                ctx.report(
                    Severity.GENERAL_ERROR,
                    f"VMAC MAC address not allowed to be RFC5798 address ({word}) - ignoring",
                )
            else:
                d["vmac_mac"] = ":".join(f"{o:02x}" for o in octets)
        else:
            if d.get("vmac_ifname"):
                ctx.report(Severity.GENERAL_ERROR, "VMAC interface name already specified")
                continue
            if not _dev_name_valid(word):
                ctx.report(
                    Severity.GENERAL_ERROR,
                    f"VMAC interface name '{word}' too long or invalid characters - ignoring",
                )
                continue
            other = _other_vmac_user(ctx, word)
            if other is not None:
                ctx.report(
                    Severity.GENERAL_ERROR,
                    f"({name}) VRRP instance {other} is already using {word} - ignoring name",
                )
                continue
            d["vmac_ifname"] = word


def _use_ipvlan(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    name = _name(ctx)
    if d.get("use_ipvlan"):
        ctx.report(Severity.GENERAL_ERROR, f"({name}) use_ipvlan already specified")
        return
    d["use_ipvlan"] = True
    had_type = False
    for word in words[1:]:
        if word in ("bridge", "private", "vepa"):
            if had_type:
                ctx.report(
                    Severity.GENERAL_ERROR, f"({name}) ipvlan type already specified - ignoring '{word}'"
                )
            else:
                d["ipvlan_type"] = word
                had_type = True
            continue
        try:
            iface = ipaddress.ip_interface(word)
        except ValueError:
            iface = None
        if iface is not None:
            if d.get("ipvlan_addr"):
                ctx.report(
                    Severity.GENERAL_ERROR, f"({name}) ipvlan address already specified - ignoring '{word}'"
                )
                continue
            if not _set_family(ctx, iface.version):
                ctx.report(
                    Severity.GENERAL_ERROR,
                    f"({name}) ipvlan address[{word}] MUST match vrrp instance family !!! Skipping...",
                )
                continue
            d["ipvlan_addr"] = word
            if d.get("src_ip") is None:
                d["src_ip"] = str(iface.ip)
            continue
        if d.get("vmac_ifname"):
            ctx.report(
                Severity.GENERAL_ERROR, f"({name}) IPVLAN interface already specified - ignoring '{word}'"
            )
            continue
        if len(word) >= IFNAMSIZ:
            ctx.report(Severity.GENERAL_ERROR, f"({name}) IPVLAN interface name '{word}' too long - ignoring")
            continue
        other = _other_vmac_user(ctx, word)
        if other is not None:
            ctx.report(
                Severity.GENERAL_ERROR,
                f"({name}) VRRP instance {other} is already using {word} - ignoring name",
            )
            continue
        d["vmac_ifname"] = word


def _unicast_peer_line(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    name = _name(ctx)
    family = _addr_family(words[0])
    if family is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: VRRP instance[{name}] malformed unicast peer address[{words[0]}]."
            " Skipping...",
        )
        return
    if not _set_family(ctx, family):
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: VRRP instance[{name}] and unicast peer address[{words[0]}] "
            "MUST be of the same family !!! Skipping...",
        )
        return
    min_ttl, max_ttl = 0, 255
    i = 1
    while i < len(words):
        if i + 1 >= len(words):
            ctx.report(Severity.GENERAL_ERROR, f"({name}) {words[i]} is missing a value")
            break
        ttl = read_unsigned(ctx, words[i + 1], 0, 255)
        if ttl is not None:
            if words[i] == "min_ttl":
                min_ttl = ttl
            elif words[i] == "max_ttl":
                max_ttl = ttl
            else:
                ctx.report(Severity.GENERAL_ERROR, f"({name}) unknown unicast_peer option {words[i]}")
                break
            d["check_unicast_src"] = True
        i += 2
    if min_ttl > max_ttl:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"({name}) min_ttl {min_ttl} > max_ttl {max_ttl} - all packets will be discarded",
        )
    core = words[0].split("/")[0].split("-")[0]
    d.setdefault("unicast_peers", []).append(model.UnicastPeer(core, family, min_ttl, max_ttl))


def _unicast_peer(ctx: ParseContext, words: tuple[str, ...]) -> None:
    draft(ctx)["unicast_configured"] = True
    for line, loc in ctx.read_value_block(words):
        ctx.location = loc
        _unicast_peer_line(ctx, line)


def _unicast_flag(field: str) -> Callable[[ParseContext, tuple[str, ...]], None]:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        d = draft(ctx)
        d["unicast_configured"] = True
        d[field] = True

    return handler


def _old_unicast_checksum(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    d["unicast_configured"] = True
    if len(words) >= 2:
        if words[1] == "never":
            d["old_unicast_checksum"] = "never"
        else:
            ctx.report(
                Severity.GENERAL_ERROR,
                f"({_name(ctx)}) Unknown old_unicast_chksum mode {words[1]} - ignoring",
            )
    else:
        d["old_unicast_checksum"] = "config"


def _native_ipv6(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    if d.get("family") == 4:
        ctx.report(Severity.GENERAL_ERROR, f"({_name(ctx)}) Cannot specify native_ipv6 with IPv4 addresses")
        return
    d["family"] = 6
    d["version"] = 3
    d["native_ipv6"] = True


def _state(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    text = ctx.word(words, 1)
    if text == "MASTER":
        d["state"] = "MASTER"
    elif text == "BACKUP":
        if d.get("state") == "MASTER":
            ctx.report(
                Severity.GENERAL_ERROR, f"({_name(ctx)}) state previously set as MASTER - ignoring BACKUP"
            )
        else:
            d["state"] = "BACKUP"
    else:
        ctx.report(Severity.GENERAL_ERROR, f"({_name(ctx)}) unknown state '{text}', defaulting to BACKUP")
        d["state"] = "BACKUP"


def _interface(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    text = ctx.word(words, 1)
    if len(text) >= IFNAMSIZ:
        ctx.report(Severity.GENERAL_ERROR, f"Interface name '{text}' too long - ignoring")
        return
    d["interface_written"] = text
    if not _interface_exists(ctx, text):
        ctx.report(
            Severity.GENERAL_ERROR, f"WARNING - interface {text} for vrrp_instance {_name(ctx)} doesn't exist"
        )
        d["interface"] = None
    elif text == "lo":
        ctx.report(
            Severity.GENERAL_ERROR,
            f"({_name(ctx)}) cannot use a loopback interface ({text}) for vrrp - ignoring",
        )
        d["interface"] = None
    else:
        d["interface"] = text


def _vrf(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    name = _name(ctx)
    text = ctx.word(words, 1)
    if len(text) >= IFNAMSIZ:
        ctx.report(Severity.GENERAL_ERROR, f"({name}) VRF interface name '{text}' too long - ignoring")
        return
    if d.get("interface") is not None:
        ctx.report(Severity.GENERAL_ERROR, f"({name}) Cannot specify VRF interface and interface - ignoring")
        return
    if d.get("vrf") is not None:
        ctx.report(
            Severity.GENERAL_ERROR, f"({name}) VRF interface already specified as '{d['vrf']}' - ignoring"
        )
        return
    if not _interface_exists(ctx, text):
        ctx.report(Severity.GENERAL_ERROR, f"({name}) WARNING - VRF interface {text} doesn't exist")
    elif text == "lo":
        ctx.report(
            Severity.GENERAL_ERROR, f"({name}) cannot use a loopback interface ({text}) for VRF - ignoring"
        )
    else:
        d["vrf"] = text


def _linkbeat(ctx: ParseContext, words: tuple[str, ...]) -> None:
    draft(ctx)["linkbeat_use_polling"] = True
    ctx.report(
        Severity.GENERAL_ERROR,
        f"({_name(ctx)}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block",
    )


def _src_ip(ctx: ParseContext, words: tuple[str, ...], unicast: bool = False) -> None:
    d = draft(ctx)
    name = _name(ctx)
    if unicast:
        d["unicast_configured"] = True
    text = ctx.word(words, 1)
    family = _addr_family(text)
    if family is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: VRRP instance[{name}] malformed src address[{text}]. Skipping...",
        )
        return
    if not _set_family(ctx, family):
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Configuration error: VRRP instance[{name}] and src address[{text}] MUST be of the same family "
            "!!! Skipping...",
        )
        d["src_ip"] = None
        return
    d["src_ip"] = text.split("/")[0].split("-")[0]


def _mcast_dst(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    name = _name(ctx)
    text = ctx.word(words, 1)
    family = _addr_family(text)
    if family is None:
        ctx.report(Severity.GENERAL_ERROR, f"({name}) malformed mcast dest address {text}. Skipping...")
        return
    if not _set_family(ctx, family):
        ctx.report(
            Severity.GENERAL_ERROR,
            f"({name}) mcast dest address {text} MUST match VRRP instance family. Skipping...",
        )
        d["mcast_dst_ip"] = None
        return
    core = text.split("/")[0].split("-")[0]
    addr = ipaddress.ip_address(core)
    ok = (
        addr.is_multicast
        if addr.version == 4
        else (int(addr) >> 120 == 0xFF and (int(addr) >> 112) & 0xF == 2)
    )
    if not ok:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"({name}) mcast_dst_ip {text} not{' link-local' if family == 6 else ''} multicast. Skipping...",
        )
        d["mcast_dst_ip"] = None
        return
    d["mcast_dst_ip"] = core


def _vrid(ctx: ParseContext, words: tuple[str, ...]) -> None:
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 1, 255)
    if value is None:
        ctx.report(
            Severity.GENERAL_ERROR, f"({_name(ctx)}): VRID '{text}' not valid - must be between 1 & 255"
        )
        return
    draft(ctx)["vrid"] = value


def _ttl(ctx: ParseContext, words: tuple[str, ...]) -> None:
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 0, 255)
    if value is None:
        ctx.report(
            Severity.GENERAL_ERROR, f"({_name(ctx)}): TTL '{text}' not valid - must be between 0 & 255"
        )
        return
    draft(ctx)["unicast_ttl"] = value


def _version(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    name = _name(ctx)
    value = read_int(ctx, ctx.word(words, 1), 2, 3, ignore_error=True)
    if value is None:
        ctx.report(Severity.GENERAL_ERROR, f"({name}): Version must be either 2 or 3")
        return
    current = d.get("version")
    if (current and current != value) or (value == 2 and d.get("family") == 6):
        ctx.report(
            Severity.GENERAL_ERROR,
            f"({name}) vrrp_version {value} conflicts with configured or deduced version {current or 0};"
            " ignoring.",
        )
        return
    d["version"] = value


def _priority(ctx: ParseContext, words: tuple[str, ...]) -> None:
    value = read_unsigned(ctx, ctx.word(words, 1), 1, model.PRIO_OWNER)
    if value is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"({_name(ctx)}) Priority not valid! must be between 1 & {model.PRIO_OWNER}. "
            f"Using default {model.PRIO_DEFAULT}",
        )
        value = model.PRIO_DEFAULT
    draft(ctx)["priority"] = value


def _advert_int(ctx: ParseContext, words: tuple[str, ...]) -> None:
    text = ctx.word(words, 1)
    value = read_decimal(ctx, text, TIMER_HZ // 100, 255 * TIMER_HZ, TIMER_HZ_DIGITS, ignore_error=True)
    if value is None or value <= 0:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"({_name(ctx)}) Advert interval ({text}) not valid! Must be > 0 - ignoring",
        )
        return
    draft(ctx)["advert_int"] = value


def _debug(ctx: ParseContext, words: tuple[str, ...]) -> None:
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 0, 4, ignore_error=True)
    if value is None:
        ctx.report(
            Severity.GENERAL_ERROR, f"({_name(ctx)}) Debug value '{text}' not valid; must be between 0-4"
        )
        return
    draft(ctx)["debug"] = value


def _skip_check_adv_addr(ctx: ParseContext, words: tuple[str, ...]) -> None:
    # keepalived sets the flag whatever on/off word is given (only a bad word is refused).
    if len(words) >= 2 and check_true_false(words[1]) is None:
        ctx.report(Severity.GENERAL_ERROR, f"({_name(ctx)}) invalid skip_check_adv_addr {words[1]} specified")
        return
    draft(ctx)["skip_check_adv_addr"] = True


def _preempt_delay(ctx: ParseContext, words: tuple[str, ...]) -> None:
    value = read_decimal(
        ctx, ctx.word(words, 1), 0, TIMER_MAX_SEC * TIMER_HZ, TIMER_HZ_DIGITS, ignore_error=True
    )
    if value is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"({_name(ctx)}) Preempt_delay not valid! must be between 0-{TIMER_MAX_SEC}",
        )
        value = 0
    draft(ctx)["preempt_delay"] = value


def _notify_deleted(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    if d.get("notify_deleted"):
        ctx.report(
            Severity.GENERAL_ERROR,
            f"({_name(ctx)}) notify_deleted already specified - ignoring "
            f"{words[1] if len(words) > 1 else ''}",
        )
        return
    if len(words) > 1:
        script = parse_script(ctx, ctx.statements[ctx.pos - 1].text, "notify_deleted")
        if script is not None:
            d["notify_deleted_script"] = script
    d["notify_deleted"] = True


def _smtp(message: str) -> Callable[[ParseContext, tuple[str, ...]], None]:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        value: bool | None = True
        if len(words) >= 2:
            value = check_true_false(words[1])
            if value is None:
                ctx.report(Severity.GENERAL_ERROR, message.format(value=words[1]))
                return
        draft(ctx)["smtp_alert"] = value

    return handler


def _lvs_syncd(ctx: ParseContext, words: tuple[str, ...]) -> None:
    name = _name(ctx)
    ctx.report(
        Severity.GENERAL_ERROR, f"({name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated."
    )
    ctx.report(
        Severity.GENERAL_ERROR, "      " + " " * max(len(name) - 2, 0) + "Please use global lvs_sync_daemon"
    )
    vrrp_area = area(ctx, "vrrp")
    if vrrp_area.get("lvs_syncd_ifname"):
        ctx.report(
            Severity.GENERAL_ERROR,
            f"({name}) lvs_sync_daemon_interface has already been specified as "
            f"{vrrp_area['lvs_syncd_ifname']} - ignoring",
        )
        return
    vrrp_area["lvs_syncd_ifname"] = ctx.word(words, 1)
    draft(ctx)["lvs_sync_daemon_interface"] = ctx.word(words, 1)


def _unsigned_kw(
    field: str, lo: int, hi: int, message: str, scale: int = 1, zero_fix: str | None = None
) -> Callable[[ParseContext, tuple[str, ...]], None]:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        text = ctx.word(words, 1)
        value = read_unsigned(ctx, text, lo, hi, ignore_error=True)
        if value is None:
            ctx.report(Severity.GENERAL_ERROR, message.format(name=_name(ctx), value=text))
            return
        if zero_fix and value == 0:
            ctx.report(Severity.GENERAL_ERROR, zero_fix.format(name=_name(ctx)))
            value = 1
        draft(ctx)[field] = value * scale

    return handler


def _garp_refresh(ctx: ParseContext, words: tuple[str, ...]) -> None:
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 0, UINT_MAX, ignore_error=True)
    if value is None:
        ctx.report(Severity.GENERAL_ERROR, f"({_name(ctx)}): Invalid garp_master_refresh '{text}' - ignoring")
        value = 0
    draft(ctx)["garp_master_refresh"] = value * TIMER_HZ


def _garp_extra_if(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    name = _name(ctx)
    cmd = words[0]
    if cmd == "vmac_garp_intvl":
        ctx.report(
            Severity.DEPRECATED, 'Keyword "vmac_garp_intvl" is deprecated - please use "garp_extra_if"'
        )
    delay: int | None = None
    for word in words[1:]:
        if word == "all":
            d["garp_extra_if_all"] = True
            continue
        value = read_unsigned(ctx, word, 0, 86400, ignore_error=True)
        if value is None:
            ctx.report(Severity.GENERAL_ERROR, f"({name}): {cmd} '{word}' invalid - ignoring")
            return
        delay = value
    if delay is None:
        ctx.report(Severity.GENERAL_ERROR, f"({name}): {cmd} specified without time - ignoring")
        return
    d["garp_extra_if"] = delay * TIMER_HZ


def _kernel_rx_buf_size(ctx: ParseContext, words: tuple[str, ...]) -> None:
    if len(words) == 2:
        value = read_unsigned(ctx, words[1], 0, UINT_MAX)
        if value is not None:
            draft(ctx)["kernel_rx_buf_size"] = value
            return
    ctx.report(Severity.GENERAL_ERROR, f"({_name(ctx)}) invalid kernel_rx_buf_size specified")


def _auth_type(ctx: ParseContext, words: tuple[str, ...]) -> None:
    text = ctx.word(words, 1)
    if text in ("AH", "PASS"):
        draft(ctx)["auth_type"] = text
    else:
        ctx.report(Severity.GENERAL_ERROR, f"({_name(ctx)}) unknown authentication type '{text}'")


def _auth_pass(ctx: ParseContext, words: tuple[str, ...]) -> None:
    text = ctx.word(words, 1)
    raw = text.encode()
    if len(raw) > 8:
        ctx.report(Severity.GENERAL_ERROR, "Truncating auth_pass to 8 characters")
        text = raw[:8].decode(errors="replace")
    draft(ctx)["auth_pass"] = text


def _vip_line(field: str) -> Callable[[ParseContext, tuple[str, ...]], None]:
    def line(ctx: ParseContext, words: tuple[str, ...]) -> None:
        addr = parse_ip_address(ctx, words)
        if addr is None:
            return
        dev = getattr(addr, "dev", None)
        if isinstance(dev, str) and dev not in ctx.host.interface_names():
            _interface_exists(ctx, dev)
        if field == "virtual_ipaddresses":
            family = getattr(addr, "family", None)
            if isinstance(family, int) and not _set_family(ctx, family):
                ctx.report(
                    Severity.GENERAL_ERROR,
                    f"({_name(ctx)}): address family must match VRRP instance [{words[0]}] - ignoring",
                )
                return
        draft(ctx).setdefault(field, []).append(addr)

    return line


def _route_line(ctx: ParseContext, words: tuple[str, ...]) -> None:
    route = parse_route(ctx, words)
    if route is not None:
        draft(ctx).setdefault("virtual_routes", []).append(route)


def _rule_line(ctx: ParseContext, words: tuple[str, ...]) -> None:
    rule = parse_rule(ctx, words)
    if rule is not None:
        draft(ctx).setdefault("virtual_rules", []).append(rule)


def _set(field: str, value: Any) -> Callable[[ParseContext, tuple[str, ...]], None]:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        draft(ctx)[field] = value

    return handler


def _auth_table() -> Table:
    return Table(
        "authentication",
        [
            Keyword("auth_type", _auth_type, note="PASS or AH (VRRPv2 only)"),
            Keyword("auth_pass", _auth_pass, note="truncated to 8 characters"),
        ],
    )


def _kw(name: str, handler: Callable[[ParseContext, tuple[str, ...]], None], note: str = "") -> Keyword:
    return Keyword(name, handler, note=note)


def instance_table() -> Table:
    g = "garp_master"
    return Table(
        "vrrp_instance",
        [
            Keyword("use_vmac", _use_vmac, status="supported", note="macvlan interface [name] [MAC]"),
            _flag("use_vmac_addr", "use_vmac_addr", status="supported"),
            _flag("vmac_xmit_base", "vmac_xmit_base", status="supported"),
            _kw("use_ipvlan", _use_ipvlan, "no ipvlan at run time yet: the instance runs on its interface"),
            _kw("unicast_peer", _unicast_peer),
            _kw("unicast_fault_no_peer", _unicast_flag("unicast_fault_no_peer")),
            _kw("check_unicast_src", _unicast_flag("check_unicast_src")),
            Keyword("old_unicast_checksum", _old_unicast_checksum, status="supported"),
            _kw("native_ipv6", _native_ipv6),
            _kw("state", _state),
            _kw("interface", _interface),
            _kw("vrf", _vrf),
            _flag("dont_track_primary", "dont_track_primary"),
            *_track_keywords(),
            _kw("mcast_src_ip", _src_ip),
            _kw("unicast_src_ip", lambda ctx, words: _src_ip(ctx, words, unicast=True)),
            _kw("mcast_dst_ip", _mcast_dst),
            _flag("track_src_ip", "track_src_ip"),
            _kw("virtual_router_id", _vrid),
            _kw("unicast_ttl", _ttl),
            _kw("version", _version),
            _kw("priority", _priority),
            _kw("advert_int", _advert_int, "stored in microseconds"),
            value_block("virtual_ipaddress", _vip_line("virtual_ipaddresses")),
            value_block("virtual_ipaddress_excluded", _vip_line("virtual_ipaddresses_excluded")),
            _flag("promote_secondaries", "promote_secondaries"),
            Keyword("linkbeat_use_polling", _linkbeat, note="deprecated, use linkbeat_interfaces"),
            value_block("virtual_routes", _route_line),
            value_block("virtual_rules", _rule_line),
            supported(_kw("accept", _set("accept", True))),
            supported(_kw("no_accept", _set("accept", False)), "VIPs dropped by nftables while MASTER"),
            _kw("skip_check_adv_addr", _skip_check_adv_addr),
            supported(_onoff("strict_mode", "strict_mode", "({name}) invalid strict_mode {value} specified")),
            _kw("preempt", _set("nopreempt", False), "the default; kept for old configurations"),
            _kw("nopreempt", _set("nopreempt", True)),
            _kw("preempt_delay", _preempt_delay),
            _kw("debug", _debug),
            supported(
                _notify(
                    "notify_backup",
                    "notify_backup",
                    "({name}) notify_backup script already specified - ignoring {value}",
                )
            ),
            supported(
                _notify(
                    "notify_master",
                    "notify_master",
                    "({name}) notify_master script already specified - ignoring {value}",
                )
            ),
            supported(
                _notify(
                    "notify_fault",
                    "notify_fault",
                    "({name}) notify_fault script already specified - ignoring {value}",
                )
            ),
            supported(
                _notify(
                    "notify_stop",
                    "notify_stop",
                    "({name}) notify_stop script already specified - ignoring {value}",
                )
            ),
            supported(_kw("notify_deleted", _notify_deleted), "reload: a removed instance notifies DELETED"),
            supported(
                _notify(
                    "notify", "notify", "({name}) notify script already specified - ignoring {value}", extra=4
                )
            ),
            supported(
                _notify(
                    "notify_master_rx_lower_pri",
                    "notify_master_rx_lower_pri",
                    "({name}) notify_master_rx_lower_pri script already specified - ignoring {value}",
                )
            ),
            supported(_kw("smtp_alert", _smtp("Invalid vrrp_instance smtp_alert parameter {value}"))),
            supported(
                _onoff(
                    "notify_priority_changes",
                    "notify_priority_changes",
                    "({name}) Invalid value '{value}' for notify_priority_changes specified",
                ),
                "FIFO lines MASTER_PRIORITY / BACKUP_PRIORITY",
            ),
            Keyword(
                "lvs_sync_daemon_interface",
                _lvs_syncd,
                status="supported",
                note="deprecated, use global lvs_sync_daemon",
            ),
            supported(
                _kw(
                    "garp_master_delay",
                    _unsigned_kw(
                        "garp_master_delay",
                        0,
                        UINT_MAX // TIMER_HZ,
                        "({name}): garp_master_delay '{value}' invalid - ignoring",
                        scale=TIMER_HZ,
                    ),
                )
            ),
            Keyword("garp_master_refresh", _garp_refresh, status="supported"),
            supported(
                _kw(
                    "garp_master_repeat",
                    _unsigned_kw(
                        "garp_master_repeat",
                        0,
                        UINT_MAX,
                        "({name}): garp_master_repeat '{value}' invalid - ignoring",
                        zero_fix="({name}): garp_master_repeat must be greater than 0, setting to 1",
                    ),
                )
            ),
            supported(
                _kw(
                    f"{g}_refresh_repeat",
                    _unsigned_kw(
                        "garp_master_refresh_repeat",
                        0,
                        UINT_MAX,
                        "({name}): garp_master_refresh_repeat '{value}' invalid - ignoring",
                        zero_fix="({name}): garp_master_refresh_repeat must be greater than 0, setting to 1",
                    ),
                )
            ),
            supported(
                _kw(
                    "garp_lower_prio_delay",
                    _unsigned_kw(
                        "garp_lower_prio_delay",
                        0,
                        UINT_MAX // TIMER_HZ,
                        "({name}): garp_lower_prio_delay '{value}' invalid - ignoring",
                        scale=TIMER_HZ,
                    ),
                )
            ),
            supported(
                _kw(
                    "garp_lower_prio_repeat",
                    _unsigned_kw(
                        "garp_lower_prio_repeat",
                        0,
                        INT_MAX,
                        "({name}): Invalid garp_lower_prio_repeat '{value}'",
                    ),
                )
            ),
            _kw(
                "down_timer_adverts",
                _unsigned_kw(
                    "down_timer_adverts", 1, 100, "({name}): Invalid down_timer_adverts [1:100] '{value}'"
                ),
            ),
            _kw("garp_extra_if", _garp_extra_if),
            Keyword("vmac_garp_intvl", _garp_extra_if, note="deprecated, use garp_extra_if"),
            _onoff(
                "lower_prio_no_advert",
                "lower_prio_no_advert",
                "({name}) invalid lower_prio_no_advert {value} specified",
            ),
            _onoff(
                "higher_prio_send_advert",
                "higher_prio_send_advert",
                "({name}) invalid higher_prio_send_advert {value} specified",
            ),
            _kw("kernel_rx_buf_size", _kernel_rx_buf_size),
            block("authentication", _auth_table(), None, None, note="VRRPv2 only; not with strict_mode"),
        ],
    )


# -- vrrp_sync_group ---------------------------------------------------------------------------


def _group_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    if len(words) != 2:
        ctx.report(Severity.GENERAL_ERROR, "vrrp_sync_group must have a name - skipping")
        ctx.skip_block(True)
        return
    name = words[1]
    if any(g.name == name for g in area(ctx, "vrrp").get("sync_groups", [])):
        ctx.report(Severity.GENERAL_ERROR, f"vrrp sync group {name} already defined")
        ctx.skip_block(True)
        return
    ctx.stack.append({"name": name, "location": ctx.location})


def _group_close(ctx: ParseContext) -> None:
    d: Draft = ctx.stack.pop()
    append(ctx, "vrrp", "sync_groups", model.build_sync_group(d))


def _group_members(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    if d.get("members") is not None:
        ctx.report(Severity.GENERAL_ERROR, f"Group list already specified for sync group {d['name']}")
        ctx.skip_block(True)
        return
    members = [w for line, _ in ctx.read_value_block(words) for w in line]
    if not members:
        ctx.report(Severity.GENERAL_ERROR, f"Warning - sync group {d['name']} has empty group block")
        return
    d["members"] = tuple(members)


def _global_tracking(ctx: ParseContext, words: tuple[str, ...]) -> None:
    ctx.report(
        Severity.GENERAL_ERROR,
        f"({_name(ctx)}) global_tracking is deprecated. Use track_interface/script/file on the sync group",
    )
    draft(ctx)["sync_group_tracking_weight"] = True


def _gnotify(kw: str, extra: int = 0) -> Keyword:
    label = "notify" if kw == "notify" else kw
    return _notify(
        kw, kw, "vrrp group {name}: " + label + " script already specified - ignoring {value}", extra
    )


def sync_group_table() -> Table:
    return Table(
        "vrrp_sync_group",
        [
            supported(_kw("group", _group_members, "member vrrp_instance names move together")),
            *(
                supported(k, "applies to every member")
                if k.name in ("track_interface", "track_script", "track_file")
                else k
                for k in _track_keywords()
            ),
            supported(_gnotify("notify_backup")),
            supported(_gnotify("notify_master")),
            supported(_gnotify("notify_fault")),
            supported(_gnotify("notify_stop")),
            supported(_gnotify("notify", extra=4), "GROUP <name> <STATE> 0"),
            supported(_kw("smtp_alert", _smtp("Invalid vrrp_group smtp_alert parameter {value}"))),
            Keyword(
                "global_tracking",
                _global_tracking,
                status="supported",
                note="deprecated, use sync_group_tracking_weight",
            ),
            _flag("sync_group_tracking_weight", "sync_group_tracking_weight", status="supported"),
            supported(
                _onoff(
                    "notify_priority_changes",
                    "notify_priority_changes",
                    "({name}) Invalid value '{value}' for sync group notify_priority_changes specified",
                ),
                "FIFO lines MASTER_PRIORITY / BACKUP_PRIORITY",
            ),
        ],
    )


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return [
        block(
            "vrrp_instance",
            _with_runtime_status(instance_table()),
            _instance_open,
            _instance_close,
            status="supported",
        ),
        block("vrrp_sync_group", sync_group_table(), _group_open, _group_close, status="supported"),
    ]


# vrrp_instance keywords that the VRRP daemon applies (tested in tests/netns and tests/sim)
INSTANCE_SUPPORTED = (
    "state",
    "interface",
    "virtual_router_id",
    "priority",
    "advert_int",
    "version",
    "native_ipv6",
    "dont_track_primary",
    "track_interface",
    "track_script",
    "track_file",
    "mcast_src_ip",
    "unicast_src_ip",
    "mcast_dst_ip",
    "unicast_peer",
    "unicast_ttl",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "virtual_routes",
    "virtual_rules",
    "preempt",
    "nopreempt",
    "preempt_delay",
    "down_timer_adverts",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "authentication",
)


def _with_runtime_status(table: Table) -> Table:
    mark_supported(table, INSTANCE_SUPPORTED)
    auth = table.get("authentication")
    if auth is not None and auth.sub is not None:
        mark_supported(auth.sub, ("auth_type", "auth_pass"))
    return table
