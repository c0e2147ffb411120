"""A notify FIFO as keepalived 2.2.7 handles one (lib/notify.c fifo_open / fifo_close).

* The FIFO is made with mode 0644 under the daemon's umask (keepalived's default umask 0177
  gives ``prw-------``); only when we made it is it given to the configured user/group
  (``notify_fifo NAME [user [group]]``, else the default script user) and removed at close.
  An existing path (a FIFO someone else made, or even a plain file) is used as it is.
* It is opened ``O_RDWR | O_NONBLOCK | O_NOFOLLOW``: holding the read side ourselves means the
  open never waits for a reader and a write never fails with EPIPE when there is none; lines
  then wait in the pipe until a reader comes.  A write that does not fit (the pipe is full
  because nobody reads) is dropped and counted; nothing here ever blocks the event loop.
  A line is shorter than PIPE_BUF, so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Callable

log = logging.getLogger(__name__)

FIFO_MODE = 0o644


class NotifyFifo:
    """One FIFO: ``create``, ``open``, then ``write`` lines; ``close`` removes it if we made it."""

    def __init__(self, name: str, *, uid: int | None = None, gid: int | None = None, kind: str = "") -> None:
        self.name = name
        self.uid = uid
        self.gid = gid
        # "", "vrrp_" or "lvs_": how keepalived's messages name the FIFO
        self.kind = kind
        self.fd = -1
        self.created = False
        self.written = 0
        self.dropped = 0

    def create(self, umask: int | None = None) -> bool:
        """Make the FIFO if missing; False when it cannot be used (keepalived then ignores it)."""
        old = os.umask(umask) if umask is not None else None
        try:
            os.mkfifo(self.name, FIFO_MODE)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                return True
            log.info("Unable to create %snotify fifo %s", self.kind, self.name)
            return False
        finally:
            if old is not None:
                os.umask(old)
        self.created = True
        our_uid, our_gid = os.getuid(), os.getgid()
        uid = self.uid if self.uid is not None else our_uid
        gid = self.gid if self.gid is not None else our_gid
        if uid != our_uid or gid != our_gid:
            try:
                os.chown(self.name, uid if uid != our_uid else -1, gid if gid != our_gid else -1)
            except OSError:
                log.info("Failed to set uid:gid for fifo %s", self.name)
        return True

    def open(self) -> bool:
        try:
            self.fd = os.open(self.name, os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError as exc:
            log.info("Unable to open %snotify fifo %s - errno %d", self.kind, self.name, exc.errno)
            if self.created:
                with contextlib.suppress(OSError):
                    os.unlink(self.name)
                self.created = False
            return False
        return True

    def setup(self, umask: int | None = None, before_open: Callable[[], None] | None = None) -> bool:
        """keepalived's order: make the FIFO, start its script (``before_open``), then open it."""
        if not self.create(umask):
            return False
        if before_open is not None:
            before_open()
        return self.open()

    @property
    def is_open(self) -> bool:
        return self.fd != -1

    def write(self, data: bytes) -> bool:
        """Write one line without ever waiting; a line that does not fit is dropped and counted."""
        if self.fd == -1:
            return False
        try:
            done = os.write(self.fd, data)
        except OSError:
            # EAGAIN: the pipe is full (nobody reads); anything else: keepalived ignores it too
            self.dropped += 1
            return False
        if done != len(data):
            self.dropped += 1
            return False
        self.written += 1
        return True

    def close(self, *, unlink: bool = True) -> None:
        """Remove the FIFO if we made it (first, so a reader that reopens in a loop cannot), then close."""
        if unlink and self.created:
            with contextlib.suppress(OSError):
                os.unlink(self.name)
            self.created = False
        if self.fd != -1:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1
