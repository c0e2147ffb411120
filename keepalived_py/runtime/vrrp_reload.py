"""SIGHUP in the VRRP process: read the configuration again and carry on without a flap.

keepalived's reload (vrrp_daemon.c reload_vrrp_thread, vrrp.c clear_diff_vrrp) keeps the
running state of every instance that is still the same VRRP router (reload_plan.find_match):
a master stays master and its VIPs never leave the interface; addresses, routes and rules the
new configuration no longer has are removed; instances that went away stop (priority 0 from a
master, their addresses removed, a DELETED - or, by default, FAULT - notification); new
instances start as at start-up.  Scripts are killed and started again, the notify FIFOs are
closed and opened again.

What keepalived-py adds: the new file is read by a separate, lower-priority process
(runtime/reload_reader.py), so parsing a large configuration does not delay adverts, and a
broken configuration (see ``refused``) is refused as a whole, the running one staying in place.

Known limits, documented in docs/compatibility.md: static addresses/routes/rules keep their
start-up values; the GARP pacing of garp_groups keeps its start-up values; a VMAC of a removed
instance is left in place until exit; while a reload runs, accept-mode drop rules are rebuilt
(a few milliseconds without them).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import pickle
import sys
import time
from typing import TYPE_CHECKING

from keepalived_py.config.errors import Severity
from keepalived_py.config.loader import LoadResult
from keepalived_py.config.model import Config
from keepalived_py.runtime import heap_freeze
from keepalived_py.runtime.vrrp_firewall import close_firewall
from keepalived_py.runtime.vrrp_notify import Notifier
from keepalived_py.runtime.vrrp_rx import VridIndex
from keepalived_py.runtime.vrrp_sync import SyncGroups
from keepalived_py.runtime.vrrp_timers import LoopTimers
from keepalived_py.runtime.vrrp_tracking import TrackingRunner
from keepalived_py.vrrp import reload_plan
from keepalived_py.vrrp.instance import VrrpCore
from keepalived_py.vrrp.notify_format import fifo_line
from keepalived_py.vrrp.state import State

if TYPE_CHECKING:
    from keepalived_py.runtime.vrrp_driver import VrrpDriver
    from keepalived_py.runtime.vrrp_process import VrrpDaemon

log = logging.getLogger(__name__)

PARSE_SWITCH_INTERVAL = 0.0005  # seconds


async def read_config(path: str, config_id: str | None, all_config: bool) -> LoadResult:
    """The new configuration, parsed by runtime/reload_reader.py in a child process (says why)."""
    argv = [sys.executable, "-m", "keepalived_py.runtime.reload_reader", path]
    if config_id:
        argv.append(config_id)
    if all_config:
        argv.append("--all-config")
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise OSError(
            f"the reader exited with status {proc.returncode}: {err.decode(errors='replace')[-300:]}"
        )
    # unpickled in a thread: the bulk (the LVS section) was left out by the reader
    diags, fatal_exit, config = await asyncio.get_running_loop().run_in_executor(None, pickle.loads, out)
    return LoadResult(config=config, diags=diags, fatal_exit=fatal_exit)


# What makes a new configuration "broken" for a reload: keepalived would not run it, or its
# structure is damaged (a brace or quote error can silently drop a whole block, and with it an
# instance), or a mandatory parameter is missing, or scripts would run unsafely.  Unknown
# keywords, bad numbers and the like are warned about and loaded, as keepalived does.
_BREAKING = frozenset(
    {
        Severity.FILE_NOT_FOUND,
        Severity.BAD_IF,
        Severity.FATAL,
        Severity.UNEXPECTED_BOB,
        Severity.MISSING_BOB,
        Severity.UNEXPECTED_EOB,
        Severity.MISSING_EOB,
        Severity.UNMATCHED_QUOTE,
        Severity.MISSING_PARAMETER,
        Severity.SECURITY_ERROR,
    }
)


def refused(result: LoadResult) -> str | None:
    """Why a new configuration is not taken (None: it is taken)."""
    if result.fatal_exit is not None or result.config is None:
        return "it cannot be loaded"
    if result.config.vrrp.missing_interfaces:
        return "interface(s) missing: " + ", ".join(result.config.vrrp.missing_interfaces)
    if result.config.vrrp.complete_failed:
        return "an instance lacks its VRID or interface, or VRIDs conflict"
    broken = [d for d in result.diags.items if d.severity in _BREAKING]
    if broken:
        return f"{broken[0].message} (and {len(broken) - 1} more)" if len(broken) > 1 else broken[0].message
    return None


async def reload(daemon: VrrpDaemon) -> bool:
    """Reload ``daemon`` from its configuration file; True when the new configuration runs."""
    opts = daemon.opts
    log.info("Reloading")
    # Unpickling happens in a thread that shares the GIL with the loop: a short switch interval
    # lets the loop take it back within a fraction of a millisecond when a timer is due.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(PARSE_SWITCH_INTERVAL)
    try:
        result = await read_config(opts.config_file, opts.config_id, opts.all_config)
    except Exception as exc:
        log.error(
            "Reload failed: cannot read %s (%s) - keeping the running configuration", opts.config_file, exc
        )
        return False
    finally:
        sys.setswitchinterval(interval)
    why = refused(result)
    if why is not None:
        for diag in result.diags.items:
            log.info("%s", diag.render())
        log.error("Reload failed: the new configuration is refused (%s) - keeping the running one", why)
        return False
    assert result.config is not None
    t = time.perf_counter()
    await apply(daemon, result.config)
    heap_freeze.settle()  # the new instances: out of the collector's way
    if daemon.opts.log_detail:
        log.info("Reload applied in %.1f ms", (time.perf_counter() - t) * 1000)
    return True


async def apply(daemon: VrrpDaemon, new: Config) -> None:
    """Switch ``daemon`` to ``new`` (see the module docstring)."""
    old = daemon.config
    og, ng = old.global_defs, new.global_defs
    running = [daemon._instances[d.name] for d in daemon.drivers if d.name in daemon._instances]
    plan = reload_plan.plan(
        running,
        new.vrrp.instances,
        old_groups=(og.vrrp_mcast_group4, og.vrrp_mcast_group6),
        new_groups=(ng.vrrp_mcast_group4, ng.vrrp_mcast_group6),
    )
    matched = {m.old.name: m for m in plan.matches}
    # adverts a backup's socket still holds (runtime/rx_batch.py) go to the instances they came for
    LoopTimers.for_loop(daemon.loop).flush_reads()
    # scripts: the tracking ones stop, every other running one (FIFO readers) gets SIGTERM
    await daemon.tracking.stop()
    script_states = dict(daemon.tracking.scripts)
    daemon.scripts.terminate()
    daemon.scripts.stopping = False
    resumed: dict[str, VrrpCore] = {}
    for driver in daemon.drivers:
        match = matched.get(driver.name)
        if match is None:
            _delete(daemon, driver)
        else:
            resumed[match.new.name] = driver.core
            driver.retire()
            if driver.core.vipset:
                _remove_entries(daemon, driver, match)
    log.info(
        "Reload: %d instance(s) kept, %d removed, %d added",
        len(plan.matches),
        len(plan.removed),
        len(plan.added),
    )
    for listener in daemon.listeners.values():
        listener.drivers.clear()
        listener._index = VridIndex()
        listener.refresh_reads()  # at once again, until the new instances are backups
    daemon.drivers = []
    daemon._instances.clear()
    daemon._trackings.clear()
    daemon._tracks_primary.clear()
    daemon._deferred.clear()
    await close_firewall(daemon.vip_filter)
    daemon.vip_filter = None
    old_notifier = daemon.notifier
    old_notifier.close()
    with contextlib.suppress(Exception):
        await old_notifier.flush_mail(0.5)
    daemon.config = new
    daemon.notifier = Notifier(new, daemon.scripts, log_detail=daemon.opts.log_detail)
    daemon.notifier.start(daemon.opts.umask)
    daemon.tracking = TrackingRunner(new, env=daemon.scripts.env, ids_of=daemon._script_ids)
    daemon.sync = SyncGroups(new, daemon.notifier)
    daemon.build()
    # a script that kept its name keeps its last result (keepalived's clear_diff_script)
    for name, state in script_states.items():
        if name in daemon.tracking.scripts:
            daemon.tracking.scripts[name] = state
    daemon.tracking.start()
    for driver in daemon.drivers:
        tracking = daemon._trackings.get(driver.name)
        if tracking is not None:
            daemon._apply_tracking(driver, tracking)
    for driver in daemon.drivers:
        previous = resumed.get(driver.name)
        if previous is not None:
            driver.resume(previous)
            if new.global_defs.fifo_write_vrrp_states_on_reload and driver.core.state is not State.INIT:
                # keepalived repeats an unchanged instance's state on the FIFOs after a reload
                state, priority = driver.core.state.value, driver.core.effective_priority
                daemon.notifier.fifos.write(fifo_line(driver.name, state, priority))
    for driver in daemon.drivers:
        if driver.core.state is not State.INIT:
            continue
        tracking = daemon._trackings.get(driver.name)
        if tracking is not None and tracking.waiting:
            daemon._deferred.add(driver.name)
    for driver in daemon.drivers:
        if driver.core.state is State.INIT and driver.name not in daemon._deferred:
            daemon.sync.start(driver, daemon._deferred)
    for listener in daemon.listeners.values():
        listener.refresh_reads()  # resumed backups change no state
    if daemon.lvs is not None:
        daemon.lvs.reload(new, {d.name: d.core.state is State.MASTER for d in daemon.drivers})


def _delete(daemon: VrrpDaemon, driver: VrrpDriver) -> None:
    """An instance the new configuration does not have: stop it as keepalived deletes it."""
    inst = daemon._instances.get(driver.name)
    driver.delete(notify_deleted=bool(inst is not None and inst.notify_deleted))


def _remove_entries(daemon: VrrpDaemon, driver: VrrpDriver, match: reload_plan.Match) -> None:
    """A kept master: the addresses, routes and rules the new configuration drops go now."""
    for rule in match.removed_rules:
        daemon.netlink.remove_rule(rule)  # type: ignore[arg-type]
    for route in match.removed_routes:
        daemon.netlink.remove_route(route)  # type: ignore[arg-type]
    for entry in match.removed_vips:
        address = ipaddress.ip_address(entry.address)  # type: ignore[attr-defined]
        error = daemon.netlink.remove_address(driver.entry(address), driver.vip_ifname)
        if error:
            log.info("(%s) cannot remove %s: %s", driver.name, address, error)
