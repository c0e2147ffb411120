"""Typed model of global_defs and the top-level flags (net_namespace, child_wait_time, ...).

Defaults are keepalived 2.2.7's (``alloc_global_data``/``set_vrrp_defaults``).  Values that
keepalived derives from the machine are left as ``None`` meaning "keepalived's default", and are
resolved by the runtime, not by the config layer:

* ``router_id`` None: the canonical host name (``getaddrinfo(uname().nodename)``);
* ``email_from`` None: ``<running user>@<canonical host name>`` when an smtp_server is set;
* ``smtp_helo_name`` None: the canonical host name when an smtp_server is set.

Times are in microseconds (keepalived's TIMER_HZ), except where keepalived itself keeps
seconds (``startup_script_timeout``, ``lvs_timeouts``), which the field names say.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from keepalived_py.config.scripts import Script
from keepalived_py.config.values import TIMER_HZ

# keepalived's "PARAMETER_UNSET" fields are None here.
RT_RLIMIT_DEFAULT = 10000
DEFAULT_NFTABLES_TABLE = "keepalived"
DEFAULT_NFTABLES_IPVS_TABLE = "keepalived_ipvs"
DEFAULT_IPVS_NF_START_FWMARK = 1000
VRRP_GARP_DELAY = 5 * TIMER_HZ
VRRP_GARP_REP = 5
VRRP_GARP_REFRESH = 0
VRRP_GARP_REFRESH_REP = 1
# reload_file given without a name: keepalived derives it from the pid directory/instance.
DEFAULT_RELOAD_FILE = ""


@dataclass(frozen=True, slots=True)
class ScriptRun:
    """A global_defs script with the uid/gid keepalived resolved for it while parsing.

    (keepalived resolves the default script user lazily, at the first script that needs it,
    so a script before ``script_user`` in global_defs may run as another user than one after.)
    """

    script: Script
    uid: int
    gid: int


@dataclass(frozen=True, slots=True)
class NotifyFifo:
    """``notify_fifo`` / ``vrrp_notify_fifo`` / ``lvs_notify_fifo`` and its ``*_script``."""

    name: str | None = None
    uid: int | None = None
    gid: int | None = None
    script: ScriptRun | None = None


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """The SMTP relay; ``host`` is an address or a name (resolved at run time)."""

    host: str
    port: int = 25


@dataclass(frozen=True, slots=True)
class LvsSyncDaemon:
    """``lvs_sync_daemon IF [inst VI] [id N] [maxlen N] [port N] [ttl N] [group ADDR]``."""

    interface: str
    vrrp_instance: str | None = None
    sync_id: int | None = None  # None: the VRID of the instance
    maxlen: int | None = None
    port: int | None = None
    ttl: int | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True)
class LvsTimeouts:
    """IPVS connection timeouts in seconds (None: left as the kernel has them)."""

    tcp: int | None = None
    tcp_fin: int | None = None
    udp: int | None = None


@dataclass(frozen=True, slots=True)
class ScriptUserState:
    """Where keepalived's default-script-user logic stood at the end of global_defs.

    keepalived resolves it once per run: ``script_user`` sets it; otherwise the first script
    without a user looks up ``keepalived_script`` (falling back to the running user unless
    script security is on, in which case every later script without a user is refused).
    """

    resolved: bool = False
    failed: bool = False
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True, slots=True)
class ProcessTuning:
    """Scheduling options of one of keepalived's child processes (vrrp, checker, bfd)."""

    priority: int = 0  # nice value, -20..19
    no_swap: bool = False
    realtime_priority: int | None = None
    cpu_affinity: tuple[int, ...] = ()
    rlimit_rttime: int = RT_RLIMIT_DEFAULT  # microseconds of CPU before blocking


