"""Checks keepalived makes on virtual_server, virtual_server_group, real_server and SSL.

This follows the checker process of keepalived 2.2.7 under ``-t``: first the virtual servers
that use a group are linked to it (``link_vsg_to_vs``, which only logs), then each virtual
server is checked and completed (``validate_check_config``): defaults, inherited real server
settings, port rules of NAT/DR/TUN, quorum.  Every correction keepalived makes is applied to
the model so that what runs later is what keepalived would run.
"""

from __future__ import annotations

import dataclasses

from keepalived_py.config.errors import Severity
from keepalived_py.config.model.lvs import (
    DEFAULT_PERSISTENCE_TIMEOUT,
    DEFAULT_SCHEDULER,
    ForwardingMethod,
    LvsSection,
    Protocol,
    RealServer,
    ServiceFlag,
    SockAddr,
    SorryServer,
    VirtualServer,
    VirtualServerGroup,
    trio,
)
from keepalived_py.config.validate.context import ValidationContext
from keepalived_py.config.validate.global_defs import check_checker_scripts

UINT_MASK = 2**32 - 1


def _with_port(addr: SockAddr, port: int) -> SockAddr:
    return SockAddr(addr.ip, port)


def _link_groups(vctx: ValidationContext, section: LvsSection) -> list[VirtualServer]:
    """keepalived's link_vsg_to_vs(): these messages are only logged (no -t error)."""
    groups: dict[str, VirtualServerGroup] = {}
    for g in section.virtual_server_groups:
        groups.setdefault(g.name, g)
    kept: list[VirtualServer] = []
    for vs in section.virtual_servers:
        if vs.group is None:
            kept.append(vs)
            continue
        vsg = groups.get(vs.group)
        if vsg is None:
            vctx.report(
                Severity.OK,
                f"Virtual server group {vs.group} specified but not configured - ignoring virtual server "
                f"{vs.describe()}",
                vs.location,
                hint="keepalived only logs this; the virtual server is not used",
            )
            continue
        v4, v6 = vsg.have_ipv4, vsg.have_ipv6
        vsg_family = 0 if v4 == v6 else (4 if v4 else 6)
        if v4 and v6 and vs.family:
            vctx.report(
                Severity.OK,
                f"{vs.group}: virtual server group with IPv4 & IPv6 doesn't match virtual server "
                f"{vs.describe()} - ignoring",
                vs.location,
            )
            continue
        if (v4 and vs.family == 6) or (v6 and vs.family == 4):
            vctx.report(
                Severity.OK,
                f"{vs.group}: address family doesn't match virtual server {vs.describe()} - ignoring",
                vs.location,
            )
            continue
        if vsg_family:
            vs = dataclasses.replace(vs, family=vsg_family)
        elif not vs.family and vsg.fwmark_no_family:
            vctx.report(
                Severity.OK,
                f"{vs.group}: Virtual server {vs.describe()} address family cannot be determined,"
                " defaulting to IPv4",
                vs.location,
            )
        kept.append(vs)
    # The group member number stands in for the port in keepalived's names of these servers.
    counters: dict[str, int] = {}
    numbered: list[VirtualServer] = []
    for vs in kept:
        if vs.group is not None:
            index = counters.get(vs.group, 0)
            counters[vs.group] = index + 1
            vs = dataclasses.replace(vs, group_index=index)
        numbered.append(vs)
    return numbered


def _smtp_default(vctx: ValidationContext, otherwise: bool) -> bool:
    gd = vctx.config.global_defs
    checker = getattr(gd, "smtp_alert_checker", None)
    if checker is not None:
        return bool(checker)
    general = getattr(gd, "smtp_alert", None)
    if general is not None:
        return bool(general)
    return otherwise


