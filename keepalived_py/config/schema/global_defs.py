"""Keyword tables of global_defs and the top-level flags (net_namespace, child_wait_time, ...).

The keyword set is keepalived 2.2.7's ``init_global_keywords()`` as Debian builds it (VRRP, LVS,
BFD, NFTABLES without iptables/libipset, SNMP with the RFC MIBs, DBus, linkbeat,
track_process).  Handlers write straight into the area draft (``ctx.result['global_defs']``):
global_defs has no nested blocks, and keepalived applies each keyword as soon as it is read,
which matters for the order-dependent ones (``vrrp_min_garp``, ``script_user`` against the
scripts before it).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from keepalived_py.config.dispatch import Keyword, ParseContext, Status, Table
from keepalived_py.config.errors import Severity
from keepalived_py.config.model.global_defs import (
    DEFAULT_IPVS_NF_START_FWMARK,
    DEFAULT_NFTABLES_IPVS_TABLE,
    DEFAULT_NFTABLES_TABLE,
    DEFAULT_RELOAD_FILE,
    VRRP_GARP_DELAY,
    VRRP_GARP_REFRESH,
    VRRP_GARP_REFRESH_REP,
    VRRP_GARP_REP,
    ScriptRun,
    SmtpServer,
)
from keepalived_py.config.schema.common import area, mark_supported, supported
from keepalived_py.config.scripts import parse_script
from keepalived_py.config.validate.global_defs import (
    default_script_user,
    lookup_user,
    set_script_user,
    user_state,
)
from keepalived_py.config.values import (
    INT_MAX,
    INT_MIN,
    TIMER_HZ,
    TIMER_HZ_DIGITS,
    UINT_MAX,
    check_true_false,
    read_decimal,
    read_int,
    read_unsigned,
)

Words = tuple[str, ...]
AREA = "global_defs"
# sched_get_priority_min/max(SCHED_RR) on Linux.
SCHED_RR_MIN = 1
SCHED_RR_MAX = 99
TASK_COMM_LEN = 16
NFT_TABLE_MAXNAMELEN = 256  # linux/netfilter/nf_tables.h
IP_VS_IFNAME_MAXLEN = 16
PATH_MAX = 4096
LVS_MAX_TIMEOUT = 86400 * 31
IGMP_LINK_LOCAL_MCAST_REPORTS = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports"


def gd(ctx: ParseContext) -> dict[str, Any]:
    """The global_defs draft."""
    return area(ctx, AREA)


def _sub(ctx: ParseContext, key: str) -> dict[str, Any]:
    d: dict[str, Any] = gd(ctx).setdefault(key, {})
    return d


def _err(ctx: ParseContext, message: str) -> None:
    ctx.report(Severity.GENERAL_ERROR, message)


def _log(ctx: ParseContext, message: str) -> None:
    """keepalived's log_message(): not a config error (``-t`` does not print it)."""
    ctx.report(Severity.OK, message)


def kw(
    name: str, handler: Callable[[ParseContext, Words], None], status: Status = "parsed", note: str = ""
) -> Keyword:
    return Keyword(name, handler, status=status, note=note)


# -- generic shapes ------------------------------------------------------------------------


def flag_kw(name: str, key: str, note: str = "") -> Keyword:
    def handler(ctx: ParseContext, words: Words) -> None:
        gd(ctx)[key] = True

    return kw(name, handler, note=note)


def bool_kw(name: str, key: str, message: str, sub: str | None = None) -> Keyword:
    """``name [true|false|on|off|yes|no]``; ``message`` may use {value}."""

    def handler(ctx: ParseContext, words: Words) -> None:
        value: bool | None = True
        if len(words) >= 2:
            value = check_true_false(words[1])
            if value is None:
                _err(ctx, message.format(value=words[1]))
                return
        (gd(ctx) if sub is None else _sub(ctx, sub))[key] = value

    return kw(name, handler)


def _global_bool(name: str, key: str | None = None) -> Keyword:
    return bool_kw(name, key or name, f"Invalid value '{{value}}' for global {name} specified")


def optional_string(name: str, key: str, missing: str) -> Keyword:
    """One word; without it keepalived reports ``missing`` and ignores the line."""

    def handler(ctx: ParseContext, words: Words) -> None:
        if len(words) < 2:
            _err(ctx, missing)
            return
        gd(ctx)[key] = words[1]

    return kw(name, handler)


# -- top level -----------------------------------------------------------------------------


def _net_namespace(ctx: ParseContext, words: Words) -> None:
    if len(words) < 2:
        _err(ctx, "net_namespace name missing - ignoring")
        return
    d = gd(ctx)
    if d.get("net_namespace") is None:
        d["net_namespace"] = words[1]
        d["use_pid_dir"] = True
    else:
        _err(ctx, f"Duplicate net_namespace definition {words[1]} - ignoring")


def _net_namespace_ipvs(ctx: ParseContext, words: Words) -> None:
    d = gd(ctx)
    if d.get("net_namespace_ipvs") is not None:
        _err(ctx, f"Duplicate net_namespace_ipvs definition {ctx.word(words, 1)} - ignoring")
        return
    d["net_namespace_ipvs"] = words[1] if len(words) >= 2 else ""


def _instance(ctx: ParseContext, words: Words) -> None:
    if len(words) < 2:
        _err(ctx, "instance name missing - ignoring")
        return
    d = gd(ctx)
    if d.get("instance") is None:
        d["instance"] = words[1]
        d["use_pid_dir"] = True
    else:
        _err(ctx, f"Duplicate instance definition {words[1]} - ignoring")


def _child_wait_time(ctx: ParseContext, words: Words) -> None:
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 0, UINT_MAX)
    if value is None:
        _err(ctx, f"Invalid child_wait_time {text}")
        return
    gd(ctx)["child_wait_time"] = value


# -- process names -------------------------------------------------------------------------


def _save_process_name(ctx: ParseContext, key: str, name: str) -> None:
    if len(name) >= TASK_COMM_LEN:
        _err(ctx, f"Process name {name} more than {TASK_COMM_LEN - 1} characters, truncating")
        name = name[: TASK_COMM_LEN - 1]
    gd(ctx)[key] = name


