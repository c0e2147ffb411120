"""Run one check script (a vrrp_script) and report how it ended, never blocking the loop.

keepalived 2.2.7 (vrrp_scheduler.c): the script runs in its own process group; when its timeout
expires the group gets SIGTERM, 2 seconds later SIGKILL; a script ended by the SIGTERM or SIGKILL
we sent has "timed_out", which counts as a failure.  Exit status 0 is success, anything else
(another status, a signal we did not send) is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# keepalived's SIGTERM -> SIGKILL delay for a timed-out script
TERM_GRACE = 2.0
KILL_GRACE = 2.0
SCRIPT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True, slots=True)
class Outcome:
    # "succeeded", "failed", "timed_out" (keepalived's script_exit_type) or "not_run"
    kind: str
    status: int | None = None
    signal: int | None = None

    @property
    def success(self) -> bool:
        return self.kind == "succeeded"


async def spawn(
    argv: Sequence[str], *, env: Mapping[str, str], ids: tuple[int, int] | None
) -> asyncio.subprocess.Process:
    """Start ``argv`` in a new session (its own process group), as its user.

    An executable is exec'd directly; one the kernel cannot exec (ENOEXEC: no ``#!``) goes
    through ``/bin/sh -c`` with each word single-quoted, as keepalived does.
    """
    kw: dict[str, Any] = {
        "env": dict(env),
        "start_new_session": True,
        "stdin": asyncio.subprocess.DEVNULL,
        "stdout": asyncio.subprocess.DEVNULL,
        "stderr": asyncio.subprocess.DEVNULL,
    }
    if ids is not None and ids != (os.geteuid(), os.getegid()):
        kw["user"], kw["group"], kw["extra_groups"] = ids[0], ids[1], []
    path = argv[0] if "/" in argv[0] else (shutil.which(argv[0], path=SCRIPT_PATH) or argv[0])
    try:
        return await asyncio.create_subprocess_exec(path, *argv[1:], **kw)
    except OSError as exc:
        if exc.errno != errno.ENOEXEC:
            raise
    quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in argv)
    return await asyncio.create_subprocess_exec("/bin/sh", "-c", quoted, **kw)


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def run_check(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    ids: tuple[int, int] | None,
    timeout: float,
    term_grace: float = TERM_GRACE,
    kill_grace: float = KILL_GRACE,
) -> Outcome:
    """Run the script once; a timeout sends SIGTERM then SIGKILL to its process group."""
    try:
        proc = await spawn(argv, env=env, ids=ids)
    except OSError:
        return Outcome("not_run")
    sent: int | None = None
    try:
        await asyncio.wait_for(asyncio.shield(proc.wait()), timeout)
    except TimeoutError:
        sent = signal.SIGTERM
        _kill_group(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(proc.wait()), term_grace)
        except TimeoutError:
            sent = signal.SIGKILL
            _kill_group(proc.pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(proc.wait()), kill_grace)
    finally:
        if proc.returncode is None:
            # cancelled (the daemon stops) or unkillable: the script and its children go
            _kill_group(proc.pid, signal.SIGKILL)
    code = proc.returncode
    if code is None:
        return Outcome("timed_out")
    if code >= 0:
        return Outcome("succeeded" if code == 0 else "failed", status=code)
    signum = -code
    if sent is not None and signum in (signal.SIGTERM, signal.SIGKILL):
        # children of the script may still live: keepalived kills the group after a SIGTERM
        _kill_group(proc.pid, signal.SIGKILL)
        return Outcome("timed_out", signal=signum)
    return Outcome("failed", signal=signum)
