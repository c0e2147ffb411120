"""HTTP_GET / SSL_GET: the request keepalived sends and how it judges the response (check_http.c,
lib/html.c).

* The request: ``GET <path> HTTP/1.<0|1>``, ``User-Agent: KeepAliveClient``, ``Connection:
  close`` for ``1.0C`` and ``1.1``, ``Host: <virtualhost>`` or ``<addr>:<port>`` (``[v6]:port``).
* The response is read into a 4096-byte buffer: the headers must end (``\\r\\n\\r\\n``) within its
  first 4095 bytes, else the read returns 0 and the attempt ends as "no data received".  The
  status code is the three digits after the first space of the status line, followed by a space;
  ``Content-Length:`` (case-sensitive) is searched anywhere in the buffer holding the headers.
* The MD5 digest covers the body only, up to Content-Length when there is one (genhash prints
  the same).  The regex runs over the stream keepalived hands to PCRE: the buffer with the
  headers when the read that completed them also held body bytes, then each later read.
  ``regex_min_offset``: a match must start at or after it; ``regex_max_offset``: at or before it.

The regex is compiled with Python's ``re`` (PCRE2 syntax is close for the patterns health
checks use; named groups and ``\\z``/``\\Z`` are translated); the PCRE2 options caseless,
multiline, dotall, extended and firstline are honoured, the others are accepted and have no
effect.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address

from keepalived_py.config.model.checkers import Url

MAX_BUFFER_LENGTH = 4096
# keepalived's regex runs on a stream; we keep the subject in memory up to this many bytes.
MAX_REGEX_SUBJECT = 4 * 1024 * 1024
STATUS_CODE_MIN = 100
STATUS_CODE_MAX = 599

_REGEX_FLAGS = {
    "caseless": re.IGNORECASE,
    "multiline": re.MULTILINE,
    "dotall": re.DOTALL,
    "extended": re.VERBOSE,
}


class HttpProtocolError(ValueError):
    """Misuse of the reader (feeding after the end); never raised for what a server sends."""


def build_request(
    path: str,
    *,
    protocol: str,
    vhost: str | None,
    dst: IPv4Address | IPv6Address | None,
    port: int,
) -> bytes:
    """The GET keepalived sends (request_template / request_template_ipv6)."""
    minor = 1 if protocol == "1.1" else 0
    close = "Connection: close\r\n" if protocol in ("1.0C", "1.1") else ""
    if vhost is not None:
        host = vhost
    elif dst is not None and dst.version == 6:
        host = f"[{dst}]:{port}"
    else:
        host = f"{dst if dst is not None else ''}:{port}"
    text = f"GET {path} HTTP/1.{minor}\r\nUser-Agent: KeepAliveClient\r\n{close}Host: {host}\r\n\r\n"
    # keepalived formats into a 2048-byte buffer (snprintf truncates)
    return text.encode("utf-8", "surrogateescape")[:2047]


def request_vhost(
    url: Url, checker_vhost: str | None, rs_vhost: str | None, vs_vhost: str | None
) -> str | None:
    """The Host of the request: the url's, the checker's, the real server's, the virtual server's."""
    for v in (url.virtualhost, checker_vhost, rs_vhost, vs_vhost):
        if v is not None:
            return v
    return None


def sni_name(url: Url | None, checker_vhost: str | None, vs_vhost: str | None) -> str | None:
    """The SNI name with enable_sni (ssl_connect: the real server's virtualhost is not used)."""
    for v in (url.virtualhost if url is not None else None, checker_vhost, vs_vhost):
        if v is not None:
            return v
    return None


def find_header_end(buffer: bytes) -> int | None:
    """Offset of the body (after the first ``\\r\\n\\r\\n``), None while the headers go on."""
    i = buffer.find(b"\r\n\r\n")
    return None if i < 0 else i + 4


def extract_status_code(buffer: bytes) -> int:
    """keepalived's extract_status_code: 0 when the status line is not ``X NNN Y``."""
    end = len(buffer)
    i = 0
    while i < end and buffer[i] not in (0x20, 0x0D):
        i += 1
    if i >= end or buffer[i] != 0x20:
        return 0
    i += 1
    if i + 3 >= end or buffer[i] == 0x20 or buffer[i + 3] != 0x20:
        return 0
    code = _strtoul(buffer, i)
    if code is None or code[1] != i + 3:
        return 0
    return code[0]


def _strtoul(buffer: bytes, i: int) -> tuple[int, int] | None:
    """C strtoul base 10 from ``i``: (value, end offset); None when no digits."""
    n = len(buffer)
    while i < n and buffer[i] in b" \t\n\v\f\r":
        i += 1
    neg = False
    if i < n and buffer[i] in b"+-":
        neg = buffer[i] == 0x2D
        i += 1
    j = i
    while j < n and 0x30 <= buffer[j] <= 0x39:
        j += 1
    if j == i:
        return None
    value = int(buffer[i:j])
    if value >= 2**64:
        value = 2**64 - 1
    elif neg:
        value = (-value) % 2**64
    return value, j


def extract_content_length(buffer: bytes) -> int | None:
    """keepalived's extract_content_length over the NUL-terminated buffer; None = unknown."""
    nul = buffer.find(b"\0")
    text = buffer if nul < 0 else buffer[:nul]
    i = text.find(b"Content-Length:")
    if i < 0:
        return None
    start = i + len(b"Content-Length:")
    parsed = _strtoul(text, start)
    if parsed is None:
        # no digits: strtoul returns 0 and leaves end at the start of the value
        value, end = 0, start
    else:
        value, end = parsed
    if end < len(text) and text[end] not in b"\r\n":
        return None
    return None if value == 2**64 - 1 else value


def pcre_to_python(pattern: str) -> str:
    """The few PCRE2 spellings Python's ``re`` writes differently: named groups ``(?<n>...)``
    and ``(?'n'...)``, ``\\z`` (end of subject) and ``\\Z`` (end or before a final newline)."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            out.append("\\Z" if nxt == "z" else "(?=\\n?\\Z)" if nxt == "Z" else c + nxt)
            i += 2
            continue
        if pattern.startswith("(?<", i) and i + 3 < n and (pattern[i + 3].isalpha() or pattern[i + 3] == "_"):
            out.append("(?P<")
            i += 3
            continue
        if pattern.startswith("(?'", i):
            end = pattern.find("'", i + 3)
            if end > 0:
                out.append(f"(?P<{pattern[i + 3 : end]}>")
                i = end + 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


def compile_regex(pattern: str, options: tuple[str, ...] = ()) -> re.Pattern[bytes] | str:
    """The compiled regex, or keepalived's "Invalid regex" message when it does not compile."""
    flags = 0
    for name in options:
        flags |= _REGEX_FLAGS.get(name, 0)
    try:
        return re.compile(pcre_to_python(pattern).encode("utf-8", "surrogateescape"), flags)
    except re.error as exc:
        return f"Invalid regex: '{pattern}' at offset {exc.pos or 0}: {exc.msg}"


@dataclass(slots=True)
class HttpResponse:
    """The response of one attempt, fed read by read as keepalived reads it."""

    want_digest: bool = False
    regex: re.Pattern[bytes] | None = None
    buffer: bytearray = field(default_factory=bytearray)
    extracted: bool = False
    status_code: int = 0
    content_length: int | None = None
    rx_bytes: int = 0
    _md5: hashlib._Hash | None = None
    _subject: bytearray | None = None

    def __post_init__(self) -> None:
        if self.want_digest:
            self._md5 = hashlib.md5(usedforsecurity=False)
        if self.regex is not None:
            self._subject = bytearray()

    def room(self) -> int:
        """How much the next read may return; 0 means keepalived's read sees end of stream."""
        if self.extracted:
            return MAX_BUFFER_LENGTH - 1
        return MAX_BUFFER_LENGTH - 1 - len(self.buffer)

    def feed(self, data: bytes) -> None:
        """One read's bytes; a chunk larger than ``room()`` is taken as several reads (what no
        longer fits before the headers end is dropped: keepalived stops reading there)."""
        while data and not self.extracted:
            room = self.room()
            if room <= 0:
                return
            self._feed_head(data[:room])
            data = data[room:]
        if data:
            self._digest(data)
            self.rx_bytes += len(data)
            if self._subject is not None and len(self._subject) < MAX_REGEX_SUBJECT:
                self._subject += data

    def _feed_head(self, data: bytes) -> None:
        self.buffer += data
        body_at = find_header_end(bytes(self.buffer))
        if body_at is None:
            return
        self.extracted = True
        head = bytes(self.buffer)
        self.status_code = extract_status_code(head)
        self.content_length = extract_content_length(head)
        body = head[body_at:]
        self._digest(body)
        self.rx_bytes = len(body)
        if body and self._subject is not None:
            self._subject += head
        self.buffer = bytearray()

    def _digest(self, data: bytes) -> None:
        if self._md5 is None or not data:
            return
        cl = self.content_length
        if cl is None:
            self._md5.update(data)
        elif cl > self.rx_bytes:
            self._md5.update(data[: cl - self.rx_bytes])

    def digest(self) -> bytes:
        return self._md5.digest() if self._md5 is not None else b""

    def regex_matched(self, url: Url) -> bool:
        if self.regex is None or self._subject is None:
            return False
        subject = bytes(self._subject)
        m = self.regex.search(subject, url.regex_min_offset)
        if m is None:
            return False
        if "firstline" in url.regex_options and b"\n" in subject[: m.start()]:
            return False
        return not (url.regex_max_offset and m.start() > url.regex_max_offset)


@dataclass(frozen=True, slots=True)
class Judgement:
    """``ok`` with keepalived's success word ("HTTP status code", "MD5 digest", "Regex match"),
    or the timeout_epilog message of the failure; ``length_mismatch`` = Content-Length minus
    the bytes received when they differ."""

    ok: bool
    message: str
    length_mismatch: int | None = None


def judge(url: Url, response: HttpResponse) -> Judgement:
    """http_handle_response: what keepalived decides once the stream has ended."""
    if not response.extracted:
        return Judgement(False, "Read, no data received from ")
    code = response.status_code
    if not (STATUS_CODE_MIN <= code <= STATUS_CODE_MAX) or code not in url.status_codes:
        return Judgement(False, "HTTP status code error to")
    mismatch = None
    cl = response.content_length
    if cl is not None and cl != response.rx_bytes:
        mismatch = cl - response.rx_bytes
    msg = "HTTP status code"
    if url.digest is not None:
        if response.digest() != url.digest:
            return Judgement(False, "MD5 digest error to", mismatch)
        msg = "MD5 digest"
    if url.regex is not None and response.regex is not None:
        if response.regex_matched(url) == url.regex_no_match:
            return Judgement(False, "Regex match failed", mismatch)
        msg = "Regex match"
    return Judgement(True, msg, mismatch)


def genhash_line(response: HttpResponse) -> tuple[str, bool]:
    """What genhash prints: (text, to_stderr)."""
    if not response.extracted:
        return "no data received from remote webserver", True
    return response.digest().hex(), False