def _process_names(ctx: ParseContext, words: Words) -> None:
    _save_process_name(ctx, "vrrp_process_name", "keepalived_vrrp")
    _save_process_name(ctx, "checker_process_name", "keepalived_lvs")
    _save_process_name(ctx, "bfd_process_name", "keepalived_bfd")


def process_name_kw(name: str, key: str, deprecated: bool = False) -> Keyword:
    def handler(ctx: ParseContext, words: Words) -> None:
        if deprecated:
            _log(ctx, "'lvs_process_name' is deprecated - please use 'checker_process_name'")
        _save_process_name(ctx, key, ctx.word(words, 1))

    return kw(name, handler, note="deprecated, use checker_process_name" if deprecated else "")


# -- email ---------------------------------------------------------------------------------


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """inet_pton() of keepalived's inet_stosockaddr(): family by ':', '-' or '/' suffix dropped."""
    for sep in "-/":
        if sep in text:
            text = text[: text.index(sep)]
            break
    try:
        if ":" in text:
            return ipaddress.IPv6Address(text)
        # inet_pton accepts only dotted quads with 4 decimal parts.
        parts = text.split(".")
        if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 for p in parts):
            return None
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None


_HOSTNAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?")


def _smtp_server(ctx: ParseContext, words: Words) -> None:
    host = ctx.word(words, 1)
    port_text = words[2] if len(words) >= 3 else "25"
    if not any(c in host for c in "-/"):
        port = read_unsigned(ctx, port_text, 1, 65535, ignore_error=True)
        if port is not None and _parse_ip(host) is not None:
            gd(ctx)["smtp_server"] = SmtpServer(host, port)
            return
    # Not an address: keepalived resolves the name now (and reads the port once more).  Names
    # are resolved at run time here; only what can never resolve is refused.
    port = read_unsigned(ctx, port_text, 1, 65535, ignore_error=True)
    if port is None or "/" in host or not _HOSTNAME.fullmatch(host):
        _err(ctx, f"Invalid smtp server {host} {port_text}")
        return
    gd(ctx)["smtp_server"] = SmtpServer(host, port)


def _smtp_helo(ctx: ParseContext, words: Words) -> None:
    if len(words) >= 2:
        gd(ctx)["smtp_helo_name"] = words[1]


def _smtp_connect_timeout(ctx: ParseContext, words: Words) -> None:
    text = ctx.word(words, 1)
    limit = UINT_MAX // TIMER_HZ
    value = read_unsigned(ctx, text, 0, limit, ignore_error=True)
    if value is None:
        _err(ctx, f"smtp_connect_timeout '{text}' must be in [0, {limit}] - ignoring")
        return
    if value == 0:
        _err(ctx, "smtp_conect_timeout must be greater than 0, setting to 1")
        value = 1
    gd(ctx)["smtp_connect_timeout"] = value * TIMER_HZ


def _notification_email(ctx: ParseContext, words: Words) -> None:
    lines = ctx.read_value_block(words)
    addrs = [w for line, _ in lines for w in line]
    if not addrs:
        _err(ctx, "Warning - empty notification_email block")
        return
    gd(ctx).setdefault("notification_email", []).extend(addrs)


# -- scripts -------------------------------------------------------------------------------


def _script_run(ctx: ParseContext, words: Words, kind: str, what: str) -> ScriptRun | None:
    """keepalived's notify_script_init(): the script with its uid/gid, or None (logged)."""
    script = parse_script(ctx, ctx.statements[ctx.pos - 1].text, kind)
    if script is None:
        return None
    d = gd(ctx)
    if script.user is not None:
        found = lookup_user(ctx.host, script.user, script.group, lambda m: _log(ctx, m))
        if found is None:
            _log(ctx, f"Invalid user/group for {what} script {script.path} - ignoring")
            _forget_script(ctx, script)
            return None
        return ScriptRun(script, *found)
    ids = default_script_user(
        user_state(d),
        ctx.host,
        bool(d.get("script_security")),
        lambda m: _err(ctx, m),
        lambda m: _log(ctx, m),
    )
    if ids is None:
        _log(ctx, f"Failed to set default user for {what} script {script.path} - ignoring")
        _forget_script(ctx, script)
        return None
    return ScriptRun(script, *ids)


def _forget_script(ctx: ParseContext, script: Any) -> None:
    """A script keepalived refused is not run, so it is not checked for security either."""
    scripts = ctx.result.get("scripts", [])
    for i in range(len(scripts) - 1, -1, -1):
        if scripts[i][0] is script:
            del scripts[i]
            break


def startup_shutdown_kw(name: str, startup: bool) -> Keyword:
    what = "startup" if startup else "shutdown"

    def handler(ctx: ParseContext, words: Words) -> None:
        d = gd(ctx)
        if d.get(name) is not None:
            _err(ctx, f"{what} script already specified")
            return
        if len(words) < 2:
            _err(ctx, f"{what} script missing")
            return
        run = _script_run(ctx, words, name, what)
        if run is None:
            _err(ctx, f"Invalid {what} script")
            return
        d[name] = run
        if d.get(f"{name}_timeout") is None:
            d[f"{name}_timeout"] = 10

    return kw(name, handler, note="run by the parent process")


def startup_shutdown_timeout_kw(name: str, startup: bool) -> Keyword:
    what = "startup" if startup else "shutdown"

    def handler(ctx: ParseContext, words: Words) -> None:
        if len(words) < 2:
            _err(ctx, f"{what}_script_timeout requires value")
            return
        value = read_unsigned(ctx, words[1], 1, 1000, ignore_error=True)
        if value is None:
            _err(ctx, f"{what}_script_timeout '{words[1]}' must be in [1, 1000] - ignoring")
            return
        gd(ctx)[name] = value

    return kw(name, handler)


def _script_user(ctx: ParseContext, words: Words) -> None:
    if len(words) < 2:
        _err(ctx, "No script username specified")
        return
    d = gd(ctx)
    group = words[2] if len(words) > 2 else None
    d["script_user"] = words[1]
    d["script_group"] = group
    if set_script_user(user_state(d), ctx.host, words[1], group, lambda m: _log(ctx, m)):
        _err(ctx, "Error setting global script uid/gid")


