"""SMTP alert sender: keepalived's plain SMTP dialogue over aiosmtplib, off the caller's path.

``SmtpSender.send(alert)`` only puts the alert on a bounded queue and returns; a few worker
tasks talk to ``smtp_server``, so a refused, silent or slow mail server never delays an advert,
a check or a notify script.  The dialogue is keepalived's (core/smtp.c): wait for 220, ``HELO``
(never EHLO, STARTTLS or AUTH), ``MAIL FROM``, one ``RCPT TO`` per recipient, ``DATA``, the
message of ``notify.alerts.render_message`` dated when the DATA command is answered, ``QUIT``.
Every step waits at most ``smtp_connect_timeout``; a failure is logged with keepalived's line
and the alert is dropped (keepalived makes one attempt; ``retries`` allows more).

Host names in ``smtp_server`` are resolved here, asynchronously, for every mail (keepalived
resolves them once while reading its configuration): the first address ``getaddrinfo`` gives
is used, as keepalived does.  The defaults keepalived derives from the host (router id, sender
address, HELO name) come from the host's canonical name, also looked up asynchronously once
when the sender starts; mails queued before that wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import errno
import logging
import os
import pwd
import re
import socket
from collections.abc import Callable
from typing import Any

import aiosmtplib
from aiosmtplib import (
    SMTPConnectError,
    SMTPConnectResponseError,
    SMTPResponse,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from keepalived_py.config.model.global_defs import GlobalDefs
from keepalived_py.config.values import TIMER_HZ
from keepalived_py.notify.alerts import Alert, MailIdentity, envelope_address, identity, render_message

log = logging.getLogger(__name__)

QUEUE_SIZE = 64
WORKERS = 4
_LEADING_DOT = re.compile(rb"(?m)^\.")


class SmtpFailure(Exception):
    """One attempt failed; the message is the line keepalived logs ("" when already logged)."""


def _now() -> datetime.datetime:
    return datetime.datetime.now().astimezone()


async def local_name(timeout: float) -> str | None:
    """The host's canonical name (keepalived's ``get_local_name``), None when not found."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(os.uname().nodename, None, flags=socket.AI_CANONNAME), timeout
        )
    except (OSError, TimeoutError):
        return None
    for info in infos:
        if info[3]:
            return info[3]
    return None


def _user() -> str | None:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return None


