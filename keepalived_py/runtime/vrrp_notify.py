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
import functools
import grp
import logging
import os
import pwd
import shutil
import signal
from collections.abc import Callable
from typing import Any

from keepalived_py.adapters.host import SystemHost
from keepalived_py.adapters.notify_fifo import NotifyFifo
from keepalived_py.config.host import Host
from keepalived_py.config.model import Config
from keepalived_py.config.model.global_defs import NotifyFifo as FifoConfig
from keepalived_py.config.model.global_defs import ScriptRun
from keepalived_py.config.model.vrrp import VrrpInstance, VrrpSyncGroup
from keepalived_py.config.scripts import Script
from keepalived_py.config.validate.global_defs import ScriptFlags, check_script_secure
from keepalived_py.runtime.smtp_alerts import Mailer
from keepalived_py.vrrp.notify_format import fifo_line, priority_event

log = logging.getLogger(__name__)

# keepalived runs scripts with this PATH and without these variables.
SCRIPT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_UNSAFE_ENV = ("IFS", "LD_PRELOAD", "LD_LIBRARY_PATH")
STOP_SCRIPT_GRACE = 1.0


def _quiet(_message: str) -> None:
    """check_script_secure's messages were logged when the config was read."""


class ScriptRunner:
    """Runs notify scripts without waiting for them (a hung script never delays an advert).

    Each script gets its own process group and runs as its user (or the default script user);
    an executable is exec'd directly, anything else goes through ``/bin/sh -c`` with each word
    single-quoted, as keepalived does.  Exit statuses of notify scripts are ignored.
    """

    def __init__(self, config: Config, host: Host | None = None) -> None:
        self.host: Host = host if host is not None else SystemHost()
        self.script_security = config.global_defs.script_security
        # (path, uid, gid) -> whether keepalived keeps the script (check_notify_script_secure)
        self._verdicts: dict[tuple[str, int, int], bool] = {}
        state = config.global_defs.default_script_user
        self.default_ids: tuple[int, int] | None = (state.uid, state.gid) if state.resolved else None
        self.running: set[asyncio.subprocess.Process] = set()
        self.stopping = False
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

    def run(
        self,
        script: Script,
        extra: tuple[str, ...] = (),
        *,
        ids: tuple[int, int] | None = None,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        """Start ``script`` with ``extra`` arguments (as ``ids``, else its own user); ``on_exit``
        is called when it has ended."""
        if ids is None:
            ids = self._ids(script)
        if not self.allowed(script, ids):
            return
        task = asyncio.get_running_loop().create_task(self._run(script, extra, ids, on_exit))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def allowed(self, script: Script, ids: tuple[int, int] | None) -> bool:
        """False for a script keepalived drops at load: not found, not executable by its user, or
        insecure under ``enable_script_security`` (its warnings were logged with the config)."""
        uid, gid = ids if ids is not None else (os.geteuid(), os.getegid())
        key = (script.path, uid, gid)
        found = self._verdicts.get(key)
        if found is None:
            flags = check_script_secure(self.host, script.path, uid, gid, self.script_security, _quiet)
            found = not flags & (ScriptFlags.INHIBIT | ScriptFlags.NOTFOUND) and bool(
                flags & ScriptFlags.EXECUTABLE
            )
            self._verdicts[key] = found
        return found

    async def _run(
        self,
        script: Script,
        extra: tuple[str, ...],
        ids: tuple[int, int] | None = None,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        argv = [*script.args, *extra]
        if ids is None:
            ids = self._ids(script)
        # keepalived points a script's standard streams at /dev/null (set_std_fd): a chatty
        # script fills no log and never blocks on a full pipe
        devnull = asyncio.subprocess.DEVNULL
        kw: dict[str, Any] = {"env": self.env, "start_new_session": True, "stdin": devnull}
        kw["stdout"] = kw["stderr"] = devnull
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
        # scripts ended by our shutdown are not reported (keepalived reaps them silently)
        if on_exit is not None and not self.stopping:
            on_exit()

    def terminate(self) -> None:
        """keepalived's first step of a shutdown: SIGTERM to every running script's process group
        (a notify FIFO script included), before the STOP notifies are sent."""
        self.stopping = True
        for proc in list(self.running):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)

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
    "DELETED": "notify_deleted_script",
    "MASTER_RX_LOWER_PRI": "notify_master_rx_lower_pri",
}
# states the generic ``notify`` script hears about (DELETED: an instance removed at a reload)
_NOTIFY_STATES = ("MASTER", "BACKUP", "FAULT", "STOP", "DELETED")
# keepalived's default file creation mask (lib/utils.c umask_val)
DEFAULT_UMASK = 0o177