def notify_fifo_kw(name: str, prefix: str) -> Keyword:
    key = "_" + name

    def handler(ctx: ParseContext, words: Words) -> None:
        if len(words) < 2:
            _err(ctx, f"No {prefix}notify_fifo name specified")
            return
        fifo = _sub(ctx, key)
        if fifo.get("name") is not None:
            _err(ctx, f"{prefix}notify_fifo already specified - ignoring {words[1]}")
            return
        if len(words) > 2:
            found = lookup_user(
                ctx.host, words[2], words[3] if len(words) > 3 else None, lambda m: _log(ctx, m)
            )
            if found is None:
                _log(ctx, f"Invalid user/group for {prefix} fifo (null) - ignoring")
                return
        else:
            d = gd(ctx)
            found = default_script_user(
                user_state(d),
                ctx.host,
                bool(d.get("script_security")),
                lambda m: _err(ctx, m),
                lambda m: _log(ctx, m),
            )
            if found is None:
                _log(ctx, f"Failed to set default user for {prefix} fifo (null) - ignoring")
                return
        fifo["name"] = words[1]
        fifo["uid"], fifo["gid"] = found

    return kw(name, handler)


def notify_fifo_script_kw(name: str, prefix: str) -> Keyword:
    key = "_" + name.removesuffix("_script")

    def handler(ctx: ParseContext, words: Words) -> None:
        if len(words) < 2:
            _err(ctx, f"No {prefix}notify_fifo_script specified")
            return
        fifo = _sub(ctx, key)
        if fifo.get("script") is not None:
            _err(ctx, f"{prefix}notify_fifo_script already specified - ignoring {words[1]}")
            return
        fifo["script"] = _script_run(ctx, words, name, f"{prefix}notify_fifo")

    return kw(name, handler)


# -- numbers with keepalived's own complaints ----------------------------------------------


def unsigned_kw(
    name: str,
    key: str,
    lo: int,
    hi: int,
    message: str | None,
    scale: int = 1,
    ignore_error: bool = True,
    zero_to_one: str | None = None,
) -> Keyword:
    """One unsigned number; ``message`` ({value}) follows keepalived's own range complaint."""

    def handler(ctx: ParseContext, words: Words) -> None:
        text = ctx.word(words, 1)
        value = read_unsigned(ctx, text, lo, hi, ignore_error=ignore_error)
        if value is None:
            if message:
                _err(ctx, message.format(value=text))
            return
        if zero_to_one is not None and value == 0:
            _err(ctx, zero_to_one)
            value = 1
        gd(ctx)[key] = value * scale

    return kw(name, handler)


def _garp_refresh(ctx: ParseContext, words: Words) -> None:
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 0, UINT_MAX, ignore_error=True)
    if value is None:
        _err(ctx, f"Invalid vrrp_garp_master_refresh '{text}' - ignoring")
        value = 0
    gd(ctx)["vrrp_garp_master_refresh"] = value * TIMER_HZ


def interval_kw(name: str, key: str, lo: int, large: int, large_msg: str) -> Keyword:
    def handler(ctx: ParseContext, words: Words) -> None:
        text = ctx.word(words, 1)
        value = read_decimal(ctx, text, lo, UINT_MAX, TIMER_HZ_DIGITS, ignore_error=True)
        d = gd(ctx)
        if value is None:
            _err(ctx, f"{name} '{text}' is invalid")
        else:
            d[key] = value
        if d.get(key, 0) >= large:
            _log(ctx, large_msg.format(value=text))

    return kw(name, handler)


def _vrrp_min_garp(ctx: ParseContext, words: Words) -> None:
    if len(words) >= 2:
        value = check_true_false(words[1])
        if value is None:
            _err(ctx, "Invalid value for vrrp_min_garp specified")
            return
        if not value:
            return
    d = gd(ctx)
    # Only the parameters still at their defaults change.
    if d.get("vrrp_garp_master_repeat", VRRP_GARP_REP) == VRRP_GARP_REP:
        d["vrrp_garp_master_repeat"] = 1
    if d.get("vrrp_garp_master_refresh", VRRP_GARP_REFRESH) == VRRP_GARP_REFRESH:
        d["vrrp_garp_master_refresh"] = 0
    if d.get("vrrp_garp_master_refresh_repeat", VRRP_GARP_REFRESH_REP) == VRRP_GARP_REFRESH_REP:
        d["vrrp_garp_master_refresh_repeat"] = 0
    if d.get("vrrp_garp_master_delay", VRRP_GARP_DELAY) == VRRP_GARP_DELAY:
        d["vrrp_garp_master_delay"] = 0


def _garp_extra_if(ctx: ParseContext, words: Words) -> None:
    name = words[0]
    if name == "vrrp_vmac_garp_intvl":
        ctx.report(
            Severity.DEPRECATED,
            'Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"',
        )
    d = gd(ctx)
    delay = 0
    for word in words[1:]:
        if word == "all":
            d["vrrp_garp_extra_if_all"] = True
            continue
        value = read_unsigned(ctx, word, 1, 86400, ignore_error=True)
        if value is None:
            _err(ctx, f"{name} '{word}' invalid - ignoring")
            return
        delay = value
    if not delay:
        _err(ctx, f"{name} specified without time - ignoring")
        return
    d["vrrp_garp_extra_if"] = delay


def simple_bool_kw(name: str) -> Keyword:
    return bool_kw(name, name, f"Invalid value for {name} specified")


def _vrrp_version(ctx: ParseContext, words: Words) -> None:
    value = read_int(ctx, ctx.word(words, 1), 2, 3, ignore_error=True)
    if value is None:
        _err(ctx, "VRRP Error: Version must be either 2 or 3")
        return
    gd(ctx)["vrrp_version"] = value


def _mcast_group(ctx: ParseContext, words: Words, v6: bool) -> None:
    name = words[0]
    text = ctx.word(words, 1)
    addr = _parse_ip(text)
    if addr is None:
        _err(ctx, f"Can't parse {name} [{text}]. Skipping")
        return
    if addr.version != (6 if v6 else 4):
        _err(ctx, f"{name} [{text}] is not IPv{6 if v6 else 4}. Skipping")
        return
    if not addr.is_multicast:
        _err(ctx, f"{name} [{text}] is not multicast. Skipping")
        return
    if v6 and (int(addr) >> 112) & 0xF != 2:
        ctx.report(Severity.WARNING, f"{name} [{text}] should be link-local multicast.")
    gd(ctx)[name] = str(addr)


