"""Wiring of tracking into the VRRP daemon: vrrp_scripts run on their interval, interfaces
followed through the link watch, and each instance's priority / FAULT fed into its core.

The rules are in ``vrrp/tracking.py`` (pure); the script process handling is in
``adapters/script_runner.py``.  Here: one asyncio task per vrrp_script that some instance
tracks (keepalived runs a script once however many instances track it), the rise/fall state of
each script, and after every change the re-evaluation of the instances that track it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from keepalived_py.adapters import script_runner
from keepalived_py.adapters.file_watch import FileWatch, read_file
from keepalived_py.adapters.process_watch import ProcessWatch
from keepalived_py.config.model import Config
from keepalived_py.config.model.trackers import TrackFile, VrrpScript
from keepalived_py.config.model.vrrp import PRIO_OWNER, TrackedInterface, TrackedRef, VrrpInstance
from keepalived_py.vrrp.process_match import ProcessTable, QuorumChange
from keepalived_py.vrrp.tracking import (
    InstanceTracking,
    Kind,
    ScriptState,
    Tracker,
    parse_track_file,
    up_down_fault,
)

log = logging.getLogger(__name__)

US = 1_000_000


@dataclass
class Tracked:
    """One instance's tracking and how to tell its driver."""

    tracking: InstanceTracking
    apply: Callable[[InstanceTracking], None]


def trackers_of(inst: VrrpInstance, config: Config, base_priority: int) -> tuple[Tracker, ...]:
    """The instance's interface, script and file trackers with the weights they resolve to,
    then those of its vrrp_sync_group (keepalived adds a group's trackers to every member).

    A track_script line without ``weight`` takes the script's own weight and ``reverse``.
    An address owner cannot have weighted trackers (keepalived drops weighted scripts from
    an owner at configuration time), so their weights are ignored.  A tracker on both the
    instance and its group is tracked once: with the group's weight, unless the instance's
    line is unweighted (keepalived's "configured on VRRP instance and sync group").
    """
    found = list(
        _trackers(
            inst.track_interfaces,
            inst.track_scripts,
            inst.track_files,
            config,
            base_priority,
            inst.track_processes,
        )
    )
    group = next((g for g in config.vrrp.sync_groups if inst.name in (g.members or ())), None)
    if group is not None:
        at = {(t.kind, t.name): i for i, t in enumerate(found)}
        for tracker in _trackers(
            group.track_interfaces,
            group.track_scripts,
            group.track_files,
            config,
            base_priority,
            group.track_processes,
        ):
            i = at.get((tracker.kind, tracker.name))
            if i is None:
                at[(tracker.kind, tracker.name)] = len(found)
                found.append(tracker)
            elif found[i].weight:
                found[i] = tracker
    return tuple(found)


def _trackers(
    interfaces: tuple[TrackedInterface, ...],
    scripts: tuple[TrackedRef, ...],
    files: tuple[TrackedRef, ...],
    config: Config,
    base_priority: int,
    processes: tuple[TrackedRef, ...] = (),
) -> list[Tracker]:
    found: list[Tracker] = []
    for ti in interfaces:
        found.append(Tracker(Kind.INTERFACE, ti.name, ti.weight, ti.reverse))
    for ref in scripts:
        script = config.trackers.script(ref.name)
        if script is None:
            continue
        weight = script.weight if ref.weight is None else ref.weight
        reverse = script.weight_reverse if ref.reverse is None else ref.reverse
        if base_priority == PRIO_OWNER and weight:
            continue
        found.append(Tracker(Kind.SCRIPT, ref.name, weight, reverse))
    for ref in files:
        tfile = config.trackers.track_file(ref.name)
        if tfile is None:
            continue
        weight = tfile.weight if ref.weight is None else ref.weight
        reverse = tfile.weight_reverse if ref.reverse is None else ref.reverse
        found.append(Tracker(Kind.FILE, ref.name, weight, reverse))
    for ref in processes:
        tproc = config.trackers.process(ref.name)
        if tproc is None:
            continue
        weight = tproc.weight if ref.weight is None else ref.weight
        reverse = tproc.weight_reverse if ref.reverse is None else ref.reverse
        found.append(Tracker(Kind.PROCESS, ref.name, weight, reverse))
    return found


