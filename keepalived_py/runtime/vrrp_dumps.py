"""The VRRP process's state dumps: SIGUSR1 -> ``keepalived.data``, SIGRTMIN+2 -> ``keepalived.json``.

The layouts are keepalived's and live in pure modules (``config/dump.py`` for the data dump,
``notify/vrrp_json.py`` for the JSON one); this module reads the running daemon (cores, drivers,
sockets, interfaces) into their inputs and writes the files in ``$TMPDIR`` (default /tmp).
Times: the cores count in the event loop's clock; the dumps show wall-clock times, so a
deadline is shown as now + (deadline - loop now).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from keepalived_py.adapters.link_facts import LinkFacts, read_links
from keepalived_py.config.dump import InstanceRuntime, SocketRuntime, VrrpRuntime, vrrp_data_lines
from keepalived_py.config.model import Config
from keepalived_py.notify.vrrp_json import InstanceView, json_dump
from keepalived_py.runtime.vrrp_timers import LoopTimers
from keepalived_py.vrrp import packet

if TYPE_CHECKING:
    from keepalived_py.runtime.vrrp_process import VrrpDaemon

log = logging.getLogger(__name__)

IFF_UP = 0x1
IFF_BROADCAST = 0x2
IFF_LOOPBACK = 0x8
IFF_POINTOPOINT = 0x10
IFF_RUNNING = 0x40
IFF_NOARP = 0x80
IFF_MULTICAST = 0x1000
ARPHRD_ETHER = 1
ARPHRD_LOOPBACK = 772
_HW_TYPES = {ARPHRD_ETHER: "ETHERNET", ARPHRD_LOOPBACK: "LOOPBACK", 32: "INFINIBAND"}
# interface name -> (instance, weight, reverse) of each instance tracking it
Tracking = dict[str, list[tuple[str, int, bool]]]


def _split(t: float) -> tuple[int, int]:
    sec = int(t)
    usec = round((t - sec) * 1_000_000)
    return (sec + 1, usec - 1_000_000) if usec >= 1_000_000 else (sec, usec)


def timestamp(t: float) -> str:
    """``<sec>.<usec> (<ctime with usec>)`` as keepalived's data dump writes times (local time):
    ``1795834569.324377 (Sat Nov 28 02:56:09.324377 2026)``."""
    sec, usec = _split(t)
    tm = time.localtime(sec)
    return f"{sec}.{usec:06d} ({time.strftime('%a %b %e %H:%M:%S', tm)}.{usec:06d} {tm.tm_year})"


def interface_lines(links: Iterable[LinkFacts], tracking: Tracking) -> list[str]:
    """keepalived's dump_if for every interface, with the instances tracking it."""
    lines: list[str] = []
    for link in links:
        w = lines.append
        w(f" Name = {link.name}")
        w(f"   index = {link.index}")
        w(f"   IPv4 address = {link.ipv4[0] if link.ipv4 else '(none)'}")
        if len(link.ipv4) > 1:
            w("   Additional IPv4 addresses :")
            lines.extend(f"     {a}" for a in link.ipv4[1:])
        w(f"   IPv6 address = {link.ipv6_link_local[0] if link.ipv6_link_local else '(none)'}")
        if len(link.ipv6_link_local) > 1:
            w("   Additional IPv6 addresses :")
            lines.extend(f"     {a}" for a in link.ipv6_link_local[1:])
        if link.mac and link.hw_type != ARPHRD_LOOPBACK:
            w(f"   MAC = {link.mac}")
            w(f"   MAC broadcast = {link.broadcast}")
        f = link.flags
        state = f"{'' if f & IFF_UP else 'not '}UP, {'' if f & IFF_RUNNING else 'not '}RUNNING"
        state += "" if f & IFF_BROADCAST else ", no broadcast"
        state += ", loopback" if f & IFF_LOOPBACK else ""
        state += ", point to point" if f & IFF_POINTOPOINT else ""
        state += ", no arp" if f & IFF_NOARP else ""
        state += "" if f & IFF_MULTICAST else ", no multicast"
        w(f"   State = {state}")
        w(f"   Seen up = {1 if f & IFF_UP else 0}")
        w("   Delayed state change running = false")
        w("   Up debounce timer = 0us")
        w("   Down debounce timer = 0us")
        w(f"   MTU = {link.mtu}")
        w(f"   HW Type = {_HW_TYPES.get(link.hw_type, f'UNKNOWN ({link.hw_type})')}")
        w("   NIC netlink status update")
        w("   Reset ARP config counter 0")
        w("   Original arp_ignore 0")
        w("   Original arp_filter 0")
        w("   Original promote_secondaries 0")
        w("   Reset promote_secondaries counter 0")
        trackers = tracking.get(link.name)
        if trackers:
            w("   Tracking VRRP instances :")
            for name, weight, reverse in trackers:
                w(f"     {name}, weight {weight}{' reverse' if reverse else ''}")
    return lines