# -- firewall ------------------------------------------------------------------------------


def _vrrp_iptables(ctx: ParseContext, words: Words) -> None:
    _err(
        ctx,
        "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and "
        "'vrrp_ipsets' with 'nftables' config option",
    )
    d = gd(ctx)
    d["nftables"] = DEFAULT_NFTABLES_TABLE
    d["nftables_priority"] = -1


def nftables_kw(name: str, key: str, default: str, label: str, ipvs: bool) -> Keyword:
    def handler(ctx: ParseContext, words: Words) -> None:
        d = gd(ctx)
        if d.get(key) is not None:
            _err(ctx, f"{label} already specified - ignoring")
            return
        table = default
        if len(words) >= 2:
            if len(words[1]) >= NFT_TABLE_MAXNAMELEN:
                _err(ctx, f"{label} table name too long - ignoring")
                return
            table = words[1]
        d[key] = table
        d[key + "_priority"] = -1
        if ipvs:
            d["nftables_ipvs_start_fwmark"] = DEFAULT_IPVS_NF_START_FWMARK

    return kw(name, handler)


def nft_priority_kw(name: str, key: str, label: str) -> Keyword:
    def handler(ctx: ParseContext, words: Words) -> None:
        text = ctx.word(words, 1)
        value = read_int(ctx, text, INT_MIN, INT_MAX)
        if value is None:
            ctx.report(Severity.INVALID_NUMBER, f"invalid {label} chain priority '{text}'")
            return
        gd(ctx)[key] = value

    return kw(name, handler)


def _nft_start_fwmark(ctx: ParseContext, words: Words) -> None:
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 1, UINT_MAX)
    if value is None:
        ctx.report(Severity.INVALID_NUMBER, f"invalid ipvs nftables start_fwmark priority '{text}'")
        return
    gd(ctx)["nftables_ipvs_start_fwmark"] = value


# -- lvs -----------------------------------------------------------------------------------


def _lvs_timeouts(ctx: ParseContext, words: Words) -> None:
    if len(words) < 3:
        _err(ctx, "lvs_timeouts requires at least one option")
        return
    t = _sub(ctx, "_lvs_timeouts")
    keys = {"tcp": "tcp", "tcpfin": "tcp_fin", "udp": "udp"}
    i = 1
    while i < len(words):
        word = words[i]
        if word in keys:
            if i == len(words) - 1:
                _err(ctx, f"No value specified for lvs_timeout {word} - ignoring")
                i += 1
                continue
            value = read_unsigned(ctx, words[i + 1], 0, LVS_MAX_TIMEOUT)
            if value is None:
                _err(ctx, f"Invalid lvs_timeout {word} ({words[i + 1]}) - ignoring")
            else:
                t[keys[word]] = value
            i += 2
            continue
        _err(ctx, f"Unknown option {word} specified for lvs_timeouts")
        i += 1


def _lvs_flush_on_stop(ctx: ParseContext, words: Words) -> None:
    if len(words) == 1:
        gd(ctx)["lvs_flush_on_stop"] = "full"
    elif words[1] == "VS":
        gd(ctx)["lvs_flush_on_stop"] = "VS"
    else:
        _err(ctx, f"Unknown lvs_flush_on_stop type {words[1]}")


def _lvs_sync_daemon(ctx: ParseContext, words: Words) -> None:
    d = gd(ctx)
    sync = d.get("_lvs_sync_daemon")
    if sync:
        inst = sync.get("vrrp_instance") or ""
        _err(ctx, f"lvs_sync_daemon has already been specified as {sync['interface']} {inst} - ignoring")
        return
    if len(words) < 2:
        _err(ctx, "lvs_sync_daemon requires interface")
        return
    if len(words[1]) >= IP_VS_IFNAME_MAXLEN:
        _err(ctx, f"lvs_sync_daemon interface name '{words[1]}' too long - ignoring")
        return
    sync = {"interface": words[1]}
    d["_lvs_sync_daemon"] = sync
    ranges = {"maxlen": (1, 65535 - 20 - 8), "port": (1, 65535), "ttl": (1, 255)}
    i = 2
    while i < len(words):
        word = words[i]
        if word == "inst":
            if sync.get("vrrp_instance"):
                _err(
                    ctx,
                    "lvs_sync_daemon vrrp instance has already been specified as "
                    f"{sync['vrrp_instance']} - ignoring",
                )
            else:
                sync["vrrp_instance"] = ctx.word(words, i + 1)
            i += 2
            continue
        if word == "id":
            if i == len(words) - 1:
                _err(ctx, "No value specified for lvs_sync_daemon id, defaulting to vrid")
                i += 1
                continue
            value = read_unsigned(ctx, words[i + 1], 0, 255)
            if value is None:
                _err(ctx, f"Invalid syncid ({words[i + 1]}) - defaulting to vrid")
            else:
                sync["sync_id"] = value
            i += 2
            continue
        if word in ranges or word == "group":
            if i == len(words) - 1:
                _err(ctx, f"No value specified for lvs_sync_daemon {word} - ignoring")
                i += 1
                continue
            text = words[i + 1]
            if word == "group":
                addr = _parse_ip(text)
                if addr is None:
                    _err(ctx, f"Invalid lvs_sync_daemon group ({text}) - ignoring")
                elif not addr.is_multicast:
                    _err(ctx, f"lvs_sync_daemon group address {text} is not multicast - ignoring")
                else:
                    sync["group"] = str(addr)
            else:
                lo, hi = ranges[word]
                value = read_unsigned(ctx, text, lo, hi)
                if value is None:
                    _err(ctx, f"Invalid lvs_sync_daemon {word} ({text}) - ignoring")
                else:
                    sync[word] = value
            i += 2
            continue
        # Old syntax: lvs_sync_daemon IF VRRP_INSTANCE [SYNC_ID]
        if i == 2:
            sync["vrrp_instance"] = word
        elif i == 3:
            value = read_unsigned(ctx, word, 0, 255)
            if value is None:
                _err(ctx, f"Invalid syncid ({word}) - defaulting to vrid")
            else:
                _err(ctx, 'Please use keyword "id" before lvs_sync_daemon SYNCID')
                sync["sync_id"] = value
        else:
            _err(ctx, f"Unknown option {word} specified for lvs_sync_daemon")
        i += 1


