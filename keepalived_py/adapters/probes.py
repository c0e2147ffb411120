"""Probe I/O: one attempt of each checker kind on non-blocking sockets, asyncio only (no threads).

Thin on purpose: the bytes and the verdicts come from ``keepalived_py/check/probes/*``; this
module opens the socket as keepalived's layer4.c does (SO_MARK for ``fwmark``, SO_BINDTODEVICE
for ``bind_if``, bind to ``bindto``/``bind_port``, SO_LINGER 5 s on TCP), applies
``connect_timeout`` to each step as keepalived does (connect, write, and every read), and
reports what happened in keepalived's words.

Connection outcomes follow keepalived's socket_bind_connect: an error in the socket options,
bind(), or a connect() errno outside the "cannot reach" list means the attempt could not be made
(``Connect.status == "error"``: the checker is rescheduled without a verdict); ENETUNREACH,
EHOSTUNREACH, ECONNREFUSED, EHOSTDOWN, ENETDOWN, ECONNRESET, ECONNABORTED, ETIMEDOUT at once are
``"fail_now"``; later, SO_ERROR ETIMEDOUT or our own timer is ``"timeout"``, another error
``"fail"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import heapq
import itertools
import os
import select
import socket
import ssl
import struct
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from keepalived_py.adapters import script_runner
from keepalived_py.check.probes import dns as dnsp
from keepalived_py.check.probes import http as httpp
from keepalived_py.check.probes import icmp as icmpp
from keepalived_py.check.probes import smtp as smtpp
from keepalived_py.check.probes import udp as udpp
from keepalived_py.check.probes.endpoint import Endpoint
from keepalived_py.config.model.checkers import Url
from keepalived_py.config.model.lvs import SslContext

SO_MARK = getattr(socket, "SO_MARK", 36)
IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
IPV6_RECVERR = getattr(socket, "IPV6_RECVERR", 25)
MSG_ERRQUEUE = getattr(socket, "MSG_ERRQUEUE", 0x2000)
_FAIL_NOW = {
    errno.ENETUNREACH,
    errno.EHOSTUNREACH,
    errno.ECONNREFUSED,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.ETIMEDOUT,
}
US = 1_000_000


class SocketSetupError(OSError):
    """A socket option or bind() failed: keepalived reschedules without a verdict."""


def _sockaddr(ip: object, port: int) -> tuple[str, int]:
    return (str(ip), port)


def make_socket(
    ep: Endpoint, kind: int, proto: int = 0, *, options: bool = True, bind_if: bool = True
) -> socket.socket:
    """A non-blocking socket toward ``ep`` with keepalived's options; raises OSError (creation)
    or SocketSetupError (options, bind)."""
    if ep.dst is None:
        raise OSError(errno.EAFNOSUPPORT, "no destination address")
    family = socket.AF_INET6 if ep.dst.version == 6 else socket.AF_INET
    sock = socket.socket(family, kind | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC, proto)
    try:
        if kind == socket.SOCK_STREAM:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 5))
        if options and ep.fwmark:
            sock.setsockopt(socket.SOL_SOCKET, SO_MARK, ep.fwmark)
        if options and bind_if and ep.bind_if:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ep.bind_if.encode() + b"\0")
        if options and ep.bind is not None:
            sock.bind(_sockaddr(ep.bind, ep.bind_port))
    except OSError as exc:
        sock.close()
        raise SocketSetupError(exc.errno, exc.strerror) from exc
    return sock


def _settle(fut: asyncio.Future[bool], ready: bool) -> None:
    if not fut.done():
        fut.set_result(ready)


async def _wait_fd(sock: socket.socket, *, write: bool, timeout: float) -> bool:
    """Wait until ``sock`` is writable/readable; False on timeout.

    A plain timer handle rather than ``asyncio.timeout``: this runs for every probe (thousands a
    second), and the context manager's cancellation machinery costs more than the wait itself."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[bool] = loop.create_future()
    fd = sock.fileno()
    (loop.add_writer if write else loop.add_reader)(fd, _settle, fut, True)
    timer = loop.call_later(max(timeout, 0.0), _settle, fut, False)
    try:
        return await fut
    finally:
        timer.cancel()
        (loop.remove_writer if write else loop.remove_reader)(fd)


