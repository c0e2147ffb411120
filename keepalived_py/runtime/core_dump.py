"""-m / -M: let a crash leave evidence, as keepalived's core_dump_init does.

keepalived raises RLIMIT_CORE to unlimited (-m) and, with -M, writes a pattern (default ``core``)
to /proc/sys/kernel/core_pattern, restoring the old one when it exits.  A Python daemon rarely
dumps core; what it can leave is Python's own report of a fatal signal (faulthandler), so -m also
writes the tracebacks of a SIGSEGV/SIGABRT/SIGBUS/SIGFPE/SIGILL to ``$TMPDIR/keepalived-py.PID.crash``.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import resource
from collections.abc import Callable
from typing import IO

log = logging.getLogger(__name__)

CORE_PATTERN = "/proc/sys/kernel/core_pattern"
_crash_file: IO[str] | None = None


def _write_pattern(pattern: str) -> bool:
    try:
        with open(CORE_PATTERN, "w", encoding="utf-8") as f:
            f.write(pattern)
    except OSError:
        log.info("Unable to read/write core_pattern")
        return False
    return True


def init(*, core_dump: bool, pattern: str | None, tmp_dir: str) -> Callable[[], None]:
    """Apply -m / -M; returns what to call at exit (restores the core pattern)."""
    global _crash_file
    original: str | None = None
    if pattern is not None:
        try:
            with open(CORE_PATTERN, encoding="utf-8") as f:
                original = f.read().rstrip("\n")
        except OSError:
            log.info("Unable to read/write core_pattern")
            original = None
        else:
            if not _write_pattern(pattern):
                original = None
    if core_dump or pattern is not None:
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        except (OSError, ValueError):
            log.info("Failed to set core file size")
        path = os.path.join(tmp_dir, f"keepalived-py.{os.getpid()}.crash")
        with contextlib.suppress(OSError):
            _crash_file = open(path, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
            faulthandler.enable(file=_crash_file, all_threads=True)

    def restore() -> None:
        if original is not None:
            _write_pattern(original)
        if _crash_file is not None and _crash_file.tell() == 0:
            faulthandler.disable()
            with contextlib.suppress(OSError):
                os.unlink(_crash_file.name)

    return restore