def _check_vs(
    vctx: ValidationContext, vs: VirtualServer, groups: dict[str, VirtualServerGroup]
) -> VirtualServer | None:
    def err(message: str) -> None:
        vctx.report(Severity.GENERAL_ERROR, message)

    if not vs.real_servers:
        err(f"Virtual server {vs.describe()} has no real servers - ignoring")
        return None
    vsg = groups.get(vs.group) if vs.group is not None else None

    if vs.ha_suspend and (vs.fwmark or (vsg is not None and vsg.fwmarks)):
        err(f"Virtual server {vs.describe()}: cannot use ha_suspend with fwmarks - clearing ha_suspend")
        vs = dataclasses.replace(vs, ha_suspend=False)

    if (vsg is not None and vsg.ranges) or (vsg is None and not vs.fwmark):
        if vs.protocol is None:
            err(f"Virtual server {vs.describe()}: no protocol set - defaulting to UDP")
            vs = dataclasses.replace(vs, protocol=Protocol.UDP)
        if vs.flags & ServiceFlag.ONEPACKET and vs.protocol != Protocol.UDP:
            err(f"Virtual server {vs.describe()}: one packet scheduling requires UDP - resetting")
            vs = dataclasses.replace(vs, flags=vs.flags & ~ServiceFlag.ONEPACKET)
        if not vs.persistence_timeout and vsg is None and not vs.fwmark and not _vs_port(vs):
            err(f"Virtual server {vs.describe()}: zero port only valid for persistent services - setting")
            vs = dataclasses.replace(vs, persistence_timeout=DEFAULT_PERSISTENCE_TIMEOUT)

    if not vs.persistence_timeout and vsg is not None and any(not r.port for r in vsg.ranges):
        err(f"Virtual server {vs.describe()}: zero port only valid for persistent services - setting")
        vs = dataclasses.replace(vs, persistence_timeout=DEFAULT_PERSISTENCE_TIMEOUT)

    if vs.protocol is not None and (
        (vsg is not None and not vsg.ranges and vsg.fwmarks) or (vsg is None and vs.fwmark)
    ):
        err(
            f"Warning: Virtual server {vs.describe()}: protocol specified for fwmark"
            " - protocol will be ignored"
        )
        vs = dataclasses.replace(vs, protocol=None)

    if not vs.scheduler:
        err(f"Virtual server {vs.describe()}: no scheduler set, setting default '{DEFAULT_SCHEDULER}'")
        vs = dataclasses.replace(vs, scheduler=DEFAULT_SCHEDULER)

    if vs.smtp_alert is None:
        vs = dataclasses.replace(vs, smtp_alert=_smtp_default(vctx, False))

    def default_nat(vs: VirtualServer) -> VirtualServer:
        if vs.forwarding is None:
            err(f"Virtual server {vs.describe()}: no forwarding method set, setting default NAT")
            vs = dataclasses.replace(vs, forwarding=ForwardingMethod.NAT)
        return vs

    sorry = vs.sorry_server
    duplicates_rs = False
    kept: list[RealServer] = []
    weight_sum = 0
    for rs in vs.real_servers:
        if any(rs.address == other.address for other in kept):
            err(
                f"VS {vs.describe()}: real server {trio(rs.address, vs.protocol)} is duplicated"
                " - removing second rs"
            )
            continue
        if rs.forwarding is None:
            vs = default_nat(vs)
            rs = dataclasses.replace(rs, forwarding=vs.forwarding, tunnel=vs.tunnel)
        rs = dataclasses.replace(
            rs,
            alpha=vs.alpha if rs.alpha is None else rs.alpha,
            inhibit_on_failure=vs.inhibit_on_failure
            if rs.inhibit_on_failure is None
            else rs.inhibit_on_failure,
            retry=vs.retry if rs.retry is None else rs.retry,
            connect_timeout=vs.connect_timeout if rs.connect_timeout is None else rs.connect_timeout,
            delay_loop=vs.delay_loop if rs.delay_loop is None else rs.delay_loop,
            warmup=vs.warmup if rs.warmup is None else rs.warmup,
            delay_before_retry=vs.delay_before_retry
            if rs.delay_before_retry is None
            else rs.delay_before_retry,
            weight=vs.weight if rs.weight is None else rs.weight,
            # Real servers alert by default, unlike everything else (keepalived keeps this
            # for backward compatibility).
            smtp_alert=_smtp_default(vctx, True) if rs.smtp_alert is None else rs.smtp_alert,
        )
        weight_sum += rs.weight or 0
        if sorry is not None and sorry.address == rs.address:
            if sorry.inhibit != rs.inhibit_on_failure:
                err(
                    f"Virtual server {vs.describe()}: real server {trio(rs.address, vs.protocol)} matches"
                    f" sorry server, but inhibit setting differs,"
                    f" {'sett' if rs.inhibit_on_failure else 'clear'}ing on sorry server"
                )
                sorry = dataclasses.replace(sorry, inhibit=bool(rs.inhibit_on_failure))
            duplicates_rs = True
        kept.append(rs)

    if sorry is not None and sorry.forwarding is None:
        vs = default_nat(vs)
        sorry = dataclasses.replace(sorry, forwarding=vs.forwarding, tunnel=vs.tunnel)

    quorum, hysteresis = vs.quorum, vs.hysteresis
    if quorum > weight_sum:
        err(
            f"Warning - quorum {quorum} for {vs.describe()} exceeds total weight of real servers"
            f" {weight_sum}, reducing quorum to {weight_sum}"
        )
        quorum = weight_sum
    if hysteresis >= quorum:
        new = (quorum - 1) & UINT_MASK
        err(
            f"Virtual server {vs.describe()}: hysteresis {hysteresis} >= quorum {quorum};"
            f" setting hysteresis to {new}"
        )
        hysteresis = new

    kept, sorry = _check_ports(vctx, vs, vsg, kept, sorry)
    return dataclasses.replace(
        vs,
        real_servers=tuple(kept),
        sorry_server=sorry,
        sorry_server_duplicates_rs=duplicates_rs,
        quorum=quorum,
        hysteresis=hysteresis,
    )


