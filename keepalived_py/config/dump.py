"""Config -> text in the layout of keepalived 2.2.7's ``-d`` start-up dump.

keepalived writes its configuration dump (``keepalived -n -l -d``) from each child process once
the configuration is loaded: the VRRP process writes the global definitions, the static
addresses/routes/rules, the VRRP topology, sync groups, scripts and trackers; the checker process
writes the global definitions again and the LVS topology; the BFD process writes the BFD
topology.  The lines of the processes interleave in the real log.  ``dump_text`` writes one
canonical text: the global definitions once (in the VRRP process's form when a VRRP process
would run, which adds ``Default interface``), then the VRRP process's sections, then the
checker's, then the BFD process's.  It has no log prefix (timestamps are the logging layer's).

Lines keepalived writes from run-time facts are handled this way:

* derived from the configuration (and written as keepalived does): ``Default script uid:gid``
  (the default script user keepalived resolved, 0:0 - root, keepalived's usual user - when it
  resolved none), the uid:gid of scripts (a named user is looked up on ``host`` when one is
  given), ``Router ID`` (the host name from ``host`` when the configuration names none),
  ``No sockets allocated`` (the start-up dump is written before sockets are opened),
  ``umask = 0177`` (the umask keepalived sets unless ``umask`` is configured), the netlink buffer
  sizes (0 unless configured);
* fixed facts of the keepalived 2.2.7 build being reproduced (Debian 12): ``libnftnl version
  1.2.3``;
* omitted, because only the running system knows them: ``Config save dir``, the
  ``------< Interfaces >------`` section (and each interface's list of tracking instances),
  ``Using src_ip =`` when no source address is configured (keepalived shows the interface's
  first address), the IPv6 multicast line of an instance (it shows the interface index),
  ``current realtime priority``/``time limit``, script ``Insecure`` verdicts that depend on file
  permissions (written as keepalived computes them only when the config says so), a track
  file's ``Status`` (the file's contents), and the "Script user ... does not exist" log message
  that keepalived prints in the middle of its dump.

The checker process's part (``------< SSL definitions >------``, ``------< LVS Topology >------``,
``------< Health checkers >------``, checker track files and BFDs) is written from keepalived's
dump functions (check_data.c, check_api.c and each check_*.c), in the state the checker process
has when it dumps at start-up: after validate_check_config() (checker defaults, alpha checkers
down), the track files, the effective weights and init_services() with every IPVS command
succeeding (services added, real servers without failed checkers alive, quorum and sorry server,
"RS set", the per-entry "Alive" counts of virtual server groups, nftables fwmarks of groups).
This part could NOT be compared with real keepalived: on the machine it was written on, the
checker process exits before dumping (no IPVS kernel module), so it follows the C code only.
Assumed there: a track file holds its ``init_file`` value (else 0, and its ``Status`` line is
omitted as for VRRP), a MISC_CHECK has not run (``Last ran`` is the epoch in UTC), and the
global definitions are written in the checker process's form when no VRRP process runs (no
``Default interface``, unresolved lower-priority GARP values, ``LVS syncd vrrp name``).  A
checker whose ``connect_ip`` keepalived rejected (no destination address) is not reproduced.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from keepalived_py.config.host import Host
from keepalived_py.config.model import Config
from keepalived_py.config.model.checkers import (
    HTTP_STATUS_CODE_MAX,
    HTTP_STATUS_CODE_MIN,
    REGEX_OPTION_NAMES,
    BfdCheck,
    DnsCheck,
    FileCheck,
    HttpGetCheck,
    MiscCheck,
    PingCheck,
    SmtpCheck,
    SslGetCheck,
    TcpCheck,
    UdpCheck,
    Url,
    resolve_timing,
)
from keepalived_py.config.model.lvs import (
    ForwardingMethod,
    Protocol,
    ServiceFlag,
    Tunnel,
    TunnelChecksum,
    TunnelType,
    VirtualServer,
    VirtualServerGroup,
    trio,
)
from keepalived_py.config.scripts import Script

TIMER_HZ = 1_000_000
LIBNFTNL_VERSION = "1.2.3"
DEFAULT_UMASK = 0o177
DFLT_INT = "eth0"
UINT_MAX = 2**32 - 1
INFINITY_LIFE_TIME = 0xFFFFFFFF
RT_TABLE_MAIN = 254
RTN_UNICAST = 1

_SCOPES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
_RTN_TYPES = {
    0: "none",
    1: "unicast",
    2: "local",
    3: "broadcast",
    4: "anycast",
    5: "multicast",
    6: "blackhole",
    7: "unreachable",
    8: "prohibit",
    9: "throw",
    10: "nat",
    11: "xresolve",
}


def _g(obj: Any, name: str, default: Any = None) -> Any:
    """A model field that may not exist yet in every model version."""
    return getattr(obj, name, default) if obj is not None else default


def _tf(value: Any) -> str:
    return "true" if value else "false"


def _yn(value: Any) -> str:
    return "yes" if value else "no"


def _fmt_g(value: float) -> str:
    """C's ``%g``."""
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class InstanceRuntime:
    """Run-time facts of one instance for the SIGUSR1 data dump (the caller formats the times)."""

    state: str
    wantstate: str
    last_transition: str  # "<sec>.<usec> (<ctime with usec>)"
    read_timeout: str  # same format, or "DISABLED"
    master_down_us: int
    effective_priority: int
    total_priority: int
    vipset: bool
    src_ip: str | None = None
    master_router: str | None = None
    master_priority: int = 0
    master_adver_int_us: int = 0
    num_script_if_fault: int = 0
    num_script_init: int = 0
    fds: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class SocketRuntime:
    fd_in: int
    fd_out: int
    ifname: str
    family: str  # "IPv4" / "IPv6"
    protocol: str  # "VRRP" / "AH"
    unicast_src: str | None
    rx_buf_size: int
    instances: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class VrrpRuntime:
    """What the running VRRP process adds to the configuration dump (keepalived.data)."""

    instances: dict[str, InstanceRuntime]
    sockets: tuple[SocketRuntime, ...] = ()
    interface_lines: tuple[str, ...] = ()