class NotifyFifos:
    """The VRRP process's notify FIFOs: global_defs ``notify_fifo`` and ``vrrp_notify_fifo``.

    Each is made (if missing) and opened at start, before any instance runs; its ``*_script``
    is started just before the open with the FIFO's name as last argument and runs until it
    ends by itself or is sent SIGTERM at shutdown (before the STOP lines are written, as
    keepalived does, so a FIFO script does not see them; an outside reader does).  Every line
    goes to both FIFOs.  keepalived's VRRP process removes the FIFOs it made at exit only when a
    ``vrrp_notify_fifo`` is open: a lone global ``notify_fifo`` stays (the checker process,
    when one runs, removes it).  The global FIFO's script is run here since keepalived-py has no
    checker process (keepalived lets its checker run it when there is one).
    """

    def __init__(self, config: Config, scripts: ScriptRunner) -> None:
        self.scripts = scripts
        gd = config.global_defs
        self.umask = gd.umask if gd.umask is not None else None
        self.specs: list[tuple[FifoConfig, str]] = []
        self._same_name: str | None = None
        if gd.notify_fifo.name:
            self.specs.append((gd.notify_fifo, ""))
        if gd.vrrp_notify_fifo.name:
            if gd.vrrp_notify_fifo.name == gd.notify_fifo.name:
                self._same_name = gd.vrrp_notify_fifo.name
            else:
                self.specs.append((gd.vrrp_notify_fifo, "vrrp_"))
        self.fifos: list[NotifyFifo] = []
        self._vrrp_open = False

    def start(self, umask: int | None = None) -> None:
        """Make, start the scripts of and open the FIFOs (``umask``: the ``-u`` option)."""
        if self._same_name:
            log.info(
                "notify FIFO %s has been specified for global and vrrp FIFO - ignoring vrrp FIFO",
                self._same_name,
            )
        mask = self.umask if self.umask is not None else umask if umask is not None else DEFAULT_UMASK
        for spec, kind in self.specs:
            assert spec.name is not None
            fifo = NotifyFifo(spec.name, uid=spec.uid, gid=spec.gid, kind=kind)
            start_script = functools.partial(self._start_script, spec.script, spec.name)
            if fifo.setup(mask, start_script):
                self.fifos.append(fifo)
                if kind == "vrrp_":
                    self._vrrp_open = True

    def _start_script(self, run: ScriptRun | None, name: str) -> None:
        if run is not None:
            self.scripts.run(run.script, (name,), ids=(run.uid, run.gid), on_exit=_fifo_script_ended)

    def write(self, line: bytes) -> None:
        for fifo in self.fifos:
            fifo.write(line)

    @property
    def dropped(self) -> int:
        return sum(f.dropped for f in self.fifos)

    def close(self) -> None:
        """At exit: remove the FIFOs we made only when the vrrp FIFO is open, as keepalived."""
        for fifo in self.fifos:
            fifo.close(unlink=self._vrrp_open)
        self.fifos = []
        self._vrrp_open = False


def _fifo_script_ended() -> None:
    log.info("vrrp notify fifo script terminated")


class Notifier:
    """Tells scripts and the notify FIFO about instance and sync group transitions, in order.

    keepalived remembers, per instance, that it has sent notifies once (``notifies_sent``): from
    then on an instance notify is not repeated when the instance is already in the state its sync
    group is in, since the group's notify has told the world.  The group states seen here are the
    ones announced through ``group`` (or recorded silently through ``set_group_state``).
    """

    def __init__(self, config: Config, scripts: ScriptRunner, *, log_detail: bool = False) -> None:
        self.config = config
        self.scripts = scripts
        self.mail = Mailer(config, log_detail=log_detail)  # SMTP alerts, last (as keepalived)
        self.fifos = NotifyFifos(config, scripts)
        self.group_states: dict[str, str] = {}
        self._notifies_sent: set[str] = set()
        self._group_of: dict[str, str] = {}
        for group in config.vrrp.sync_groups:
            for member in group.members or ():
                self._group_of[member] = group.name

    def set_group_state(self, name: str, state: str) -> None:
        """A sync group's state changed without notifies (e.g. its initial state)."""
        self.group_states[name] = state

    def start(self, umask: int | None = None) -> None:
        """Open the notify FIFOs (and start their scripts): before any instance runs."""
        self.fifos.start(umask)
        self.mail.start()

    async def flush_mail(self, grace: float = STOP_SCRIPT_GRACE) -> None:
        """Queued alerts (the STOP ones too) get ``grace`` seconds, keepalived's last second."""
        await self.mail.stop(grace)

    def terminate(self) -> None:
        """Shutdown begins: every running script (FIFO scripts too) gets SIGTERM."""
        self.scripts.terminate()

    def close(self) -> None:
        self.fifos.close()

    def instance(self, inst: VrrpInstance, kind: str, priority: int) -> None:
        """An instance notification: its state script, the generic ``notify``, then the FIFO line.

        ``MASTER_RX_LOWER_PRI`` runs ``notify_master_rx_lower_pri`` (no arguments) and writes its
        FIFO line; priority changes (``<STATE>_PRIORITY``) only write a FIFO line.
        """
        if kind.endswith("_PRIORITY"):
            self.fifos.write(fifo_line(inst.name, priority_event(kind.removesuffix("_PRIORITY")), priority))
            return
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
        self.fifos.write(fifo_line(inst.name, kind, priority))
        self.mail.vrrp_instance(inst, kind)

    def group(self, group: VrrpSyncGroup, state: str) -> None:
        """A sync group entered ``state``: its state script, then ``notify GROUP <name> <STATE> 0``."""
        self.group_states[group.name] = state
        keyword = _NOTIFY_SCRIPTS.get(state) if state in _NOTIFY_STATES else None
        script: Script | None = getattr(group, keyword, None) if keyword else None
        if script is not None:
            self.scripts.run(script)
        if group.notify is not None:
            self.scripts.run(group.notify, ("GROUP", group.name, state, "0"))
        self.fifos.write(fifo_line(group.name, state, 0, group=True))
        self.mail.vrrp_group(group, state)

    def shutdown_groups(self) -> None:
        """keepalived's notify_shutdown, second half: after the instances' STOP, every group's STOP."""
        for group in self.config.vrrp.sync_groups:
            if group.members is not None:
                self.group(group, "STOP")