@dataclass(slots=True)
class Connect:
    """``status``: "success", "timeout", "fail", "fail_now", "error" (see the module note) or
    "nosocket" (the socket could not be created)."""

    status: str
    sock: socket.socket | None = None
    error: OSError | None = None
    deadline: float = 0.0


async def tcp_connect(ep: Endpoint) -> Connect:
    loop = asyncio.get_running_loop()
    try:
        sock = make_socket(ep, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    except SocketSetupError as exc:
        return Connect("error", error=exc)
    except OSError as exc:
        return Connect("nosocket", error=exc)
    deadline = loop.time() + ep.timeout_us / US
    err = sock.connect_ex((ep.dst_text, ep.port))
    if err == 0:
        return Connect("success", sock, deadline=deadline)
    if err != errno.EINPROGRESS:
        sock.close()
        return Connect("fail_now" if err in _FAIL_NOW else "error", error=OSError(err, os.strerror(err)))
    if not await _wait_fd(sock, write=True, timeout=deadline - loop.time()):
        sock.close()
        return Connect("timeout")
    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err == 0:
        return Connect("success", sock, deadline=deadline)
    sock.close()
    return Connect("timeout" if err == errno.ETIMEDOUT else "fail", error=OSError(err, os.strerror(err)))


# -- TCP_CHECK -------------------------------------------------------------------------------


class _ProbeMux:
    """The running TCP probes of one loop: their own epoll set (one reader on the loop) and
    their connect timeouts in a heap under one loop timer.

    What asyncio's add_writer/remove_writer and call_at cost per attempt (a Handle, a
    SelectorKey, a TimerHandle, several Python calls each) was most of a TCP_CHECK attempt's
    CPU; here an attempt is one epoll_ctl (close() drops it from the set) and one heap entry."""

    __slots__ = ("_ep", "_heap", "_loop", "_probes", "_seq", "_timer", "_when")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._ep = select.epoll(flags=select.EPOLL_CLOEXEC)
        self._probes: dict[int, TcpProbe] = {}
        self._heap: list[tuple[float, int, TcpProbe]] = []
        self._seq = 0
        self._timer: asyncio.TimerHandle | None = None
        self._when = 0.0
        loop.add_reader(self._ep.fileno(), self._ready)

    def add(self, probe: TcpProbe, fd: int, deadline: float) -> None:
        self._ep.register(fd, select.EPOLLOUT | select.EPOLLONESHOT)
        self._probes[fd] = probe
        self._seq += 1
        heapq.heappush(self._heap, (deadline, self._seq, probe))
        if self._timer is None or deadline < self._when:
            self._arm(deadline)

    def remove(self, fd: int) -> None:
        """``fd`` is about to be closed (which takes it out of the epoll set)."""
        del self._probes[fd]

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._when = when
        self._timer = self._loop.call_at(when, self._expire)

    def _ready(self) -> None:
        probes = self._probes
        for fd, _ in self._ep.poll(0):
            probe = probes.get(fd)
            if probe is not None:
                probe._writable()

    def _expire(self) -> None:
        self._timer = None
        heap = self._heap
        now = self._loop.time()
        while heap and (heap[0][2]._sock is None or heap[0][0] <= now):
            probe = heapq.heappop(heap)[2]
            if probe._sock is not None:
                probe._expired()
        if heap:
            self._arm(heap[0][0])
        elif not self._probes:
            self.close()  # idle for a connect_timeout: the next probe opens another

    def close(self) -> None:
        """Stop every running probe (no ``done``) and release the epoll set."""
        if _MUXES.get(self._loop) is self:
            del _MUXES[self._loop]
        for probe in list(self._probes.values()):
            probe._end()
        self._heap.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._ep.closed:
            if not self._loop.is_closed():
                self._loop.remove_reader(self._ep.fileno())
            self._ep.close()


_MUXES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _ProbeMux] = weakref.WeakKeyDictionary()


def _mux(loop: asyncio.AbstractEventLoop) -> _ProbeMux:
    mux = _MUXES.get(loop)
    if mux is None:
        mux = _MUXES[loop] = _ProbeMux(loop)
    return mux