class _Dumper:
    def __init__(self, config: Config, host: Host | None, runtime: VrrpRuntime | None = None) -> None:
        self.config = config
        self.host = host
        self.runtime = runtime
        self.lines: list[str] = []
        gd = config.global_defs
        state = _g(gd, "default_script_user")
        if state is not None and _g(state, "resolved", False) and not _g(state, "failed", False):
            self.default_uid_gid = (int(_g(state, "uid", 0)), int(_g(state, "gid", 0)))
        else:
            self.default_uid_gid = (0, 0)

    def w(self, line: str) -> None:
        self.lines.append(line)

    # -- helpers -------------------------------------------------------------------------------

    def script_ids(self, script: Script | None, uid: int | None = None, gid: int | None = None) -> str:
        if uid is not None and gid is not None:
            return f"{uid}:{gid}"
        user = _g(script, "user")
        if user is None:
            return "{}:{}".format(*self.default_uid_gid)
        if user == "root" and self.host is None:
            return "0:0"
        if self.host is not None:
            info = self.host.user_by_name(user)
            if info is not None:
                ugid = info.gid
                group = _g(script, "group")
                if group is not None:
                    found = self.host.group_by_name(group)
                    if found is not None:
                        ugid = found
                return f"{info.uid}:{ugid}"
        return "{}:{}".format(*self.default_uid_gid)

    # -- global definitions --------------------------------------------------------------------

    def global_defs(self, process: str) -> None:
        """``process``: "vrrp", "checker" or "bfd", the process whose dump this is."""
        vrrp_process = process == "vrrp"
        gd = self.config.global_defs
        w = self.w
        w("------< Global definitions >------")
        w(f" Network namespace = {_g(gd, 'net_namespace') or '(default)'}")
        ipvs_ns = _g(gd, "net_namespace_ipvs")
        w(f" Network namespace ipvs = {'(main namespace)' if ipvs_ns is None else ipvs_ns or '(default)'}")
        if _g(gd, "instance"):
            w(f" Instance name = {gd.instance}")
        for field, label in (
            ("process_name", "Parent process name"),
            ("vrrp_process_name", "VRRP process name"),
            ("checker_process_name", "LVS process name"),
            ("bfd_process_name", "BFD process name"),
        ):
            if _g(gd, field):
                w(f" {label} = {_g(gd, field)}")
        router_id = _g(gd, "router_id")
        if router_id is None and self.host is not None:
            router_id = self.host.hostname()
        if router_id:
            w(f" Router ID = {router_id}")
        smtp = _g(gd, "smtp_server")
        if smtp is not None:
            w(f" Smtp server = {smtp.host}")
            w(f" Smtp server port = {smtp.port}")
        helo = _g(gd, "smtp_helo_name")
        if helo is None and smtp is not None and self.host is not None:
            helo = self.host.hostname()
        if helo:
            w(f" Smtp HELO name = {helo}")
        timeout = int(_g(gd, "smtp_connect_timeout", 0) or 0)
        if (smtp is not None or timeout != 30 * TIMER_HZ) and timeout:
            w(f" Smtp server connection timeout = {timeout // TIMER_HZ}")
        email_from = _g(gd, "email_from")
        if email_from:
            w(f" Email notification from = {email_from}")
            w(" Email notification to:")
            for addr in _g(gd, "notification_email", ()):
                w(f"   {addr}")
        w(f" Default smtp_alert = {self._tri(_g(gd, 'smtp_alert'))}")
        w(f" Default smtp_alert_vrrp = {self._tri(_g(gd, 'smtp_alert_vrrp'))}")
        w(f" Default smtp_alert_checker = {self._tri(_g(gd, 'smtp_alert_checker'))}")
        w(f" Checkers log all failures = {_tf(_g(gd, 'checker_log_all_failures'))}")
        if _g(gd, "reload_check_config"):
            w(f" Test config before reload, log to {gd.reload_check_config}")
        else:
            w(" No test config before reload")
        if _g(gd, "reload_time_file"):
            w(f" Reload time file = {gd.reload_time_file}{' (repeat)' if _g(gd, 'reload_repeat') else ''}")
            w(" No reload scheduled")
        reload_file = _g(gd, "reload_file")
        if reload_file is not None:
            if reload_file == "":
                if _g(gd, "instance"):
                    reload_file = f"/run/keepalived/keepalived_{gd.instance}.reload"
                elif _g(gd, "use_pid_dir") or _g(gd, "net_namespace"):
                    reload_file = "/run/keepalived/keepalived.reload"
                else:
                    reload_file = "/run/keepalived.reload"
            w(f" Reload_file = {reload_file}")
        if _g(gd, "tmp_config_directory"):
            w(f" config save directory = {gd.tmp_config_directory}")
        if _g(gd, "data_use_instance"):
            w(" Use instance name in data dumps")
        for field, label, sep in (("startup_script", "Startup", ","), ("shutdown_script", "Shutdown", "")):
            run = _g(gd, field)
            if run is not None:
                tmo = _g(gd, field + "_timeout")
                w(
                    f" {label} script = {cmd_str(run.script)}, uid:gid {run.uid}:{run.gid}{sep}"
                    f" timeout {tmo if tmo is not None else 10}"
                )
        w(f" Dynamic interfaces = {_tf(_g(gd, 'dynamic_interfaces'))}")
        if _g(gd, "dynamic_interfaces"):
            w(f" Allow interface changes = {_tf(_g(gd, 'allow_if_changes'))}")
        if _g(gd, "no_email_faults"):
            w(" Send emails for fault transitions = off")
        tmos = _g(gd, "lvs_timeouts")
        if _g(tmos, "tcp"):
            w(f" LVS TCP timeout = {tmos.tcp}")
        if _g(tmos, "tcp_fin"):
            w(f" LVS TCP FIN timeout = {tmos.tcp_fin}")
        if _g(tmos, "udp"):
            w(f" LVS TCP timeout = {tmos.udp}")
        if vrrp_process:
            w(f" Default interface = {_g(gd, 'default_interface') or DFLT_INT}")
        w(f" Disable local IGMP = {_yn(_g(gd, 'disable_local_igmp'))}")
        sync = _g(gd, "lvs_sync_daemon")
        vname = _g(sync, "vrrp_instance")
        if vrrp_process and vname and self._instance(vname) is None:
            sync = None  # "Unable to find vrrp instance ... - clearing lvs_syncd config"
        if sync is not None:
            vname = _g(sync, "vrrp_instance")
            sync_id = _g(sync, "sync_id")
            if vrrp_process:
                # The VRRP process links the instance (and takes its VRID as default id).
                if vname:
                    w(f" LVS syncd vrrp instance = {vname}")
                if sync_id is None:
                    sync_id = _g(self._instance(vname), "vrid", 0) or 0
            else:
                # The other processes only know the name; the checker process defaults the id
                # to 0 when it runs the sync daemon itself (no VRRP instance named).
                if vname:
                    w(f" LVS syncd vrrp name = {vname}")
                if sync_id is None:
                    sync_id = 0 if process == "checker" and not vname else UINT_MAX
            w(f" LVS syncd interface = {sync.interface}")
            w(f" LVS syncd syncid = {sync_id}")
            if _g(sync, "maxlen"):
                w(f" LVS syncd maxlen = {sync.maxlen}")
            if _g(sync, "group"):
                w(f" LVS mcast group {sync.group}")
            if _g(sync, "port"):
                w(f" LVS syncd mcast port = {sync.port}")
            if _g(sync, "ttl"):
                w(f" LVS syncd mcast ttl = {sync.ttl}")
        w(f" LVS flush = {_tf(_g(gd, 'lvs_flush'))}")
        w(f" LVS flush on stop = {_g(gd, 'lvs_flush_on_stop') or 'disabled'}")
        for field, label in (
            ("notify_fifo", "Global"),
            ("vrrp_notify_fifo", "VRRP"),
            ("lvs_notify_fifo", "LVS"),
        ):
            fifo = _g(gd, field)
            if fifo is None or not _g(fifo, "name"):
                continue
            if (
                field == "lvs_notify_fifo"
                and process == "checker"
                and _g(_g(gd, "notify_fifo"), "name") == fifo.name
            ):
                # The checker process drops an LVS FIFO that is also the global one.
                continue
            uid, gid = _g(fifo, "uid"), _g(fifo, "gid")
            ids = (
                f"{uid}:{gid}"
                if uid is not None and gid is not None
                else "{}:{}".format(*self.default_uid_gid)
            )
            w(f" {label} notify fifo = {fifo.name}, uid:gid {ids}")
            run = _g(fifo, "script")
            if run is not None:
                w(f" {label} notify fifo script = {cmd_str(run.script)}, uid:gid {run.uid}:{run.gid}")
        w(f" FIFO write vrrp states on reload = {_tf(_g(gd, 'fifo_write_vrrp_states_on_reload'))}")
        w(f" VRRP notify priority changes = {_tf(_g(gd, 'vrrp_notify_priority_changes'))}")
        w(f" VRRP IPv4 mcast group = {_g(gd, 'vrrp_mcast_group4', '224.0.0.18')}")
        w(f" VRRP IPv6 mcast group = {_g(gd, 'vrrp_mcast_group6', 'ff02::12')}")
        delay = int(_g(gd, "vrrp_garp_master_delay", 5 * TIMER_HZ))
        rep = int(_g(gd, "vrrp_garp_master_repeat", 5))
        w(f" Gratuitous ARP delay = {delay // TIMER_HZ}")
        w(f" Gratuitous ARP repeat = {rep}")
        w(f" Gratuitous ARP refresh timer = {int(_g(gd, 'vrrp_garp_master_refresh', 0)) // TIMER_HZ}")
        w(f" Gratuitous ARP refresh repeat = {_g(gd, 'vrrp_garp_master_refresh_repeat', 1)}")
        lp_delay = _g(gd, "vrrp_garp_lower_prio_delay")
        lp_rep = _g(gd, "vrrp_garp_lower_prio_repeat")
        # Only the VRRP process resolves the unset lower-priority values (to the master ones).
        unset = UINT_MAX
        if lp_delay is None:
            lp_delay_s = delay // TIMER_HZ if vrrp_process else unset
        else:
            lp_delay_s = lp_delay // TIMER_HZ
        if lp_rep is None:
            lp_rep = rep if vrrp_process else unset
        w(f" Gratuitous ARP lower priority delay = {lp_delay_s}")
        w(f" Gratuitous ARP lower priority repeat = {lp_rep}")
        w(f" Num adverts before down = {_g(gd, 'vrrp_down_timer_adverts', 3)}")
        extra = _g(gd, "vrrp_garp_extra_if", 0)
        which = "i/f" if _g(gd, "vrrp_garp_extra_if_all") else "VMAC"
        w(f" Gratuitous ARP for each secondary {which} = {extra}s")
        lower = _tf(not _g(gd, "vrrp_lower_prio_no_advert"))
        w(f" Send advert after receive lower priority advert = {lower}")
        higher = _tf(_g(gd, "vrrp_higher_prio_send_advert"))
        w(f" Send advert after receive higher priority advert = {higher}")
        w(f" Gratuitous ARP interval = {int(_g(gd, 'vrrp_garp_interval', 0)) / TIMER_HZ:f}")
        w(f" Gratuitous NA interval = {int(_g(gd, 'vrrp_gna_interval', 0)) / TIMER_HZ:f}")
        w(f" VRRP default protocol version = {_g(gd, 'vrrp_version', 2)}")
        nft = _g(gd, "nftables")
        if (
            nft is None
            and vrrp_process
            and any(_g(i, "accept") is False or _g(i, "use_vmac") for i in self.config.vrrp.instances)
        ):
            nft = "keepalived"
        if nft:
            w(f" nftables table name = {nft}")
            w(f" nftables base chain priority = {_g(gd, 'nftables_priority', -1)}")
            dont = "" if _g(gd, "nftables_ifindex") else "don't "
            w(f" nftables {dont}force use ifindex for link local IPv6")
        if _g(gd, "nftables_ipvs"):
            w(f" ipvs nftables table name = {gd.nftables_ipvs}")
            w(f" ipvs nftables base chain priority = {_g(gd, 'nftables_ipvs_priority', -1)}")
            w(f" ipvs nftables start fwmark = {_g(gd, 'nftables_ipvs_start_fwmark', 1000)}")
        w(f" nftables with{'' if _g(gd, 'nftables_counters') else 'out'} counters")
        w(f" libnftnl version {LIBNFTNL_VERSION}")
        w(f" VRRP check unicast_src = {_tf(_g(gd, 'vrrp_check_unicast_src'))}")
        w(f" VRRP skip check advert addresses = {_tf(_g(gd, 'vrrp_skip_check_adv_addr'))}")
        w(f" VRRP strict mode = {_tf(_g(gd, 'vrrp_strict'))}")
        map_ = _g(gd, "max_auto_priority", 0)
        w(f" Max auto priority = {'Disabled' if map_ == -1 else map_}")
        w(f" Min auto priority delay = {_g(gd, 'min_auto_priority_delay', TIMER_HZ)} usecs")
        for field, label in (
            ("vrrp_process", "VRRP"),
            ("checker_process", "Checker"),
            ("bfd_process", "BFD"),
        ):
            proc = _g(gd, field)
            w(f" {label} process priority = {_g(proc, 'priority', 0)}")
            w(f" {label} don't swap = {_tf(_g(proc, 'no_swap'))}")
            w(f" {label} realtime priority = {_g(proc, 'realtime_priority') or 0}")
            cpus = _g(proc, "cpu_affinity", ())
            if cpus:
                w(f" {label} CPU Affinity = {' '.join(str(c) for c in cpus)}")
            w(f" {label} realtime limit = {_g(proc, 'rlimit_rttime', 10000)}")
        w(f" SNMP vrrp {'enabled' if _g(gd, 'enable_snmp_vrrp') else 'disabled'}")
        w(f" SNMP checker {'enabled' if _g(gd, 'enable_snmp_checker') else 'disabled'}")
        w(f" SNMP RFCv2 {'enabled' if _g(gd, 'enable_snmp_rfcv2') else 'disabled'}")
        w(f" SNMP RFCv3 {'enabled' if _g(gd, 'enable_snmp_rfcv3') else 'disabled'}")
        w(f" SNMP traps {'enabled' if _g(gd, 'enable_traps') else 'disabled'}")
        w(f" SNMP socket = {_g(gd, 'snmp_socket') or 'default (unix:/var/agentx/master)'}")
        w(f" DBus {'enabled' if _g(gd, 'enable_dbus') else 'disabled'}")
        w(f" DBus service name = {_g(gd, 'dbus_service_name') or ''}")
        w(f" Script security {'enabled' if _g(gd, 'script_security') else 'disabled'}")
        w(" Default script uid:gid {}:{}".format(*self.default_uid_gid))
        for name in (
            "vrrp_netlink_cmd_rcv_bufs",
            "vrrp_netlink_monitor_rcv_bufs",
            "process_monitor_rcv_bufs",
            "lvs_netlink_cmd_rcv_bufs",
            "lvs_netlink_monitor_rcv_bufs",
        ):
            w(f" {name} = {_g(gd, name) or 0}")
            w(f" {name}_force = {int(bool(_g(gd, name + '_force')))}")
        w(f" rs_init_notifies = {int(bool(_g(gd, 'rs_init_notifies')))}")
        w(f" no_checker_emails = {int(bool(_g(gd, 'no_checker_emails')))}")
        if _g(gd, "vrrp_rx_bufs_policy_mtu"):
            w(" rx_bufs_policy = MTU")
        elif _g(gd, "vrrp_rx_bufs_policy_advert"):
            w(" rx_bufs_policy = ADVERT")
        elif _g(gd, "vrrp_rx_bufs_size"):
            w(f" rx_bufs_size = {gd.vrrp_rx_bufs_size}")
        w(f" rx_bufs_multiples = {_g(gd, 'vrrp_rx_bufs_multiplier', 3)}")
        umask = _g(gd, "umask")
        w(f" umask = 0{(DEFAULT_UMASK if umask is None else umask):o}")
        if _g(gd, "vrrp_startup_delay"):
            w(f" vrrp_startup_delay = {_fmt_g(gd.vrrp_startup_delay / TIMER_HZ)}")
        if _g(gd, "log_unknown_vrids"):
            w(" log_unknown_vrids")
        if _g(gd, "vmac_prefix"):
            w(f" VMAC prefix = {gd.vmac_prefix}")
        if _g(gd, "vmac_addr_prefix"):
            w(f" VMAC address prefix = {gd.vmac_addr_prefix}")

    @staticmethod
    def _tri(value: bool | None) -> str:
        return "unset" if value is None else "on" if value else "off"

    def _instance(self, name: str | None) -> Any:
        if name is None:
            return None
        return next((i for i in self.config.vrrp.instances if i.name == name), None)

    # -- addresses, routes, rules --------------------------------------------------------------

    def ipaddress(self, ip: Any, default_dev: str | None, installed: bool = False) -> str:
        out = _addr_plen(ip.address, ip.prefix_len, ip.family)
        if ip.family == 4 and _g(ip, "broadcast"):
            out += f" brd {ip.broadcast}"
        dev = _g(ip, "dev") or default_dev
        out += f" dev {dev if dev else '(null)'}"
        if not dev:
            out += "@NOWHERE"
        if _g(ip, "use_vmac"):
            out += " use_vmac"
        out += f" scope {_SCOPES.get(ip.scope, str(ip.scope))}"
        if _g(ip, "label"):
            out += f" label {ip.label}"
        if _g(ip, "peer"):
            out += f" peer {ip.peer}/{ip.prefix_len}"
        if _g(ip, "home"):
            out += " home"
        if _g(ip, "nodad"):
            out += " -nodad"
        if _g(ip, "mngtmpaddr"):
            out += " mngtmpaddr"
        if _g(ip, "noprefixroute"):
            out += " noprefixroute"
        if _g(ip, "autojoin"):
            out += " autojoin"
        if _g(ip, "no_track"):
            out += " no_track"
        if _g(ip, "track_group"):
            out += f" track_group {ip.track_group}"
        if ip.family == 6:
            lft = _g(ip, "preferred_lft")
            if lft == 0:
                out += " deprecated"
            elif lft is None or lft == INFINITY_LIFE_TIME:
                out += " preferred_lft forever"
            else:
                out += f" preferred_lft {lft}"
        if installed:
            out += " set"
        return f"     {out}"

    def route(self, r: Any, installed: bool = False) -> str:
        parts = [_g(r, "mode", "prepend")]
        rtype = _g(r, "type", RTN_UNICAST)
        if rtype != RTN_UNICAST:
            parts.append(_RTN_TYPES.get(rtype, str(rtype)))
        out = " ".join(parts) + " "
        dst = _g(r, "dst")
        if dst is not None and dst.address is not None:
            out += _prefix(dst)
        else:
            out += "::/0" if _g(r, "family", 4) == 6 else "0.0.0.0/0"
        src = _g(r, "src")
        if src is not None and src.address is not None:
            out += f" from {_prefix(src)}"
        if _g(r, "pref_src"):
            out += f" src {r.pref_src}"
        if _g(r, "tos") is not None:
            out += f" tos {r.tos}"
        if _g(r, "via"):
            out += f" via {'inet6' if ':' in r.via else 'inet'} {r.via}"
        if _g(r, "dev"):
            out += f" dev {r.dev}"
        if _g(r, "table", RT_TABLE_MAIN) != RT_TABLE_MAIN:
            out += f" table {r.table}"
        if _g(r, "protocol") is not None:
            out += f" proto {r.protocol}"
        if _g(r, "scope") is not None:
            out += f" scope {r.scope}"
        if _g(r, "metric") is not None:
            out += f" metric {r.metric}"
        if _g(r, "family", 4) == 4 and _g(r, "onlink"):
            out += " onlink"
        realms = _g(r, "realms")
        if realms:
            out += f" realms {realms >> 16}/" if realms & 0xFFFF0000 else " realm "
            out += str(realms & 0xFFFF)
        if _g(r, "expires") is not None:
            out += f" expires {r.expires}sec"
        metrics = dict(_g(r, "metrics", ()))
        locked = set(_g(r, "locked", ()))
        if _g(r, "congctl"):
            out += f" congctl {r.congctl}{'lock ' if 'congctl' in locked else ''}"
        if "rtt" in metrics:
            v = metrics["rtt"]
            out += f" rtt{' lock' if 'rtt' in locked else ''} "
            out += f"{_fmt_g(v / 8000.0)}s" if v >= 8000 else f"{_fmt_g(v / 8.0)}ms"
        if "rttvar" in metrics:
            v = metrics["rttvar"]
            out += f" rttvar{' lock' if 'rttvar' in locked else ''} "
            out += f"{_fmt_g(v / 4000.0)}s" if v >= 4000 else f"{_fmt_g(v / 4.0)}ms"
        if "rto_min" in metrics:
            v = metrics["rto_min"]
            out += f" rto_min{' lock' if 'rto_min' in locked else ''} "
            out += f"{_fmt_g(v / 1000.0)}s" if v >= 1000 else f"{v}ms"
        if _g(r, "features_ecn"):
            out += " features ecn"
        for name in ("mtu", "window", "ssthresh", "cwnd", "advmss", "reordering"):
            if name in metrics:
                lock = "lock " if name in locked and name != "window" else ""
                out += f" {name} {lock}{metrics[name]}"
        for name in ("hoplimit", "initcwnd", "initrwnd", "quickack"):
            if name in metrics:
                out += f" {name} {metrics[name]}"
        pref = _g(r, "pref")
        if pref is not None:
            out += " pref " + {3: "low", 0: "medium", 1: "high"}.get(pref, "unknown")
        if "fastopen_no_cookie" in metrics:
            out += f" fastopen_no_cookie {metrics['fastopen_no_cookie']}"
        ttlp = _g(r, "ttl_propagate")
        if ttlp is not None:
            out += f" ttl-propagate {'en' if ttlp else 'dis'}abled"
        for nh in _g(r, "nexthops", ()):
            out += " nexthop"
            if _g(nh, "via"):
                out += f" via inet{'6' if ':' in nh.via else ''} {nh.via}"
            if _g(nh, "dev"):
                out += f" dev {nh.dev}"
            if _g(nh, "weight") is not None:
                out += f" weight {nh.weight}"
            if _g(nh, "onlink"):
                out += " onlink"
            nrealms = _g(nh, "realms")
            if nrealms:
                out += f" realms {nrealms >> 16}/" if (realms or 0) & 0xFFFF0000 else " realm "
                out += str(nrealms & 0xFFFF)
        if _g(r, "no_track"):
            out += " no_track"
        if _g(r, "track_group"):
            out += f" track_group {r.track_group}"
        if installed and not _g(r, "no_track"):
            out += " [installed ifindex 0]"
        return f"     {out}"

    def rule(self, r: Any) -> str:
        frm, to = _g(r, "from_addr"), _g(r, "to_addr")
        has_from = frm is not None and frm.address is not None
        has_to = to is not None and to.address is not None
        out = ""
        if not has_from and not has_to and _g(r, "family", 4) == 6:
            out += "inet6 "
        if _g(r, "invert"):
            out += "not "
        out += f"from {_prefix(frm)}" if has_from else "from all"
        if has_to:
            out += f" to {_prefix(to)}"
        if _g(r, "priority"):
            out += f" priority {r.priority}"
        out += f" tos 0x{_g(r, 'tos') or 0:x}"
        fwmark, fwmask = _g(r, "fwmark"), _g(r, "fwmask")
        if fwmark is not None or fwmask is not None:
            out += f" fwmark 0x{fwmark or 0:x}"
            if fwmask is not None and fwmask != 0xFFFFFFFF:
                out += f"/0x{fwmask:x}"
        if _g(r, "iif"):
            out += f" iif {r.iif}"
        if _g(r, "oif"):
            out += f" oif {r.oif}"
        if _g(r, "suppress_prefix_len") is not None:
            out += f" suppress_prefixlen {r.suppress_prefix_len}"
        if _g(r, "suppress_group") is not None:
            out += f" suppress_ifgroup {r.suppress_group}"
        if _g(r, "tunnel_id"):
            out += f" tunnel-id {r.tunnel_id}"
        if _g(r, "uid_range") is not None:
            out += f" uidrange {r.uid_range[0]}-{r.uid_range[1]}"
        if _g(r, "l3mdev"):
            out += " l3mdev"
        if _g(r, "protocol") is not None:
            out += f" protocol {r.protocol}"
        if _g(r, "ip_proto") is not None:
            out += f" ipproto {r.ip_proto}"
        if _g(r, "sport") is not None:
            out += f" sport {r.sport[0]}-{r.sport[1]}"
        if _g(r, "dport") is not None:
            out += f" dport {r.dport[0]}-{r.dport[1]}"
        realms = _g(r, "realms")
        if realms:
            out += f" realms {realms >> 16}/{realms & 0xFFFF}"
        action = _g(r, "action", "table")
        if action == "table":
            table = _g(r, "table")
            out += f" lookup {RT_TABLE_MAIN if table is None else table}"
        elif action == "goto":
            out += f" goto {_g(r, 'goto_target') or 0}"
        elif action == "nop":
            out += " nop"
        else:
            out += f" type {action}"
        if _g(r, "no_track"):
            out += " no_track"
        if _g(r, "track_group"):
            out += f" track_group {r.track_group}"
        return f"     {out}"

    # -- VRRP process --------------------------------------------------------------------------

    def vrrp_data(self) -> None:
        cfg = self.config
        st = cfg.static
        w = self.w
        default_if = _g(cfg.global_defs, "default_interface") or DFLT_INT
        if st.addresses:
            w("------< Static Addresses >------")
            for ip in st.addresses:
                w(self.ipaddress(ip, default_if, installed=True))
        if st.routes:
            w("------< Static Routes >------")
            for r in st.routes:
                w(self.route(r, installed=True))
        if st.rules:
            w("------< Static Rules >------")
            for rl in st.rules:
                w(self.rule(rl))
        if st.track_groups:
            w("------< Static Track groups >------")
            for tg in st.track_groups:
                w(f" Static Track Group = {tg.name}")
                members = [n for n in tg.instances if self._instance(n) is not None]
                if members:
                    w("   VRRP member instances :")
                    for n in members:
                        w(f"     {n}")
        if cfg.vrrp.instances:
            w("------< VRRP Topology >------")
            for inst in cfg.vrrp.instances:
                self.vrrp_instance(inst)
        if self.runtime is not None and self.runtime.sockets:
            w("------< VRRP Sockpool >------")
            for sock in self.runtime.sockets:
                self.sock_pool(sock)
        groups = [g for g in cfg.vrrp.sync_groups if _g(g, "members") is not None]
        if groups:
            w("------< VRRP Sync groups >------")
            for grp in groups:
                self.sync_group(grp)
        used = [sc for sc in cfg.trackers.scripts if self._trackers_of("script", sc.name)]
        if used:
            w("------< VRRP Scripts >------")
            for sc in used:
                self.vrrp_script(sc)
        if cfg.trackers.track_files:
            w("------< VRRP Track files >------")
            for tf in cfg.trackers.track_files:
                self.track_file(tf)
        if cfg.trackers.processes:
            w("------< VRRP Track processes >------")
            for tp in cfg.trackers.processes:
                self.track_process(tp)
        vbfds = [b for b in _g(cfg.bfd, "instances", ()) if _g(b, "vrrp", True)]
        if vbfds:
            w("------< VRRP Track BFDs >------")
            for b in vbfds:
                self.vrrp_tracked_bfd(b)

    def sock_pool(self, sock: SocketRuntime) -> None:
        w = self.w
        w(f" fd_in {sock.fd_in} fd_out = {sock.fd_out}")
        w(f"   Interface = {sock.ifname}")
        w(f"   Family = {sock.family}")
        w(f"   Protocol = {sock.protocol}")
        w(f"   Type = {'Un' if sock.unicast_src else 'Mult'}icast")
        if sock.unicast_src:
            w(f"   Address = {sock.unicast_src}")
        w(f"   Rx buf size = {sock.rx_buf_size}")
        w("   VRRP instances")
        for name, vrid in sock.instances:
            w(f"     {name} vrid {vrid}")

    def _sync_of(self, name: str) -> Any:
        for grp in self.config.vrrp.sync_groups:
            members = _g(grp, "members")
            if members and name in members:
                return grp
        return None

    def _smtp(self, value: bool | None) -> bool:
        gd = self.config.global_defs
        if value is not None:
            return value
        for v in (_g(gd, "smtp_alert_vrrp"), _g(gd, "smtp_alert")):
            if v is not None:
                return bool(v)
        return False

    def vrrp_instance(self, inst: Any) -> None:
        w = self.w
        gd = self.config.global_defs
        sync = self._sync_of(inst.name)
        version = _g(inst, "version") or _g(gd, "vrrp_version", 2)
        family = _g(inst, "family") or 4
        unicast = bool(_g(inst, "unicast_peers"))
        unicast_configured = bool(_g(inst, "unicast_configured"))
        w(f" VRRP Instance = {inst.name}")
        w(f"   VRRP Version = {version}")
        if sync is not None:
            w(f"   Sync group = {sync.name}")
        if family == 6:
            w("   Using Native IPv6")
        rt = self.runtime.instances.get(inst.name) if self.runtime is not None else None
        if rt is not None:
            w(f"   State = {rt.state}")
            if rt.state == "BACKUP":
                w(f"   Master router = {rt.master_router or '0.0.0.0'}")
                w(f"   Master priority = {rt.master_priority}")
                if version == 3:
                    w(f"   Master advert int = {rt.master_adver_int_us / TIMER_HZ:.2f} sec")
        skip_adv = _g(inst, "skip_check_adv_addr")
        if skip_adv is None:
            skip_adv = bool(_g(gd, "vrrp_skip_check_adv_addr"))
        check_src = bool(_g(inst, "check_unicast_src")) or (
            unicast and bool(_g(gd, "vrrp_check_unicast_src"))
        )
        evips_other = any(ip.family != family for ip in _g(inst, "virtual_ipaddresses_excluded", ()))
        flags = (
            unicast_configured
            or unicast
            or bool(_g(inst, "unicast_fault_no_peer"))
            or bool(_g(inst, "dont_track_primary"))
            or bool(_g(inst, "linkbeat_use_polling"))
            or skip_adv
            or bool(_g(inst, "src_ip"))
            or bool(_g(inst, "track_src_ip"))
            or check_src
            or bool(_g(inst, "promote_secondaries"))
            or evips_other
            or bool(_g(inst, "nopreempt"))
            or bool(_g(inst, "use_vmac"))
            or bool(_g(inst, "use_vmac_addr"))
            or bool(_g(inst, "use_ipvlan"))
            or bool(_g(inst, "vmac_mac"))
            or bool(_g(inst, "garp_extra_if_all"))
        )
        if flags:
            w("   Flags:")
            if unicast:
                w("     Using unicast")
            elif unicast_configured:
                w("     Unicast config option specified but using multicast")
            if _g(inst, "unicast_fault_no_peer"):
                w("     If unicast go to fault state if no peers")
        else:
            w("   Flags: none")
        want = _g(inst, "state") or "BACKUP"
        if sync is not None and any(
            _g(self._instance(m), "state") != "MASTER" for m in sync.members or () if self._instance(m)
        ):
            want = "BACKUP"
        w(f"   Wantstate = {rt.wantstate if rt is not None else want}")
        w(f"   Number of config faults = {_g(inst, 'config_faults', 0)}")
        if rt is not None:
            w(f"   Number of interface and track script faults = {rt.num_script_if_fault}")
            w(f"   Number of track scripts init = {rt.num_script_init}")
            w(f"   Last transition = {rt.last_transition}")
            w(f"   Read timeout = {rt.read_timeout}")
            w(f"   Master down timer = {rt.master_down_us} usecs")
        iface = _g(inst, "interface")
        if _g(inst, "use_vmac"):
            vname = _g(inst, "vmac_ifname") or f"vrrp.{_g(inst, 'vrid', 0)}"
            w(f"   Use VMAC, i/f name {vname}, is_up = false, xmit_base = {_tf(_g(inst, 'vmac_xmit_base'))}")
            if _g(inst, "vmac_mac"):
                w(f"     MAC = {inst.vmac_mac}")
        if _g(inst, "use_vmac_addr"):
            w("   Use VMAC for VIPs on other interfaces")
        w(f"   Interface = {iface if iface else 'not configured'}")
        if _g(inst, "vrf"):
            w(f"   VRF = {inst.vrf}")
        if _g(inst, "dont_track_primary"):
            w("   VRRP interface tracking disabled")
        if skip_adv:
            w("   Skip checking advert IP addresses")
        if _g(inst, "strict_mode"):
            w("   Enforcing strict VRRP compliance")
        if rt is not None:
            from_config = " (from configuration)" if _g(inst, "src_ip") else ""
            w(f"   Using src_ip = {rt.src_ip or _g(inst, 'src_ip') or '(none)'}{from_config}")
        elif _g(inst, "src_ip"):
            w(f"   Using src_ip = {inst.src_ip} (from configuration)")
        if not unicast and family == 4:
            w(f"   Multicast address {_g(inst, 'mcast_dst_ip') or _g(gd, 'vrrp_mcast_group4', '224.0.0.18')}")
        delay = _g(inst, "garp_master_delay")
        if delay is None:
            delay = _g(gd, "vrrp_garp_master_delay", 5 * TIMER_HZ)
        rep = _g(inst, "garp_master_repeat")
        if rep is None:
            rep = _g(gd, "vrrp_garp_master_repeat", 5)
        refresh = _g(inst, "garp_master_refresh")
        if refresh is None:
            refresh = _g(gd, "vrrp_garp_master_refresh", 0)
        refresh_rep = _g(inst, "garp_master_refresh_repeat")
        if refresh_rep is None:
            refresh_rep = _g(gd, "vrrp_garp_master_refresh_repeat", 1)
        strict = bool(_g(inst, "strict_mode"))
        gdelay = int(_g(gd, "vrrp_garp_master_delay", 5 * TIMER_HZ))
        grep_ = int(_g(gd, "vrrp_garp_master_repeat", 5))
        lp_delay = _g(inst, "garp_lower_prio_delay")
        if lp_delay is None:
            glp = _g(gd, "vrrp_garp_lower_prio_delay")
            lp_delay = 0 if strict else gdelay if glp is None else glp
        lp_rep = _g(inst, "garp_lower_prio_repeat")
        if lp_rep is None:
            glr = _g(gd, "vrrp_garp_lower_prio_repeat")
            lp_rep = 0 if strict else grep_ if glr is None else glr
        w(f"   Gratuitous ARP delay = {int(delay) // TIMER_HZ}")
        w(f"   Gratuitous ARP repeat = {rep}")
        w(f"   Gratuitous ARP refresh = {int(refresh) // TIMER_HZ}")
        w(f"   Gratuitous ARP refresh repeat = {refresh_rep}")
        w(f"   Gratuitous ARP lower priority delay = {int(lp_delay) // TIMER_HZ}")
        w(f"   Gratuitous ARP lower priority repeat = {lp_rep}")
        down = _g(inst, "down_timer_adverts")
        w(f"   Down timer adverts = {_g(gd, 'vrrp_down_timer_adverts', 3) if down is None else down}")
        lpna = _g(inst, "lower_prio_no_advert")
        if lpna is None:
            lpna = True if strict else bool(_g(gd, "vrrp_lower_prio_no_advert"))
        hpsa = _g(inst, "higher_prio_send_advert")
        if hpsa is None:
            hpsa = False if strict else bool(_g(gd, "vrrp_higher_prio_send_advert"))
        w(f"   Send advert after receive lower priority advert = {_tf(not lpna)}")
        w(f"   Send advert after receive higher priority advert = {_tf(hpsa)}")
        w(f"   Virtual Router ID = {_g(inst, 'vrid')}")
        w(f"   Priority = {_g(inst, 'priority')}")
        if rt is not None:
            w(f"   Effective priority = {rt.effective_priority}")
            w(f"   Total priority = {rt.total_priority}")
        adv = int(_g(inst, "advert_int", TIMER_HZ))
        if version == 2:
            w(f"   Advert interval = {adv // TIMER_HZ} sec")
        else:
            w(f"   Advert interval = {adv // 1000} milli-sec")
        accept = _g(inst, "accept")
        w(f"   Accept = {'enabled' if accept or accept is None else 'disabled'}")
        w(f"   Preempt = {'disabled' if _g(inst, 'nopreempt') else 'enabled'}")
        if _g(inst, "preempt_delay"):
            w(f"   Preempt delay = {_fmt_g(inst.preempt_delay / TIMER_HZ)} secs")
        w(f"   Promote_secondaries = {'enabled' if _g(inst, 'promote_secondaries') else 'disabled'}")
        auth = _g(inst, "auth_type")
        if auth:
            w(f"   Authentication type = {'IPSEC_AH' if auth == 'AH' else 'SIMPLE_PASSWORD'}")
            if auth != "AH":
                w(f"   Password = {(_g(inst, 'auth_pass') or '')[:8]}")
        elif version == 2:
            w("   Authentication type = none")
        if _g(inst, "kernel_rx_buf_size"):
            w(f"   Kernel rx buffer size = {inst.kernel_rx_buf_size}")
        if _g(inst, "debug"):
            w(f"   Debug level = {inst.debug}")
        vips = _g(inst, "virtual_ipaddresses", ())
        if vips:
            w(f"   Virtual IP ({len(vips)}):")
            for ip in vips:
                w(self.ipaddress(ip, iface, rt is not None and rt.vipset))
        evips = _g(inst, "virtual_ipaddresses_excluded", ())
        if evips:
            w("   Virtual IP Excluded :")
            for ip in evips:
                w(self.ipaddress(ip, iface, rt is not None and rt.vipset))
        if unicast:
            if _g(inst, "unicast_ttl") is not None:
                w(f"   Unicast TTL = {inst.unicast_ttl}")
            w(f"   Check unicast src : {_yn(check_src)}")
            w("   Unicast Peer :")
            for peer in inst.unicast_peers:
                w(f"     {peer.address} min_ttl {peer.min_ttl} max_ttl {peer.max_ttl}")
            w(f"   Unicast checksum compatibility = {_g(inst, 'old_unicast_checksum') or 'no'}")
        if rt is not None and rt.fds is not None:
            w(f"   fd_in {rt.fds[0]}, fd_out {rt.fds[1]}")
        else:
            w("   No sockets allocated")
        routes = _g(inst, "virtual_routes", ())
        if routes:
            w("   Virtual Routes :")
            for r in routes:
                w(self.route(r))
        rules = _g(inst, "virtual_rules", ())
        if rules:
            w("   Virtual Rules :")
            for r in rules:
                w(self.rule(r))
        self._tracked(inst, "Tracked processes :")
        w(f"   Using smtp notification = {_yn(self._smtp(_g(inst, 'smtp_alert')))}")
        w(f"   Notify deleted = {'Deleted' if _g(inst, 'notify_deleted') else 'Fault'}")
        for field, label in (
            ("notify_backup", "Backup"),
            ("notify_master", "Master"),
            ("notify_fault", "Fault"),
            ("notify_stop", "Stop"),
            ("notify_deleted_script", "Deleted"),
            ("notify", "Generic"),
            ("notify_master_rx_lower_pri", "Master rx lower pri"),
        ):
            self._notify(_g(inst, field), label)
        npc = _g(inst, "notify_priority_changes")
        if npc is None and sync is not None:
            npc = _g(sync, "notify_priority_changes")
        if npc is None:
            npc = _g(gd, "vrrp_notify_priority_changes", False)
        w(f"   Notify priority changes = {_tf(npc)}")

    def _notify(self, script: Script | None, label: str) -> None:
        if script is not None:
            self.w(
                f"   {label} state transition script = {cmd_str(script)}, uid:gid {self.script_ids(script)}"
            )

    def _tracked(self, obj: Any, process_title: str) -> None:
        w = self.w
        tifs = _g(obj, "track_interfaces", ())
        if tifs:
            w("   Tracked interfaces :")
            for t in tifs:
                w(f"     {t.name} weight {t.weight}{' reverse' if t.reverse else ''}")
        scripts = _g(obj, "track_scripts", ())
        if scripts:
            w("   Tracked scripts :")
            for t in scripts:
                w(f"     {t.name} weight {self._ref_weight(t, 'script')}{self._ref_rev(t, 'script')}")
        files = _g(obj, "track_files", ())
        if files:
            w("   Tracked files :")
            for t in files:
                w(f"     {t.name}, weight {self._ref_weight(t, 'file')}{self._ref_rev(t, 'file')}")
        procs = _g(obj, "track_processes", ())
        if procs:
            w(f"   {process_title}")
            for t in procs:
                w(f"     {t.name}, weight {self._ref_weight(t, 'process')}{self._ref_rev(t, 'process')}")
        bfds = _g(obj, "track_bfds", ())
        if bfds:
            w("   Tracked BFDs :")
            for t in bfds:
                w(f"     {t.name}: weight {self._ref_weight(t, 'bfd')}{self._ref_rev(t, 'bfd')}")

    def _tracker(self, kind: str, name: str) -> Any:
        tr = self.config.trackers
        if kind == "script":
            return tr.script(name)
        if kind == "file":
            return tr.track_file(name)
        if kind == "process":
            return tr.process(name)
        return next((b for b in _g(self.config.bfd, "vrrp_tracked", ()) if b.name == name), None)

    def _ref_weight(self, ref: Any, kind: str) -> int:
        if ref.weight is not None:
            return int(ref.weight)
        return int(_g(self._tracker(kind, ref.name), "weight", 0) or 0)

    def _ref_rev(self, ref: Any, kind: str) -> str:
        rev = ref.reverse
        if rev is None:
            obj = self._tracker(kind, ref.name)
            rev = _g(obj, "weight_reverse", False)
        return " reverse" if rev else ""

    def sync_group(self, grp: Any) -> None:
        w = self.w
        w(f" VRRP Sync Group = {grp.name}, INIT")
        w(f"   Num member fault 0, num member init {len(grp.members)}")
        if grp.members:
            w("   VRRP member instances :")
            for n in grp.members:
                w(f"     {n}")
        if _g(grp, "sync_group_tracking_weight"):
            w("   sync group tracking weight set")
        w(f"   Using smtp notification = {_yn(self._smtp(_g(grp, 'smtp_alert')))}")
        npc = _g(grp, "notify_priority_changes")
        if npc is not None:
            w(f"   Notify priority changes = {_yn(npc)}")
        self._tracked(grp, "Tracked process :")
        for field, label in (
            ("notify_backup", "Backup"),
            ("notify_master", "Master"),
            ("notify_fault", "Fault"),
            ("notify_stop", "Stop"),
            ("notify", "Generic"),
        ):
            self._notify(_g(grp, field), label)

    def _trackers_of(self, kind: str, name: str) -> list[tuple[str, int, bool]]:
        """(instance, weight, reverse) of the instances (and sync group members) tracking it."""
        attr = {"script": "track_scripts", "file": "track_files", "process": "track_processes"}.get(
            kind, "track_bfds"
        )
        out: list[tuple[str, int, bool]] = []
        for inst in self.config.vrrp.instances:
            for ref in _g(inst, attr, ()):
                if ref.name == name:
                    out.append((inst.name, self._ref_weight(ref, kind), bool(self._ref_rev(ref, kind))))
        for grp in self.config.vrrp.sync_groups:
            for ref in _g(grp, attr, ()):
                if ref.name == name:
                    for member in _g(grp, "members", None) or ():
                        out.append((member, self._ref_weight(ref, kind), bool(self._ref_rev(ref, kind))))
        return out

    def _tracking_list(self, kind: str, name: str, header: str | None) -> None:
        items = self._trackers_of(kind, name)
        if header is not None:
            self.w(header)
        if items:
            self.w("   Tracking instances :")
            for iname, weight, rev in items:
                self.w(f"     {iname}, weight {weight}{' reverse' if rev else ''}")

    def vrrp_script(self, sc: Any) -> None:
        w = self.w
        w(f" VRRP Script = {sc.name}")
        w(f"   Command = {cmd_str(sc.script) if sc.script is not None else ''}")
        interval = int(_g(sc, "interval", TIMER_HZ))
        timeout = int(_g(sc, "timeout", 0))
        w(f"   Interval = {interval // TIMER_HZ} sec")
        w(f"   Timeout = {timeout // TIMER_HZ} sec")
        w(f"   Weight = {sc.weight}{' reverse' if _g(sc, 'weight_reverse') else ''}")
        rise = int(_g(sc, "rise", 1))
        w(f"   Rise = {rise}")
        w(f"   Fall = {_g(sc, 'fall', 1)}")
        init_fail = bool(_g(sc, "init_fail"))
        result = 0 if init_fail else rise - 1
        w(f"   Result = {result}")
        w("   Insecure = no")
        w("   Init state = INIT")
        w(f"   Status = {'GOOD' if result >= rise else 'BAD'}")
        script = sc.script
        if script is not None and _g(sc, "user") is not None:
            script = Script(script.args, sc.user, _g(sc, "group"), script.keyword)
        w(f"   Script uid:gid = {self.script_ids(script)}")
        self._tracking_list("script", sc.name, "   VRRP instances :")
        w("   State = idle")

    def track_file(self, tf: Any) -> None:
        w = self.w
        w(f" Track file = {tf.name}")
        w(f"   File = {tf.file}")
        if _g(tf, "init") is not None:
            w(f"   Status = {_g(tf, 'init_value', 0)}")
        w(f"   Weight = {tf.weight}{' reverse' if _g(tf, 'weight_reverse') else ''}")
        self._tracking_list("file", tf.name, None)

    def track_process(self, tp: Any) -> None:
        w = self.w
        w(f" VRRP Track process = {tp.name}")
        w(f"   Process = {tp.process}")
        params = _g(tp, "params", ())
        if params:
            w(f"   Parameters = {' '.join(params)}")
        match = _g(tp, "param_match", "none")
        if match != "none":
            w(f"   Param match{'' if match == 'exact' else ' = ' + match}")
        w(f"   Min processes = {_g(tp, 'quorum', 1)}")
        qmax = _g(tp, "quorum_max", UINT_MAX)
        if qmax < UINT_MAX:
            w(f"   Max processes = {qmax}")
        w("   Current processes = 0")
        w("   Have quorum = false")
        w(f"   Weight = {tp.weight}{' reverse' if _g(tp, 'weight_reverse') else ''}")
        w(f"   Terminate delay = {_g(tp, 'terminate_delay', 0) / TIMER_HZ:f}s")
        w(f"   Fork delay = {_g(tp, 'fork_delay', 0) / TIMER_HZ:f}s")
        w(f"   Full command = {_tf(_g(tp, 'full_command'))}")
        self._tracking_list("process", tp.name, None)

    def vrrp_tracked_bfd(self, b: Any) -> None:
        w = self.w
        tracked = next((t for t in _g(self.config.bfd, "vrrp_tracked", ()) if t.name == b.name), None)
        weight = int(_g(tracked, "weight", 0) or 0)
        w(f" VRRP Track BFD = {b.name}")
        w(f"   Weight = {weight}{' reverse' if _g(tracked, 'weight_reverse') else ''}")
        w("   Bfd is down")
        w("   Tracking VRRP instances :")
        items = self._trackers_of("bfd", b.name)
        if items:
            w("   Tracking instances :")
            for iname, wt, rev in items:
                w(f"     {iname}, weight {wt}{' reverse' if rev else ''}")

    def garp_delays(self) -> None:
        """keepalived's per-interface GARP/GNA pacing groups (global intervals or garp_group)."""
        cfg = self.config
        gd = cfg.global_defs
        groups: list[tuple[int, int | None, int | None, list[str]]] = []
        for grp in _g(cfg.static, "garp_groups", ()):
            groups.append((grp.aggregation_group, grp.garp_interval, grp.gna_interval, list(grp.interfaces)))
        garp = int(_g(gd, "vrrp_garp_interval", 0) or 0)
        gna = int(_g(gd, "vrrp_gna_interval", 0) or 0)
        if garp or gna:
            seen = {i for g in groups for i in g[3]}
            for inst in cfg.vrrp.instances:
                name = _g(inst, "interface")
                if name and name not in seen:
                    seen.add(name)
                    groups.append((0, garp or None, gna or None, [name]))
        if not groups:
            return
        w = self.w
        w("------< Gratuitous ARP delays >------")
        for agg, garp_i, gna_i, ifaces in groups:
            w(f"------< GARP delay group {agg} >------")
            if garp_i:
                w(f" GARP interval = {_fmt_g(garp_i / TIMER_HZ)}")
                w(" GARP next time 0.000000 (Thu Jan  1 00:00:00.000000)")
            if gna_i:
                w(f" GNA interval = {_fmt_g(gna_i / TIMER_HZ)}")
                w(" GNA next time 0.000000 (Thu Jan  1 00:00:00.000000)")
            elif not garp_i:
                w(" No configuration")
            w(" Interfaces")
            for name in ifaces:
                w(f"  {name}")

    # -- checker process ---------------------------------------------------------------------

    def check_data(self) -> None:
        """The checker process's sections, in the state keepalived has when it dumps them."""
        cfg = self.config
        lvs = cfg.lvs
        w = self.w
        sim = _CheckerStartup(cfg)
        if lvs.ssl is not None or sim.ssl_required:
            w("------< SSL definitions >------")
            ssl = lvs.ssl
            if ssl is None or not (ssl.password or ssl.ca or ssl.certificate or ssl.key):
                w(" Using autogen SSL context")
            else:
                if ssl.password:
                    w(f" Password : {ssl.password}")
                if ssl.ca:
                    w(f" CA-file : {ssl.ca}")
                if ssl.certificate:
                    w(f" Certificate file : {ssl.certificate}")
                if ssl.key:
                    w(f" Key file : {ssl.key}")
        if lvs.virtual_servers:
            w("------< LVS Topology >------")
            w(f" System is compiled with LVS v{LVS_VERSION}")
            for vsg in lvs.virtual_server_groups:
                self.vsg(vsg, sim)
            for vs_state in sim.vss:
                self.vs(vs_state)
        if sim.checkers:
            w("------< Health checkers >------")
            for chk in sim.checkers:
                self.checker(chk, sim)
        if sim.track_files:
            w("------< Checker track files >------")
            for tf, trackers in sim.track_files:
                w(f" Track file = {tf.name}")
                w(f"   File = {tf.file}")
                if tf.init is not None:
                    w(f"   Status = {tf.init_value}")
                w(f"   Weight = {tf.weight}{' reverse' if tf.weight_reverse else ''}")
                if trackers:
                    w("   Tracking instances :")
                    for chk, weight, reverse in trackers:
                        w(
                            f"     {chk.vs.vs.describe()} -> {chk.vs.rs_trio(chk.rs)}, weight {weight}"
                            f"{' reverse' if reverse else ''}"
                        )
        names = _g(cfg.bfd, "checker_tracked", ())
        if names:
            w("------< Checker track BFDs >------")
            for name in names:
                w(f" Checker Track BFD = {name}")
                w("   Tracking RS :")
                for chk in sim.checkers:
                    if isinstance(chk.checker, BfdCheck) and chk.checker.name == name:
                        w(f"   {chk.vs.rs_trio(chk.rs)}")

    def vsg(self, vsg: Any, sim: _CheckerStartup) -> None:
        w = self.w
        w(" ------< Virtual server group >------")
        w(f" Virtual Server Group = {vsg.name}, IPv4 = {_yn(vsg.have_ipv4)}, IPv6 = {_yn(vsg.have_ipv6)}")
        marks = sim.auto_fwmarks.get(vsg.name)
        if marks is not None and any(marks.values()):
            w(
                f"  Fwmark TCP: {marks.get(Protocol.TCP, 0)} UDP: {marks.get(Protocol.UDP, 0)}"
                f" SCTP: {marks.get(Protocol.SCTP, 0)}"
            )
        for i, r in enumerate(vsg.ranges):
            if r.start != r.end:
                w(f"   VIP Range = {r.start}-{r.end}, VPORT = {r.port}")
            else:
                w(f"   VIP = {r.start}, VPORT = {r.port}")
            tcp, udp, sctp = sim.range_alive.get((vsg.name, i), (0, 0, 0))
            w(f"     Alive: {tcp} tcp, {udp} udp, {sctp} sctp")
            w("     reloaded = False")
        for i, f in enumerate(vsg.fwmarks):
            fam = " IPv4" if f.family == 4 else " IPv6" if f.family == 6 else ""
            w(f"   FWMARK = {f.mark}{fam}")
            v4, v6 = sim.fwmark_alive.get((vsg.name, i), (0, 0))
            w(f"     Alive: {v4} IPv4, {v6} IPv6")
            w("     reloaded = False")

    def vs(self, st: _VsState) -> None:
        w = self.w
        vs = st.vs
        w(" ------< Virtual server >------")
        if vs.group is not None:
            w(f" VS GROUP = {vs.describe()}")
        elif vs.fwmark:
            w(f" VS FWMARK = {vs.fwmark}")
        else:
            w(f" VS VIP = {vs.address}, VPORT = {vs.address.port if vs.address else 0}")
        if vs.virtualhost:
            w(f"   VirtualHost = {vs.virtualhost}")
        if vs.snmp_name:
            w(f"   SNMP name = '{vs.snmp_name}'")
        if vs.family:
            w(f"   Address family = inet{'' if vs.family == 4 else '6'}")
        elif st.vsg is not None and st.vsg.have_ipv4 and st.vsg.have_ipv6:
            w("   Address family = IPv4 & IPv6")
        else:
            w("   Address family = unknown")
        w(f"   connection timeout = {_decimal6(vs.connect_timeout)}")
        w(f"   delay_loop = {_decimal6(vs.delay_loop)}")
        w(f"   lvs_sched = {vs.scheduler}")
        flags = vs.flags
        w(f"   Hashed = {_abled(flags & ServiceFlag.HASHED)}")
        if vs.scheduler in ("sh", "mh"):
            w(f"   {vs.scheduler}-port = {_abled(flags & ServiceFlag.SCHED2)}")
            w(f"   {vs.scheduler}-fallback = {_abled(flags & ServiceFlag.SCHED1)}")
        else:
            w(f"   flag-1 = {_abled(flags & ServiceFlag.SCHED1)}")
            w(f"   flag-2 = {_abled(flags & ServiceFlag.SCHED2)}")
            w(f"   flag-3 = {_abled(flags & ServiceFlag.SCHED3)}")
        ops = bool(flags & ServiceFlag.ONEPACKET)
        inactive = " (inactive due to not UDP)" if ops and vs.protocol != Protocol.UDP else ""
        w(f"   One packet scheduling = {_abled(ops)}{inactive}")
        if vs.persistence_timeout:
            w(f"   persistence timeout = {vs.persistence_timeout}")
        gran = vs.persistence_granularity
        if gran is not None:
            value = gran if isinstance(gran, int) else int.from_bytes(gran.packed, "little")
            if value != UINT_MAX:
                if vs.family == 6:
                    w(f"   persistence granularity = {value}")
                else:
                    # keepalived prints the stored word as an IPv4 address (network order).
                    w(f"   persistence granularity = {'.'.join(str(b) for b in value.to_bytes(4, 'little'))}")
        w(f"   protocol = {vs.protocol.name if vs.protocol is not None else 'none'}")
        w(f"   alpha is {_on(vs.alpha)}")
        w(f"   omega is {_on(vs.omega)}")
        if vs.retry is not None:
            w(f"   Retry count = {vs.retry}")
        if vs.delay_before_retry is not None:
            w(f"   Retry delay = {_decimal6(vs.delay_before_retry)}")
        if vs.warmup is not None:
            w(f"   Warmup = {_decimal6(vs.warmup)}")
        w(f"   Inhibit on failure is {_on(vs.inhibit_on_failure)}")
        w(f"   quorum = {vs.quorum}, hysteresis = {vs.hysteresis}")
        for script, label in ((vs.quorum_up, "up"), (vs.quorum_down, "down")):
            if script is not None:
                w(f"   Quorum {label} notify script = {cmd_str(script)}, uid:gid {self.script_ids(script)}")
        if vs.ha_suspend:
            w("   Using HA suspend")
        w(f"   Using smtp notification = {_yn(vs.smtp_alert)}")
        self.forwarding("default ", vs.forwarding, vs.tunnel)
        sorry = vs.sorry_server
        if sorry is not None and st.sorry is not None:
            dup = "(duplicates rs) " if vs.sorry_server_duplicates_rs else ""
            w(f"   sorry server {dup}= {trio(sorry.address, vs.protocol)}")
            self.forwarding("  ", sorry.forwarding, sorry.tunnel)
            w(f"     Inhibit on failure is {_on(sorry.inhibit)}")
        w(f"   alive = {int(st.alive)}")
        w(f"   quorum_state_up = {int(st.quorum_up)}")
        w("   reloaded = 0")
        for rs_state in st.rss:
            self.rs(st, rs_state)

    def forwarding(self, prefix: str, method: ForwardingMethod | None, tunnel: Tunnel) -> None:
        head = "   " + prefix + "forwarding method = "
        if method is None:
            # keepalived's "not set" marker (IP_VS_CONN_F_FWD_MASK), only for an unused default.
            self.w("   forwarding method =  0x7")
        elif method != ForwardingMethod.TUN:
            self.w(head + method.value)
        elif tunnel.type == TunnelType.IPIP:
            self.w(head + "TUN, type = IPIP")
        else:
            csum = {
                TunnelChecksum.NOCSUM: ", no checksum",
                TunnelChecksum.CSUM: ", checksum",
                TunnelChecksum.REMCSUM: ", remote checksum",
            }[tunnel.checksum]
            # keepalived leaves the prefix out of these two lines.
            if tunnel.type == TunnelType.GUE:
                self.w(f"   forwarding method = TUN, type = GUE, port = {tunnel.port}{csum}")
            else:
                self.w(f"   forwarding method = TUN, type = GRE{csum}")

    def rs(self, vst: _VsState, st: _RsState) -> None:
        w = self.w
        rs = st.rs
        w("   ------< Real server >------")
        w(
            f"   RIP = {rs.address}, RPORT = {rs.address.port}, WEIGHT = {_real_weight(st.eff)}"
            f" EFF WEIGHT = {st.eff}"
        )
        self.forwarding("", rs.forwarding, rs.tunnel)
        w(f"   Alpha is {_on(rs.alpha)}")
        w(f"   connection timeout = {_decimal6(rs.connect_timeout or 0)}")
        w(f"   connection limit range = {rs.lthreshold} -> {rs.uthreshold}")
        w(f"   Delay loop = {_decimal6(rs.delay_loop or 0)}")
        if rs.retry is not None:
            w(f"   Retry count = {rs.retry}")
        if rs.delay_before_retry is not None:
            w(f"   Retry delay = {_decimal6(rs.delay_before_retry)}")
        if rs.warmup is not None:
            w(f"   Warmup = {_decimal6(rs.warmup)}")
        w(f"   Inhibit on failure is {_on(rs.inhibit_on_failure)}")
        for script, label in ((rs.notify_up, "up"), (rs.notify_down, "down")):
            if script is not None:
                w(f"     RS {label} notify script = {cmd_str(script)}, uid:gid {self.script_ids(script)}")
        if rs.virtualhost:
            w(f"    VirtualHost = '{rs.virtualhost}'")
        if rs.snmp_name:
            w(f"   SNMP name = {rs.snmp_name}")
        w(f"   Using smtp notification = {_yn(rs.smtp_alert)}")
        w(f"   initial weight = {st.iweight}")
        w(f"   effective weight = {st.eff}")
        w("   previous effective_weight = 0")
        w(f"   alive = {int(st.alive)}")
        w(f"   num failed checkers = {st.failed}")
        w(f"   RS set = {int(st.set)}")
        w("   reloaded = 0")
        if st.track_files:
            w("   Tracked Files")
            for name, weight, reverse in st.track_files:
                w(f"     {name}, weight {weight}{' reverse' if reverse else ''}")
        bfds = [c.name for c in rs.checkers if isinstance(c, BfdCheck)]
        if bfds:
            w("   Tracked BFDs")
            for name in bfds:
                w(f"     {name}")

    def checker(self, chk: _CheckerState, sim: _CheckerStartup) -> None:
        w = self.w
        c = chk.checker
        w(f" {chk.vs.vs.describe()} -> {chk.vs.rs_trio(chk.rs)}")
        w("   Enabled = yes")
        w(f"   Up = {_yn(chk.is_up)}")
        w(f"   Has run = {_yn(chk.has_run)}")
        w(f"   Current weight = {chk.cur_weight}")
        if not isinstance(c, FileCheck):
            w(f"   Alpha = {_yn(chk.alpha)}")
            w(f"   Delay loop = {chk.delay_loop} us")
            w(f"   Warmup = {chk.warmup} us")
            w(f"   Retries = {chk.retry}")
            if chk.retry:
                w(f"   Delay before retry = {chk.delay_before_retry} us")
                w(f"   Retries iterations = {chk.retry}")
            w(f"   Default delay before retry = {chk.default_delay_before_retry} us")
        w(f"   Log all failures = {_yn(_g(c, 'log_all_failures', False))}")
        co = _g(c, "connection")
        if co is not None:
            w("   Connection")
            w(f"     Dest = {chk.dest}")
            if co.bindto is not None:
                w(f"     Bind to = [{co.bindto}]:{co.bind_port or 0}")
            if co.bind_if:
                w(f"     Bind i/f = {co.bind_if}")
            if co.fwmark:
                w(f"     Mark = {co.fwmark}")
            w(f"     Timeout = {chk.timeout / TIMER_HZ:f}")
        if isinstance(c, TcpCheck):
            w("   Keepalive method = TCP_CHECK")
        elif isinstance(c, HttpGetCheck):
            proto = "SSL" if isinstance(c, SslGetCheck) else "HTTP"
            w(f"   Keepalive method = {proto}_GET, http protocol {c.http_protocol}")
            if c.virtualhost:
                w(f"   Virtualhost = {c.virtualhost}")
            w(f"   Enable SNI {'' if c.enable_sni else 'un'}set")
            w(f"   Fast recovery {'' if c.fast_recovery else 'un'}set")
            for url in c.urls:
                self.url(url, sim)
        elif isinstance(c, SmtpCheck):
            w("   Keepalive method = SMTP_CHECK")
            w(f"   helo = {c.helo_name}")
        elif isinstance(c, DnsCheck):
            w("   Keepalive method = DNS_CHECK")
            w(f"   Type = {c.type}")
            w(f"   Name = {c.name}")
        elif isinstance(c, MiscCheck):
            w("   Keepalive method = MISC_CHECK")
            w(f"   script = {cmd_str(c.script)}")
            w(f"   timeout = {c.timeout // TIMER_HZ}")
            w(f"   dynamic = {'YES' if c.dynamic else 'NO'}")
            w(f"   uid:gid = {self.script_ids(c.script)}")
            w(f"   Last ran = 0.000000 ({EPOCH_CTIME}.000000)")
            w("   Last status = 0")
        elif isinstance(c, UdpCheck):
            w("   Keepalive method = UDP_CHECK")
            if c.payload:
                w(f"   Payload len = {len(c.payload)}")
            else:
                w("   Payload specified = no")
            w(f"   Require reply = {_yn(c.require_reply)}")
            if c.require_reply:
                w(f"     Min reply length = {c.min_reply_length}")
                w(f"     Max reply length = {c.max_reply_length}")
                w(f"     Reply data len = {len(c.reply_data or b'')}")
                if c.reply_data:
                    w(f"     Reply data mask = {_yn(c.reply_mask is not None)}")
        elif isinstance(c, PingCheck):
            w("   Keepalive method = PING_CHECK")
        elif isinstance(c, FileCheck):
            w("   Keepalive method = FILE_CHECK")
            w(f"     Tracked file = {c.track_file}")
            w("     Reloaded = No")
        elif isinstance(c, BfdCheck):
            w("   Keepalive method = BFD_CHECK")
            w(f"   Name = {c.name}")
            w(f"   Alpha is {_on(chk.alpha)}")

    def url(self, url: Url, sim: _CheckerStartup) -> None:
        w = self.w
        w(f"   Checked url = {url.path}")
        if url.digest is not None:
            w(f"     digest = {url.digest.hex()}")
        w("     HTTP Status Code(s)")
        codes = sorted(c for c in url.status_codes if HTTP_STATUS_CODE_MIN <= c <= HTTP_STATUS_CODE_MAX)
        start: int | None = None
        prev = 0
        for code in [*codes, -1]:
            if start is not None and code == prev + 1:
                prev = code
                continue
            if start is not None:
                w(f"       {start}" if start == prev else f"       {start}-{prev}")
            start = prev = code
        if url.virtualhost:
            w(f"     Virtual host = {url.virtualhost}")
        if url.regex is None:
            return
        w(f'     Regex = "{url.regex}"')
        if url.regex_no_match:
            w("     Regex no match")
        if url.regex_min_offset or url.regex_max_offset:
            if url.regex_max_offset:
                w(f"     Regex min offset = {url.regex_min_offset}, max_offset = {url.regex_max_offset}")
            else:
                w(f"     Regex min offset = {url.regex_min_offset}")
        # keepalived lists every option it knows as soon as any option is set.
        w(f"     Regex options:{''.join(' ' + o for o in REGEX_OPTION_NAMES) if url.regex_options else ''}")
        w(f"     Regex ref count = {sim.regex_refs.get((url.regex, frozenset(url.regex_options)), 1)}")
        if url.regex_stack is not None:
            w(f"     Regex stack start {sim.jit_stack[0]}, max {sim.jit_stack[1]}")

    # -- BFD process -------------------------------------------------------------------------

    def bfd_data(self) -> None:
        w = self.w
        w("------< BFD Topology >------")
        for b in self.config.bfd.instances:
            family = _g(b, "family", 4)
            w(f" BFD Instance = {b.name}")
            w(f"   Neighbor IP = {b.neighbor}")
            if _g(b, "source"):
                w(f"   Source IP = {b.source}")
            w(f"   Required min RX interval = {b.min_rx_us} us")
            w(f"   Desired min TX interval = {b.min_tx_us} us")
            w(f"   Desired idle TX interval = {b.idle_tx_us} us")
            w(f"   Detection multiplier = {b.multiplier}")
            w(f"   {'TTL' if family == 4 else 'hoplimit'} = {b.ttl}")
            w(f"   max_hops = {b.max_hops}")
            w(f"   passive = {_tf(b.passive)}")
            w(f"   send event to VRRP process = {'Yes' if _g(b, 'vrrp', True) else 'No'}")
            w(f"   send event to checker process = {'Yes' if _g(b, 'checker', True) else 'No'}")

    # -- the whole dump ------------------------------------------------------------------------

    def run(self) -> list[str]:
        cfg = self.config
        vrrp_proc = self._runs_vrrp()
        check_proc = bool(_g(cfg.lvs, "virtual_servers", ()))
        bfd_proc = bool(_g(cfg.bfd, "instances", ()))
        if vrrp_proc or check_proc or bfd_proc:
            self.global_defs("vrrp" if vrrp_proc else "checker" if check_proc else "bfd")
        if vrrp_proc:
            self.garp_delays()
            self.vrrp_data()
        if check_proc:
            self.check_data()
        if bfd_proc:
            self.bfd_data()
        return self.lines

    def _runs_vrrp(self) -> bool:
        cfg = self.config
        st = cfg.static
        return bool(
            cfg.vrrp.instances
            or cfg.vrrp.sync_groups
            or st.addresses
            or st.routes
            or st.rules
            or _g(st, "have_vrrp_config")
            or cfg.trackers.scripts
            or cfg.trackers.processes
        )


