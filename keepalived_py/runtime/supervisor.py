"""The parent process: starts the checker and VRRP children, respawns them, relays signals, stops them.

keepalived runs as a small parent that forks one child per subsystem (VRRP, checkers, BFD) and
does little else: it relays SIGHUP/SIGUSR1/SIGUSR2/... to them, respawns a child that died (with
a back-off: at once if it had run for a minute, else after 1, 2, 4 ... up to 60 s), stops
everything when a child exits with a permanent error (1 fatal, 2 config, 4 missing permission),
and on SIGTERM asks the children to stop, waits ``child_wait_time`` seconds and kills what is
left.  Children get SIGTERM when the parent dies (PR_SET_PDEATHSIG), so a killed parent still
leads to a clean priority-0 handover.

The parent has no event loop: signals are caught by handlers that only record them, and a
``select`` on the signal wake-up pipe and the children's readiness pipe does the waiting.  A
child forks from this quiet state (no threads, no loop), then builds its own asyncio loop.  A
child reports that it has read its configuration and is running through the readiness pipe;
the parent then logs "Startup complete" and tells systemd READY=1, as keepalived does.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import functools
import logging
import os
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from keepalived_py.runtime import logging_setup, startup_signals
from keepalived_py.runtime.pid_file import DEFAULT_PID_FILE, pid_files
from keepalived_py.runtime.vrrp_process import SIG_STATS_CLEAR, sd_notify

if TYPE_CHECKING:
    from keepalived_py.cli import RuntimeOptions
    from keepalived_py.config.model import Config

log = logging.getLogger(__name__)

PARENT_IDENT = "Keepalived"
CHILD_WAIT_SECS = 5
# child exit statuses that stop the daemon instead of a respawn (keepalived's scheduler.h)
EXIT_FATAL = 1
EXIT_CONFIG = 2
EXIT_MISSING_PERMISSION = 4
EXIT_PROGRAM_ERROR = 70
_PERMANENT = {EXIT_FATAL: "FATAL", EXIT_CONFIG: "CONFIG", EXIT_MISSING_PERMISSION: "missing permission"}
SIG_JSON = signal.SIGRTMIN + 2
# signals the parent passes on; SIGUSR2, STATS_CLEAR and JSON concern the VRRP child only
RELAYED = (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, SIG_STATS_CLEAR, SIG_JSON)
STOPPING = (signal.SIGTERM, signal.SIGINT)
PR_SET_PDEATHSIG = 1


def restart_delay(ran_for: float, previous: int) -> tuple[int, int]:
    """keepalived's respawn back-off: (delay now, delay next time), in seconds.

    A child that ran for a minute or more restarts at once and resets the back-off; otherwise the
    delay is the previous one (0 the first time) and the next one doubles from 1, capped at 60.
    """
    if ran_for >= 60:
        return 0, 0
    if previous == 0:
        return 0, 1
    return previous, 60 if previous > 30 else previous * 2


@dataclass(slots=True)
class Child:
    """One supervised subsystem."""

    name: str  # "VRRP"
    run: Callable[[int], int]  # the child's main, given the readiness fd; returns its exit status
    prog: str = ""  # how exit reports name it (keepalived's PROG_CHECK); default "<name> child"
    pid: int = 0
    started: float = 0.0
    next_delay: int = 0
    restart_at: float | None = None


class Supervisor:
    def __init__(
        self, opts: RuntimeOptions, children: list[Child], *, wait_time: int, config: Config | None = None
    ) -> None:
        self.opts = opts
        self.config = config
        # SIGHUP: reads the configuration again (None: keep the running one)
        self.reread: Callable[[], Config | None] | None = None
        self.reloading = False
        self.children = children
        self.wait_time = wait_time
        self.pending: list[int] = []
        self.ready_r, self.ready_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.wake_r, self.wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.started = False
        self.stopping = False
        self.exit_code = 0

    # -- signals -------------------------------------------------------------------------

    def _record(self, signum: int, _frame: object) -> None:
        self.pending.append(signum)

    def _install(self) -> None:
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        for sig in (*STOPPING, *RELAYED, signal.SIGCHLD):
            signal.signal(sig, self._record)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    # -- children ------------------------------------------------------------------------

    def _spawn(self, child: Child) -> None:
        all_signals = {*STOPPING, *RELAYED, signal.SIGCHLD}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, all_signals)
        try:
            pid = os.fork()
        except OSError as exc:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
            log.info("%s child process: fork error(%s)", child.name, exc.strerror)
            child.restart_at = time.monotonic() + 1
            return
        if pid == 0:  # the child
            self._become_child(child, old)
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        child.pid = pid
        child.started = time.monotonic()
        child.restart_at = None
        log.info("Starting %s child process, pid=%d", child.name, pid)

    def _become_child(self, child: Child, mask: set[int | signal.Signals]) -> None:
        code = EXIT_PROGRAM_ERROR
        try:
            with contextlib.suppress(OSError):
                ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
            signal.set_wakeup_fd(-1)
            for sig in (*STOPPING, *RELAYED, signal.SIGCHLD, signal.SIGPIPE):
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for fd in (self.ready_r, self.wake_r, self.wake_w):
                os.close(fd)
            # held until the child's loop has its handlers (runtime/startup_signals.py)
            signal.pthread_sigmask(signal.SIG_SETMASK, {*mask, *startup_signals.DAEMON_SIGNALS})
            code = child.run(self.ready_w)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else EXIT_PROGRAM_ERROR
        except BaseException:
            with contextlib.suppress(Exception):
                log.error("%s child process: internal error: %s", child.name, traceback.format_exc(limit=5))
        finally:
            with contextlib.suppress(Exception):
                logging.shutdown()
            os._exit(code)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = next((c for c in self.children if c.pid == pid), None)
            if child is None:
                continue
            child.pid = 0
            permanent = self._report(child, status)
            if self.stopping or self.exit_code:
                continue
            if permanent:
                self.exit_code = permanent
                self._stop()
            elif self.opts.dont_respawn:
                log.critical("%s child process(%d) died: Exiting", child.name, pid)
                self._stop()
            else:
                self._respawn(child, pid)

    def _report(self, child: Child, status: int) -> int:
        """keepalived's report_child_status: the permanent error code, or 0."""
        prog = child.prog or f"{child.name.lower()} child"
        if os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
            if code in _PERMANENT:
                log.info("%s exited with permanent error %s. Terminating", prog, _PERMANENT[code])
                return code
            if code:
                log.info("%s exited with status %d", prog, code)
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            extra = " - has rlimit_rttime been exceeded?" if sig == signal.SIGKILL else ""
            log.info("%s exited due to signal %d (%s)%s", prog, sig, signal.strsignal(sig), extra)
        return 0

    def _respawn(self, child: Child, pid: int) -> None:
        log.critical("%s child process(%d) died: Respawning", child.name, pid)
        delay, child.next_delay = restart_delay(time.monotonic() - child.started, child.next_delay)
        if delay:
            log.info("Restart of %s process delayed %d seconds to limit respawn rate", child.name, delay)
            child.restart_at = time.monotonic() + delay
        else:
            self._spawn(child)

    def _reload(self) -> None:
        """SIGHUP: keepalived's parent reads the file too (a child respawned later starts from the
        new configuration; a broken file is kept out, as the children keep it out), tells systemd
        it is reloading, and passes the signal on.  "Reload complete" comes when the VRRP child
        reports that it has handled it (at once when there is no VRRP child)."""
        log.info("Reloading")
        sd_notify("RELOADING=1")
        if self.reread is not None:
            found = self.reread()
            if found is not None:
                self.config = found
        self._relay(signal.SIGHUP)
        if any(c.pid and c.name == "VRRP" for c in self.children):
            self.reloading = True
        else:
            self._reload_complete()

    def _reload_complete(self) -> None:
        self.reloading = False
        log.info("Reload complete")
        sd_notify("READY=1")

    def _relay(self, sig: int) -> None:
        if sig == signal.SIGUSR1 and self.config is not None:
            write_parent_data(self.config, self.opts.namespace)
        for child in self.children:
            if child.pid and (child.name == "VRRP" or sig in (signal.SIGHUP, signal.SIGUSR1)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, sig)

    def _stop(self) -> None:
        """keepalived's sigend: SIGTERM the children, wait child_wait_time, kill the rest."""
        if self.stopping:
            return
        self.stopping = True
        log.info("Stopping")
        sd_notify("STOPPING=1")
        for child in self.children:
            child.restart_at = None
            if child.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.wait_time
        while any(c.pid for c in self.children) and time.monotonic() < deadline:
            self._wait(min(0.5, max(0.0, deadline - time.monotonic())))
            self.pending = [s for s in self.pending if s != signal.SIGCHLD]
            self._reap()
        for child in self.children:
            if child.pid:
                log.info("%s process failed to die - forcing termination", child.name)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(child.pid, 0)
                child.pid = 0

    # -- the loop ------------------------------------------------------------------------

    def _wait(self, timeout: float | None) -> None:
        try:
            readable, _, _ = select.select([self.wake_r, self.ready_r], [], [], timeout)
        except InterruptedError:
            return
        for fd in readable:
            with contextlib.suppress(BlockingIOError):
                data = os.read(fd, 512)
                if fd == self.ready_r and data and not self.started:
                    self.started = True
                    log.info("Startup complete")
                    sd_notify(f"READY=1\nMAINPID={os.getpid()}")
                elif fd == self.ready_r and data and self.reloading:
                    self._reload_complete()

    def run(self) -> int:
        self._install()
        startup_signals.release()  # what arrived while starting is recorded now
        for child in self.children:
            self._spawn(child)
        while not self.stopping:
            now = time.monotonic()
            due = [c.restart_at for c in self.children if c.restart_at is not None]
            self._wait(max(0.0, min(due) - now) if due else None)
            signals, self.pending = self.pending, []
            for sig in signals:
                if sig == signal.SIGCHLD:
                    self._reap()
                elif sig in STOPPING:
                    self._stop()
                elif sig == signal.SIGHUP:
                    self._reload()
                else:
                    self._relay(sig)
                if self.stopping:
                    break
            for child in self.children:
                if (
                    not self.stopping
                    and child.restart_at is not None
                    and child.restart_at <= time.monotonic()
                ):
                    self._spawn(child)
        return self.exit_code

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            signal.set_wakeup_fd(-1)
        for fd in (self.ready_r, self.ready_w, self.wake_r, self.wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)