@dataclass(frozen=True, slots=True)
class GlobalDefs:
    """Everything global_defs and the top-level flags set; keepalived's defaults."""

    # -- top level --------------------------------------------------------------------------
    net_namespace: str | None = None
    net_namespace_ipvs: str | None = None  # "" means the default namespace
    namespace_with_ipsets: bool = False
    use_pid_dir: bool = False  # also implied by net_namespace / instance
    instance: str | None = None
    child_wait_time: int | None = None  # seconds
    linkbeat_use_polling: bool = False

    # -- identity and process names --------------------------------------------------------
    router_id: str | None = None
    process_name: str | None = None
    vrrp_process_name: str | None = None
    checker_process_name: str | None = None
    bfd_process_name: str | None = None

    # -- email -------------------------------------------------------------------------------
    notification_email: tuple[str, ...] = ()
    email_from: str | None = None
    smtp_server: SmtpServer | None = None
    smtp_helo_name: str | None = None
    smtp_connect_timeout: int = 30 * TIMER_HZ
    smtp_alert: bool | None = None  # None: not set (each area decides)
    smtp_alert_vrrp: bool | None = None
    smtp_alert_checker: bool | None = None
    no_email_faults: bool = False
    no_checker_emails: bool = False
    checker_log_all_failures: bool = False

    # -- scripts -----------------------------------------------------------------------------
    script_user: str | None = None
    script_group: str | None = None
    script_security: bool = False
    default_script_user: ScriptUserState = field(default_factory=ScriptUserState)
    startup_script: ScriptRun | None = None
    startup_script_timeout: int | None = None  # seconds; 10 once a script is set
    shutdown_script: ScriptRun | None = None
    shutdown_script_timeout: int | None = None
    notify_fifo: NotifyFifo = field(default_factory=NotifyFifo)
    vrrp_notify_fifo: NotifyFifo = field(default_factory=NotifyFifo)
    lvs_notify_fifo: NotifyFifo = field(default_factory=NotifyFifo)
    vrrp_notify_priority_changes: bool = False
    fifo_write_vrrp_states_on_reload: bool = False
    max_auto_priority: int = 0
    min_auto_priority_delay: int = 1 * TIMER_HZ

    # -- vrrp defaults -----------------------------------------------------------------------
    dynamic_interfaces: bool = False
    allow_if_changes: bool = False
    default_interface: str | None = None
    disable_local_igmp: bool = False
    vrrp_mcast_group4: str = "224.0.0.18"
    vrrp_mcast_group6: str = "ff02::12"
    vrrp_garp_master_delay: int = VRRP_GARP_DELAY
    vrrp_garp_master_repeat: int = VRRP_GARP_REP
    vrrp_garp_master_refresh: int = VRRP_GARP_REFRESH  # microseconds (whole seconds)
    vrrp_garp_master_refresh_repeat: int = VRRP_GARP_REFRESH_REP
    vrrp_garp_lower_prio_delay: int | None = None  # None: vrrp_garp_master_delay
    vrrp_garp_lower_prio_repeat: int | None = None  # None: vrrp_garp_master_repeat
    vrrp_down_timer_adverts: int = 3
    vrrp_garp_interval: int = 0
    vrrp_gna_interval: int = 0
    vrrp_garp_extra_if: int = 0  # seconds, 0: off
    vrrp_garp_extra_if_all: bool = False
    vrrp_lower_prio_no_advert: bool = False
    vrrp_higher_prio_send_advert: bool = False
    vrrp_version: int = 2
    vrrp_check_unicast_src: bool = False
    vrrp_skip_check_adv_addr: bool = False
    vrrp_strict: bool = False
    vrrp_rx_bufs_policy_mtu: bool = False
    vrrp_rx_bufs_policy_advert: bool = False
    vrrp_rx_bufs_size: int | None = None
    vrrp_rx_bufs_multiplier: int = 3
    vrrp_startup_delay: int = 0
    log_unknown_vrids: bool = False
    vmac_prefix: str | None = None
    vmac_addr_prefix: str | None = None
    vrrp_netlink_cmd_rcv_bufs: int | None = None
    vrrp_netlink_cmd_rcv_bufs_force: bool = False
    vrrp_netlink_monitor_rcv_bufs: int | None = None
    vrrp_netlink_monitor_rcv_bufs_force: bool = False
    process_monitor_rcv_bufs: int | None = None
    process_monitor_rcv_bufs_force: bool = False

    # -- firewall (keepalived built with nftables only) --------------------------------------
    nftables: str | None = None  # table name
    nftables_priority: int = -1
    nftables_ifindex: bool = False
    nftables_ipvs: str | None = None
    nftables_ipvs_priority: int = -1
    nftables_ipvs_start_fwmark: int = DEFAULT_IPVS_NF_START_FWMARK
    nftables_counters: bool = False

    # -- lvs ---------------------------------------------------------------------------------
    lvs_timeouts: LvsTimeouts = field(default_factory=LvsTimeouts)
    lvs_flush: bool = False
    lvs_flush_on_stop: str | None = None  # "full" or "VS"
    lvs_sync_daemon: LvsSyncDaemon | None = None
    lvs_netlink_cmd_rcv_bufs: int | None = None
    lvs_netlink_cmd_rcv_bufs_force: bool = False
    lvs_netlink_monitor_rcv_bufs: int | None = None
    lvs_netlink_monitor_rcv_bufs_force: bool = False
    rs_init_notifies: bool = False

    # -- processes ---------------------------------------------------------------------------
    vrrp_process: ProcessTuning = field(default_factory=ProcessTuning)
    checker_process: ProcessTuning = field(default_factory=ProcessTuning)
    bfd_process: ProcessTuning = field(default_factory=ProcessTuning)

    # -- snmp / dbus -------------------------------------------------------------------------
    snmp_socket: str | None = None
    enable_traps: bool = False
    enable_snmp_vrrp: bool = False
    enable_snmp_rfcv2: bool = False
    enable_snmp_rfcv3: bool = False
    enable_snmp_checker: bool = False
    enable_dbus: bool = False
    dbus_service_name: str | None = None

    # -- files, reload, misc -----------------------------------------------------------------
    umask: int | None = None
    random_seed: int | None = None
    reload_check_config: str | None = None
    reload_time_file: str | None = None
    reload_repeat: bool = False
    reload_file: str | None = None  # DEFAULT_RELOAD_FILE: keepalived's derived name
    config_save_dir: str | None = None
    tmp_config_directory: str | None = None
    data_use_instance: bool = False


_FIELDS = frozenset(f.name for f in fields(GlobalDefs))
_TUPLES = ("notification_email",)


def freeze(draft: dict[str, Any]) -> GlobalDefs:
    """The frozen model from the handlers' draft (keys starting with '_' are handler state)."""
    values: dict[str, Any] = {}
    for key, value in draft.items():
        if key not in _FIELDS:
            continue
        values[key] = tuple(value) if key in _TUPLES else value
    for proc in ("vrrp_process", "checker_process", "bfd_process"):
        sub = draft.get("_" + proc)
        if sub:
            values[proc] = ProcessTuning(**sub)
    for fifo in ("notify_fifo", "vrrp_notify_fifo", "lvs_notify_fifo"):
        sub = draft.get("_" + fifo)
        if sub:
            values[fifo] = NotifyFifo(**sub)
    timeouts = draft.get("_lvs_timeouts")
    if timeouts:
        values["lvs_timeouts"] = LvsTimeouts(**timeouts)
    sync = draft.get("_lvs_sync_daemon")
    if sync:
        values["lvs_sync_daemon"] = LvsSyncDaemon(**sync)
    user_state = draft.get("_script_user_state")
    if user_state:
        values["default_script_user"] = ScriptUserState(**user_state)
    return GlobalDefs(**values)
