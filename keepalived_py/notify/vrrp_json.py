"""keepalived's JSON state dump (SIGRTMIN+2 -> ``$TMPDIR/keepalived.json``), pure.

The VRRP process writes one object per instance: ``data`` (configuration and state) and
``stats`` (the SIGUSR2 counters), on a single line, with keepalived's number formats (``%g`` for
most seconds, ``%f`` for the last transition time) and its state numbers (INIT 0, BACKUP 1,
MASTER 2, FAULT 3, DELETED 97, STOP 98).  The caller passes a view of each running instance;
this module only formats, so the layout is tested without a daemon.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from keepalived_py.config.dump import cmd_str, format_ipaddress, format_route, format_rule
from keepalived_py.config.model.vrrp import VrrpInstance
from keepalived_py.vrrp.instance import Counters
from keepalived_py.vrrp.params import InstanceParams
from keepalived_py.vrrp.state import State

TIMER_HZ = 1_000_000
STATE_NUMBERS = {
    State.INIT: 0,
    State.BACKUP: 1,
    State.MASTER: 2,
    State.FAULT: 3,
    State.STOP: 98,
}
AUTH_TYPES = {None: 0, "PASS": 1, "AH": 2}


@dataclass(frozen=True, slots=True)
class InstanceView:
    """What the dump needs of one running instance."""

    config: VrrpInstance
    params: InstanceParams
    state: State
    wantstate: State
    effective_priority: int
    master_priority: int
    master_adver_int_us: int
    vipset: bool
    last_transition: float  # seconds since the epoch
    counters: Counters
    vmac_ifname: str = ""
    smtp_alert: bool = False


class _Raw(float):
    """A number written as given (keepalived writes some with %f, others with %g)."""

    def __new__(cls, value: float, text: str) -> _Raw:
        obj = super().__new__(cls, value)
        obj.text = text  # type: ignore[attr-defined]
        return obj


def _g(value: float) -> _Raw:
    return _Raw(value, f"{value:g}")


def _f(value: float) -> _Raw:
    return _Raw(value, f"{value:f}")


# keepalived's json_writer escapes these, and "/" too; it writes a backslash as "\\n" (its bug,
# kept so that a consumer of keepalived's file reads ours the same); other bytes go out raw.
_ESCAPES = {
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
    "\f": "\\f",
    "\b": "\\b",
    "\\": "\\n",
    '"': '\\"',
    "/": "\\/",
}


def _string(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in text) + '"'


def _encode(value: object) -> str:
    if isinstance(value, _Raw):
        return value.text  # type: ignore[attr-defined, no-any-return]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(k)}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, str):
        return _string(value)
    return str(value)


def _data(view: InstanceView) -> dict[str, object]:
    inst, p = view.config, view.params
    data: dict[str, object] = {
        "iname": inst.name,
        "dont_track_primary": int(bool(inst.dont_track_primary)),
        "skip_check_adv_addr": int(bool(inst.skip_check_adv_addr)),
        "strict_mode": int(bool(inst.strict_mode)),
        "vmac_ifname": view.vmac_ifname,
    }
    if inst.interface:
        data["ifp_ifname"] = inst.interface
    data.update(
        {
            "master_priority": view.master_priority,
            "last_transition": _f(view.last_transition),
            "garp_delay": _g(p.garp_master_delay_us / TIMER_HZ),
            "garp_refresh": p.garp_master_refresh_us // TIMER_HZ,
            "garp_rep": p.garp_master_repeat,
            "garp_refresh_rep": p.garp_master_refresh_repeat,
            "garp_lower_prio_delay": p.garp_lower_prio_delay_us // TIMER_HZ,
            "garp_lower_prio_rep": p.garp_lower_prio_repeat,
            "lower_prio_no_advert": int(p.lower_prio_no_advert),
            "higher_prio_send_advert": int(p.higher_prio_send_advert),
            "vrid": p.vrid,
            "base_priority": p.priority,
            "effective_priority": view.effective_priority,
            "vipset": view.vipset,
            "promote_secondaries": inst.promote_secondaries,
            "adver_int": _g(p.advert_int_us / TIMER_HZ),
            "master_adver_int": _g(view.master_adver_int_us / TIMER_HZ),
            "accept": int(p.accept),
            "nopreempt": p.nopreempt,
            "preempt_delay": p.preempt_delay_us // TIMER_HZ,
            "state": STATE_NUMBERS.get(view.state, 0),
            "wantstate": STATE_NUMBERS.get(view.wantstate, 0),
            "version": p.version,
            "smtp_alert": view.smtp_alert,
            "notify_deleted": inst.notify_deleted,
        }
    )
    for key, script in (
        ("script_backup", inst.notify_backup),
        ("script_master", inst.notify_master),
        ("script_fault", inst.notify_fault),
        ("script_stop", inst.notify_stop),
        ("script_deleted", inst.notify_deleted_script),
        ("script", inst.notify),
        ("script_master_rx_lower_pri", inst.notify_master_rx_lower_pri),
    ):
        if script is not None:
            data[key] = cmd_str(script)
    iface = inst.interface
    for key, entries, installed in (
        ("vips", inst.virtual_ipaddresses, view.vipset),
        ("evips", inst.virtual_ipaddresses_excluded, view.vipset),
    ):
        if entries:
            data[key] = [format_ipaddress(ip, iface, installed) for ip in entries]
    if inst.virtual_routes:
        data["vroutes"] = [format_route(r, view.vipset) for r in inst.virtual_routes]
    if inst.virtual_rules:
        data["vrules"] = [format_rule(r) for r in inst.virtual_rules]
    if inst.track_interfaces:
        data["track_ifp"] = [t.name for t in inst.track_interfaces]
    data["auth_type"] = AUTH_TYPES.get(inst.auth_type, 0)
    if inst.auth_type and inst.auth_pass is not None:
        data["auth_data"] = inst.auth_pass[:8]
    return data


def _stats(c: Counters) -> dict[str, object]:
    return {
        "advert_rcvd": c.advert_rcvd,
        "advert_sent": c.advert_sent,
        "become_master": c.become_master,
        "release_master": c.release_master,
        "packet_len_err": c.packet_len_err,
        "advert_interval_err": c.advert_interval_err,
        "ip_ttl_err": c.ip_ttl_err,
        "invalid_type_rcvd": c.invalid_type_rcvd,
        "addr_list_err": c.addr_list_err,
        "invalid_authtype": c.invalid_authtype,
        "authtype_mismatch": c.authtype_mismatch,
        "auth_failure": c.auth_failure,
        "pri_zero_rcvd": c.pri_zero_rcvd,
        "pri_zero_sent": c.pri_zero_sent,
    }


def json_dump(views: Iterable[InstanceView], track_scripts: dict[str, list[str]] | None = None) -> str:
    """The file's text; ``track_scripts`` gives each instance's tracked script command lines."""
    items = []
    for view in views:
        data = _data(view)
        scripts = (track_scripts or {}).get(view.config.name)
        if scripts:
            # keepalived writes them after track_ifp, before the authentication
            auth: dict[str, object] = {k: data.pop(k) for k in ("auth_type", "auth_data") if k in data}
            data["track_script"] = list(scripts)
            data.update(auth)
        items.append({"data": data, "stats": _stats(view.counters)})
    return _encode(items)