# -- the checker process at start-up --------------------------------------------------------------

LVS_VERSION = "1.2.1"  # IP_VS_VERSION_CODE of the kernel headers keepalived 2.2.7 was built with
IPVS_WEIGHT_FAULT = -(2**31)
IPVS_WEIGHT_LIMIT = 2**31 - 1
ULONG_MAX = 2**64 - 1
EPOCH_CTIME = "Thu Jan  1 00:00:00 1970"  # ctime() of a MISC_CHECK that has not run (UTC)
DEFAULT_NFTABLES_START_FWMARK = 1000


def _decimal6(value: int) -> str:
    """keepalived's format_decimal(value, 6)."""
    return f"{value // TIMER_HZ}.{value % TIMER_HZ:06d}"


def _abled(flag: Any) -> str:
    return "enabled" if flag else "disabled"


def _on(flag: Any) -> str:
    return "ON" if flag else "OFF"


def _real_weight(weight: int) -> int:
    return 0 if weight < 0 else min(weight, IPVS_WEIGHT_LIMIT)


@dataclass
class _RsState:
    rs: Any  # RealServer, or the SorryServer
    iweight: int
    inhibit: bool
    eff: int = 0
    alive: bool = False
    set: bool = False
    failed: int = 0
    track_files: list[tuple[str, int, bool]] = dataclasses.field(default_factory=list)


