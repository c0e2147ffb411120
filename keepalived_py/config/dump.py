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
"""

from __future__ import annotations

from typing import Any

from keepalived_py.config.host import Host
from keepalived_py.config.model import Config
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


class _Dumper:
    def __init__(self, config: Config, host: Host | None) -> None:
        self.config = config
        self.host = host
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

    def global_defs(self, vrrp_process: bool) -> None:
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
        if sync is not None:
            if _g(sync, "vrrp_instance"):
                w(f" LVS syncd vrrp instance = {sync.vrrp_instance}")
            w(f" LVS syncd interface = {sync.interface}")
            sync_id = _g(sync, "sync_id")
            if sync_id is None:
                inst = self._instance(_g(sync, "vrrp_instance"))
                sync_id = _g(inst, "vrid", 0) or 0
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
        w(f"   Wantstate = {want}")
        w(f"   Number of config faults = {_g(inst, 'config_faults', 0)}")
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
        if _g(inst, "src_ip"):
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
                w(self.ipaddress(ip, iface))
        evips = _g(inst, "virtual_ipaddresses_excluded", ())
        if evips:
            w("   Virtual IP Excluded :")
            for ip in evips:
                w(self.ipaddress(ip, iface))
        if unicast:
            if _g(inst, "unicast_ttl") is not None:
                w(f"   Unicast TTL = {inst.unicast_ttl}")
            w(f"   Check unicast src : {_yn(check_src)}")
            w("   Unicast Peer :")
            for peer in inst.unicast_peers:
                w(f"     {peer.address} min_ttl {peer.min_ttl} max_ttl {peer.max_ttl}")
            w(f"   Unicast checksum compatibility = {_g(inst, 'old_unicast_checksum') or 'no'}")
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
        pass

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
            self.global_defs(vrrp_proc)
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