def _vs_port(vs: VirtualServer) -> int:
    return vs.address.port if vs.address is not None else 0


def _check_ports(
    vctx: ValidationContext,
    vs: VirtualServer,
    vsg: VirtualServerGroup | None,
    rss: list[RealServer],
    sorry: SorryServer | None,
) -> tuple[list[RealServer], SorryServer | None]:
    """Unless NAT, real and virtual servers have the same port, and none with a fwmark."""

    def err(message: str) -> None:
        vctx.report(Severity.GENERAL_ERROR, message)

    nat = ForwardingMethod.NAT
    if vsg is not None:
        if vsg.fwmarks:
            for rs in rss:
                if rs.forwarding != nat and rs.address.port:
                    err(
                        f"WARNING - fwmark virtual server {vs.describe()}, real server"
                        f" {trio(rs.address, vs.protocol)} has port specified - port will be ignored"
                    )
            if sorry is not None and sorry.forwarding != nat and sorry.address.port:
                err(
                    f"WARNING - fwmark virtual server {vs.describe()}, sorry server has port specified"
                    " - port will be ignored"
                )
        for entry in vsg.ranges:
            for rs in rss:
                if rs.forwarding != nat and rs.address.port and rs.address.port != entry.port:
                    err(
                        f"virtual server {vs.describe()}:[{entry.describe()}] and real server"
                        f" {trio(rs.address, vs.protocol)} ports don't match"
                    )
            if (
                sorry is not None
                and sorry.forwarding != nat
                and sorry.address.port
                and sorry.address.port != entry.port
            ):
                err(
                    f"WARNING - virtual server {vs.describe()}, sorry server has port specified"
                    " - port will be ignored"
                )
        return rss, sorry

    vs_port = _vs_port(vs)
    out: list[RealServer] = []
    for rs in rss:
        port = rs.address.port
        if rs.forwarding == nat:
            if not vs.fwmark and not port:
                port = vs_port
        elif vs.fwmark:
            if port:
                err(
                    f"WARNING - fwmark virtual server {vs.describe()}, real server"
                    f" {trio(rs.address, vs.protocol)} has port specified - clearing"
                )
                port = 0
        elif not port:
            port = vs_port
        elif port != vs_port:
            err(
                f"WARNING - virtual server {vs.describe()} and real server"
                f" {trio(rs.address, vs.protocol)} ports don't match - resetting"
            )
            port = vs_port
        if port != rs.address.port:
            rs = dataclasses.replace(rs, address=_with_port(rs.address, port), parsed_port=rs.address.port)
        out.append(rs)

    if sorry is not None and sorry.forwarding != nat:
        port = sorry.address.port
        if vs.fwmark:
            if port:
                err(f"WARNING - virtual server {vs.describe()}, sorry server has port specified - clearing")
                port = 0
        elif not port:
            port = vs_port
        elif port != vs_port:
            err(f"WARNING - virtual server {vs.describe()} and sorry server ports don't match - resetting")
            port = vs_port
        if port != sorry.address.port:
            sorry = dataclasses.replace(sorry, address=_with_port(sorry.address, port))
    return out, sorry


def validate(vctx: ValidationContext) -> None:
    """Report problems and apply keepalived's corrections to ``vctx.config``."""
    section = vctx.config.lvs
    if not section.virtual_servers:
        check_checker_scripts(vctx)
        return
    groups: dict[str, VirtualServerGroup] = {}
    for g in section.virtual_server_groups:
        groups.setdefault(g.name, g)
    checked: list[VirtualServer] = []
    for vs in _link_groups(vctx, section):
        result = _check_vs(vctx, vs, groups)
        if result is not None:
            checked.append(result)
    vctx.config = dataclasses.replace(
        vctx.config, lvs=dataclasses.replace(section, virtual_servers=tuple(checked))
    )
    check_checker_scripts(vctx)