# -- process tuning ------------------------------------------------------------------------


def priority_kw(name: str, proc: str) -> Keyword:
    def handler(ctx: ParseContext, words: Words) -> None:
        value = 0
        if len(words) < 2:
            _err(ctx, f"No {proc} process priority specified")
        else:
            read = read_int(ctx, words[1], -20, 19, ignore_error=True)
            if read is None:
                _err(ctx, f"Invalid {proc} process priority specified")
            else:
                value = read
        _sub(ctx, f"_{proc}_process")["priority"] = value

    return kw(name, handler)


def no_swap_kw(name: str, proc: str) -> Keyword:
    def handler(ctx: ParseContext, words: Words) -> None:
        _sub(ctx, f"_{proc}_process")["no_swap"] = True

    return kw(name, handler)


def rt_priority_kw(name: str, proc: str) -> Keyword:
    def handler(ctx: ParseContext, words: Words) -> None:
        if len(words) < 2:
            _err(ctx, f"No {proc} process real-time priority specified")
            return
        value = read_int(ctx, words[1], INT_MIN, INT_MAX, ignore_error=True)
        if value is None:
            _err(ctx, f"{proc} process real-time priority '{words[1]}' invalid")
            return
        if value < SCHED_RR_MIN:
            _err(
                ctx,
                f"{proc} process real-time priority {value} less than minimum {SCHED_RR_MIN}"
                " - setting to minimum",
            )
            value = SCHED_RR_MIN
        elif value > SCHED_RR_MAX:
            _err(
                ctx,
                f"{proc} process real-time priority {value} greater than maximum {SCHED_RR_MAX}"
                " - setting to maximum",
            )
            value = SCHED_RR_MAX
        _sub(ctx, f"_{proc}_process")["realtime_priority"] = value

    return kw(name, handler)


def cpu_affinity_kw(name: str, proc: str) -> Keyword:
    def handler(ctx: ParseContext, words: Words) -> None:
        if len(words) < 2:
            _err(ctx, f"No {proc} cpu_id set specified")
            return
        cpus: list[int] = []
        for word in words[1:]:
            # keepalived's upper bound is the number of online CPUs (checked at run time here).
            value = read_int(ctx, word, 0, INT_MAX, ignore_error=True)
            if value is None:
                # keepalived prints what strtol() made of the word.
                m = re.match(r"\s*[-+]?\d+", word)
                _err(ctx, f"Invalid cpu_id:{int(m.group()) if m else 0} specified for {proc} process")
                _sub(ctx, f"_{proc}_process")["cpu_affinity"] = ()
                return
            cpus.append(value)
        _sub(ctx, f"_{proc}_process")["cpu_affinity"] = tuple(sorted(set(cpus)))

    return kw(name, handler, note="CPU numbers are checked against the online CPUs at run time")


def rlimit_kw(name: str, proc: str) -> Keyword:
    def handler(ctx: ParseContext, words: Words) -> None:
        if name.endswith("_rlimit_rtime"):
            _log(ctx, f"Keyword '{name}' is deprecated - please use '{name[:-5]}rttime'")
        text = ctx.word(words, 1)
        value = read_unsigned(ctx, text, 1, UINT_MAX, ignore_error=True)
        if value is None:
            _err(ctx, f"Invalid {proc} real-time limit - {text}")
            value = 0
        elif value == 1:
            value = 2
        _sub(ctx, f"_{proc}_process")["rlimit_rttime"] = value

    deprecated = name.endswith("_rlimit_rtime")
    return kw(name, handler, note=f"deprecated, use {name[:-5]}rttime" if deprecated else "")


def process_keywords(proc: str) -> list[Keyword]:
    return [
        priority_kw(f"{proc}_priority", proc),
        no_swap_kw(f"{proc}_no_swap", proc),
        rt_priority_kw(f"{proc}_rt_priority", proc),
        cpu_affinity_kw(f"{proc}_cpu_affinity", proc),
        rlimit_kw(f"{proc}_rlimit_rttime", proc),
        rlimit_kw(f"{proc}_rlimit_rtime", proc),
    ]


# -- buffers -------------------------------------------------------------------------------


def rcv_bufs_kw(name: str) -> Keyword:
    label = name.removesuffix("_rcv_bufs")

    def handler(ctx: ParseContext, words: Words) -> None:
        if len(words) < 2:
            _err(ctx, f"{label}_rcv_bufs size missing")
            return
        value = read_unsigned(ctx, words[1], 0, UINT_MAX)
        if value is None:
            _err(ctx, f"{label}_rcv_bufs size ({words[1]}) invalid")
            return
        if value:
            gd(ctx)[name] = value

    return kw(name, handler)


def _rx_bufs_policy(ctx: ParseContext, words: Words) -> None:
    if len(words) < 2:
        _err(ctx, "vrrp_rx_bufs_policy missing")
        return
    d = gd(ctx)
    for word in words[1:]:
        if word.upper() == "MTU":
            d["vrrp_rx_bufs_policy_mtu"] = True
        elif word.upper() == "ADVERT":
            d["vrrp_rx_bufs_policy_advert"] = True
        else:
            # keepalived reads the first parameter here, whichever word was not a policy.
            value = read_unsigned(ctx, words[1], 0, UINT_MAX)
            if value is None:
                _err(ctx, f"Invalid vrrp_rx_bufs_policy {word}")
            else:
                d["vrrp_rx_bufs_size"] = value
    if d.get("vrrp_rx_bufs_size") is not None and (
        d.get("vrrp_rx_bufs_policy_mtu") or d.get("vrrp_rx_bufs_policy_advert")
    ):
        _err(ctx, "Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy")
        d["vrrp_rx_bufs_policy_mtu"] = d["vrrp_rx_bufs_policy_advert"] = False
    elif d.get("vrrp_rx_bufs_policy_mtu") and d.get("vrrp_rx_bufs_policy_advert"):
        _err(ctx, "Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT")
        d["vrrp_rx_bufs_policy_advert"] = False


