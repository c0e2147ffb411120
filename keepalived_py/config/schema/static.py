"""Keyword tables of static_* blocks, track_group, garp_group, linkbeat/up-down delays."""

from __future__ import annotations

from typing import Any

from keepalived_py.config.dispatch import Keyword, ParseContext, Table
from keepalived_py.config.errors import Severity
from keepalived_py.config.model.static import LinkbeatInterface, TrackGroup, UpDownDelay
from keepalived_py.config.schema.common import area, draft, value_block
from keepalived_py.config.schema.ipsyntax import lookup_interface, parse_ip_address, parse_route, parse_rule
from keepalived_py.config.values import INT_MAX, TIMER_HZ, read_decimal, read_timer

GE = Severity.GENERAL_ERROR


def _static(ctx: ParseContext) -> dict[str, Any]:
    return area(ctx, "static")


def _dynamic(ctx: ParseContext) -> bool:
    g = ctx.result.get("global_defs")
    return bool(g.get("dynamic_interfaces")) if isinstance(g, dict) else False


# -- static_ipaddress / static_routes / static_rules --------------------------------------------


def _static_block(name: str, key: str, reader: Any, note: str) -> Keyword:
    def line(ctx: ParseContext, words: tuple[str, ...]) -> None:
        item = reader(ctx, words, static=True)
        if item is not None:
            _static(ctx).setdefault(key, []).append(item)

    kw = value_block(name, line, status="supported", note=note)
    inner = kw.handler
    assert inner is not None

    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        _static(ctx)["have_vrrp_config"] = True
        inner(ctx, words)

    return Keyword(name, handler, status=kw.status, note=note)


# -- track_group -------------------------------------------------------------------------------


def _track_group_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    if len(words) != 2:
        ctx.report(GE, "track_group must have a name - skipping")
        ctx.skip_block(True)
        return
    name = words[1]
    if any(g.name == name for g in _static(ctx).get("track_groups", ())):
        ctx.report(GE, f"track_group {name} already defined")
        ctx.skip_block(True)
        return
    ctx.stack.append({"name": name, "instances": None})


