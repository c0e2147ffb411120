"""Watch the directories of track_files with inotify, read from the asyncio loop.

keepalived 2.2.7 (trackers/track_file.c) watches each track_file's directory with inotify and
re-reads the file when it is written, moved in or removed.  Like ``LinkWatch`` the events are
not parsed: each wake-up means "some watched file may have changed" and the caller re-reads
its files (one source of truth, no event replay).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
from collections.abc import Callable, Iterable
from typing import Any

IN_MODIFY = 0x002
IN_CLOSE_WRITE = 0x008
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC
# keepalived watches close-write, delete and moves (track_file.c): a file rewritten in place is
# read once complete, never half-written (IN_MODIFY would read it empty, as 0, for a moment)
_MASK = IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE


def read_file(path: str, limit: int = 127) -> bytes:
    """At most ``limit`` bytes of ``path``; b"" when it cannot be read (keepalived: value 0)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return b""
    try:
        return os.read(fd, limit)
    except OSError:
        return b""
    finally:
        os.close(fd)


class FileWatch:
    """One inotify descriptor watching a set of directories."""

    def __init__(self, directories: Iterable[str]) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self._libc = libc
        fd = int(libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC))
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.fd = fd
        self.failed: list[str] = []
        for directory in sorted(set(directories)):
            if libc.inotify_add_watch(fd, os.fsencode(directory), _MASK) < 0:
                self.failed.append(directory)
        self._loop: Any = None

    def attach(self, loop: Any, on_change: Callable[[], None]) -> None:
        def readable() -> None:
            if self.drain():
                on_change()

        self._loop = loop
        loop.add_reader(self.fd, readable)

    def drain(self) -> int:
        """Discard what is queued; returns how many bytes of events there were."""
        count = 0
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return count
            except OSError:
                return count
            if not data:
                return count
            count += len(data)

    def close(self) -> None:
        if self.fd < 0:
            return
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self.fd)
            self._loop = None
        os.close(self.fd)
        self.fd = -1