def write_parent_data(config: Config, namespace: str | None) -> None:
    """SIGUSR1 in the parent: ``$TMPDIR/keepalived_parent.data`` (its global definitions)."""
    from keepalived_py.adapters.host import SystemHost
    from keepalived_py.config.dump import parent_data_lines
    from keepalived_py.runtime.namespace import dump_file_name
    from keepalived_py.runtime.vrrp_process import tmp_dir

    name = dump_file_name("keepalived_parent.data", namespace=namespace, instance=config.global_defs.instance)
    path = os.path.join(tmp_dir(), name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in parent_data_lines(config, SystemHost())))
    except OSError as exc:
        log.info("Can't open %s (%d: %s)", path, exc.errno or 0, exc.strerror)


def daemonize() -> bool:
    """keepalived's xdaemon: the caller's copy returns False and should exit 0; the daemon's
    copy is a session leader in ``/`` with its standard descriptors on /dev/null."""
    if os.fork():
        return False
    os.setsid()
    with contextlib.suppress(OSError):
        os.chdir("/")
    fd = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):
        os.dup2(fd, std)
    if fd > 2:
        os.close(fd)
    return True


def children_wanted(config: Config, opts: RuntimeOptions) -> tuple[bool, bool]:
    """keepalived's running_vrrp() / running_checker(): (VRRP child, checker child).

    ``-P`` runs only VRRP, ``-C`` only the checkers; each runs when the configuration has its
    part, or always with ``--all``."""
    have_vrrp = bool(config.vrrp.instances or config.static.have_vrrp_config)
    have_checker = bool(config.lvs.virtual_servers or config.lvs.virtual_server_groups)
    vrrp = not opts.check_only and (have_vrrp or opts.all_children)
    checker = not opts.vrrp_only and (have_checker or opts.all_children)
    return vrrp, checker


