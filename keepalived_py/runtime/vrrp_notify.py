"""Notifications of the VRRP process: notify scripts (and later the notify FIFO and alerts).

keepalived calls, on every transition of an instance, its state script (``notify_master`` ...)
and then the generic ``notify`` script with ``INSTANCE <name> <state> <priority>``.  Scripts
are started without being waited for, so that a hung or slow script never delays an advert.
Everything that tells the outside world about a transition goes through ``Notifier``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import grp
import logging
import os
import pwd
import shutil
import signal
from typing import Any

from keepalived_py.config.model import Config
from keepalived_py.config.model.vrrp import VrrpInstance, VrrpSyncGroup
from keepalived_py.config.scripts import Script

log = logging.getLogger(__name__)

# keepalived runs scripts with this PATH and without these variables.
SCRIPT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_UNSAFE_ENV = ("IFS", "LD_PRELOAD", "LD_LIBRARY_PATH")
STOP_SCRIPT_GRACE = 1.0


class ScriptRunner:
    """Runs notify scripts without waiting for them (a hung script never delays an advert).

    Each script gets its own process group and runs as its user (or the default script user);
    an executable is exec'd directly, anything else goes through ``/bin/sh -c`` with each word
    single-quoted, as keepalived does.  Exit statuses of notify scripts are ignored.
    """

    def __init__(self, config: Config) -> None:
        state = config.global_defs.default_script_user
        self.default_ids: tuple[int, int] | None = (state.uid, state.gid) if state.resolved else None
        self.running: set[asyncio.subprocess.Process] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.env = {k: v for k, v in os.environ.items() if k not in _UNSAFE_ENV}
        self.env["PATH"] = SCRIPT_PATH

    def _ids(self, script: Script) -> tuple[int, int] | None:
        if script.user:
            try:
                pw = pwd.getpwnam(script.user)
            except KeyError:
                return None
            gid = pw.pw_gid
            if script.group:
                with contextlib.suppress(KeyError):
                    gid = grp.getgrnam(script.group).gr_gid
            return pw.pw_uid, gid
        return self.default_ids

    def run(self, script: Script, extra: tuple[str, ...] = ()) -> None:
        task = asyncio.get_running_loop().create_task(self._run(script, extra))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, script: Script, extra: tuple[str, ...]) -> None:
        argv = [*script.args, *extra]
        ids = self._ids(script)
        kw: dict[str, Any] = {"env": self.env, "start_new_session": True, "stdin": asyncio.subprocess.DEVNULL}
        if ids is not None and ids != (os.geteuid(), os.getegid()):
            kw["user"], kw["group"], kw["extra_groups"] = ids[0], ids[1], []
        path = argv[0] if "/" in argv[0] else (shutil.which(argv[0], path=SCRIPT_PATH) or argv[0])
        try:
            proc = await asyncio.create_subprocess_exec(path, *argv[1:], **kw)
        except OSError as exc:
            if exc.errno != errno.ENOEXEC:
                log.info("Failed to exec %s: %s", script.cmdline(), exc)
                return
            quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in argv)
            proc = await asyncio.create_subprocess_exec("/bin/sh", "-c", quoted, **kw)
        self.running.add(proc)
        try:
            await proc.wait()
        finally:
            self.running.discard(proc)

    async def finish(self, grace: float = STOP_SCRIPT_GRACE) -> None:
        """Give running scripts ``grace`` seconds, then kill their process groups."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        for proc in list(self.running):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)


_NOTIFY_SCRIPTS = {
    "MASTER": "notify_master",
    "BACKUP": "notify_backup",
    "FAULT": "notify_fault",
    "STOP": "notify_stop",
    "MASTER_RX_LOWER_PRI": "notify_master_rx_lower_pri",
}
# states the generic ``notify`` script hears about
_NOTIFY_STATES = ("MASTER", "BACKUP", "FAULT", "STOP")


class Notifier:
    """Tells scripts and the notify FIFO about instance and sync group transitions, in order.

    keepalived remembers, per instance, that it has sent notifies once (``notifies_sent``): from
    then on an instance notify is not repeated when the instance is already in the state its sync
    group is in, since the group's notify has told the world.  The group states seen here are the
    ones announced through ``group`` (or recorded silently through ``set_group_state``).
    """

    def __init__(self, config: Config, scripts: ScriptRunner) -> None:
        self.config = config
        self.scripts = scripts
        self.group_states: dict[str, str] = {}
        self._notifies_sent: set[str] = set()
        self._group_of: dict[str, str] = {}
        for group in config.vrrp.sync_groups:
            for member in group.members or ():
                self._group_of[member] = group.name

    def set_group_state(self, name: str, state: str) -> None:
        """A sync group's state changed without notifies (e.g. its initial state)."""
        self.group_states[name] = state

    def instance(self, inst: VrrpInstance, kind: str, priority: int) -> None:
        """An instance notification: its state script first, then the generic ``notify``."""
        if kind in _NOTIFY_STATES:
            group = self._group_of.get(inst.name)
            if (
                inst.name in self._notifies_sent
                and group is not None
                and self.group_states.get(group) == kind
            ):
                return
            self._notifies_sent.add(inst.name)
        keyword = _NOTIFY_SCRIPTS.get(kind)
        script: Script | None = getattr(inst, keyword) if keyword else None
        if script is not None:
            self.scripts.run(script)
        if inst.notify is not None and kind in _NOTIFY_STATES:
            self.scripts.run(inst.notify, ("INSTANCE", inst.name, kind, str(priority)))

    def group(self, group: VrrpSyncGroup, state: str) -> None:
        """A sync group entered ``state``: its state script, then ``notify GROUP <name> <STATE> 0``."""
        self.group_states[group.name] = state
        keyword = _NOTIFY_SCRIPTS.get(state) if state in _NOTIFY_STATES else None
        script: Script | None = getattr(group, keyword) if keyword else None
        if script is not None:
            self.scripts.run(script)
        if group.notify is not None:
            self.scripts.run(group.notify, ("GROUP", group.name, state, "0"))

    def shutdown_groups(self) -> None:
        """keepalived's notify_shutdown, second half: after the instances' STOP, every group's STOP."""
        for group in self.config.vrrp.sync_groups:
            if group.members is not None:
                self.group(group, "STOP")