@dataclass
class _VsState:
    vs: VirtualServer
    vsg: VirtualServerGroup | None
    rss: list[_RsState]
    sorry: _RsState | None
    alive: bool = False
    quorum_up: bool = False

    def rs_trio(self, rs: Any) -> str:
        return trio(rs.address, self.vs.protocol)


@dataclass
class _CheckerState:
    vs: _VsState
    rs: Any
    rs_state: _RsState
    checker: Any
    alpha: bool = False
    is_up: bool = True
    has_run: bool = False
    cur_weight: int = 0
    delay_loop: int = ULONG_MAX
    warmup: int = ULONG_MAX
    retry: int = UINT_MAX
    delay_before_retry: int = ULONG_MAX
    default_delay_before_retry: int = TIMER_HZ
    dest: str = ""
    timeout: int = 0


class _CheckerStartup:
    """What keepalived's checker process has done to its data when it writes the dump.

    It runs with IPVS commands succeeding: validate_check_config (checker defaults, alpha
    checkers down), the track files (at their ``init_file`` value, else 0), effective weights,
    then init_services (services added, real servers without failed checkers added and alive,
    the quorum state and sorry server at start-up, inhibited servers added with weight 0).
    """

    def __init__(self, cfg: Config) -> None:
        lvs = cfg.lvs
        self.groups = {g.name: g for g in reversed(lvs.virtual_server_groups)}
        self.vss: list[_VsState] = []
        self.checkers: list[_CheckerState] = []
        self.range_alive: dict[tuple[str, int], tuple[int, int, int]] = {}
        self.fwmark_alive: dict[tuple[str, int], tuple[int, int]] = {}
        self.auto_fwmarks: dict[str, dict[Protocol, int]] = {}
        self.track_files: list[tuple[Any, list[tuple[_CheckerState, int, bool]]]] = []
        self.regex_refs: dict[tuple[str, frozenset[str]], int] = {}
        self.jit_stack = (0, 0)
        self.ssl_required = False
        gd = cfg.global_defs
        self.nft_ipvs = bool(_g(gd, "nftables_ipvs"))
        self.next_fwmark = int(_g(gd, "nftables_ipvs_start_fwmark", None) or DEFAULT_NFTABLES_START_FWMARK)
        for vs in lvs.virtual_servers:
            vsg = self.groups.get(vs.group) if vs.group is not None else None
            rss = [_RsState(rs, int(rs.weight or 0), bool(rs.inhibit_on_failure)) for rs in vs.real_servers]
            sorry = None
            if vs.sorry_server is not None:
                sorry = _RsState(vs.sorry_server, 1, bool(vs.sorry_server.inhibit))
            self.vss.append(_VsState(vs, vsg, rss, sorry))
        for vst in self.vss:
            for rs, rst in zip(vst.vs.real_servers, vst.rss, strict=True):
                for c in rs.checkers:
                    if not isinstance(c, FileCheck):
                        self.checkers.append(self._checker(vst, rs, rst, c))
        # set_quorum_states(): nothing is alive yet.
        for vst in self.vss:
            vst.quorum_up = (vst.vs.quorum + vst.vs.hysteresis) & UINT_MAX == 0
        self._file_checkers(cfg)
        for rst in (r for vst in self.vss for r in vst.rss):
            rst.eff = rst.iweight
        for chk in self.checkers:
            chk.rs_state.eff += chk.cur_weight
        for vst in self.vss:
            self._init_service(vst)
        self._regexes()

    def _checker(self, vst: _VsState, rs: Any, rst: _RsState, c: Any) -> _CheckerState:
        chk = _CheckerState(vst, rs, rst, c)
        alpha = _g(c, "alpha")
        chk.alpha = bool(rs.alpha if alpha is None else alpha)
        if isinstance(c, HttpGetCheck):
            chk.default_delay_before_retry = 3 * TIMER_HZ
            self.ssl_required = self.ssl_required or isinstance(c, SslGetCheck)
        elif isinstance(c, DnsCheck):
            chk.default_delay_before_retry = 0
        if not isinstance(c, BfdCheck):
            timing = resolve_timing(
                c,
                delay_loop=int(rs.delay_loop or 0),
                rs_retry=rs.retry,
                rs_delay_before_retry=rs.delay_before_retry,
                rs_warmup=rs.warmup,
            )
            chk.retry, chk.delay_before_retry = timing.retry, timing.delay_before_retry
            chk.warmup, chk.delay_loop = timing.warmup, timing.delay_loop
        co = _g(c, "connection")
        if co is not None:
            port = co.connect_port
            if port is None:
                parsed = _g(rs, "parsed_port")
                port = rs.address.port if parsed is None else parsed
            chk.dest = f"[{co.connect_ip or rs.address.ip}]:{port}"
            timeout = co.connect_timeout
            chk.timeout = int(rs.connect_timeout or 0) if timeout is None else int(timeout)
        if chk.alpha:
            chk.is_up = False
            rst.failed += 1
        return chk

    def _file_checkers(self, cfg: Config) -> None:
        """add_rs_to_track_files(), set_track_file_weights(), set_track_file_checkers_down()."""
        by_file: dict[str, list[tuple[_CheckerState, int, bool]]] = {}
        for vst in self.vss:
            for rs, rst in zip(vst.vs.real_servers, vst.rss, strict=True):
                for c in rs.checkers:
                    if not isinstance(c, FileCheck):
                        continue
                    tf = cfg.trackers.track_file(c.track_file)
                    if tf is None:
                        continue
                    weight = tf.weight if c.weight is None else c.weight
                    reverse = tf.weight_reverse if c.weight is None else c.reverse
                    chk = _CheckerState(vst, rs, rst, c, has_run=True)
                    status = tf.init_value if tf.init is not None else 0
                    value = status * weight * (-1 if reverse else 1)
                    if status and weight:
                        chk.cur_weight = value
                    if status and (not weight or value <= IPVS_WEIGHT_FAULT):
                        chk.is_up = False
                    # init_service_rs() counts these failures (not the checker state).
                    if (weight and value <= IPVS_WEIGHT_FAULT) or (not weight and status):
                        rst.failed += 1
                    rst.track_files.append((tf.name, weight, reverse))
                    self.checkers.append(chk)
                    by_file.setdefault(tf.name, []).append((chk, weight, reverse))
        for tf in cfg.trackers.track_files:
            if tf.name in by_file:
                self.track_files.append((tf, by_file[tf.name]))

    def _count(self, vst: _VsState, up: bool) -> None:
        """keepalived's per group entry counts of destinations added (ipvs_group_cmd)."""
        vsg = vst.vsg
        if vsg is None or self._auto_fwmark(vst):
            return
        step = 1 if up else -1
        proto = vst.vs.protocol
        for i in range(len(vsg.ranges)):
            tcp, udp, sctp = self.range_alive.get((vsg.name, i), (0, 0, 0))
            if proto == Protocol.TCP:
                tcp += step
            elif proto == Protocol.UDP:
                udp += step
            else:
                sctp += step
            self.range_alive[(vsg.name, i)] = (tcp, udp, sctp)
        for i in range(len(vsg.fwmarks)):
            v4, v6 = self.fwmark_alive.get((vsg.name, i), (0, 0))
            if vst.vs.family == 4:
                v4 += step
            else:
                v6 += step
            self.fwmark_alive[(vsg.name, i)] = (v4, v6)

    def _auto_fwmark(self, vst: _VsState) -> bool:
        vsg, proto = vst.vsg, vst.vs.protocol
        if vsg is None or proto is None:
            return False
        return bool(self.auto_fwmarks.get(vsg.name, {}).get(proto))

    def _add_dest(self, vst: _VsState, rst: _RsState) -> None:
        """ipvs_cmd(LVS_CMD_ADD_DEST)."""
        if rst.inhibit and rst.set:
            return  # an edit of the destination
        rst.set = True
        self._count(vst, True)

    def _del_dest(self, vst: _VsState, rst: _RsState) -> None:
        """ipvs_cmd(LVS_CMD_DEL_DEST)."""
        if rst.inhibit:
            return  # weight set to 0 instead
        if rst.set:
            rst.set = False
        self._count(vst, False)

    def _init_service(self, vst: _VsState) -> None:
        vs, vsg = vst.vs, vst.vsg
        # The service: with an ipvs nftables table, a group of addresses gets a fwmark per protocol.
        if self.nft_ipvs and vsg is not None and vs.protocol is not None and not vsg.fwmarks:
            marks = self.auto_fwmarks.setdefault(vsg.name, {})
            if not marks.get(vs.protocol):
                marks[vs.protocol] = self.next_fwmark
                self.next_fwmark += 1
        vst.alive = True
        for rst in vst.rss:
            if (not rst.failed and not rst.alive) or (rst.inhibit and not rst.set):
                self._add_dest(vst, rst)
                if not rst.failed:
                    rst.alive = True
        # update_quorum_state(vs, init=True)
        weight_sum = sum(_real_weight(r.eff) for r in vst.rss if r.alive)
        sign = -1 if vst.quorum_up else 1
        threshold = (vs.quorum + sign * vs.hysteresis) & UINT_MAX
        sorry = vst.sorry
        if not vst.quorum_up and weight_sum >= threshold:
            vst.quorum_up = True
        elif (vst.quorum_up and (not weight_sum or weight_sum < threshold)) or (
            not vst.quorum_up and sorry is not None and not sorry.alive
        ):
            vst.quorum_up = False
            if sorry is not None and not sorry.alive:
                for rst in vst.rss:
                    if rst.alive:
                        self._del_dest(vst, rst)
                self._add_dest(vst, sorry)
                sorry.alive = True
        if sorry is not None and sorry.inhibit and not sorry.set:
            if vs.sorry_server_duplicates_rs:
                sorry.set = True
            else:
                self._add_dest(vst, sorry)

    def _regexes(self) -> None:
        stacks: list[tuple[int, int]] = []
        for chk in self.checkers:
            for url in _g(chk.checker, "urls", ()):
                if url.regex is not None:
                    key = (url.regex, frozenset(url.regex_options))
                    self.regex_refs[key] = self.regex_refs.get(key, 0) + 1
                if url.regex_stack is not None:
                    stacks.append(url.regex_stack)
        if stacks:
            self.jit_stack = (max(s[0] for s in stacks), max(s[1] for s in stacks))


