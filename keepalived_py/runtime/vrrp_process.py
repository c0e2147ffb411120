"""The VRRP daemon (`keepalived-py -P -n -l -f FILE`): every vrrp_instance in one asyncio loop.

Start-up, as keepalived's VRRP child: write the pid files, remove any of our VIPs already
present, open one raw socket per (interface, family), build one core + driver per instance and
start them.  Packets are read from the sockets, decoded with the codec and handed to the driver
of their VRID (multicast and unicast instances are separate VRID spaces).  SIGTERM / SIGINT only
set an event (DESIGN.md example 12); the loop then shuts every instance down (masters send
priority 0 and release their addresses) and the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import ipaddress
import logging
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from keepalived_py.adapters.addresses import LinkState, LinkWatch, NetlinkAddresses
from keepalived_py.adapters.garp import GarpSender
from keepalived_py.adapters.netlink_events import AddressEvent, AddressWatch
from keepalived_py.adapters.vip_filter import VipFilter
from keepalived_py.adapters.vrrp_socket import ReceivedV4, ReceivedV6, VrrpSocketV4, VrrpSocketV6, drain
from keepalived_py.config.dump import format_ipaddress
from keepalived_py.config.model import Config
from keepalived_py.config.model.trackers import VrrpScript
from keepalived_py.config.model.vrrp import VrrpInstance
from keepalived_py.runtime import heap_freeze, rx_length, startup_signals, vrrp_dumps
from keepalived_py.runtime.gratuitous import Gratuitous
from keepalived_py.runtime.lvs_globals import VrrpLvs
from keepalived_py.runtime.pid_file import run_child
from keepalived_py.runtime.rx_batch import ReadBatcher, arrival_time, batch_delay
from keepalived_py.runtime.vrrp_driver import AdvertPath, VrrpDriver
from keepalived_py.runtime.vrrp_firewall import attach_firewall, close_firewall
from keepalived_py.runtime.vrrp_notify import Notifier, ScriptRunner
from keepalived_py.runtime.vrrp_rx import Splitter, VridIndex, read_v4, read_v4_stamped
from keepalived_py.runtime.vrrp_sync import SyncGroups
from keepalived_py.runtime.vrrp_timers import LoopTimers
from keepalived_py.runtime.vrrp_tracking import TrackingRunner, trackers_of
from keepalived_py.runtime.vrrp_vmac import VmacManager
from keepalived_py.vrrp import packet
from keepalived_py.vrrp.checksum_compat import ChecksumMode, UnicastChecksum
from keepalived_py.vrrp.garp_pacing import Pacing, pacing_table
from keepalived_py.vrrp.instance import Counters, Notify, VrrpCore
from keepalived_py.vrrp.params import AUTH_AH, IpAddr, build_params
from keepalived_py.vrrp.state import State
from keepalived_py.vrrp.timers import skew_time_us
from keepalived_py.vrrp.tracking import InstanceTracking

if TYPE_CHECKING:
    from keepalived_py.cli import RuntimeOptions

log = logging.getLogger(__name__)


def _counter(exc: packet.DecodeError) -> str | None:
    """keepalived's counter for a refused packet (DecodeReason values are its names)."""
    name = str(exc.reason.value)
    return name if name in Counters.__dataclass_fields__ else None


# keepalived's STATS_CLEAR signal (keepalived --signum=STATS_CLEAR)
SIG_STATS_CLEAR: int = signal.SIGRTMAX - 1


# SIGRTMIN+2: keepalived's JSON dump signal
SIG_JSON: int = signal.SIGRTMIN + 2
HANDLED_SIGNALS: tuple[int, ...] = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGUSR1,
    signal.SIGUSR2,
    SIG_JSON,
)


def tmp_dir() -> str:
    """$TMPDIR when it is a directory, else /tmp (keepalived's make_tmp_filename)."""
    value = os.environ.get("TMPDIR")
    return value if value and os.path.isdir(value) else "/tmp"


# keepalived's KEEPALIVED_EXIT_CONFIG: the parent stops too ("exited with permanent error CONFIG")
EXIT_CONFIG_ERROR = 2
EXIT_FATAL = 1
# keepalived's default_interface when global_defs does not name one
DEFAULT_INTERFACE = "eth0"
DEFAULT_VRRP_PID_FILE = "/run/vrrp.pid"


def _garp_pacing(config: Config) -> dict[str, Pacing]:
    """Per-interface GARP/NA intervals: garp_groups, else the global ones where addresses go."""
    used: list[str] = []
    for inst in config.vrrp.instances:
        for entry in (*inst.virtual_ipaddresses, *inst.virtual_ipaddresses_excluded):
            used.append(entry.dev or inst.interface or "")
        used.append(inst.interface or "")
    gd = config.global_defs
    return pacing_table(
        ((g.garp_interval, g.gna_interval, g.interfaces) for g in config.static.garp_groups),
        global_garp_us=gd.vrrp_garp_interval,
        global_gna_us=gd.vrrp_gna_interval,
        interfaces=[name for name in used if name],
    )