def _rx_bufs_multiplier(ctx: ParseContext, words: Words) -> None:
    if len(words) != 2:
        _err(ctx, "Invalid vrrp_rx_bufs_multiplier")
        return
    value = read_unsigned(ctx, words[1], 1, UINT_MAX)
    if value is None:
        _err(ctx, f"Invalid vrrp_rx_bufs_multiplier {words[1]}")
        return
    gd(ctx)["vrrp_rx_bufs_multiplier"] = value


# -- misc ----------------------------------------------------------------------------------


def _disable_local_igmp(ctx: ParseContext, words: Words) -> None:
    if ctx.host.stat(IGMP_LINK_LOCAL_MCAST_REPORTS) is None:
        _err(ctx, f"kernel does not support {IGMP_LINK_LOCAL_MCAST_REPORTS}")
        return
    gd(ctx)["disable_local_igmp"] = True


def _dynamic_interfaces(ctx: ParseContext, words: Words) -> None:
    d = gd(ctx)
    d["dynamic_interfaces"] = True
    if len(words) >= 2:
        if words[1] == "allow_if_changes":
            d["allow_if_changes"] = True
        else:
            _err(ctx, f"Unknown dynamic_interfaces option '{words[1]}'")


def _max_auto_priority(ctx: ParseContext, words: Words) -> None:
    if len(words) < 2:
        gd(ctx)["max_auto_priority"] = SCHED_RR_MAX
        return
    value = read_int(ctx, words[1], -1, SCHED_RR_MAX, ignore_error=True)
    if value is None:
        _err(
            ctx,
            f"max_auto_priority '{words[1]}' must be in [0, {SCHED_RR_MAX}] (or -1 to disable) - ignoring",
        )
        return
    gd(ctx)["max_auto_priority"] = value


def _min_auto_priority_delay(ctx: ParseContext, words: Words) -> None:
    if len(words) < 2:
        _err(ctx, "min_auto_priority_delay requires delay time")
        return
    value = read_int(ctx, words[1], 1, 10000000, ignore_error=True)
    if value is None:
        _err(ctx, f"min_auto_priority_delay '{words[1]}' must be in [1, 10000000] - ignoring")
        return
    gd(ctx)["min_auto_priority_delay"] = value


def _snmp_socket(ctx: ParseContext, words: Words) -> None:
    if len(words) > 2:
        _err(ctx, "Too many parameters specified for snmp_socket - ignoring")
        return
    if len(words) < 2:
        _err(ctx, "SNMP error : snmp socket name missing")
        return
    if len(words[1]) > PATH_MAX - 1:
        _err(ctx, "SNMP error : snmp socket name too long - ignored")
        return
    d = gd(ctx)
    if d.get("snmp_socket") is not None:
        _err(ctx, f"SNMP socket already set to {d['snmp_socket']} - ignoring")
        return
    d["snmp_socket"] = words[1]


def _snmp_rfc(ctx: ParseContext, words: Words) -> None:
    gd(ctx)["enable_snmp_rfcv2"] = True
    gd(ctx)["enable_snmp_rfcv3"] = True


def prefix_kw(name: str, key: str, label: str) -> Keyword:
    def handler(ctx: ParseContext, words: Words) -> None:
        d = gd(ctx)
        if d.get(key) is not None:
            _err(ctx, f"{label} prefix has already been specified - ignoring {ctx.word(words, 1)}")
            return
        d[key] = ctx.word(words, 1)

    return kw(name, handler)


_UMASK_BITS = {
    "IRUSR": 0o400,
    "IWUSR": 0o200,
    "IXUSR": 0o100,
    "IRGRP": 0o040,
    "IWGRP": 0o020,
    "IXGRP": 0o010,
    "IROTH": 0o004,
    "IWOTH": 0o002,
    "IXOTH": 0o001,
}


def _umask(ctx: ParseContext, words: Words) -> None:
    mask = ctx.word(words, 1)
    bits = 0
    if mask[:1].isdigit():
        if len(words) != 2:
            _err(ctx, "Extra parameter(s) to umask option")
            return
        try:
            value = int(mask, 0) if not (mask.startswith("0") and mask[1:].isdigit()) else int(mask, 8)
        except ValueError:
            value = -1
        if value < 0 or value & ~0o777:
            _err(ctx, f"invalid umask value {mask}")
            return
        bits = value
    else:
        need_or = False
        for word in words[1:]:
            p = 0
            while p < len(word):
                if need_or:
                    if word[p] == "|":
                        need_or = False
                        p += 1
                        continue
                    _err(ctx, f"Invalid umask syntax {word}")
                    return
                bit = _UMASK_BITS.get(word[p : p + 5])
                if bit is None:
                    _err(ctx, f"Unknown umask bit {word[p:]}")
                    return
                bits |= bit
                p += 5
                need_or = True
        if not need_or:
            _err(ctx, "umask missing bit value")
            return
    gd(ctx)["umask"] = bits


def _random_seed(ctx: ParseContext, words: Words) -> None:
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 0, UINT_MAX)
    if value is None:
        _err(ctx, f"random_seed {text} invalid")
        return
    gd(ctx)["random_seed"] = value


def _config_save_dir(ctx: ParseContext, words: Words) -> None:
    path = ctx.word(words, 1)
    info = ctx.host.stat(path)
    if info is not None and not info.is_dir:
        _err(ctx, f"config_save_dir {path} exists and is not a directory")
        return
    # A missing directory is created by keepalived's parent process (even with -t).
    gd(ctx)["config_save_dir"] = path[:-1] if path.endswith("/") else path


def _reload_check_config(ctx: ParseContext, words: Words) -> None:
    gd(ctx)["reload_check_config"] = words[1] if len(words) >= 2 else "/dev/null"


def _reload_time_file(ctx: ParseContext, words: Words) -> None:
    if len(words) != 2:
        _err(ctx, "reload_time_file invalid")
        return
    gd(ctx)["reload_time_file"] = words[1]


def _reload_file(ctx: ParseContext, words: Words) -> None:
    gd(ctx)["reload_file"] = words[1] if len(words) >= 2 else DEFAULT_RELOAD_FILE


def _tmp_config_directory(ctx: ParseContext, words: Words) -> None:
    d = gd(ctx)
    if d.get("tmp_config_directory") is not None:
        _err(ctx, f"{words[0]} already specified - ignoring")
        return
    if len(words) < 2:
        _err(ctx, f"{words[0]} missing directory name")
        return
    d["tmp_config_directory"] = words[1]