def _addr_plen(address: str, plen: int, family: int) -> str:
    full = 32 if family == 4 else 128
    return address if plen == full else f"{address}/{plen}"


def _prefix(p: Any) -> str:
    return _addr_plen(p.address, p.prefix_len, p.family)


def cmd_str(script: Script | None) -> str:
    """keepalived's cmd_str(): each word in single quotes (a leading redirection word bare)."""
    if script is None:
        return ""
    out: list[str] = []
    for i, arg in enumerate(script.args):
        if i == 0 and arg[:1] in ("<", ">"):
            out.append(arg)
        else:
            out.append(f"'{arg}'")
    return " ".join(out)


def dump_lines(config: Config, host: Host | None = None) -> list[str]:
    """The dump as a list of lines (no log prefix)."""
    return _Dumper(config, host).run()


def dump_text(config: Config, host: Host | None = None) -> str:
    lines = dump_lines(config, host)
    return "".join(line + "\n" for line in lines)


def format_ipaddress(ip: Any, default_dev: str | None, installed: bool = False) -> str:
    """keepalived's format_ipaddress(): one address as the dumps show it (no indent)."""
    return _Dumper(Config(), None).ipaddress(ip, default_dev, installed).strip()


def format_route(route: Any, installed: bool = False) -> str:
    """keepalived's format_iproute() (no indent)."""
    return _Dumper(Config(), None).route(route, installed).strip()


def format_rule(rule: Any) -> str:
    """keepalived's format_iprule() (no indent)."""
    return _Dumper(Config(), None).rule(rule).strip()


def vrrp_data_lines(config: Config, runtime: VrrpRuntime, host: Host | None = None) -> list[str]:
    """keepalived's SIGUSR1 dump of the VRRP process (``keepalived.data``): the start-up dump's
    global definitions and VRRP sections with the run-time facts, then the interfaces."""
    d = _Dumper(config, host, runtime)
    d.global_defs("vrrp")
    d.garp_delays()
    d.vrrp_data()
    if runtime.interface_lines:
        d.w("------< Interfaces >------")
        d.lines.extend(runtime.interface_lines)
    return d.lines


def parent_data_lines(config: Config, host: Host | None = None) -> list[str]:
    """keepalived's SIGUSR1 dump of the parent (``keepalived_parent.data``): global definitions
    in the form of a process that runs no VRRP (no default interface, GARP values unresolved)."""
    d = _Dumper(config, host)
    d.global_defs("parent")
    return d.lines