class TcpProbe:
    """One TCP_CHECK attempt on plain loop callbacks: a non-blocking connect(), its descriptor
    watched for writability and a deadline for ``connect_timeout`` (both in the loop's
    ``_ProbeMux``); ``done(status, errno)`` is called once (``status`` as ``Connect.status``)
    after the socket is closed.

    No Task, Future or timeout context per attempt: TCP_CHECK runs thousands of attempts a
    second and asyncio's per-attempt objects were most of the checker's CPU."""

    __slots__ = ("_done", "_fd", "_mux", "_sock")

    def __init__(
        self, mux: _ProbeMux, sock: socket.socket, deadline: float, done: Callable[[str, int], object]
    ) -> None:
        self._mux = mux
        self._sock: socket.socket | None = sock
        self._fd = fd = sock.fileno()
        self._done = done
        mux.add(self, fd, deadline)

    def _end(self) -> None:
        sock = self._sock
        if sock is not None:
            self._sock = None
            self._mux.remove(self._fd)
            sock.close()

    def _writable(self) -> None:
        assert self._sock is not None
        err = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        self._end()
        if err == 0:
            self._done("success", 0)
        else:
            self._done("timeout" if err == errno.ETIMEDOUT else "fail", err)

    def _expired(self) -> None:
        self._end()
        self._done("timeout", 0)

    def cancel(self) -> None:
        """Stop without calling ``done`` (the process is stopping); nothing once it ended."""
        self._end()


def close_probes(loop: asyncio.AbstractEventLoop) -> None:
    """Stop the TCP probes running on ``loop`` (their ``done`` is not called)."""
    mux = _MUXES.get(loop)
    if mux is not None:
        mux.close()