class SmtpSender:
    """Sends alerts to the configured SMTP server from a bounded queue (see the module doc)."""

    def __init__(
        self,
        gd: GlobalDefs,
        *,
        log_detail: bool = False,
        queue_size: int = QUEUE_SIZE,
        workers: int = WORKERS,
        retries: int = 0,
        retry_delay: float = 1.0,
        clock: Callable[[], datetime.datetime] = _now,
    ) -> None:
        if gd.smtp_server is None:
            raise ValueError("no smtp_server")
        self.gd = gd
        self.server = gd.smtp_server
        self.timeout = gd.smtp_connect_timeout / TIMER_HZ
        self.log_detail = log_detail
        self.retries = retries
        self.retry_delay = retry_delay
        self.clock = clock
        self.queue: asyncio.Queue[Alert] = asyncio.Queue(maxsize=queue_size)
        self._nworkers = workers
        self._workers: list[asyncio.Task[None]] = []
        self._identity: asyncio.Task[MailIdentity] | None = None
        # counters for tests and dumps
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    # -- caller side ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers (in the running loop)."""
        if self._workers:
            return
        loop = asyncio.get_running_loop()
        self._identity = loop.create_task(self._resolve_identity())
        self._workers = [loop.create_task(self._worker()) for _ in range(self._nworkers)]

    def send(self, alert: Alert) -> bool:
        """Queue ``alert``; never waits.  False when it was dropped (queue full)."""
        try:
            self.queue.put_nowait(alert)
        except asyncio.QueueFull:
            self.dropped += 1
            log.info("SMTP alert queue full - dropping alert '%s'", alert.topic)
            return False
        return True

    async def stop(self, grace: float = 1.0) -> None:
        """Give queued and running alerts ``grace`` seconds (keepalived's VRRP process lives one
        second after its STOP notifications), then cancel what is left."""
        if not self._workers:
            return
        if grace > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.queue.join(), grace)
        tasks = [*self._workers, *([self._identity] if self._identity else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._workers = []
        self._identity = None

    # -- workers -------------------------------------------------------------------------

    async def _resolve_identity(self) -> MailIdentity:
        gd = self.gd
        name = None
        if gd.router_id is None or gd.email_from is None or gd.smtp_helo_name is None:
            name = await local_name(self.timeout)
        return identity(gd, name, _user())

    async def _worker(self) -> None:
        assert self._identity is not None
        ident = await self._identity
        while True:
            alert = await self.queue.get()
            try:
                for attempt in range(self.retries + 1):
                    if attempt:
                        await asyncio.sleep(self.retry_delay)
                    try:
                        await self.deliver(alert, ident)
                    except SmtpFailure as exc:
                        if str(exc):
                            log.info("%s", exc)
                        continue
                    except Exception as exc:  # never let one mail stop the worker
                        log.info("SMTP alert failed: %s", exc)
                        continue
                    self.sent += 1
                    break
                else:
                    self.failed += 1
            finally:
                self.queue.task_done()

    async def _target(self) -> tuple[int, tuple[Any, ...]]:
        """The family and socket address of ``smtp_server`` (the first ``getaddrinfo`` answer:
        an address literal answers at once, a name is looked up)."""
        host, port = self.server.host, self.server.port
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), self.timeout
            )
        except (OSError, TimeoutError):
            infos = []
        if not infos:
            raise SmtpFailure(f"Invalid smtp server {host} {port}")
        return infos[0][0], infos[0][4]

    async def _connect(self, family: int, sockaddr: tuple[Any, ...], where: str) -> socket.socket:
        """The TCP connection, bounded by the connect timeout, failing with keepalived's lines: a
        connection refused (or unreachable) once under way is its epoll error ``smtp fd N
        returned write error``; a connect() that fails at once, which keepalived drops without a
        word, is logged as its connection error."""
        sock = socket.socket(family, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        sock.setblocking(False)
        fd = sock.fileno()
        loop = asyncio.get_running_loop()
        try:
            err = sock.connect_ex(sockaddr)
            if err == errno.EINPROGRESS:
                writable: asyncio.Future[None] = loop.create_future()

                def ready() -> None:
                    if not writable.done():
                        writable.set_result(None)

                loop.add_writer(fd, ready)
                try:
                    await asyncio.wait_for(writable, self.timeout)
                except TimeoutError:
                    raise SmtpFailure(f"Timeout opening connection to remote SMTP server {where}.") from None
                finally:
                    loop.remove_writer(fd)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    raise SmtpFailure(f"smtp fd {fd} returned write error")
            elif err:
                raise SmtpFailure(f"SMTP connection ERROR to {where}.")
        except BaseException:
            sock.close()
            raise
        return sock

    async def deliver(self, alert: Alert, ident: MailIdentity) -> None:
        """One attempt at keepalived's dialogue; raises ``SmtpFailure`` with keepalived's line."""
        family, sockaddr = await self._target()
        where = f"[{sockaddr[0]}]:{sockaddr[1]}"
        try:
            sock = await self._connect(family, sockaddr, where)
        except OSError:  # no socket at all
            raise SmtpFailure(f"SMTP connection ERROR to {where}.") from None
        if self.log_detail:
            log.info("Remote SMTP server %s connected.", where)
        smtp = aiosmtplib.SMTP(
            sock=sock,
            timeout=self.timeout,
            use_tls=False,
            start_tls=False,
            local_hostname="localhost",  # HELO is sent below with keepalived's name
        )
        try:
            try:
                await smtp.connect()  # the 220 greeting
            except SMTPTimeoutError:
                raise SmtpFailure(f"Timeout reading data to remote SMTP server {where}.") from None
            except SMTPConnectResponseError as exc:
                raise SmtpFailure(
                    f"Error processing (E)SMTP cmd on SMTP server {where}. SMTP status code = {exc.code}"
                ) from None
            except SMTPConnectError:
                raise SmtpFailure(f"Remote SMTP server {where} has closed the connection.") from None

            sender = envelope_address(ident.email_from).encode()
            steps: list[tuple[str, tuple[bytes, ...], int]] = [
                ("HELO", (b"HELO", ident.helo_name.encode()), 250),
                ("MAIL", (b"MAIL", b"FROM:<" + sender + b">"), 250),
            ]
            steps += [
                ("RCPT", (b"RCPT", b"TO:<" + envelope_address(r).encode() + b">"), 250)
                for r in ident.recipients
            ]
            steps.append(("DATA", (b"DATA",), 354))
            for name, args, expected in steps:
                reply = await self._command(smtp, where, *args)
                if reply.code != expected:
                    await self._refused(smtp, where, name, reply.code)

            text = render_message(alert, ident, self.clock()).encode()
            reply = await self._body(smtp, where, _LEADING_DOT.sub(b"..", text) + b".\r\n")
            if reply.code != 250:
                await self._refused(smtp, where, "BODY", reply.code)
            if self.log_detail:
                log.info("SMTP alert successfully sent.")
            await self._quit(smtp, where)
        finally:
            live = smtp.transport is not None  # then the transport closes the socket after QUIT
            smtp.close()
            if not live:
                sock.close()

    async def _command(self, smtp: aiosmtplib.SMTP, where: str, *args: bytes) -> SMTPResponse:
        try:
            return await smtp.execute_command(*args)
        except SMTPTimeoutError:
            raise SmtpFailure(f"Timeout reading data to remote SMTP server {where}.") from None
        except SMTPServerDisconnected:
            raise SmtpFailure(f"Remote SMTP server {where} has closed the connection.") from None

    async def _body(self, smtp: aiosmtplib.SMTP, where: str, data: bytes) -> SMTPResponse:
        protocol = smtp.protocol
        try:
            if protocol is None:
                raise SMTPServerDisconnected("not connected")
            protocol.write(data)
            return await protocol.read_response(timeout=self.timeout)
        except SMTPTimeoutError:
            raise SmtpFailure(f"Timeout reading data to remote SMTP server {where}.") from None
        except SMTPServerDisconnected:
            raise SmtpFailure(f"Remote SMTP server {where} has closed the connection.") from None

    async def _refused(self, smtp: aiosmtplib.SMTP, where: str, name: str, code: int) -> None:
        """keepalived logs the unexpected reply, says QUIT and gives up this mail."""
        log.info("Error processing %s cmd on SMTP server %s. SMTP status code = %d", name, where, code)
        await self._quit(smtp, where)
        raise SmtpFailure("")

    async def _quit(self, smtp: aiosmtplib.SMTP, where: str) -> None:
        """QUIT, expecting 221; whatever happens is only logged (the mail's fate is decided)."""
        try:
            reply = await self._command(smtp, where, b"QUIT")
        except SmtpFailure as exc:
            log.info("%s", exc)
            return
        if reply.code != 221:
            log.info("Error processing QUIT cmd on SMTP server %s. SMTP status code = %d", where, reply.code)