def interface_tracking(config: Config) -> Tracking:
    """Which instances track each interface: their own (weight 0) and their track_interface list."""
    found: Tracking = {}
    for inst in config.vrrp.instances:
        if inst.interface and not inst.dont_track_primary:
            found.setdefault(inst.interface, []).append((inst.name, 0, False))
        for t in inst.track_interfaces:
            found.setdefault(t.name, []).append((inst.name, t.weight, t.reverse))
    return found


def _state_name(value: object) -> str:
    return str(getattr(value, "value", value))


def vrrp_runtime(daemon: VrrpDaemon) -> VrrpRuntime:
    LoopTimers.for_loop(daemon.loop).flush_reads()  # the adverts waiting are counted too
    now_loop, now_wall = daemon.loop.time(), time.time()
    instances: dict[str, InstanceRuntime] = {}
    for driver in daemon.drivers:
        core = driver.core
        timer = core.get_timer()
        read_timeout = "DISABLED" if timer is None else timestamp(now_wall + (timer - now_loop))
        tracking = daemon._trackings.get(driver.name)
        fd = driver.path.sock.fileno()
        instances[driver.name] = InstanceRuntime(
            state=_state_name(core.state),
            wantstate=_state_name(core.wantstate),
            last_transition=timestamp(driver.last_transition),
            read_timeout=read_timeout,
            master_down_us=core.ms_down_timer_us,
            effective_priority=core.effective_priority,
            total_priority=tracking.total if tracking is not None else core.base_priority,
            vipset=core.vipset,
            src_ip=None if driver.path.src.is_unspecified else str(driver.path.src),
            master_router=str(core.master_address) if core.master_address is not None else None,
            master_priority=core.master_priority,
            master_adver_int_us=core.master_adver_int_us,
            num_script_if_fault=len(tracking.fault_reasons()) if tracking is not None else 0,
            num_script_init=1 if tracking is not None and tracking.waiting else 0,
            fds=(fd, fd),
        )
    sockets = []
    for listener in daemon.listeners.values():
        sock = listener.sock
        fd = sock.fileno()
        sockets.append(
            SocketRuntime(
                fd_in=fd,
                fd_out=fd,
                ifname=sock.ifname,
                family="IPv4" if listener.family == socket.AF_INET else "IPv6",
                protocol="AH" if sock.sock.proto == packet.IPPROTO_AH else "VRRP",
                unicast_src=None,
                rx_buf_size=0,
                instances=tuple((d.name, d.core.params.vrid) for d in listener.drivers),
            )
        )
    try:
        links = read_links()
    except OSError as exc:
        log.info("cannot read the interfaces for the data dump: %s", exc)
        links = []
    return VrrpRuntime(
        instances=instances,
        sockets=tuple(sockets),
        interface_lines=tuple(interface_lines(links, interface_tracking(daemon.config))),
    )


def _write(name: str, text: str) -> None:
    from keepalived_py.runtime.vrrp_process import tmp_dir

    path = os.path.join(tmp_dir(), name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        log.info("Can't open %s (%d: %s)", path, exc.errno or 0, exc.strerror)


def write_data(daemon: VrrpDaemon) -> None:
    """SIGUSR1: ``$TMPDIR/keepalived.data``."""
    from keepalived_py.adapters.host import SystemHost
    from keepalived_py.runtime.namespace import dump_file_name

    lines = vrrp_data_lines(daemon.config, vrrp_runtime(daemon), SystemHost())
    gd = daemon.config.global_defs
    name = dump_file_name("keepalived.data", namespace=daemon.opts.namespace, instance=gd.instance)
    _write(name, "".join(line + "\n" for line in lines))


def write_json(daemon: VrrpDaemon) -> None:
    """SIGRTMIN+2: ``$TMPDIR/keepalived.json`` (nothing without instances, as keepalived)."""
    if not daemon.drivers:
        return
    views = []
    scripts: dict[str, list[str]] = {}
    by_name = {inst.name: inst for inst in daemon.config.vrrp.instances}
    from keepalived_py.config.dump import cmd_str

    for driver in daemon.drivers:
        inst = by_name.get(driver.name)
        if inst is None:
            continue
        core = driver.core
        views.append(
            InstanceView(
                config=inst,
                params=core.params,
                state=core.state,
                wantstate=core.wantstate,
                effective_priority=core.effective_priority,
                master_priority=core.master_priority,
                master_adver_int_us=core.master_adver_int_us,
                vipset=core.vipset,
                last_transition=driver.last_transition,
                counters=core.counters,
            )
        )
        named = [t.name for t in inst.track_scripts]
        found = [cmd_str(s.script) for s in daemon.config.trackers.scripts if s.name in named and s.script]
        if found:
            scripts[inst.name] = found
    _write("keepalived.json", json_dump(views, scripts) + "\n")