def tcp_probe(
    loop: asyncio.AbstractEventLoop,
    ep: Endpoint,
    done: Callable[[str, int], object],
    *,
    mux: _ProbeMux | None = None,
) -> TcpProbe | None:
    """Start a TCP_CHECK attempt toward ``ep`` (connect, then close at once); None when it
    ended already (``done`` was called before returning: no socket, bind error, connect()
    refused or completed at once), else the running probe (``cancel()`` stops it)."""
    try:
        sock = make_socket(ep, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    except SocketSetupError as exc:
        done("error", exc.errno or 0)
        return None
    except OSError as exc:
        done("nosocket", exc.errno or 0)
        return None
    deadline = loop.time() + ep.timeout_us / US
    try:
        err = sock.connect_ex((ep.dst_text, ep.port))
    except OSError as exc:  # e.g. a bad address for the family
        err = exc.errno or errno.EINVAL
    if err == errno.EINPROGRESS:
        return TcpProbe(mux or _mux(loop), sock, deadline, done)
    sock.close()
    if err == 0:
        done("success", 0)
    else:
        done("fail_now" if err in _FAIL_NOW else "error", err)
    return None


async def tcp_attempt(ep: Endpoint) -> Connect:
    """``tcp_probe`` awaited (the socket is closed when it returns)."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[tuple[str, int]] = loop.create_future()

    def done(status: str, err: int) -> None:
        if not fut.done():
            fut.set_result((status, err))

    mux = _ProbeMux(loop)  # its own, closed here: nothing stays open after an awaited attempt
    try:
        tcp_probe(loop, ep, done, mux=mux)
        status, err = await fut
    finally:
        mux.close()
    return Connect(status, error=OSError(err, os.strerror(err)) if err else None)


# -- HTTP_GET / SSL_GET ------------------------------------------------------------------------


def make_ssl_context(model: SslContext | None) -> ssl.SSLContext:
    """keepalived's checker TLS context: certificates and CA loaded when given, peers never
    verified (keepalived leaves OpenSSL's SSL_VERIFY_NONE); raises ValueError with keepalived's
    message when a file cannot be loaded."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if model is None:
        return ctx
    if model.certificate:
        try:
            ctx.load_cert_chain(model.certificate, model.key, model.password)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError("SSL error : Cant load certificate file...") from exc
    elif model.key:
        raise ValueError("SSL error : Cant load key file...")
    if model.ca:
        try:
            ctx.load_verify_locations(model.ca)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError("SSL error : Cant load CA file...") from exc
    return ctx


@dataclass(slots=True)
class HttpResult:
    """``skipped``: no attempt (socket/bind failure, with ``log``); else ``failure`` is the
    timeout_epilog message or None when ``response`` is complete and to be judged."""

    skipped: bool = False
    failure: str | None = None
    response: httpp.HttpResponse | None = None
    logs: list[str] = field(default_factory=list)


async def http_attempt(
    ep: Endpoint,
    url: Url,
    *,
    request: bytes,
    tls: ssl.SSLContext | None = None,
    sni: str | None = None,
    regex: object = None,
    want_digest: bool | None = None,
    response: httpp.HttpResponse | None = None,
) -> HttpResult:
    """One GET of ``url``: connect, TLS, send, read to the end of the stream (into ``response``
    when given, else a new HttpResponse)."""
    loop = asyncio.get_running_loop()
    timeout = ep.timeout_us / US
    conn = await tcp_connect(ep)
    if conn.status == "nosocket":
        return HttpResult(skipped=True, logs=["WEB connection fail to create socket. Rescheduling."])
    if conn.status == "fail_now":
        return HttpResult(failure="HTTP_CHECK - network unreachable")
    if conn.status == "timeout":
        return HttpResult(failure="Timeout connecting")
    if conn.status == "fail":
        return HttpResult(failure="Connection failed")
    if conn.status != "success" or conn.sock is None:
        return HttpResult(skipped=True, logs=["WEB socket bind failed. Rescheduling"])
    sock = conn.sock
    writer: asyncio.StreamWriter | None = None
    pattern = regex if hasattr(regex, "search") else None
    if response is None:
        response = httpp.HttpResponse(
            want_digest=url.digest is not None if want_digest is None else want_digest,
            regex=pattern,  # type: ignore[arg-type]
        )
    try:
        try:
            async with asyncio.timeout(max(conn.deadline - loop.time(), 0.0) if tls else timeout):
                reader, writer = await asyncio.open_connection(
                    sock=sock,
                    ssl=tls,
                    server_hostname=(sni or "") if tls is not None else None,
                    ssl_handshake_timeout=None,
                    limit=httpp.MAX_BUFFER_LENGTH,
                )
        except TimeoutError:
            return HttpResult(failure="Timeout connecting")
        except (OSError, ssl.SSLError):
            return HttpResult(failure="SSL handshake/communication error connecting to")
        try:
            writer.write(request)
            async with asyncio.timeout(timeout):
                await writer.drain()
        except TimeoutError:
            return HttpResult(failure="Timeout WEB write")
        except (OSError, ssl.SSLError):
            return HttpResult(failure="Cannot send get request to")
        first = True
        while True:
            room = response.room()
            if room <= 0:
                break
            try:
                async with asyncio.timeout(timeout):
                    data = await reader.read(room)
            except TimeoutError:
                if first:
                    return HttpResult(failure="Timeout WEB read")
                return HttpResult(failure="Timeout SSL read" if tls else "Timeout HTTP read")
            except (OSError, ssl.SSLError):
                if tls is None:
                    return HttpResult(failure="Read error with")
                break  # keepalived's ssl_read_thread: any SSL error ends the stream
            first = False
            if not data:
                if tls is not None and not response.extracted:
                    return HttpResult(failure="SSL read error from")
                break
            response.feed(data)
        return HttpResult(response=response)
    finally:
        if writer is not None:
            writer.transport.abort()
        sock.close()


# -- SMTP_CHECK --------------------------------------------------------------------------------


async def smtp_attempt(ep: Endpoint, *, helo_name: str, rs_pair: str) -> tuple[bool, str | None, list[str]]:
    """(skipped, error message or None on success, extra log lines)."""
    server = ep.pair()
    timeout = ep.timeout_us / US
    loop = asyncio.get_running_loop()
    conn = await tcp_connect(ep)
    if conn.status == "fail_now":
        return False, f"Network unreachable for server {ep.dst} - real server {rs_pair}", []
    if conn.status == "timeout":
        return False, f"Connection timeout to server {server}", []
    if conn.status == "fail":
        return False, f"Could not connect to server {server}", []
    if conn.status == "nosocket":
        return True, None, ["SMTP_CHECK connection failed to create socket. Rescheduling."]
    if conn.sock is None:
        return True, None, ["SMTP_CHECK socket bind failed. Rescheduling."]
    sock = conn.sock
    logs: list[str] = []
    dialogue = smtpp.SmtpDialogue(helo_name, server)
    try:
        while True:
            buf = smtpp.LineBuffer(server)
            line = None
            while line is None:
                if not await _wait_fd(sock, write=False, timeout=timeout):
                    return False, f"Read timeout from server {server}", logs
                try:
                    data = sock.recv(max(buf.room(), 1))
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    return False, f"Read failure from server {server}", logs
                line, more = buf.feed(data)
                logs += more
            step = dialogue.on_line(line)
            if step.done:
                return False, step.error, logs
            assert step.send is not None
            try:
                async with asyncio.timeout(timeout):
                    await loop.sock_sendall(sock, step.send)
            except TimeoutError:
                return False, f"Write timeout to server {server}", logs
            except OSError:
                return False, f"Write failure to server {server}", logs
    finally:
        sock.close()


# -- DNS_CHECK ---------------------------------------------------------------------------------


async def dns_attempt(ep: Endpoint, *, name: str, qtype: int) -> tuple[bool, str | None]:
    """(skipped, error message or None on success)."""
    loop = asyncio.get_running_loop()
    try:
        sock = make_socket(ep, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    except SocketSetupError:
        return True, "UDP socket bind failed. Rescheduling."
    except OSError:
        return True, "failed to create socket. Rescheduling."
    try:
        err = sock.connect_ex(_sockaddr(ep.dst, ep.port))
        if err in _FAIL_NOW:
            return False, f"network unreachable for {ep.pair()}"
        if err:
            return True, "UDP socket bind failed. Rescheduling."
        deadline = loop.time() + ep.timeout_us / US
        ident = int.from_bytes(os.urandom(2), "big")
        query = dnsp.build_query(name, qtype, ident)
        try:
            sent = sock.send(query)
        except OSError:
            return False, "failed to write socket."
        if sent != len(query):
            return False, "failed to write all of the datagram."
        while True:
            if not await _wait_fd(sock, write=False, timeout=deadline - loop.time()):
                return False, "read timeout from socket"
            try:
                data = sock.recv(dnsp.DNS_BUFFER_SIZE)
            except BlockingIOError:
                continue
            except OSError as exc:
                code = exc.errno or 0
                return False, f"failed to read socket; errno {code} ({os.strerror(code)})"
            verdict = dnsp.judge_reply(ident, data)
            if not verdict.ignore:
                return False, verdict.error
    finally:
        sock.close()


# -- UDP_CHECK ---------------------------------------------------------------------------------


def _errqueue(sock: socket.socket) -> list[tuple[int, int]]:
    entries: list[tuple[int, int]] = []
    for _ in range(16):
        try:
            _data, ancdata, _flags, _addr = sock.recvmsg(512, 1024, MSG_ERRQUEUE)
        except OSError:
            break
        for level, kind, cdata in ancdata:
            if (level, kind) in ((socket.IPPROTO_IP, IP_RECVERR), (socket.IPPROTO_IPV6, IPV6_RECVERR)):
                parsed = udpp.parse_extended_err(cdata)
                if parsed is not None:
                    entries.append(parsed)
    return entries


async def udp_attempt(
    ep: Endpoint,
    *,
    payload: bytes | None,
    require_reply: bool,
    reply_data: bytes | None,
    reply_mask: bytes | None,
    min_length: int,
    max_length: int,
) -> tuple[bool, str | None]:
    """(skipped, None on success else "failed", "mismatch" or "quiet" (not sent))."""
    loop = asyncio.get_running_loop()
    try:
        # keepalived's udp_bind_connect sets no SO_BINDTODEVICE
        sock = make_socket(ep, socket.SOCK_DGRAM, socket.IPPROTO_UDP, bind_if=False)
    except SocketSetupError:
        return False, "quiet"
    except OSError:
        return True, None
    try:
        level, opt = (
            (socket.IPPROTO_IP, IP_RECVERR) if ep.family == 4 else (socket.IPPROTO_IPV6, IPV6_RECVERR)
        )
        with contextlib.suppress(OSError):
            sock.setsockopt(level, opt, 1)
        try:
            sock.connect(_sockaddr(ep.dst, ep.port))
            data = udpp.request_payload(payload)
            if sock.send(data) != len(data):
                return False, "quiet"
        except OSError:
            return False, "quiet"
        deadline = loop.time() + ep.timeout_us / US
        while True:
            if not await _wait_fd(sock, write=False, timeout=deadline - loop.time()):
                return False, ("failed" if require_reply else None)
            try:
                reply = sock.recv(udpp.recv_size(require_reply, max_length))
            except BlockingIOError:
                continue
            except OSError:
                entries = _errqueue(sock)
                if not entries or udpp.errqueue_failure(entries):
                    return False, "failed"
                return False, None
            ok = udpp.reply_ok(
                reply,
                reply_data=reply_data,
                reply_mask=reply_mask,
                min_length=min_length,
                max_length=max_length,
            )
            return False, (None if ok else "mismatch")
    finally:
        sock.close()


# -- PING_CHECK --------------------------------------------------------------------------------

_seq = itertools.count(0)
_ping_dgram_ok: dict[int, bool] = {}


def _icmp_socket(v6: bool) -> tuple[socket.socket, bool]:
    """A ping socket when the host allows one (net.ipv4.ping_group_range), else a raw socket."""
    family = socket.AF_INET6 if v6 else socket.AF_INET
    proto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
    flags = socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC
    if _ping_dgram_ok.get(family, True):
        try:
            return socket.socket(family, socket.SOCK_DGRAM | flags, proto), False
        except PermissionError:
            _ping_dgram_ok[family] = False
    return socket.socket(family, socket.SOCK_RAW | flags, proto), True


async def icmp_attempt(ep: Endpoint) -> tuple[bool, str | None, list[str]]:
    """(skipped, None on success else "timeout"/"failed"/"quiet" (not sent), log lines)."""
    loop = asyncio.get_running_loop()
    v6 = ep.family == 6
    if ep.dst is None:
        return True, None, [f"ICMP{'v6' if v6 else ''} connect fail to create socket. Rescheduling."]
    try:
        sock, raw = _icmp_socket(v6)
    except OSError:
        return True, None, [f"ICMP{'v6' if v6 else ''} connect fail to create socket. Rescheduling."]
    try:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 128 * 1024)
        seq = next(_seq) & 0xFFFF
        ident = (os.getpid() ^ id(sock)) & 0xFFFF if raw else 0
        try:
            sock.sendto(icmpp.build_echo(v6=v6, seq=seq, ident=ident), _sockaddr(ep.dst, 0))
        except OSError as exc:
            line = f"send ICMPv6 packet fail - errno {exc.errno}" if v6 else "send ICMP packet fail"
            return False, "quiet", [line]
        deadline = loop.time() + ep.timeout_us / US
        while True:
            if not await _wait_fd(sock, write=False, timeout=deadline - loop.time()):
                return False, "timeout", []
            try:
                data, addr = sock.recvfrom(65535 if raw else icmpp.HEADER + udpp.ICMP_BUFSIZE)
            except BlockingIOError:
                continue
            except OSError:
                return False, "failed", [f"recv {'ICMPv6' if v6 else 'ICMP'} packet error"]
            if raw:
                try:
                    message = data if v6 else icmpp.strip_ipv4_header(data)
                except icmpp.IcmpDecodeError:
                    continue
                if addr[0].split("%")[0] != str(ep.dst) or not icmpp.reply_for_us(
                    message, v6=v6, ident=ident, seq=seq
                ):
                    continue
                data = message
            check = icmpp.judge_reply(data, v6=v6)
            return False, (None if check.ok else "failed"), ([check.log] if check.log else [])
    finally:
        sock.close()


# -- MISC_CHECK --------------------------------------------------------------------------------


async def misc_attempt(
    argv: Sequence[str], *, env: Mapping[str, str], ids: tuple[int, int] | None, timeout_us: int
) -> script_runner.Outcome:
    """Run the script in its own process group; after ``timeout_us`` SIGTERM, 2 s later SIGKILL."""
    return await script_runner.run_check(argv, env=env, ids=ids, timeout=timeout_us / US)


# -- genhash -----------------------------------------------------------------------------------


async def genhash(
    server: str,
    port: int,
    path: str,
    *,
    use_ssl: bool = False,
    sni: bool = False,
    vhost: str | None = None,
    protocol: str = "1.0",
    fwmark: int = 0,
    timeout_us: int = 2**32 - 1,
) -> tuple[str, bool]:
    """keepalived's --genhash: (the line it prints, whether on stderr)."""
    from ipaddress import ip_address

    ep = Endpoint(dst=ip_address(server), port=port, fwmark=fwmark, timeout_us=timeout_us)
    url = Url(path=path, digest=b"\0" * 16, virtualhost=None)
    request = httpp.build_request(path, protocol=protocol, vhost=vhost, dst=ep.dst, port=port)
    tls = make_ssl_context(None) if use_ssl else None
    result = await http_attempt(
        ep, url, request=request, tls=tls, sni=vhost if sni else None, want_digest=True
    )
    if result.response is None:
        # timeout_epilog prints its message on stdout in genhash mode
        return (result.failure or "Error connecting"), False
    return httpp.genhash_line(result.response)