def _no_op(ctx: ParseContext, words: Words) -> None:
    """include_check is applied by source.py when it reads the line."""


# -- tables --------------------------------------------------------------------------------


def _global_defs_keywords() -> list[Keyword]:
    return [
        kw("process_names", _process_names),
        process_name_kw("process_name", "process_name"),
        process_name_kw("vrrp_process_name", "vrrp_process_name"),
        process_name_kw("checker_process_name", "checker_process_name"),
        process_name_kw("lvs_process_name", "checker_process_name", deprecated=True),
        process_name_kw("bfd_process_name", "bfd_process_name"),
        optional_string("router_id", "router_id", "routerid name missing - ignoring"),
        supported(optional_string("notification_email_from", "email_from", "emailfrom missing - ignoring")),
        kw("smtp_server", _smtp_server, status="supported", note="host names resolved at each mail"),
        kw("smtp_helo_name", _smtp_helo, status="supported"),
        kw("smtp_connect_timeout", _smtp_connect_timeout, status="supported"),
        kw("notification_email", _notification_email, status="supported"),
        supported(_global_bool("smtp_alert"), "VRRP mails; checker mails with the checker process"),
        startup_shutdown_kw("startup_script", True),
        startup_shutdown_timeout_kw("startup_script_timeout", True),
        startup_shutdown_kw("shutdown_script", False),
        startup_shutdown_timeout_kw("shutdown_script_timeout", False),
        kw("max_auto_priority", _max_auto_priority),
        kw("min_auto_priority_delay", _min_auto_priority_delay),
        supported(_global_bool("smtp_alert_vrrp")),
        supported(_global_bool("smtp_alert_checker")),
        simple_bool_kw("checker_log_all_failures"),
        kw("dynamic_interfaces", _dynamic_interfaces),
        supported(flag_kw("no_email_faults", "no_email_faults")),
        optional_string(
            "default_interface", "default_interface", "default_interface requires interface name"
        ),
        kw("disable_local_igmp", _disable_local_igmp),
        supported(kw("lvs_timeouts", _lvs_timeouts), "set by the checker process, restored at its stop"),
        supported(flag_kw("lvs_flush", "lvs_flush")),
        supported(kw("lvs_flush_on_stop", _lvs_flush_on_stop)),
        supported(kw("lvs_flush_onstop", _lvs_flush_on_stop), "deprecated, use lvs_flush_on_stop"),
        supported(
            kw("lvs_sync_daemon", _lvs_sync_daemon),
            "with inst: follows the instance (VRRP process); without: both daemons (checker process)",
        ),
        kw("vrrp_mcast_group4", lambda ctx, w: _mcast_group(ctx, w, False)),
        kw("vrrp_mcast_group6", lambda ctx, w: _mcast_group(ctx, w, True)),
        supported(
            unsigned_kw(
                "vrrp_garp_master_delay",
                "vrrp_garp_master_delay",
                0,
                UINT_MAX // TIMER_HZ,
                "vrrp_garp_master_delay '{value}' invalid - ignoring",
                scale=TIMER_HZ,
            ),
        ),
        supported(
            unsigned_kw(
                "vrrp_garp_master_repeat",
                "vrrp_garp_master_repeat",
                0,
                UINT_MAX,
                "vrrp_garp_master_repeat '{value}' invalid - ignoring",
                zero_to_one="vrrp_garp_master_repeat must be greater than 0, setting to 1",
            ),
        ),
        kw("vrrp_garp_master_refresh", _garp_refresh, status="supported"),
        supported(
            unsigned_kw(
                "vrrp_garp_master_refresh_repeat",
                "vrrp_garp_master_refresh_repeat",
                0,
                UINT_MAX,
                "vrrp_garp_master_refresh_repeat '{value}' invalid - ignoring",
                zero_to_one="vrrp_garp_master_refresh_repeat must be greater than 0, setting to 1",
            ),
        ),
        supported(
            unsigned_kw(
                "vrrp_garp_lower_prio_delay",
                "vrrp_garp_lower_prio_delay",
                0,
                UINT_MAX // TIMER_HZ,
                "vrrp_garp_lower_prio_delay '{value}' invalid - ignoring",
                scale=TIMER_HZ,
            ),
        ),
        supported(
            unsigned_kw(
                "vrrp_garp_lower_prio_repeat",
                "vrrp_garp_lower_prio_repeat",
                0,
                INT_MAX,
                "Invalid vrrp_garp_lower_prio_repeat '{value}'",
            ),
        ),
        unsigned_kw(
            "vrrp_down_timer_adverts",
            "vrrp_down_timer_adverts",
            1,
            100,
            "Invalid vrrp_down_timer_adverts [1:100] '{value}'",
        ),
        supported(
            interval_kw(
                "vrrp_garp_interval",
                "vrrp_garp_interval",
                1,
                TIMER_HZ,
                "The vrrp_garp_interval is very large - {value} seconds",
            ),
        ),
        supported(
            interval_kw(
                "vrrp_gna_interval",
                "vrrp_gna_interval",
                1,
                TIMER_HZ,
                "The vrrp_gna_interval is very large - {value} seconds",
            ),
        ),
        kw("vrrp_min_garp", _vrrp_min_garp),
        kw("vrrp_garp_extra_if", _garp_extra_if),
        kw("vrrp_vmac_garp_intvl", _garp_extra_if, note="deprecated, use vrrp_garp_extra_if"),
        simple_bool_kw("vrrp_lower_prio_no_advert"),
        simple_bool_kw("vrrp_higher_prio_send_advert"),
        kw("vrrp_version", _vrrp_version),
        supported(
            kw("vrrp_iptables", _vrrp_iptables), "keepalived 2.2.7 (Debian) uses nftables instead, as we do"
        ),
        supported(
            nftables_kw("nftables", "nftables", DEFAULT_NFTABLES_TABLE, "nftables", ipvs=False),
            "accept mode's drop rules, through nft -f (a name nft cannot read is refused at run time)",
        ),
        supported(nft_priority_kw("nftables_priority", "nftables_priority", "nftables")),
        supported(flag_kw("nftables_ifindex", "nftables_ifindex")),
        nftables_kw(
            "nftables_ipvs", "nftables_ipvs", DEFAULT_NFTABLES_IPVS_TABLE, "ipvs nftables", ipvs=True
        ),
        nft_priority_kw("nftables_ipvs_priority", "nftables_ipvs_priority", "ipvs nftables"),
        kw("nftables_ipvs_start_fwmark", _nft_start_fwmark),
        supported(flag_kw("nftables_counters", "nftables_counters"), "VRRP tables (no IPVS tables yet)"),
        flag_kw("vrrp_check_unicast_src", "vrrp_check_unicast_src"),
        flag_kw("vrrp_skip_check_adv_addr", "vrrp_skip_check_adv_addr"),
        supported(flag_kw("vrrp_strict", "vrrp_strict"), "checks, defaults and no accept mode (nftables)"),
        *process_keywords("vrrp"),
        supported(notify_fifo_kw("notify_fifo", ""), "VRRP and LVS events"),
        supported(
            notify_fifo_script_kw("notify_fifo_script", ""),
            "run by the VRRP process (by the checker process when no VRRP process runs)",
        ),
        supported(notify_fifo_kw("vrrp_notify_fifo", "vrrp_")),
        supported(notify_fifo_script_kw("vrrp_notify_fifo_script", "vrrp_")),
        supported(_global_bool("vrrp_notify_priority_changes")),
        supported(flag_kw("fifo_write_vrrp_states_on_reload", "fifo_write_vrrp_states_on_reload")),
        supported(notify_fifo_kw("lvs_notify_fifo", "lvs_")),
        supported(notify_fifo_script_kw("lvs_notify_fifo_script", "lvs_")),
        *process_keywords("checker"),
        *process_keywords("bfd"),
        kw("snmp_socket", _snmp_socket),
        flag_kw("enable_traps", "enable_traps"),
        flag_kw("enable_snmp_vrrp", "enable_snmp_vrrp"),
        Keyword(
            "enable_snmp_keepalived",
            lambda ctx, w: gd(ctx).__setitem__("enable_snmp_vrrp", True),
            note="deprecated, use enable_snmp_vrrp",
        ),
        kw("enable_snmp_rfc", _snmp_rfc),
        flag_kw("enable_snmp_rfcv2", "enable_snmp_rfcv2"),
        flag_kw("enable_snmp_rfcv3", "enable_snmp_rfcv3"),
        flag_kw("enable_snmp_checker", "enable_snmp_checker"),
        flag_kw("enable_dbus", "enable_dbus"),
        optional_string("dbus_service_name", "dbus_service_name", "dbus_service_name missing - ignoring"),
        kw("script_user", _script_user, status="supported"),
        flag_kw("enable_script_security", "script_security"),
        rcv_bufs_kw("vrrp_netlink_cmd_rcv_bufs"),
        _global_bool("vrrp_netlink_cmd_rcv_bufs_force"),
        rcv_bufs_kw("vrrp_netlink_monitor_rcv_bufs"),
        _global_bool("vrrp_netlink_monitor_rcv_bufs_force"),
        rcv_bufs_kw("process_monitor_rcv_bufs"),
        _global_bool("process_monitor_rcv_bufs_force"),
        rcv_bufs_kw("lvs_netlink_cmd_rcv_bufs"),
        _global_bool("lvs_netlink_cmd_rcv_bufs_force"),
        rcv_bufs_kw("lvs_netlink_monitor_rcv_bufs"),
        _global_bool("lvs_netlink_monitor_rcv_bufs_force"),
        supported(_global_bool("rs_init_notifies")),
        supported(_global_bool("no_checker_emails")),
        kw("vrrp_rx_bufs_policy", _rx_bufs_policy),
        kw("vrrp_rx_bufs_multiplier", _rx_bufs_multiplier),
        interval_kw(
            "vrrp_startup_delay",
            "vrrp_startup_delay",
            TIMER_HZ // 1000,
            60 * TIMER_HZ,
            "The vrrp_startup_delay is very large - {value} seconds",
        ),
        supported(flag_kw("log_unknown_vrids", "log_unknown_vrids")),
        prefix_kw("vmac_prefix", "vmac_prefix", "vmac"),
        prefix_kw("vmac_addr_prefix", "vmac_addr_prefix", "vmac_addr"),
        kw("umask", _umask),
        kw("random_seed", _random_seed, note="applied by the reader when seen"),
        kw("reload_check_config", _reload_check_config),
        kw("reload_time_file", _reload_time_file),
        flag_kw("reload_repeat", "reload_repeat"),
        kw("reload_file", _reload_file),
        kw("include_check", _no_op, status="supported", note="applied by the reader when seen"),
        kw("config_save_dir", _config_save_dir),
        kw("tmp_config_directory", _tmp_config_directory),
        bool_kw(
            "data_use_instance",
            "data_use_instance",
            "Invalid value '{value}' for global date_use_instance specified",
        ),
    ]