def checker_main(config: Config, opts: RuntimeOptions, *, with_vrrp: bool) -> Callable[[int], int]:
    """The checker child's main (runtime/check_process.py), as a supervised child."""
    from keepalived_py.runtime.check_process import CHECK_IDENT, run_checker
    from keepalived_py.runtime.namespace import syslog_ident

    ident = syslog_ident(CHECK_IDENT, namespace=opts.namespace, instance=config.global_defs.instance)

    def main(ready_fd: int) -> int:
        logging_setup.setup(
            console=opts.log_console and opts.dont_fork,
            syslog=not opts.no_syslog,
            facility=opts.log_facility,
            detail=opts.log_detail,
            ident=ident,
        )
        # the global notify FIFO's script runs once: in the VRRP child when there is one
        return run_checker(
            config, dataclasses.replace(opts, ready_fd=ready_fd), run_global_fifo_script=not with_vrrp
        )

    return main


def reread_config(opts: RuntimeOptions) -> Config | None:
    """The parent's reading at SIGHUP; None when the file is refused (runtime/vrrp_reload.py)."""
    from keepalived_py.adapters.host import SystemHost
    from keepalived_py.config.loader import LoadOptions, load
    from keepalived_py.runtime.vrrp_reload import refused

    try:
        result = load(
            opts.config_file, SystemHost(), LoadOptions(config_id=opts.config_id, all_config=opts.all_config)
        )
    except Exception as exc:  # a reload must never take the parent down
        log.info("Reload: cannot read %s (%s)", opts.config_file, exc)
        return None
    if refused(result) is not None:
        return None
    return result.config


