"""A real SMTP server for the alert tests (aiosmtpd), and misbehaving ones.

In a test's loop: ``await start_sink(host, port, mode)`` -> ``Sink`` (``sink.mails`` fills up).
As a program (netns tests): ``python tests/smtp_sink.py HOST PORT MODE OUT.jsonl`` writes one
JSON line per received mail (helo, esmtp, mail_from, rcpt_tos, data) and flushes it.

Modes: ``accept`` (aiosmtpd), ``refuse-mail`` (aiosmtpd answering MAIL with 550), ``greet-554``
(greets with 554), ``hang`` (accepts TCP and never says anything), ``close`` (accepts and hangs up).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

MODES = ("accept", "refuse-mail", "greet-554", "hang", "close")


@dataclass
class Mail:
    helo: str
    esmtp: bool
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    def as_json(self) -> str:
        d = {**self.__dict__, "data": self.data.decode("utf-8", "surrogateescape")}
        return json.dumps(d)

    @staticmethod
    def from_json(line: str) -> Mail:
        d: dict[str, Any] = json.loads(line)
        d["data"] = d["data"].encode("utf-8", "surrogateescape")
        return Mail(**d)

    def headers(self) -> dict[str, str]:
        head = self.data.decode().split("\r\n\r\n", 1)[0]
        return dict(line.split(": ", 1) for line in head.split("\r\n"))

    def body(self) -> str:
        return self.data.decode().split("\r\n\r\n", 1)[1]


@dataclass
class Handler:
    mode: str = "accept"
    mails: list[Mail] = field(default_factory=list)
    out: Any = None

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.mode == "refuse-mail":
            return "550 5.7.1 not from you"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mail = Mail(
            helo=session.host_name or "",
            esmtp=bool(session.extended_smtp),
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            data=envelope.original_content or b"",
        )
        self.mails.append(mail)
        if self.out is not None:
            self.out.write(mail.as_json() + "\n")
            self.out.flush()
        return "250 Message accepted for delivery"


@dataclass
class Sink:
    server: asyncio.Server
    handler: Handler
    peers: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def mails(self) -> list[Mail]:
        return self.handler.mails

    @property
    def port(self) -> int:
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        for writer in self.peers:
            writer.close()
        self.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 2)


async def start_sink(host: str, port: int = 0, mode: str = "accept", out: Any = None) -> Sink:
    if mode not in MODES:
        raise ValueError(mode)
    loop = asyncio.get_running_loop()
    handler = Handler(mode, out=out)
    if mode in ("accept", "refuse-mail"):
        server: asyncio.Server = await loop.create_server(
            lambda: SMTP(handler, hostname="sink.example.com"), host, port
        )
        return Sink(server, handler)
    peers: list[asyncio.StreamWriter] = []

    async def raw(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer)
        if mode == "greet-554":
            writer.write(b"554 5.3.2 no service\r\n")
            line = await reader.readline()
            if line.upper().startswith(b"QUIT"):
                writer.write(b"221 bye\r\n")
            await writer.drain()
        if mode == "close":
            writer.close()
            return
        with contextlib.suppress(ConnectionError):
            await reader.read()  # "hang": read everything, answer nothing

    server = await asyncio.start_server(raw, host, port)
    return Sink(server, handler, peers)


async def _main(host: str, port: int, mode: str, path: str) -> None:
    with open(path, "a", encoding="utf-8") as out:
        sink = await start_sink(host, port, mode, out=out)
        print(f"listening on {host} {sink.port} ({mode})", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]))
