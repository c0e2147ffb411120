"""SMTP_CHECK: keepalived's dialogue (check_smtp.c), as a state machine over received lines.

Banner ``220`` -> ``HELO <helo_name>`` -> ``250`` -> ``QUIT`` -> any line -> success.  A reply
is only its first line: the read buffer (512 bytes) is searched for the first newline (a NUL
before it hides it, as C's strchr does), the rest of that read is dropped.  The status is three
digits followed by a space or the end of the line (``220\\r`` fails: the CR stays in the line).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SMTP_BUFF_MAX = 512


def smtp_status(line: bytes) -> int:
    """keepalived's smtp_get_status: C strtoul must end 3 bytes in, at a space or the end."""
    n = len(line)
    i = 0
    while i < n and line[i] in b" \t\n\v\f\r":
        i += 1
    neg = i < n and line[i] == 0x2D
    if i < n and line[i] in b"+-":
        i += 1
    j = i
    while j < n and 0x30 <= line[j] <= 0x39:
        j += 1
    if j == i or j != 3 or (j < n and line[j] != 0x20):
        return -1
    value = int(line[i:j])
    return -value if neg else value


@dataclass(slots=True)
class LineBuffer:
    """smtp_get_line_cb's buffer: ``feed`` returns the first line once a newline arrives."""

    server: str = ""
    data: bytearray = field(default_factory=bytearray)

    def room(self) -> int:
        return SMTP_BUFF_MAX - 1 - len(self.data)

    def feed(self, chunk: bytes) -> tuple[bytes | None, list[str]]:
        """(the line or None, keepalived's log lines)."""
        logs: list[str] = []
        if len(self.data) >= SMTP_BUFF_MAX - 1:
            logs.append(
                f"SMTP_CHECK Buffer overflow reading from server {self.server}. "
                "Increase SMTP_BUFF_MAX in check_smtp.h"
            )
            self.data = bytearray()
        self.data += chunk[: self.room()]
        text = bytes(self.data)
        nul = text.find(b"\0")
        visible = text if nul < 0 else text[:nul]
        nl = visible.find(b"\n")
        if nl < 0:
            return None, logs
        self.data = bytearray()
        return visible[:nl], logs


@dataclass(frozen=True, slots=True)
class SmtpStep:
    """After a reply line: send ``send`` then read the next line, or stop (``done``) with
    ``error`` (keepalived's message without the "SMTP_CHECK " prefix) or None for success."""

    send: bytes | None = None
    done: bool = False
    error: str | None = None


class SmtpDialogue:
    """One connection's dialogue; ``server`` is keepalived's ``[addr]:port``."""

    def __init__(self, helo_name: str, server: str) -> None:
        self.helo_name = helo_name
        self.server = server
        self.state = "banner"

    def on_line(self, line: bytes) -> SmtpStep:
        if self.state == "banner":
            if smtp_status(line) != 220:
                return SmtpStep(done=True, error=f"Bad greeting banner from server {self.server}")
            self.state = "helo"
            cmd = f"HELO {self.helo_name}\r\n".encode("utf-8", "surrogateescape")[: SMTP_BUFF_MAX - 1]
            return SmtpStep(send=cmd)
        if self.state == "helo":
            if smtp_status(line) != 250:
                return SmtpStep(done=True, error=f"Bad HELO response from server {self.server}")
            self.state = "quit"
            return SmtpStep(send=b"QUIT\r\n")
        self.state = "done"
        return SmtpStep(done=True)
