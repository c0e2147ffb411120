"""Pid files, and the start and end of a child's run that keepalived frames with them.

keepalived's parent refuses to start when a pid file names a live process, and each child writes
its own pid file (the parent's too when the child runs without a parent: ``-P``/``-C`` with
``--dont-fork`` style runs under our ``-n``), then logs its CPU usage when it stops.  The VRRP and
the checker children do the same here through ``run_child``, so the lines and the pid-file rules
cannot drift apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_PID_FILE = "/run/keepalived.pid"
EXIT_FATAL = 1


def process_running(path: str) -> bool:
    """keepalived 2.2.7's check of a pid file: a live process named in it means "running".

    An unreadable number counts as running (keepalived cannot tell) and the file is removed; a
    dead PID's file is removed as a zombie.
    """
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return False
    try:
        pid = int(text.split()[0])
    except (ValueError, IndexError):
        log.info("Error reading pid file %s", path)
        with contextlib.suppress(OSError):
            os.unlink(path)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        log.info("Remove a zombie pid file %s", path)
        with contextlib.suppress(OSError):
            os.unlink(path)
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def pid_files(paths: list[str]) -> Iterator[None]:
    """Write our PID in each file (mode 0644); remove them at the end."""
    written = []
    try:
        for path in paths:
            fd = os.open(path, os.O_NOFOLLOW | os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(f"{os.getpid()}\n")
            written.append(path)
        yield
    finally:
        for path in written:
            with contextlib.suppress(OSError):
                os.unlink(path)


def run_child(
    *,
    title: str,
    own_pid_file: str,
    opts: Any,
    main: Callable[[asyncio.AbstractEventLoop], Coroutine[Any, Any, int]],
) -> int:
    """Run one child (``title``: "VRRP" or "Healthcheck") in an event loop of its own.

    Under the parent (``opts.ready_fd`` set) only the child's pid file is written, as the parent
    has checked and written its own; run alone, the parent's file is claimed too and a live
    process named in either means "daemon is already running" (exit 0, as keepalived).  A pid
    file that cannot be written ends the child with status 1 (keepalived's FATAL, which the
    parent does not respawn: keepalived's checker does so, its VRRP child exits 0 and is
    respawned in a loop).  ``main`` builds the daemon on the loop and returns its status.
    """
    if opts.umask is not None:
        os.umask(opts.umask)
    supervised = opts.ready_fd is not None
    paths = [own_pid_file]
    if not supervised:
        paths.insert(0, opts.pid_file or DEFAULT_PID_FILE)
        if any(process_running(path) for path in paths):
            log.info("daemon is already running")
            return 0
    try:
        with pid_files(paths):
            if not supervised:
                log.info("Starting %s child process, pid=%d", title, os.getpid())
            loop = asyncio.new_event_loop()
            try:
                code = loop.run_until_complete(main(loop))
            finally:
                loop.close()
            usage = os.times()
            log.info("Stopped - used %.6f user time, %.6f system time", usage.user, usage.system)
            return code
    except OSError as exc:
        if exc.filename in paths:
            log.info("%s child process: cannot write pidfile", title)
            return EXIT_FATAL
        log.error("cannot start: %s", exc)
        return 1
