"""Follow processes for vrrp_track_process: a /proc scan, then the kernel's process connector.

keepalived 2.2.7 (core/track_process.c) subscribes to the proc connector (NETLINK_CONNECTOR,
CN_IDX_PROC), scans /proc once, then applies fork / exec / comm / exit events.  The same here,
read from the asyncio loop with ``add_reader`` on a non-blocking socket; the decisions (what
matches, counts, quorum, delays) are ``vrrp/process_match.py``'s ``ProcessTable``.

The kernel accepts subscriptions only from the initial network namespace: from another one
(``ip netns exec``, ``net_namespace``) the socket is made in PID 1's network namespace (see
``_connect``).  When the connector cannot be used at all (a kernel without CONFIG_PROC_EVENTS,
no access to the initial namespace, a refused subscription or no answer within 0.1 s)
keepalived's process tracking stops working; here /proc is polled instead, every
``poll_interval`` seconds, and the log says so.  Lost events (ENOBUFS) lead, as in keepalived, to
a full rescan one second later with a doubled receive buffer.

Processes come and go while they are read: every read of /proc tolerates their vanishing
(the process is then left as it was; its exit event follows).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from keepalived_py.vrrp import process_match as pm
from keepalived_py.vrrp.process_match import ProcessTable, ProcInfo, QuorumChange

log = logging.getLogger(__name__)

SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
ACK_TIMEOUT = 0.1  # keepalived waits TIMER_HZ / 10 for the kernel's answer
REINIT_DELAY = 1.0  # keepalived rescans one second after lost messages
MAX_BATCH = 1000  # messages handled per wake-up before yielding to the loop
CLONE_NEWNET = 0x40000000


def _read(path: str, limit: int) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_process(pid: int, *, comm: bool, cmdline: bool, limit: int, proc: str = "/proc") -> ProcInfo:
    """What an exec event needs: /proc/PID/comm and (some of) /proc/PID/cmdline."""
    raw_comm = _read(f"{proc}/{pid}/comm", 64) if comm else None
    if raw_comm is not None and raw_comm.endswith(b"\n"):
        raw_comm = raw_comm[:-1]
    raw_cmd = _read(f"{proc}/{pid}/cmdline", limit) if cmdline else None
    return ProcInfo(pid, raw_comm, raw_cmd)


def scan(*, comm: bool, cmdline: bool, limit: int, proc: str = "/proc") -> list[ProcInfo] | None:
    """Every process in /proc, with its name and state (from stat) and command line as needed.

    None when /proc itself cannot be listed (then nothing is known, which is not "no process").
    """
    try:
        names = os.listdir(proc)
    except OSError as exc:
        log.info("Cannot read %s: %s", proc, exc)
        return None
    found: list[ProcInfo] = []
    for name in names:
        if not (name.isascii() and name.isdigit()) or name[0] == "0":
            continue
        raw_cmd = None
        if cmdline:
            raw_cmd = _read(f"{proc}/{name}/cmdline", limit)
            if raw_cmd is None:
                continue
        raw_comm = None
        zombie = False
        if comm:
            stat = _read(f"{proc}/{name}/stat", 512)
            parsed = pm.parse_stat(stat) if stat is not None else None
            if parsed is None:
                continue
            raw_comm, zombie = parsed
        found.append(ProcInfo(int(name), raw_comm, raw_cmd, zombie))
    return found


class ProcessWatch:
    """The connector socket (or the polling fallback) feeding one ``ProcessTable``."""

    def __init__(
        self,
        table: ProcessTable,
        *,
        proc: str = "/proc",
        poll_interval: float = 1.0,
        rcvbuf: int | None = None,
        rcvbuf_force: bool = False,
        detail: bool = False,
        use_connector: bool = True,
        init_netns: str | None = "/proc/1/ns/net",
    ) -> None:
        self.table = table
        self.proc = proc
        self.poll_interval = poll_interval
        self.rcvbuf = rcvbuf
        self.rcvbuf_force = rcvbuf_force
        self.detail = detail
        self.use_connector = use_connector
        self.init_netns = init_netns
        self.sock: socket.socket | None = None
        self.acked = False
        self.polling = False
        self._loop: Any = None
        self._on_change: Callable[[list[QuorumChange]], None] | None = None
        self._timer: Any = None
        self._poll_handle: Any = None
        self._ack_handle: Any = None
        self._reinit_handle: Any = None
        self._cpu_seq: dict[int, int] = {}
        # event counters (for tests and dumps)
        self.events = 0
        self.rescans = 0

    # -- setting up ----------------------------------------------------------------------

    def open(self) -> None:
        """Subscribe to the connector first, then scan: nothing happens unseen in between."""
        if self.use_connector:
            self.sock = self._connect()
        procs = self._scan()
        self.table.start(procs or [])

    def _scan(self) -> list[ProcInfo] | None:
        t = self.table
        return scan(comm=t.needs_comm, cmdline=t.needs_cmdline, limit=t.cmdline_limit, proc=self.proc)

    def _connect(self) -> socket.socket | None:
        """The subscribed connector socket, or None (logged as keepalived logs it).

        The kernel answers subscriptions only in the initial network namespace.  keepalived
        opens the socket before entering its ``net_namespace``; here, when the subscription is
        refused from the namespace we run in, the socket is made in PID 1's network namespace by
        a short-lived thread (setns changes only the calling thread), which covers both
        ``net_namespace`` and ``ip netns exec`` (where keepalived's process tracking fails).
        """
        sock, failure = self._open_socket()
        if sock is None and failure is not None and failure[1] == errno.ECONNREFUSED and self.init_netns:
            sock = self._initial_netns_socket(self.init_netns)
            if sock is not None:
                log.info("track_process: using the process connector of the initial network namespace")
                return sock
        if failure is not None:
            log.info(*failure[0])
        return sock

    def _open_socket(self) -> tuple[socket.socket | None, tuple[tuple[object, ...], int] | None]:
        """(socket, None) or (None, (log arguments, errno))."""
        try:
            sock = socket.socket(
                socket.AF_NETLINK,
                socket.SOCK_DGRAM | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC,
                pm.NETLINK_CONNECTOR,
            )
        except OSError as exc:
            if exc.errno == errno.EPROTONOSUPPORT:
                msg: tuple[object, ...] = (
                    "track_process not available - is CONFIG_PROC_EVENTS enabled in kernel config?",
                )
            else:
                msg = ("Failed to open process monitoring socket - errno %d - %s", exc.errno, exc.strerror)
            return None, (msg, exc.errno or 0)
        try:
            sock.bind((0, pm.CN_IDX_PROC))
        except OSError as exc:
            sock.close()
            msg = ("Failed to bind to process monitoring socket - errno %d - %s", exc.errno, exc.strerror)
            return None, (msg, exc.errno or 0)
        if self.rcvbuf:
            self._set_rcvbuf(sock, self.rcvbuf)
        try:
            sock.send(pm.listen_message(True, pid=os.getpid()))
        except OSError as exc:
            sock.close()
            msg = ("Failed to set/clear process event listen - errno %d - %s", exc.errno, exc.strerror)
            return None, (msg, exc.errno or 0)
        return sock, None

    def _initial_netns_socket(self, path: str) -> socket.socket | None:
        try:
            own = os.stat("/proc/self/ns/net")
            first = os.stat(path)
        except OSError:
            return None  # e.g. PID 1 out of reach (a container, a sandbox)
        if (own.st_dev, own.st_ino) == (first.st_dev, first.st_ino):
            return None
        made: list[socket.socket | None] = []

        def work() -> None:
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    if libc.setns(fd, CLONE_NEWNET) != 0:
                        return
                finally:
                    os.close(fd)
                made.append(self._open_socket()[0])
            except OSError:
                return

        thread = threading.Thread(target=work, name="proc-connector")
        thread.start()
        thread.join()
        return made[0] if made else None

    def _set_rcvbuf(self, sock: socket.socket, size: int) -> None:
        option = SO_RCVBUFFORCE if self.rcvbuf_force else socket.SO_RCVBUF
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, size)
        except OSError as exc:
            log.info(
                "Cannot set process monitor SO_RCVBUF%s option. errno=%d (%s)",
                "FORCE" if self.rcvbuf_force else "",
                exc.errno,
                exc.strerror,
            )

    def attach(self, loop: Any, on_change: Callable[[list[QuorumChange]], None]) -> None:
        """Start following: connector events, or polling if there is no connector."""
        self._loop = loop
        self._on_change = on_change
        if self.sock is not None:
            loop.add_reader(self.sock.fileno(), self._readable)
            if not self.acked:
                self._ack_handle = loop.call_later(ACK_TIMEOUT, self._ack_timeout)
        else:
            self._start_polling()
        self._rearm()

    # -- the connector -------------------------------------------------------------------

    def _ack_timeout(self) -> None:
        self._ack_handle = None
        if not self.acked:
            log.info("WARNING - the kernel does not support proc events - track_process will not work")
            self._drop_socket()
            self._start_polling()

    def _drop_socket(self) -> None:
        if self.sock is None:
            return
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self.sock.fileno())
        self.sock.close()
        self.sock = None

    def _readable(self) -> None:
        sock = self.sock
        if sock is None:
            return
        changes: list[QuorumChange] = []
        for _ in range(MAX_BATCH):
            try:
                data, addr = sock.recvfrom(1024)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    self._lost_messages()
                else:
                    log.info("process monitor netlink recv error %d - %s", exc.errno, exc.strerror)
                break
            if not data:
                log.info("proc_event recvmsg returned 0")
                break
            if not isinstance(addr, tuple) or not addr or addr[0] != 0:
                continue  # only the kernel speaks here
            event = pm.decode_event(data)
            if event is not None:
                changes += self._event(event)
            if self.sock is not sock:
                break  # given up for polling
        self._emit(changes)

    def _event(self, event: pm.ProcEvent) -> list[QuorumChange]:
        self.events += 1
        what = event.what
        if what != pm.PROC_EVENT_NONE:
            # the kernel numbers its events per CPU (an answer carries our request's number)
            last = self._cpu_seq.get(event.cpu)
            if last is not None and self._reinit_handle is None and event.seq != (last + 1) & 0xFFFFFFFF:
                log.info("Missed %d messages on CPU %u", (event.seq - last - 1) & 0xFFFFFFFF, event.cpu)
            self._cpu_seq[event.cpu] = event.seq
        now = self._loop.time() if self._loop is not None else 0.0
        if what == pm.PROC_EVENT_NONE:
            if self.acked:
                return []
            if event.err:
                # keepalived takes any answer as success; a refusal (EPERM without
                # CAP_NET_ADMIN) means no events will come: poll instead
                log.info(
                    "Failed to set/clear process event listen - errno %d - %s",
                    event.err,
                    os.strerror(event.err),
                )
                self._drop_socket()
                self._start_polling()
                return []
            if self.detail:
                log.info("proc_events has confirmed it is configured")
            self.acked = True
            return []
        if event.pid != event.tgid:
            return []  # a thread, not a process
        if what == pm.PROC_EVENT_FORK:
            return self.table.fork(event.parent_tgid, event.tgid, now)
        if what == pm.PROC_EVENT_EXEC:
            t = self.table
            info = read_process(
                event.tgid, comm=t.needs_comm, cmdline=t.needs_cmdline, limit=t.cmdline_limit, proc=self.proc
            )
            return t.exec(info, now)
        if what == pm.PROC_EVENT_COMM:
            return self.table.comm(event.tgid, event.comm, now)
        if what == pm.PROC_EVENT_EXIT:
            return self.table.exit(event.tgid, now)
        return []

    def _lost_messages(self) -> None:
        """ENOBUFS: events were dropped.  Rescan once things settle, with a bigger buffer."""
        if self._loop is None or self._reinit_handle is not None:
            # keepalived postpones the rescan at each new loss, which under a steady overload
            # never comes; here it comes one second after the first loss
            return
        self._reinit_handle = self._loop.call_later(REINIT_DELAY, self._reinitialise)

    def _reinitialise(self) -> None:
        self._reinit_handle = None
        if self.sock is not None:
            try:
                size = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            except OSError as exc:
                log.info(
                    "Cannot get process monitor SO_RCVBUF option. errno=%d (%s)", exc.errno, exc.strerror
                )
                return
            size *= 2
            self._set_rcvbuf(self.sock, size)
            log.info(
                "Setting global_def process_monitor_rcv_bufs to %u - recommend updating configuration file",
                size,
            )
        self._cpu_seq.clear()
        self._rescan()

    # -- polling -------------------------------------------------------------------------

    def _start_polling(self) -> None:
        if self.polling or self._loop is None:
            return
        self.polling = True
        log.info(
            "track_process: the process connector cannot be used - polling /proc every %g s",
            self.poll_interval,
        )
        # something may have changed since the start-up scan
        self._rescan()

    def _rescan(self) -> None:
        procs = self._scan()
        if procs is not None and self._loop is not None:
            self.rescans += 1
            self._emit(self.table.rescan(procs, self._loop.time()))
        if self.polling and self._loop is not None:
            if self._poll_handle is not None:
                self._poll_handle.cancel()
            self._poll_handle = self._loop.call_later(self.poll_interval, self._poll)

    def _poll(self) -> None:
        self._poll_handle = None
        self._rescan()

    # -- delays and results --------------------------------------------------------------

    def _emit(self, changes: list[QuorumChange]) -> None:
        if changes and self._on_change is not None:
            self._on_change(changes)
        self._rearm()

    def _rearm(self) -> None:
        if self._loop is None:
            return
        deadline = self.table.get_timer()
        if self._timer is not None:
            if deadline is not None and self._timer.when() == deadline:
                return
            self._timer.cancel()
            self._timer = None
        if deadline is not None:
            self._timer = self._loop.call_at(deadline, self._expired, deadline)

    def _expired(self, deadline: float) -> None:
        self._timer = None
        if self._loop is not None:
            # the loop may run a timer a clock tick early: it is due all the same
            self._emit(self.table.handle_timer(max(self._loop.time(), deadline)))

    def close(self) -> None:
        """Stop listening (keepalived tells the kernel it no longer listens) and cancel timers."""
        for handle in (self._timer, self._poll_handle, self._ack_handle, self._reinit_handle):
            if handle is not None:
                handle.cancel()
        self._timer = self._poll_handle = self._ack_handle = self._reinit_handle = None
        self.polling = False
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.send(pm.listen_message(False, pid=os.getpid()))
        self._drop_socket()
        self._loop = None
        self._on_change = None