def _backup_timing(driver: VrrpDriver) -> tuple[int, int] | None:
    """The instance's skew time and master advert interval (us) if its adverts may be read late
    (runtime/rx_batch.py): a backup, not in a sync group (which acts on its members' inputs at
    once), without IPsec AH."""
    core = driver.core
    if core.state is not State.BACKUP or driver.on_input is not None or driver.path.ah_key is not None:
        return None
    interval = core.master_adver_int_us
    return skew_time_us(core.params.version, core.effective_priority, interval), interval


# datagrams one poll reads from a socket at most (a backup's socket holds ~MAX_DELAY of adverts)
BATCH_READ_LIMIT = 4096


class StartError(Exception):
    """The daemon cannot start (keepalived exits with status 1 for these)."""


@dataclass
class Listener:
    """One raw socket and the drivers whose adverts arrive on it."""

    sock: VrrpSocketV4 | VrrpSocketV6
    family: int
    drivers: list[VrrpDriver] = field(default_factory=list)
    # global log_unknown_vrids: say so when an advert is for no instance of ours
    log_unknown_vrids: bool = False
    # the receive fast path (runtime/vrrp_rx.py): same results as the codec, per packet cheaper
    _index: VridIndex[VrrpDriver] = field(default_factory=VridIndex, repr=False)
    _split: Splitter = field(default_factory=Splitter, repr=False)
    # read by the loop's poll while all its instances are backups (runtime/rx_batch.py)
    batcher: ReadBatcher | None = field(default=None, repr=False)
    _delay: float | None = field(default=None, repr=False)
    _stamping: bool = field(default=False, repr=False)
    _rcvbuf: int = field(default=0, repr=False)
    # when the socket was last read empty by the poll (arrival times are not earlier)
    _emptied: float = field(default=0.0, repr=False)

    def __hash__(self) -> int:
        return id(self)

    def refresh_reads(self) -> None:
        """Read late (by the poll) or at once, after one of the instances changed."""
        if self.batcher is None:
            return
        delay = None
        if type(self.sock) is VrrpSocketV4:
            if not self._rcvbuf:
                self._rcvbuf = self.sock.receive_buffer()
            delay = batch_delay((_backup_timing(d) for d in self.drivers), self._rcvbuf)
        if delay == self._delay:
            return
        if delay is not None and not self._stamping:
            try:
                self.sock.stamp_arrivals()
            except OSError as exc:
                log.info("Cannot time VRRP packets on %s (%s): reading at once", self.sock.ifname, exc)
                self.batcher = None
                return
            self._stamping = True
        was = self._delay
        self._delay = delay
        if was is None:
            self._emptied = self.batcher.now()
        self.batcher.set(self, delay)
        self.sock.watch(delay is None)
        if delay is None:
            self.on_readable()  # what arrived while it was read by the poll

    def close(self) -> None:
        if self.batcher is not None:
            self.batcher.set(self, None)
            self.batcher = None
        self.sock.close()

    def read_batch(self, now: float, offset_ns: int) -> None:
        """The poll's read: each datagram handled with the time the kernel received it."""
        assert type(self.sock) is VrrpSocketV4
        got = read_v4_stamped(self.sock.sock, BATCH_READ_LIMIT)
        earliest = self._emptied
        if len(got) < BATCH_READ_LIMIT:
            self._emptied = now
        index, drivers = self._index, self.drivers
        new = False
        for data, stamp in got:
            when = now if stamp is None else arrival_time(stamp, offset_ns, earliest, now)
            try:
                if not index.receive_v4(drivers, data, when):
                    self._dispatch(ReceivedV4(data, self.sock.ifindex), when)
                    new = True
            except Exception:
                log.exception("error handling a VRRP packet on %s", self.sock.ifname)
        if new:
            self.refresh_reads()  # an advert that was not a repeat may have changed a skew time

    def on_readable(self) -> None:
        if type(self.sock) is VrrpSocketV4:
            # IPv4: the datagrams straight from the socket, those seen before without the codec
            # (at most READ_LIMIT per wake-up, so that one busy socket cannot starve the others)
            for data in read_v4(self.sock.sock):
                try:
                    if not self._index.receive_v4(self.drivers, data):
                        self._dispatch(ReceivedV4(data, self.sock.ifindex))
                except Exception:
                    log.exception("error handling a VRRP packet on %s", self.sock.ifname)
            return
        for item in drain(self.sock):
            try:
                self._dispatch(item)
            except Exception:
                log.exception("error handling a VRRP packet on %s", self.sock.ifname)

    def _drivers_for(self, vrid: int, multicast: bool) -> list[VrrpDriver]:
        found = self._index.get(self.drivers, vrid)
        if len(found) > 1:
            found = [d for d in found if d.core.params.unicast != multicast] or found
        return found

    def _dispatch(self, item: ReceivedV4 | ReceivedV6, now: float | None = None) -> None:
        """``now``: when the datagram arrived, if it was read later."""
        src: IpAddr
        dst: IpAddr
        if isinstance(item, ReceivedV4):
            if self._index.receive_v4(self.drivers, item.packet, now):
                return  # the same bytes as an advert handled before (runtime/vrrp_rx.py)
            try:
                ip = self._split.split_ipv4(item.packet)
            except packet.DecodeError:
                return
            if ip.protocol == packet.IPPROTO_AH:
                self._dispatch_ah(item, ip)
                return
            if ip.protocol != packet.IPPROTO_VRRP:
                return
            payload, src, dst, ttl = ip.payload, ip.src, ip.dst, ip.ttl
            family = socket.AF_INET
            packet_len = len(item.packet)
        else:
            if item.dst is None:
                return
            payload, src, dst, ttl = item.payload, item.src, item.dst, item.hop_limit
            family = socket.AF_INET6
            packet_len = len(payload)
        short = rx_length.too_short(family, packet_len, len(payload))
        if short:
            log.info("%s", short)  # keepalived drops these before looking for the VRID, uncounted
            return
        multicast = dst.is_multicast
        drivers = self._drivers_for(payload[1], multicast)
        if not drivers:
            if self.log_unknown_vrids:
                log.info(
                    "Unknown VRID(%d) received on interface(%s). ignoring...", payload[1], self.sock.ifname
                )
            return
        # IPv4 datagrams all drivers decoded plainly are remembered (VridIndex.receive_v4)
        learned: list[tuple[VrrpDriver, packet.Advertisement]] | None = None
        if family == socket.AF_INET:
            learned = []
        for driver in drivers:
            if multicast == driver.core.params.unicast:
                # keepalived drops these before looking at them (an IPv6 socket gets both kinds);
                # its IPv4 sockets, bound to the group or to the unicast source, never see them
                if (
                    family == socket.AF_INET6
                    and driver.detail
                    and driver.core.state in (State.BACKUP, State.MASTER)
                ):
                    log.info(
                        "(%s) discarding %sicast packet on %sicast instance",
                        driver.name,
                        "mult" if multicast else "un",
                        "un" if driver.core.params.unicast else "mult",
                    )
                continue
            # Decoded per instance: the old unicast VRRPv3 checksum is a per-instance mode.
            try:
                adv = driver.decode(payload, src=src, dst=dst, family=family)
            except packet.DecodeError as exc:
                counter = _counter(exc)
                if counter == "packet_len_err":
                    header = packet_len - len(payload)
                    line = rx_length.length_mismatch(driver.name, family, packet_len, header, payload)
                    if line:
                        log.info("%s", line)
                if counter:
                    driver.rx_error(counter)
                learned = None
                continue
            if learned is not None:
                checksum = driver.path.checksum
                if checksum is None or (checksum.mode is ChecksumMode.NONE and not checksum.unicast):
                    learned.append((driver, adv))
                else:
                    learned = None  # decoded with a checksum mode that may switch
            driver.receive(adv, src=src, ttl=ttl if ttl >= 0 else None, multicast=multicast, now=now)
        if learned and isinstance(item, ReceivedV4):
            self._index.learn_v4(item.packet, learned, ip, multicast)

    def _dispatch_ah(self, item: ReceivedV4, ip: packet.IPv4Packet) -> None:
        """An AH-protected advert: ICV and SPI, then keepalived's sequence check, then as usual."""
        short = rx_length.too_short(
            socket.AF_INET, len(item.packet), len(ip.payload) - packet.AH_LEN, ah=True
        )
        if short:
            log.info("%s", short)
            return
        multicast = ip.dst.is_multicast
        for driver in self._drivers_for(ip.payload[packet.AH_LEN + 1], multicast):
            path = driver.path
            if path.ah_key is None or multicast == driver.core.params.unicast:
                continue
            verdict = rx_length.ah_precheck(
                driver.name,
                packet_len=len(item.packet),
                ip_header_len=len(item.packet) - len(ip.payload),
                vrrp=ip.payload[packet.AH_LEN :],
                ttl=ip.ttl,
                unicast=driver.core.params.unicast,
                version=driver.core.params.version,
            )
            if verdict is not None:  # keepalived's checks before the ICV, in its order
                log.info("%s", verdict[1])
                driver.rx_error(verdict[0])
                continue
            try:
                ah = packet.ah_unwrap(item.packet, key=path.ah_key, unicast=path.unicast)
                adv = packet.decode(ah.vrrp, src=ip.src, dst=ip.dst, family=socket.AF_INET)
            except packet.DecodeError as exc:
                if exc.reason.name == "AUTH_FAILURE":
                    log.info("(%s) %s", driver.name, exc)
                counter = _counter(exc)
                if counter:
                    driver.rx_error(counter)
                continue
            if ah.seq <= path.ah_seq:
                log.info(
                    "(%s) IPSEC-AH : sequence number %d already processed. Packet dropped. Local(%d)",
                    driver.name,
                    ah.seq,
                    path.ah_seq,
                )
                driver.rx_error("auth_failure")
                continue
            path.ah_seq = ah.seq
            driver.receive(adv, src=ip.src, ttl=ip.ttl, multicast=multicast)


