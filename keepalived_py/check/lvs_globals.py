"""What ``lvs_timeouts`` and ``lvs_sync_daemon`` (global_defs) ask of IPVS, and when: pure.

keepalived 2.2.7 splits the two between its children, and keepalived-py follows:

* ``lvs_timeouts`` is the checker's (check_daemon.c start_check): at start, and after every
  reload, the configured timeouts are set; a timeout not configured (or 0) keeps the value the
  kernel had before keepalived first changed one.  Those first values are read once and put back
  when the checker stops, and at a reload whose configuration no longer sets any.
* ``lvs_sync_daemon IF inst VI ...`` is the VRRP child's: the connection-sync daemon follows the
  instance VI.  When the instances start, a backup daemon is started; when VI becomes MASTER the
  backup daemon is stopped and a master daemon started, when it leaves MASTER the reverse; when
  the VRRP child stops, the daemon of VI's state is stopped.  The sync id defaults to VI's VRID.
  An instance that does not exist clears the setting ("Unable to find vrrp instance ...").
* ``lvs_sync_daemon IF`` without an instance is the checker's: at start both daemons are stopped
  (whatever a crashed predecessor left) and both started, sync id 0 by default; at a reload they
  are stopped first only if a setting changed, and started again (the kernel refuses the start of
  a daemon already running, and keepalived logs that refusal); at stop both are stopped.

The functions here return the daemon commands in keepalived's order; runtime/lvs_globals.py
sends them.  ``ignore_error``: keepalived sends the command but does not log a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from keepalived_py.config.model import Config
from keepalived_py.config.model.global_defs import LvsTimeouts

# linux/ip_vs.h IP_VS_STATE_*
MASTER, BACKUP = 1, 2


@dataclass(frozen=True, slots=True)
class SyncdSettings:
    """The daemon parameters keepalived passes to the kernel (0 / None: the kernel's default)."""

    ifname: str
    syncid: int
    maxlen: int = 0
    group: str | None = None
    port: int = 0
    ttl: int = 0


@dataclass(frozen=True, slots=True)
class SyncdCommand:
    start: bool  # False: stop
    state: int  # MASTER or BACKUP
    settings: SyncdSettings
    ignore_error: bool = False


def _settings(config: Config, syncid: int) -> SyncdSettings | None:
    sync = config.global_defs.lvs_sync_daemon
    if sync is None:
        return None
    return SyncdSettings(
        ifname=sync.interface,
        syncid=syncid if sync.sync_id is None else sync.sync_id,
        maxlen=sync.maxlen or 0,
        group=sync.group,
        port=sync.port or 0,
        ttl=sync.ttl or 0,
    )


def vrrp_syncd(config: Config) -> tuple[str, SyncdSettings] | None:
    """(instance name, settings) when the VRRP process drives the daemons, else None.

    The instance's old ``lvs_sync_daemon_interface`` keyword counts when the global one is absent.
    """
    sync = config.global_defs.lvs_sync_daemon
    instances = {inst.name: inst for inst in config.vrrp.instances}
    if sync is None:
        for each in config.vrrp.instances:
            if each.lvs_sync_daemon_interface:
                return each.name, SyncdSettings(each.lvs_sync_daemon_interface, each.vrid or 0)
        return None
    if sync.vrrp_instance is None:
        return None
    inst = instances.get(sync.vrrp_instance)
    if inst is None:
        return None
    settings = _settings(config, inst.vrid or 0)
    assert settings is not None
    return inst.name, settings


def checker_syncd(config: Config) -> SyncdSettings | None:
    """The settings when the checker process runs both daemons itself (no instance named)."""
    sync = config.global_defs.lvs_sync_daemon
    if sync is None or sync.vrrp_instance is not None:
        return None
    return _settings(config, 0)


def _both(start: bool, settings: SyncdSettings, ignore_error: bool) -> list[SyncdCommand]:
    return [SyncdCommand(start, state, settings, ignore_error) for state in (MASTER, BACKUP)]


def checker_start(
    settings: SyncdSettings | None, previous: SyncdSettings | None = None, *, reload: bool = False
) -> list[SyncdCommand]:
    """The checker's commands at start (or after a reload from ``previous``)."""
    if settings is None:
        return []
    cmds = []
    if not reload or previous != settings:
        cmds += _both(False, settings, True)
    return cmds + _both(True, settings, False)


def checker_stop(settings: SyncdSettings | None) -> list[SyncdCommand]:
    return [] if settings is None else _both(False, settings, True)


class VrrpSyncd:
    """The daemons that follow one VRRP instance: feed it the instance's notifications."""

    def __init__(self, instance: str, settings: SyncdSettings) -> None:
        self.instance = instance
        self.settings = settings
        self.master = False  # the instance's state is MASTER

    def start(self) -> list[SyncdCommand]:
        """keepalived's vrrp_init_state: a backup daemon while the instance starts."""
        return [SyncdCommand(True, BACKUP, self.settings)]

    def state(self, kind: str) -> list[SyncdCommand]:
        """The instance's notification ``kind`` (MASTER, BACKUP, FAULT, STOP, ...)."""
        s = self.settings
        if kind == "MASTER" and not self.master:
            self.master = True
            return [SyncdCommand(False, BACKUP, s), SyncdCommand(True, MASTER, s)]
        if kind in ("BACKUP", "FAULT") and self.master:
            self.master = False
            return [SyncdCommand(False, MASTER, s), SyncdCommand(True, BACKUP, s)]
        if kind == "STOP":
            state = MASTER if self.master else BACKUP
            self.master = False
            return [SyncdCommand(False, state, s)]
        return []

    def reload(self, instance: str, settings: SyncdSettings, *, master: bool) -> list[SyncdCommand]:
        """keepalived's reload_vrrp_thread then vrrp_init_state, for the new settings.

        The daemon of the instance's state is stopped only if a setting changed, the other one is
        stopped, and the one of the state is started again: a daemon left running makes the
        kernel refuse that start (which keepalived logs).  keepalived also sends a start without
        an interface, which the kernel always refuses and keepalived does not log: left out.
        """
        want, other = (MASTER, BACKUP) if master else (BACKUP, MASTER)
        cmds = []
        if settings != self.settings:
            cmds.append(SyncdCommand(False, want, self.settings, True))
        cmds.append(SyncdCommand(False, other, self.settings, True))
        cmds.append(SyncdCommand(True, want, settings))
        self.instance, self.settings, self.master = instance, settings, master
        return cmds


# -- timeouts ---------------------------------------------------------------------------------

Timeouts = tuple[int, int, int]  # tcp, tcpfin, udp in seconds (0: not configured)


def configured_timeouts(timeouts: LvsTimeouts) -> Timeouts | None:
    """The configured timeouts, None when none is set (0 counts as not set, as in keepalived)."""
    wanted = (timeouts.tcp or 0, timeouts.tcp_fin or 0, timeouts.udp or 0)
    return wanted if any(wanted) else None


def timeouts_to_send(wanted: Timeouts | None, original: Timeouts) -> Timeouts:
    """What IPVS_CMD_SET_CONFIG carries: the configured values, the original ones for the rest
    (``wanted`` None: put the original values back)."""
    if wanted is None:
        return original
    return (wanted[0] or original[0], wanted[1] or original[1], wanted[2] or original[2])


class TimeoutKeeper:
    """The kernel's timeouts from before the first change (keepalived's orig_ipvs_timeouts)."""

    def __init__(self) -> None:
        self.original: Timeouts | None = None

    def plan(self, wanted: Timeouts | None) -> tuple[bool, bool]:
        """(read the original values first, send) for setting ``wanted`` (None: restore)."""
        if self.original is None:
            return (wanted is not None, wanted is not None)
        return (False, True)