def global_defs_table() -> Table:
    return Table("global_defs", _global_defs_keywords())


def _open_global_defs(ctx: ParseContext, words: Words) -> None:
    gd(ctx)["_seen"] = True


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return [
        flag_kw("linkbeat_use_polling", "linkbeat_use_polling"),
        kw("net_namespace", _net_namespace, status="supported", note="setns before the children start"),
        kw("net_namespace_ipvs", _net_namespace_ipvs),
        flag_kw("namespace_with_ipsets", "namespace_with_ipsets"),
        supported(flag_kw("use_pid_dir", "use_pid_dir")),
        kw("instance", _instance, status="supported", note="pid file, dump file and syslog names"),
        kw("child_wait_time", _child_wait_time, status="supported"),
        Keyword(
            "global_defs",
            _open_global_defs,
            sub=mark_supported(global_defs_table(), GLOBAL_SUPPORTED),
            status="supported",
        ),
    ]


# global_defs keywords whose effect the running daemon has (the others are marked in their entries)
GLOBAL_SUPPORTED = (
    "router_id",
    "default_interface",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_version",
    "vrrp_down_timer_adverts",
    "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert",
    "vrrp_startup_delay",
    "enable_script_security",
    "umask",
    "vmac_prefix",
    "vmac_addr_prefix",
)