def run_daemon(config: Config, opts: RuntimeOptions) -> int:
    """The parent: pid file, children, signals; returns the daemon's exit status."""
    from keepalived_py.runtime.namespace import syslog_ident
    from keepalived_py.runtime.vrrp_process import run_vrrp

    main_pid = opts.pid_file or DEFAULT_PID_FILE
    vrrp_ident = syslog_ident(
        logging_setup.VRRP_IDENT, namespace=opts.namespace, instance=config.global_defs.instance
    )

    def vrrp_main(ready_fd: int) -> int:
        logging_setup.setup(
            console=opts.log_console and opts.dont_fork,
            syslog=not opts.no_syslog,
            facility=opts.log_facility,
            detail=opts.log_detail,
            ident=vrrp_ident,
        )
        # a respawned child starts from the configuration of the last good reload
        return run_vrrp(supervisor.config or config, dataclasses.replace(opts, ready_fd=ready_fd))

    with_vrrp, with_checker = children_wanted(config, opts)
    children = []
    if with_checker:
        from keepalived_py.runtime.check_process import CHECK_IDENT

        children.append(Child("Healthcheck", checker_main(config, opts, with_vrrp=with_vrrp), CHECK_IDENT))
    if with_vrrp:
        children.append(Child("VRRP", vrrp_main))
    wait_time = config.global_defs.child_wait_time or CHILD_WAIT_SECS
    supervisor = Supervisor(opts, children, wait_time=wait_time, config=config)
    supervisor.reread = functools.partial(reread_config, opts)
    try:
        with pid_files([main_pid]):
            code = supervisor.run()
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EROFS, errno.ENOENT):
            log.error("cannot write pid file %s: %s", main_pid, exc.strerror)
            return 1
        raise
    finally:
        supervisor.close()
    usage = os.times()
    log.info(
        "CPU usage (self/children) user: %.6f/%.6f system: %.6f/%.6f",
        usage.user,
        usage.children_user,
        usage.system,
        usage.children_system,
    )
    from keepalived_py import __version__

    log.info("Stopped Keepalived-py v%s", __version__)
    sys.stdout.flush()
    return code
