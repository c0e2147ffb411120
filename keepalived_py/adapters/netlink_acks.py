"""Netlink requests that only want the kernel's acknowledgement, on a plain socket of our own.

Why: adding a VIP (``addresses.py``) and an IPVS command of a health change (``ipvs.py``) are on
latency-critical paths, and pyroute2's synchronous sockets run an event loop of their own per
request (~0.8 ms with the worker thread around them).  Both adapters encode their messages
themselves; this module is what they share: the attribute layout, the acknowledgement's
parsing, and one request at a time with its answer.  The kernel handles such a request inside
``send`` and queues the answer before it returns, so the answer is read without waiting; a
silence of ``ACK_TIMEOUT`` seconds ends in TimeoutError instead of a hang.
"""

from __future__ import annotations

import errno
import select
import socket
import struct
import threading
from collections.abc import Callable

NLMSG_ERROR = 2
NLMSGHDR = struct.Struct("=IHHII")  # length, type, flags, sequence, port id
_NLA = struct.Struct("=HH")  # nlattr: length, type
_ERRNO = struct.Struct("=i")  # nlmsgerr.error: 0 (the ack) or a negative errno
_SEQ = struct.Struct("=I")
ACK_TIMEOUT = 5.0  # seconds; the kernel answers inside send(): a guard against a lost answer
ACK_BUFSIZE = 65536  # an error answer quotes the request: a few hundred bytes


def attr(kind: int, payload: bytes) -> bytes:
    """One netlink attribute, padded to 4 bytes."""
    size = _NLA.size + len(payload)
    return _NLA.pack(size, kind) + payload + bytes(-size % 4)


def parse_ack(data: bytes, seq: int) -> int | None:
    """The errno (0: done) of the NLMSG_ERROR answering request ``seq`` in ``data``; None when
    ``data`` holds no whole answer to it (answers to earlier requests given up on are skipped)."""
    offset = 0
    while offset + NLMSGHDR.size <= len(data):
        length, kind, _flags, got_seq, _port = NLMSGHDR.unpack_from(data, offset)
        if length < NLMSGHDR.size or offset + length > len(data):
            return None
        if kind == NLMSG_ERROR and got_seq == seq and length >= NLMSGHDR.size + _ERRNO.size:
            return -int(_ERRNO.unpack_from(data, offset + NLMSGHDR.size)[0])
        offset += (length + 3) & ~3
    return None


class AckedRequests:
    """One netlink socket: requests numbered 1, 2, ... (never 0), one at a time from any thread."""

    def __init__(self, sock: socket.socket, what: str = "the kernel") -> None:
        self.sock = sock
        self.what = what  # who did not answer, in the TimeoutError
        self._lock = threading.Lock()
        self._seq = 0

    @classmethod
    def open(cls, protocol: int, what: str = "the kernel") -> AckedRequests:
        """A bound socket of the netlink ``protocol`` (NETLINK_ROUTE, NETLINK_GENERIC...)."""
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, protocol)
        try:
            sock.bind((0, 0))
        except OSError:
            sock.close()
            raise
        return cls(sock, what)

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()

    def call(self, build: Callable[[int], bytes | bytearray]) -> int:
        """Send ``build(seq)`` and return the errno of the kernel's answer to it (0: done).

        Raises OSError: the socket's errors, TimeoutError after ``ACK_TIMEOUT`` of silence.
        """
        with self._lock:
            self._seq = seq = self._seq % 0xFFFFFFFF + 1
            self.sock.send(build(seq))
            while True:
                code = parse_ack(self._answer(), seq)
                if code is not None:
                    return code

    def _answer(self) -> bytes:
        try:
            return self.sock.recv(ACK_BUFSIZE, socket.MSG_DONTWAIT)
        except BlockingIOError:  # not expected: the answer is queued when send returns
            pass
        if not select.select([self.sock], [], [], ACK_TIMEOUT)[0]:
            raise TimeoutError(errno.ETIMEDOUT, f"no answer from {self.what}")
        return self.sock.recv(ACK_BUFSIZE, socket.MSG_DONTWAIT)


def patch_seq(request: bytearray, seq: int) -> bytearray:
    """``request`` (an encoded message kept for reuse) with its sequence number set to ``seq``."""
    _SEQ.pack_into(request, 8, seq)
    return request