class TrackingRunner:
    """Runs the tracked vrrp_scripts and keeps every instance's tracking up to date."""

    def __init__(
        self,
        config: Config,
        *,
        env: Mapping[str, str],
        ids_of: Callable[[VrrpScript], tuple[int, int] | None],
    ) -> None:
        self.config = config
        self.env = env
        self.ids_of = ids_of
        self.instances: dict[str, Tracked] = {}
        self.scripts: dict[str, ScriptState] = {}
        self._running: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        # track_file name -> its last value (read at start, then on inotify wake-ups)
        self.files: dict[str, int] = {}
        self._watch: FileWatch | None = None
        # vrrp_script name -> its last exit status (keepalived logs each change, starting from 0)
        self.last_status: dict[str, int] = {}
        # vrrp_track_processes: scanned when the first instance tracking one is added
        self.processes: ProcessWatch | None = None

    def add(self, name: str, tracking: InstanceTracking, apply: Callable[[InstanceTracking], None]) -> None:
        self.instances[name] = Tracked(tracking, apply)
        for tracker in tracking.trackers:
            if tracker.kind is Kind.SCRIPT and tracker.name not in self.scripts:
                script = self.config.trackers.script(tracker.name)
                if script is not None:
                    self.scripts[tracker.name] = ScriptState(script.rise, script.fall, script.init_fail)
            if tracker.kind is Kind.SCRIPT and tracker.name in self.scripts:
                tracking.set_state(Kind.SCRIPT, tracker.name, self.scripts[tracker.name].up)
            if tracker.kind is Kind.FILE:
                tfile = self.config.trackers.track_file(tracker.name)
                if tfile is not None and tracker.name not in self.files:
                    self.files[tracker.name] = self._read(tfile, 0)
                tracking.set_file(tracker.name, self.files.get(tracker.name, 0))
            if tracker.kind is Kind.PROCESS:
                table = self._process_table()
                if tracker.name in table.names:
                    up = table.up(tracker.name)
                    tracking.set_state(Kind.PROCESS, tracker.name, up)
                    if up_down_fault(tracker.weight, tracker.reverse, up):
                        log.info(
                            "(%s) entering FAULT state (tracked process %s quorum not achieved)",
                            name,
                            tracker.name,
                        )

    # -- vrrp_track_processes --------------------------------------------------------------

    def _process_table(self) -> ProcessTable:
        if self.processes is None:
            gd = self.config.global_defs
            self.processes = ProcessWatch(
                ProcessTable(self.config.trackers.processes),
                rcvbuf=gd.process_monitor_rcv_bufs,
                rcvbuf_force=gd.process_monitor_rcv_bufs_force,
            )
            self.processes.open()
        return self.processes.table

    def processes_changed(self, changes: list[QuorumChange]) -> None:
        for change in changes:
            log.info("Quorum %s for tracked process %s", "gained" if change.up else "lost", change.name)
            for tracked in self.instances.values():
                if any(t.kind is Kind.PROCESS and t.name == change.name for t in tracked.tracking.trackers):
                    tracked.tracking.set_state(Kind.PROCESS, change.name, change.up)
                    tracked.apply(tracked.tracking)

    # -- interfaces ------------------------------------------------------------------------

    def interfaces_changed(self, is_up: Callable[[str], bool]) -> None:
        for tracked in self.instances.values():
            changed = False
            for tracker in tracked.tracking.trackers:
                if tracker.kind is Kind.INTERFACE:
                    up = is_up(tracker.name)
                    if tracked.tracking.states.get((Kind.INTERFACE, tracker.name)) is not up:
                        tracked.tracking.set_state(Kind.INTERFACE, tracker.name, up)
                        changed = True
            if changed:
                tracked.apply(tracked.tracking)

    # -- track_files -----------------------------------------------------------------------

    @staticmethod
    def init_files(config: Config) -> None:
        """init_file: keepalived writes the initial value at start (``create``: only if missing)."""
        for tfile in config.trackers.track_files:
            if tfile.init is None or (tfile.init == "create" and os.path.lexists(tfile.file)):
                continue
            if os.path.lexists(tfile.file) and not os.path.isfile(tfile.file):
                log.info("Cannot initialise track file %s - it is not a regular file", tfile.name)
                continue
            try:
                with open(tfile.file, "w", encoding="ascii") as f:
                    f.write(f"{tfile.init_value}\n")
            except OSError:
                log.info("Unable to initialise track file %s", tfile.name)

    def _read(self, tfile: TrackFile, previous: int) -> int:
        value = parse_track_file(read_file(tfile.file))
        if value is None:
            log.info("Invalid number read from %s - ignoring", tfile.file)
            return previous
        return value

    def files_changed(self) -> None:
        for name, old in list(self.files.items()):
            tfile = self.config.trackers.track_file(name)
            if tfile is None:
                continue
            new = self._read(tfile, old)
            if new == old:
                continue
            self.files[name] = new
            for tracked in self.instances.values():
                if any(t.kind is Kind.FILE and t.name == name for t in tracked.tracking.trackers):
                    tracked.tracking.set_file(name, new)
                    tracked.apply(tracked.tracking)

    # -- scripts ---------------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.processes is not None:
            self.processes.attach(loop, self.processes_changed)
        if self.files:
            paths = [f.file for f in self.config.trackers.track_files if f.name in self.files]
            try:
                self._watch = FileWatch(os.path.dirname(p) or "." for p in paths)
            except OSError as exc:
                log.info("Cannot watch track files: %s", exc)
            else:
                for directory in self._watch.failed:
                    log.info("Cannot watch track file directory %s", directory)
                self._watch.attach(loop, self.files_changed)
                self.files_changed()  # a change between the first read and the watch
        for name in self.scripts:
            script = self.config.trackers.script(name)
            if script is None or script.script is None:
                continue
            task = loop.create_task(self._schedule(script))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _schedule(self, script: VrrpScript) -> None:
        """keepalived runs the script at start, then every interval from the start of a run."""
        loop = asyncio.get_running_loop()
        interval = max(script.interval, 1) / US
        next_run = loop.time()
        while True:
            if script.name in self._running:
                log.info("Track script %s is already running, expect idle - skipping run", script.name)
            else:
                task = loop.create_task(self._run_once(script))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            next_run += interval
            await asyncio.sleep(max(next_run - loop.time(), 0))

    async def _run_once(self, script: VrrpScript) -> None:
        assert script.script is not None
        self._running.add(script.name)
        try:
            outcome = await script_runner.run_check(
                script.script.args,
                env=self.env,
                ids=self.ids_of(script),
                timeout=(script.timeout or script.interval) / US,
            )
        finally:
            self._running.discard(script.name)
        if outcome.kind == "not_run":
            log.info("VRRP_Script(%s) could not be run", script.name)
        self.script_result(script.name, outcome)

    def script_result(self, name: str, outcome: script_runner.Outcome) -> None:
        state = self.scripts.get(name)
        if state is None:
            return
        if outcome.status is not None and outcome.status != self.last_status.get(name, 0):
            log.info("Script `%s` now returning %d", name, outcome.status)
        if outcome.status is not None:
            self.last_status[name] = outcome.status
        changed = state.feed(outcome.success)
        if changed is None:
            return
        if changed:
            log.info("VRRP_Script(%s) succeeded", name)
        elif outcome.status is not None:
            log.info("VRRP_Script(%s) %s (exited with status %d)", name, outcome.kind, outcome.status)
        elif outcome.signal is not None and outcome.kind == "failed":
            log.info("VRRP_Script(%s) failed (due to signal %d)", name, outcome.signal)
        else:
            log.info("VRRP_Script(%s) %s", name, outcome.kind)
        for tracked in self.instances.values():
            if any(t.kind is Kind.SCRIPT and t.name == name for t in tracked.tracking.trackers):
                tracked.tracking.set_state(Kind.SCRIPT, name, changed)
                tracked.apply(tracked.tracking)

    async def stop(self) -> None:
        if self.processes is not None:
            self.processes.close()
            self.processes = None
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