def _track_group_group(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    if d["instances"] is not None:
        ctx.report(GE, f"Group list already specified for sync group {d['name']}")
        ctx.skip_block(True)
        return
    names = [w for line, _ in ctx.read_value_block(words) for w in line]
    if not names:
        ctx.report(GE, f"Warning - track group {d['name']} has empty group block")
    d["instances"] = names or None  # an empty block leaves the list unset, as in keepalived


def _track_group_close(ctx: ParseContext) -> None:
    d = ctx.stack.pop()
    _static(ctx).setdefault("track_groups", []).append(TrackGroup(d["name"], tuple(d["instances"] or ())))


TRACK_GROUP = Table("track_group", [Keyword("group", _track_group_group, note="VRRP instances to follow")])


# -- garp_group --------------------------------------------------------------------------------


def _garp_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    g: dict[str, Any] = {
        "garp_interval": None,
        "gna_interval": None,
        "interfaces": [],
        "aggregation_group": 0,
    }
    ctx.stack.append(g)
    _static(ctx).setdefault("garp_groups", []).append(g)


def _garp_interval(key: str) -> Any:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        text = ctx.word(words, 1)
        value = read_decimal(ctx, text, 0, INT_MAX, 6, ignore_error=True)
        if value is None:
            ctx.report(GE, f"garp_group {key} '{text}' invalid")
            return
        draft(ctx)[key] = value
        if value >= TIMER_HZ:
            ctx.report(Severity.OK, f"The {key} is very large - {text} seconds")

    return handler


def _garp_interface(ctx: ParseContext, words: tuple[str, ...]) -> None:
    name = ctx.word(words, 1)
    if not lookup_interface(ctx, name):
        ctx.report(GE, f"WARNING - interface {name} specified for garp_group doesn't exist")
        return
    owners: dict[str, Any] = _static(ctx).setdefault("_garp_owner", {})
    if name in owners:
        ctx.report(GE, f"garp_group already specified for {name} - ignoring")
        return
    owners[name] = draft(ctx)
    draft(ctx)["interfaces"].append(name)


def _garp_interfaces(ctx: ParseContext, words: tuple[str, ...]) -> None:
    names = tuple(w for line, _ in ctx.read_value_block(words) for w in line)
    if not names:
        ctx.report(GE, "Warning - empty garp_group interfaces block")
        return
    d = draft(ctx)
    d["aggregation_group"] = 1 + sum(
        1 for g in _static(ctx).get("garp_groups", ()) if g is not d and g["aggregation_group"]
    )
    owners: dict[str, Any] = _static(ctx).setdefault("_garp_owner", {})
    for name in names:
        if not lookup_interface(ctx, name):
            sev = Severity.OK if _dynamic(ctx) else GE
            ctx.report(sev, f"WARNING - interface {name} specified for garp_group doesn't exist")
        elif name in owners:
            # keepalived names the block's second interface here (its own slip).
            ctx.report(GE, f"garp_group already specified for {ctx.word(names, 1)} - ignoring")
        else:
            owners[name] = d
            d["interfaces"].append(name)


def _garp_close(ctx: ParseContext) -> None:
    d = ctx.stack.pop()
    if d["garp_interval"] is None and d["gna_interval"] is None:
        ctx.report(GE, f"garp group {d['aggregation_group']} does not have any delay set - removing")
        _static(ctx)["garp_groups"].remove(d)
        owners = _static(ctx).get("_garp_owner", {})
        for name in [n for n, g in owners.items() if g is d]:
            del owners[name]


GARP_GROUP = Table(
    "garp_group",
    [
        Keyword(
            "garp_interval",
            _garp_interval("garp_interval"),
            status="supported",
            note="seconds, up to 6 decimals",
        ),
        Keyword(
            "gna_interval",
            _garp_interval("gna_interval"),
            status="supported",
            note="seconds, up to 6 decimals",
        ),
        Keyword("interface", _garp_interface, status="supported"),
        Keyword("interfaces", _garp_interfaces, status="supported", note="value block of interface names"),
    ],
)


# -- linkbeat_interfaces / interface_up_down_delays ----------------------------------------------


def _linkbeat_line(ctx: ParseContext, words: tuple[str, ...]) -> None:
    name = words[0]
    if not lookup_interface(ctx, name, dynamic=_dynamic(ctx)):
        ctx.report(Severity.FATAL, f"unknown interface {name} specified for linkbeat interface")
        return
    kind = ""
    if len(words) > 1:
        if words[1] in ("MII", "ETHTOOL", "IOCTL"):
            kind = words[1]
        if not kind or len(words) > 2:
            ctx.report(GE, f"extra characters {words[1]} in linkbeat interface")
    _static(ctx).setdefault("linkbeat_interfaces", []).append(LinkbeatInterface(name, kind))


def _up_down_line(ctx: ParseContext, words: tuple[str, ...]) -> None:
    name = words[0]
    if not lookup_interface(ctx, name, dynamic=_dynamic(ctx)):
        ctx.report(Severity.FATAL, f"unknown interface {name} specified for up/down delay")
        return
    if len(words) < 2:
        ctx.report(Severity.OK, f"No timeouts specified for {name} up/down delays")
        return
    if len(words) > 3:
        ctx.report(Severity.OK, f"Too many parameters for {name} up/down delays")
    down = read_timer(ctx, words[1], 0, 255 * TIMER_HZ, ignore_error=True)
    if down is None:
        ctx.report(Severity.OK, f"Invalid down delay {words[1]} for {name}")
        return
    up = 0
    if len(words) > 2:
        value = read_timer(ctx, words[2], 0, 255 * TIMER_HZ, ignore_error=True)
        if value is None:
            ctx.report(Severity.OK, f"Invalid up delay {words[2]} for {name}")
            return
        up = value
    _static(ctx).setdefault("up_down_delays", []).append(UpDownDelay(name, down, up))


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return [
        Keyword(
            "track_group",
            _track_group_open,
            sub=TRACK_GROUP,
            close=_track_group_close,
            note="static addresses/routes/rules follow the named instances",
        ),
        _static_block(
            "static_ipaddress",
            "addresses",
            parse_ip_address,
            "set at start-up, removed at stop, put back if deleted",
        ),
        _static_block("static_routes", "routes", parse_route, "set at start-up, removed at stop"),
        _static_block("static_rules", "rules", parse_rule, "set at start-up, removed at stop"),
        Keyword("garp_group", _garp_open, sub=GARP_GROUP, close=_garp_close, status="supported"),
        value_block("linkbeat_interfaces", _linkbeat_line, note="interface [MII|ETHTOOL|IOCTL] per line"),
        value_block(
            "interface_up_down_delays", _up_down_line, note="interface DOWN_DELAY [UP_DELAY] per line"
        ),
    ]