class VrrpDaemon:
    """All instances of one configuration."""

    def __init__(self, config: Config, opts: RuntimeOptions, loop: asyncio.AbstractEventLoop) -> None:
        self.config = config
        self.opts = opts
        self.loop = loop
        self.netlink = NetlinkAddresses()
        self.garp = GarpSender()
        self.vmacs = VmacManager(config)
        self.gratuitous = Gratuitous(
            loop,
            self.garp,
            pacing=_garp_pacing(config),
            ipv6_forwarding=self.netlink.ipv6_forwarding,
            noarp=GarpSender.noarp,
            detail=opts.log_detail,
        )
        self.listeners: dict[tuple[int, str, int], Listener] = {}
        self.drivers: list[VrrpDriver] = []
        self.stop = asyncio.Event()
        self.watch: LinkWatch | None = None
        self.address_watch: AddressWatch | None = None
        self.scripts = ScriptRunner(config)
        self.notifier = Notifier(config, self.scripts, log_detail=opts.log_detail)
        self._instances: dict[str, VrrpInstance] = {}
        # instance name -> whether its own interface is watched (not with dont_track_primary)
        self._tracks_primary: dict[str, bool] = {}
        self.tracking = TrackingRunner(config, env=self.scripts.env, ids_of=self._script_ids)
        self._trackings: dict[str, InstanceTracking] = {}
        # instances kept in INIT until their weight-0 scripts have reported (as keepalived)
        self._deferred: set[str] = set()
        # links_changed(): each interface's state read once per pass
        self._link_cache: dict[str, LinkState | None] | None = None
        self._source_cache: dict[tuple[int, str], IpAddr | None] | None = None
        # vrrp_sync_groups: members move together (runtime/vrrp_sync.py)
        self.sync = SyncGroups(config, self.notifier)
        # accept mode's nftables drop rules (runtime/vrrp_firewall.py); None: not needed
        self.vip_filter: VipFilter | None = None
        # SIGHUP (runtime/vrrp_reload.py)
        self._reloading: asyncio.Task[None] | None = None
        self._reload_queued = False
        # lvs_sync_daemon ... inst VI: the IPVS sync daemon follows VI (runtime/lvs_globals.py)
        self.lvs = VrrpLvs.create(config)

    # -- building ---------------------------------------------------------------------------

    def _listener(self, family: int, ifname: str, inst: VrrpInstance, protocol: int) -> Listener:
        key = (family, ifname, protocol)
        found = self.listeners.get(key)
        if found is None:
            gd = self.config.global_defs
            sock: VrrpSocketV4 | VrrpSocketV6
            if family == socket.AF_INET:
                group4 = ipaddress.IPv4Address(inst.mcast_dst_ip or gd.vrrp_mcast_group4)
                sock = VrrpSocketV4(ifname, group=group4, protocol=protocol, rcvbuf=gd.vrrp_rx_bufs_size)
            else:
                group6 = ipaddress.IPv6Address(inst.mcast_dst_ip or gd.vrrp_mcast_group6)
                sock = VrrpSocketV6(ifname, group=group6, unicast_hops=inst.unicast_ttl or 255)
            found = Listener(sock, family, log_unknown_vrids=gd.log_unknown_vrids)
            sock.attach(self.loop, found.on_readable)
            found.batcher = ReadBatcher.for_timers(LoopTimers.for_loop(self.loop), time.time_ns)
            self.listeners[key] = found
        return found

    def _source(self, inst: VrrpInstance, ifname: str) -> IpAddr | None:
        if inst.src_ip:
            return ipaddress.ip_address(inst.src_ip.split("%", 1)[0])
        family = inst.family or 4
        cache = self._source_cache
        if cache is not None and (family, ifname) in cache:
            return cache[(family, ifname)]
        found: IpAddr | None = (
            self.netlink.link_local_ipv6(ifname) if family == 6 else self.netlink.primary_ipv4(ifname)
        )
        if cache is not None:
            cache[(family, ifname)] = found
        return found

    def build(self) -> None:
        """Every instance's core and driver; interfaces' states and source addresses are asked
        once per interface, not once per instance (start-up time with 1,000 instances)."""
        self._link_cache, self._source_cache = {}, {}
        try:
            self._build_instances()
        finally:
            self._link_cache = self._source_cache = None

    def _build_instances(self) -> None:
        gd = self.config.global_defs
        TrackingRunner.init_files(self.config)
        for inst in self.config.vrrp.instances:
            ifname = inst.interface
            if not ifname:
                log.error(
                    "(%s) no interface: instances without an interface are not supported yet", inst.name
                )
                continue
            family = socket.AF_INET6 if (inst.family or 4) == 6 else socket.AF_INET
            src = self._source(inst, ifname)
            params = build_params(inst, gd, source_address=src)
            core = VrrpCore(params)
            ah = params.auth_type == AUTH_AH and family == socket.AF_INET and params.version == 2
            protocol = packet.IPPROTO_AH if ah else packet.IPPROTO_VRRP
            # use_vmac: VIPs on the VMAC, adverts sent from it unless vmac_xmit_base, received on
            # the interface (runtime/vrrp_vmac.py says why)
            vmac = self.vmacs.setup(inst, detail=self.opts.log_detail)
            listener = self._listener(family, ifname, inst, protocol)
            if params.unicast:
                dests: tuple[IpAddr, ...] = tuple(p.address for p in params.unicast_peers)
            else:
                group = inst.mcast_dst_ip or (
                    gd.vrrp_mcast_group4 if family == socket.AF_INET else gd.vrrp_mcast_group6
                )
                dests = (ipaddress.ip_address(group),)
            if src is None:
                log.info("(%s): entering FAULT state (src address not configured)", inst.name)
                src = ipaddress.IPv4Address(0) if family == socket.AF_INET else ipaddress.IPv6Address(0)
                core.set_fault(True, self.loop.time())
            path = AdvertPath(
                self.vmacs.sender(vmac, family, protocol, unicast_hops=inst.unicast_ttl or 255)
                if vmac and not inst.vmac_xmit_base
                else listener.sock,
                src,
                dests,
                ttl=inst.unicast_ttl or 255,
                ah_key=(inst.auth_pass or "").encode()[:8] if ah else None,
                unicast=params.unicast,
                checksum=UnicastChecksum(
                    ChecksumMode.from_config(inst.old_unicast_checksum),
                    ipaddress.IPv4Address(gd.vrrp_mcast_group4),
                    unicast=params.unicast,
                )
                if params.version == 3 and family == socket.AF_INET
                else None,
            )
            driver = VrrpDriver(
                core,
                loop=self.loop,
                path=path,
                ifname=ifname,
                netlink=self.netlink,
                garp=self.garp,
                gratuitous=self.gratuitous,
                addresses=self.vmacs.place(inst, vmac, detail=self.opts.log_detail),
                routes=inst.virtual_routes,
                rules=inst.virtual_rules,
                detail=self.opts.log_detail,
                on_notify=self.notify,
            )
            driver.vip_ifname = vmac or ifname
            self._instances[inst.name] = inst
            self._tracks_primary[inst.name] = not inst.dont_track_primary
            trackers = trackers_of(inst, self.config, params.priority)
            if trackers:
                tracking = InstanceTracking(params.priority, trackers)
                self._trackings[inst.name] = tracking
                self.tracking.add(inst.name, tracking, functools.partial(self._apply_tracking, driver))
            if self._faulty(driver):
                core.set_fault(True, self.loop.time())
            listener.drivers.append(driver)
            driver.on_change = listener.refresh_reads
            self.drivers.append(driver)
        self.sync.build(self.drivers)
        self.vip_filter = attach_firewall(
            self.drivers, self._instances, gd, detail=self.opts.log_detail, ifindex=self.netlink.ifindex
        )
        # the tracked interfaces' states at start; every tracked instance gets its priority
        self.tracking.interfaces_changed(self._link_up)
        for driver in self.drivers:
            found = self._trackings.get(driver.name)
            if found is not None:
                self._apply_tracking(driver, found)

    def notify(self, driver: VrrpDriver, event: Notify) -> None:
        inst = self._instances.get(driver.name)
        if inst is not None:
            self.notifier.instance(inst, event.kind, event.priority)
        if self.lvs is not None:
            self.lvs.instance_state(driver.name, event.kind)

    def _script_ids(self, script: VrrpScript) -> tuple[int, int] | None:
        """A vrrp_script runs as its ``user`` keyword's user (or the default script user)."""
        if script.script is None:
            return self.scripts.default_ids
        return self.scripts._ids(dataclasses.replace(script.script, user=script.user, group=script.group))

    def _link(self, ifname: str) -> LinkState | None:
        """An interface's state; within one links_changed() pass each interface is asked once
        (not once per instance: a burst of VIP changes on 1,000 instances would block the loop)."""
        cache = self._link_cache
        if cache is None:
            return self.netlink.link(ifname)
        if ifname not in cache:
            cache[ifname] = self.netlink.link(ifname)
        return cache[ifname]

    def _link_up(self, ifname: str) -> bool:
        link = self._link(ifname)
        return link is not None and link.up and link.running

    def _faulty(self, driver: VrrpDriver) -> bool:
        """FAULT: the instance's interface is unusable, or a tracker says so."""
        tracking = self._trackings.get(driver.name)
        return not self._interface_ok(driver) or (tracking is not None and tracking.fault)

    def _apply_tracking(self, driver: VrrpDriver, tracking: InstanceTracking) -> None:
        driver.set_priority(tracking.total)
        fault = self._faulty(driver)
        if fault != driver.core.fault:
            driver.set_fault(fault)
        if driver.name in self._deferred and not tracking.waiting:
            self._deferred.discard(driver.name)
            self.sync.start(driver, self._deferred)

    def _interface_ok(self, driver: VrrpDriver) -> bool:
        if driver.path.src.is_unspecified:
            found = self._source_of(driver)
            if found is None:
                return False
            driver.path.src = found  # e.g. the IPv6 link-local address appeared
        if not self._tracks_primary.get(driver.name, True):
            return True
        # with use_vmac the VMAC must be up too (keepalived tracks both)
        for ifname in {driver.ifname, driver.vip_ifname}:
            link = self._link(ifname)
            if link is None or not (link.up and link.running):
                return False
        return True

    def _source_of(self, driver: VrrpDriver) -> IpAddr | None:
        if driver.path.src.version == 6:
            return self.netlink.link_local_ipv6(driver.ifname)
        return self.netlink.primary_ipv4(driver.ifname)

    def addresses_changed(self, events: list[AddressEvent]) -> None:
        """Addresses added or removed (keepalived's netlink reflector): -a logs them all; a VIP of a
        master deleted behind its back makes it step down and come back (VrrpCore.address_deleted);
        a deleted static address is put back.  The kernel is asked again before acting, since our
        own changes arrive here too, possibly late."""
        names: dict[int, str] = {}

        def ifname(index: int) -> str:
            if index not in names:
                try:
                    names[index] = socket.if_indextoname(index)
                except OSError:
                    names[index] = str(index)
            return names[index]

        for event in events:
            name = ifname(event.ifindex)
            verb = "added to" if event.added else "removed from"
            ours = None if event.added else self._owner_of(event.address, name)
            if self.opts.address_monitoring or (self.opts.log_detail and ours is not None):
                log.info("Netlink reflector reports IP %s %s %s", event.address, verb, name)
            if event.added:
                continue
            if ours is not None and not self.netlink.has_address(name, str(event.address)):
                ours.address_deleted()
            self._reinstate_static(event.address, name)

    def _owner_of(self, address: IpAddr, ifname: str) -> VrrpDriver | None:
        """The master instance whose VIP or eVIP ``address`` on ``ifname`` is."""
        for driver in self.drivers:
            core = driver.core
            if not core.vipset:
                continue
            for vip in (*core.params.vips, *core.params.evips):
                if vip == address and (driver.entry(vip).dev or driver.ifname) == ifname:
                    return driver
        return None

    def _reinstate_static(self, address: IpAddr, ifname: str) -> None:
        """keepalived's reinstate_static_address: a static_ipaddress deleted by hand comes back
        (not while stopping: then we are the ones removing it)."""
        if self.stop.is_set():
            return
        default_if = self._static_ifname()
        for entry in self.config.static.addresses:
            dev = entry.dev or default_if
            if dev != ifname or entry.no_track or ipaddress.ip_address(entry.address) != address:
                continue
            if not self.netlink.has_address(dev, str(address)):
                error = self.netlink.add_address(entry, default_if)
                shown = format_ipaddress(entry, default_if, installed=error is None)
                log.info("Restoring deleted static address %s", shown)
                self._report_static("address", entry, error)

    def links_changed(self) -> None:
        """Some link or address changed: tell each core whether its interface is usable."""
        self._recreate_vmacs()
        self._link_cache = {}
        try:
            self.tracking.interfaces_changed(self._link_up)
            for driver in self.drivers:
                fault = self._faulty(driver)
                if fault != driver.core.fault:
                    driver.set_fault(fault)
        finally:
            self._link_cache = None

    def _recreate_vmacs(self) -> None:
        """A deleted VMAC is made again at once (as keepalived); its sockets are opened anew."""
        for name in self.vmacs.recreate_missing(self._instances, detail=self.opts.log_detail):
            self.garp.forget(name)
            if self.vip_filter is not None:  # its nftables elements follow the new index
                self.vip_filter.vmac_recreated(name, self.netlink.ifindex(name) or 0)
            for old, new in self.vmacs.reopen_senders(name):
                for driver in self.drivers:
                    if driver.path.sock is old:
                        driver.path.sock = new
            # the VIPs went with the old link: through FAULT, as keepalived (links_changed then
            # finds the new VMAC up)
            for driver in self.drivers:
                if driver.vip_ifname == name and not driver.core.fault:
                    driver.set_fault(True)

    def release_leftovers(self) -> None:
        """keepalived removes its VIPs already present at start (left by a crash)."""
        present: dict[str, set[IpAddr]] = {}  # one address dump per interface
        for driver in self.drivers:
            params = driver.core.params
            if (params.vips or params.evips) and self.opts.log_detail:
                log.info("(%s) removing VIPs.", driver.name)
            for address in (*params.vips, *params.evips):
                entry = driver.entry(address)
                dev = entry.dev or driver.vip_ifname
                if dev not in present:
                    present[dev] = {ipaddress.ip_address(a) for a, _ in self.netlink.addresses(dev)}
                if address in present[dev]:
                    self.netlink.remove_address(entry, driver.vip_ifname)
                    present[dev].discard(address)

    # -- static_ipaddress / static_routes / static_rules -------------------------------------

    def _static_ifname(self) -> str:
        return self.config.global_defs.default_interface or DEFAULT_INTERFACE

    def set_static(self, add: bool) -> None:
        """keepalived's VRRP process: static entries are set at start (after clearing leftovers)
        and cleared at stop, whatever the instances do."""
        static = self.config.static
        ifname = self._static_ifname()
        if not add:
            for rule in static.rules:
                self.netlink.remove_rule(rule)
            for route in static.routes:
                self.netlink.remove_route(route)
            for address in static.addresses:
                self.netlink.remove_address(address, ifname)
            return
        self.set_static(add=False)
        for address in static.addresses:
            self._report_static("address", address, self.netlink.add_address(address, ifname))
        for route in static.routes:
            self._report_static("route", route, self.netlink.add_route(route))
        for rule in static.rules:
            self._report_static("rule", rule, self.netlink.add_rule(rule))

    def _report_static(self, what: str, item: object, error: str | None) -> None:
        if error:
            log.info("cannot add static %s %s: %s", what, item, error)

    # -- running ----------------------------------------------------------------------------

    async def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(sig, self.stop.set)
        self.loop.add_signal_handler(signal.SIGHUP, self._reload_requested)
        self.loop.add_signal_handler(signal.SIGUSR2, self.write_stats)
        # SIGUSR1 / SIGRTMIN+2: keepalived.data / keepalived.json (runtime/vrrp_dumps.py)
        self.loop.add_signal_handler(signal.SIGUSR1, vrrp_dumps.write_data, self)
        self.loop.add_signal_handler(SIG_JSON, vrrp_dumps.write_json, self)
        self.loop.add_signal_handler(SIG_STATS_CLEAR, self.write_stats, True)
        startup_signals.release()  # held since the fork (runtime/startup_signals.py)
        try:
            if self.lvs is not None:
                log.debug("Initializing ipvs")
                failed = self.lvs.open()
                for line in failed:
                    log.info("%s", line)
                if failed:
                    self.lvs = None
                    return EXIT_FATAL  # keepalived: stop_vrrp(KEEPALIVED_EXIT_FATAL)
            # the notify FIFOs exist (and their scripts run) before any instance starts
            self.notifier.start(self.opts.umask)
            self.watch = LinkWatch()
            self.watch.attach(self.loop, self.links_changed)
            self.address_watch = AddressWatch()
            self.address_watch.attach(self.loop, self.addresses_changed)
            self.build()
            self.release_leftovers()
            self.set_static(add=True)
            if self.lvs is not None:
                self.lvs.start()  # keepalived's vrrp_init_state: a backup sync daemon
            self.tracking.start()
            for driver in self.drivers:
                tracking = self._trackings.get(driver.name)
                if tracking is not None and tracking.waiting:
                    self._deferred.add(driver.name)
            for driver in self.drivers:
                if driver.name not in self._deferred:
                    self.sync.start(driver, self._deferred)  # a group's members start together
            if self.opts.ready_fd is not None:
                # supervised: the parent logs "Startup complete" and tells systemd
                with contextlib.suppress(OSError):
                    os.write(self.opts.ready_fd, b"1")
            else:
                sd_notify(f"READY=1\nMAINPID={os.getpid()}")
            heap_freeze.settle()  # the instances built: out of the collector's way
            await self.stop.wait()
            if self.opts.ready_fd is None:
                sd_notify("STOPPING=1")
            await self.tracking.stop()
            # keepalived SIGTERMs every script (a FIFO reader too) before the STOP notifies
            self.notifier.terminate()
            self.shutdown()
            self.set_static(add=False)
            # scripts and queued mails (the STOP ones) get keepalived's last second together
            await asyncio.gather(self.scripts.finish(), self.notifier.flush_mail())
        finally:
            startup_signals.hold()  # a late signal cannot kill the clean-up
            for signum in (*HANDLED_SIGNALS, SIG_STATS_CLEAR):
                self.loop.remove_signal_handler(signum)
            await close_firewall(self.vip_filter)
            self.close()
        return 0

    def write_stats(self, clear: bool = False) -> None:
        """SIGUSR2 (STATS) / STATS_CLEAR: keepalived's ``$TMPDIR/keepalived.stats``."""
        LoopTimers.for_loop(self.loop).flush_reads()  # the adverts waiting are counted too
        path = os.path.join(tmp_dir(), "keepalived.stats")
        lines = []
        for driver in self.drivers:
            c = driver.core.counters
            lines += [
                f"VRRP Instance: {driver.name}",
                "  Advertisements:",
                f"    Received: {c.advert_rcvd}",
                f"    Sent: {c.advert_sent}",
                f"  Became master: {c.become_master}",
                f"  Released master: {c.release_master}",
                "  Packet Errors:",
                f"    Length: {c.packet_len_err}",
                f"    TTL: {c.ip_ttl_err}",
                f"    Invalid Type: {c.invalid_type_rcvd}",
                f"    Advertisement Interval: {c.advert_interval_err}",
                f"    Address List: {c.addr_list_err}",
                "  Authentication Errors:",
                f"    Invalid Type: {c.invalid_authtype}",
                f"    Type Mismatch: {c.authtype_mismatch}",
                f"    Failure: {c.auth_failure}",
                "  Priority Zero:",
                f"    Received: {c.pri_zero_rcvd}",
                f"    Sent: {c.pri_zero_sent}",
            ]
            if clear:
                driver.core.counters = Counters()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write("".join(line + "\n" for line in lines))
        except OSError as exc:
            log.info("Can't open %s (%d: %s)", path, exc.errno or 0, exc.strerror)

    def _reload_requested(self) -> None:
        """SIGHUP: runtime/vrrp_reload.py; a request during a reload is queued, as keepalived."""
        if self._reloading is not None and not self._reloading.done():
            if self.opts.log_detail:
                log.info("Reload already in progress, request queued")
            self._reload_queued = True
            return
        self._reloading = self.loop.create_task(self._reload())

    async def _reload(self) -> None:
        from keepalived_py.runtime import vrrp_reload

        while True:
            self._reload_queued = False
            try:
                await vrrp_reload.reload(self)
            except Exception:
                log.exception("Reload failed")
            if self.opts.ready_fd is not None:
                # the parent says "Reload complete" (and tells systemd) on this
                with contextlib.suppress(OSError):
                    os.write(self.opts.ready_fd, b"1")
            if not self._reload_queued or self.stop.is_set():
                return

    def shutdown(self) -> None:
        for driver in self.drivers:
            driver.keep_addresses = self.opts.dont_release_vrrp
            driver.shutdown()
        # notify_shutdown: the instances' STOP (from each core), then every sync group's
        self.notifier.shutdown_groups()

    def close(self) -> None:
        self.notifier.close()
        if self.lvs is not None:
            self.lvs.close()
            self.lvs = None
        if self.watch is not None:
            self.watch.close()
            self.watch = None
        if self.address_watch is not None:
            self.address_watch.close()
            self.address_watch = None
        for listener in self.listeners.values():
            listener.close()
        self.listeners.clear()
        self.vmacs.close(release=not self.opts.dont_release_vrrp, detail=self.opts.log_detail)
        self.gratuitous.close()
        self.garp.close()
        self.netlink.close()


def sd_notify(state: str) -> bool:
    """Tell systemd (Type=notify units, as Debian's keepalived.service) about our state.

    keepalived sends ``READY=1\nMAINPID=<pid>`` once running and ``STOPPING=1`` when stopping;
    nothing happens without $NOTIFY_SOCKET.
    """
    address = os.environ.get("NOTIFY_SOCKET")
    if not address or address[0] not in "/@":
        return False
    target = "\0" + address[1:] if address[0] == "@" else address
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode(), target)
    except OSError:
        return False
    return True


def run_vrrp(config: Config, opts: RuntimeOptions) -> int:
    """Run the VRRP daemon in the foreground until SIGTERM/SIGINT; returns the exit status."""

    async def main(loop: asyncio.AbstractEventLoop) -> int:
        if config.vrrp.complete_failed:
            # keepalived's stop_vrrp(KEEPALIVED_EXIT_CONFIG): the errors were reported with the config
            return EXIT_CONFIG_ERROR
        return await VrrpDaemon(config, opts, loop).run()

    return run_child(
        title="VRRP",
        own_pid_file=opts.vrrp_pid_file or DEFAULT_VRRP_PID_FILE,
        opts=opts,
        main=main,
    )
