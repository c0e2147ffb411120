"""keepalived's genhash (``genhash ...`` or ``keepalived -T/--genhash ...``): the MD5 digest of a
URL's body as HTTP_GET/SSL_GET compute it, with keepalived's options, messages and exit status.

    python -m keepalived_py.genhash -s 192.0.2.2 -p 80 -u /index.html

The digest goes to stdout; a connection problem prints keepalived's timeout_epilog message
("Connection failed", "Timeout connecting", ...) on stdout too and still exits 0; bad options
print the message and the usage on stderr and exit 1.  ``-v`` prints the header and body hex
dumps, the digest dump and the response time as keepalived does; its dumps follow the reads,
whose boundaries depend on the network, so they may be cut at other places than keepalived's.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address

from keepalived_py.adapters import probes
from keepalived_py.check.probes import http as httpp
from keepalived_py.check.probes.endpoint import Endpoint
from keepalived_py.config.model.checkers import Url

_LONG = {
    "help": ("h", False),
    "verbose": ("v", False),
    "use-ssl": ("S", False),
    "use-sni": ("I", False),
    "server": ("s", True),
    "use-virtualhost": ("V", True),
    "port": ("p", True),
    "url": ("u", True),
    "fwmark": ("m", True),
    "protocol": ("P", True),
    "timeout": ("t", True),
}
_SHORT_ARG = set("sVpumPt")
_SHORT_FLAG = set("hvSI")

DELIM_BEGIN = "-----------------------["
DELIM_END = "]-----------------------\n"
HTTP_HEADER_HEXA = DELIM_BEGIN + "    HTTP Header Buffer    " + DELIM_END
HTTP_HEADER_ASCII = DELIM_BEGIN + " HTTP Header Ascii Buffer " + DELIM_END
HTML_HEADER_HEXA = DELIM_BEGIN + "        HTML Buffer        " + DELIM_END
HTML_HASH = DELIM_BEGIN + "    HTML hash resulting    " + DELIM_END
HTML_HASH_FINAL = DELIM_BEGIN + " HTML hash final resulting " + DELIM_END


def usage(prog: str, am_genhash: bool) -> str:
    return (
        f"Usage: {prog}{'' if am_genhash else ' --genhash'} COMMAND [OPTIONS]\n"
        "Commands:\n"
        "   -s server-address -p port -u url\n"
        "   -S -s server-address -p port -u url\n"
        "   -h\n\n"
        "Options:\n"
        "Either long or short options are allowed.\n"
        "   --use-ssl         -S       Use SSL connection to remote server.\n"
        "   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).\n"
        "   --server          -s       Use the specified remote server address.\n"
        "   --port            -p       Use the specified remote server port.\n"
        "   --url             -u       Use the specified remote server url.\n"
        "   --use-virtualhost -V       Use the specified virtualhost in GET query.\n"
        "   --verbose         -v       Use verbose mode output.\n"
        "   --help            -h       Display this short inlined help screen.\n"
        "   --fwmark          -m       Use the specified FW mark.\n"
        "   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.\n"
        "                                1.0c means 1.0 with 'Connection: close'\n"
        "   --timeout         -t       Timeout in seconds\n"
    )


@dataclass
class Options:
    server: IPv4Address | IPv6Address | None = None
    port: int | None = None
    url: str | None = None
    use_ssl: bool = False
    sni: bool = False
    vhost: str | None = None
    verbose: bool = False
    fwmark: int = 0
    protocol: str = "1.0"
    timeout_us: int = 2**32 - 1  # keepalived's UINT_MAX "not set"
    errors: list[str] = field(default_factory=list)


def _strtoul_full(text: str) -> int | None:
    """strtoul(start + leading blanks) that must use the whole string; '-' refused."""
    start = text.lstrip(" \t")
    if not start or not start.isascii() or not start.isdigit():
        return None
    return int(start) % 2**32


def _split(argv: Sequence[str]) -> tuple[list[tuple[str, str | None, str]], list[str], list[str]]:
    """GNU getopt_long: ((opt, value, as_written)...), the operands, the error lines."""
    opts: list[tuple[str, str | None, str]] = []
    operands: list[str] = []
    errors: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            operands += argv[i:]
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            matches = [n for n in _LONG if n == name] or [n for n in _LONG if n.startswith(name)]
            if len(matches) != 1:
                errors.append(f"Unknown option {arg}")
                continue
            short, takes = _LONG[matches[0]]
            if takes and not eq:
                if i >= len(argv):
                    errors.append(f"Missing parameter for option --{matches[0]}")
                    continue
                value = argv[i]
                i += 1
            elif not takes and eq:
                errors.append(f"Unknown option {arg}")
                continue
            opts.append((short, value if takes else None, arg))
            continue
        if arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                c = arg[j]
                j += 1
                if c in _SHORT_FLAG:
                    opts.append((c, None, arg))
                elif c in _SHORT_ARG:
                    if j < len(arg):
                        value = arg[j:]
                    elif i < len(argv):
                        value = argv[i]
                        i += 1
                    else:
                        errors.append(f"Missing parameter for option -{c}")
                        break
                    opts.append((c, value, arg))
                    break
                else:
                    errors.append(f"Unknown option -{c}")
            continue
        operands.append(arg)
    return opts, operands, errors


def parse(args: Sequence[str], *, argc: int) -> tuple[Options | None, list[str]]:
    """The options after the program name (and after ``--genhash``); None and the messages to
    print before the usage when keepalived would refuse them.  ``argc`` is keepalived's (the
    program name and --genhash count): 2 or less is the usage at once."""
    o = Options()
    if argc <= 2:
        return None, []
    opts, operands, errors = _split(args)
    bad = bool(errors)
    seen: set[str] = set()
    for c, value, _ in opts:
        if c == "h":
            bad = True
        elif c == "v":
            o.verbose = True
        elif c == "S":
            o.use_ssl = True
        elif c == "I":
            o.sni = True
        elif c == "s":
            assert value is not None
            try:
                o.server = ip_address(value.split("-")[0].split("/")[0])
            except ValueError:
                return None, [*errors, f"server should be an IP, not {value}"]
        elif c == "V":
            o.vhost = value
        elif c == "p":
            assert value is not None
            num = value.lstrip(" \t\n\v\f\r")  # strtol skips leading blanks and takes a sign
            body = num[1:] if num[:1] in ("+", "-") else num
            port = int(num, 10) if body.isascii() and body.isdigit() else -1
            if not 0 < port <= 65535:
                return None, [*errors, f"invalid port number '{value}'"]
            o.port = port
        elif c == "u":
            o.url = value
        elif c == "m":
            assert value is not None
            mark = _strtoul_full(value)
            if mark is None:
                return None, [*errors, f"invalid fwmark '{value}'"]
            o.fwmark = mark
        elif c == "P":
            table = {"1.0": "1.0", "1.0c": "1.0C", "1.0C": "1.0C", "1.1": "1.1"}
            if value not in table:
                return None, [*errors, f"invalid HTTP protocol version '{value}'"]
            o.protocol = table[value]
        elif c == "t":
            assert value is not None
            secs = _strtoul_full(value)
            if secs is None:
                return None, [*errors, f"invalid timeout '{value}'"]
            o.timeout_us = (secs * 1_000_000) % 2**32
        seen.add(c)
    if bad:
        return None, errors
    if operands:
        return None, ["Unexpected argument(s): " + " ".join(operands)]
    if not {"s", "p", "u"} <= seen:
        return None, []
    return o, []


def dump_buffer(data: bytes) -> str:
    """keepalived's dump_buffer: 16 bytes a line, offset, hex, " -" after 8, then the text."""
    out: list[str] = []
    total = len(data) + (-len(data) % 16)
    line = ""
    for i in range(total):
        if i % 16 == 0:
            line = f"{i & 0xFFFF:04d} "
        line += f" {data[i]:02x}" if i < len(data) else "   "
        if (i + 1) % 8 == 0:
            if (i + 1) % 16:
                line += " -"
            else:
                text = "".join(
                    (chr(b) if 0x20 <= b <= 0x7E else ".") if j < len(data) else " "
                    for j, b in ((j, data[j] if j < len(data) else 0) for j in range(i - 15, i + 1))
                )
                out.append(line + "   " + text + "\n")
    return "".join(out)


class _Recorder(httpp.HttpResponse):
    """An HttpResponse that keeps each read for the verbose dumps."""

    __slots__ = ("reads",)

    def __init__(self, *, want_digest: bool) -> None:
        super().__init__(want_digest=want_digest)
        self.reads: list[bytes] = []

    def feed(self, data: bytes) -> None:
        self.reads.append(bytes(data))
        super().feed(data)


def _verbose_dump(reads: list[bytes], final: httpp.HttpResponse) -> str:
    """What keepalived prints with -v while reading, replayed over the same reads."""
    out: list[str] = []
    r = httpp.HttpResponse(want_digest=True)
    for chunk in reads:
        if not r.extracted:
            out.append(HTTP_HEADER_HEXA)
            before = bytes(r.buffer)
            r.feed(chunk)
            if r.extracted:
                head = before + chunk
                body_at = httpp.find_header_end(head) or len(head)
                out.append(dump_buffer(head[:body_at]))
                out.append(HTTP_HEADER_ASCII)
                out.append(head[:body_at].decode("latin-1") + "\n")
                body = head[body_at:]
                cl = r.content_length
                if body:
                    out.append(HTML_HEADER_HEXA)
                    out.append(dump_buffer(body if cl is None else body[:cl]))
            continue
        rx = r.rx_bytes
        cl = r.content_length
        r.feed(chunk)
        if cl is None or cl > rx:
            out.append(dump_buffer(chunk if cl is None else chunk[: cl - rx]))
    if final.extracted:
        out.append("\n" + HTML_HASH + dump_buffer(final.digest()) + HTML_HASH_FINAL)
    return "".join(out)


async def run(o: Options) -> tuple[str, str]:
    """(stdout text, stderr text) of one genhash run."""
    assert o.server is not None and o.port is not None and o.url is not None
    ep = Endpoint(dst=o.server, port=o.port, fwmark=o.fwmark, timeout_us=o.timeout_us)
    url = Url(path=o.url, digest=b"\0" * 16)
    request = httpp.build_request(o.url, protocol=o.protocol, vhost=o.vhost, dst=o.server, port=o.port)
    tls = probes.make_ssl_context(None) if o.use_ssl else None
    started = time.monotonic()
    response = _Recorder(want_digest=True)
    result = await probes.http_attempt(
        ep, url, request=request, tls=tls, sni=o.vhost if o.sni else None, want_digest=True, response=response
    )
    out = ""
    err = ""
    if o.verbose:
        out += _verbose_dump(response.reads, response)
    if result.response is None:
        out += (result.failure or "Error connecting") + "\n"
    else:
        line, to_stderr = httpp.genhash_line(result.response)
        if to_stderr:
            err += line + "\n"
        else:
            out += line + "\n"
    if o.verbose:
        usecs = int((time.monotonic() - started) * 1_000_000)
        out += f"\nGlobal response time for [{o.url}] = {usecs} usecs\n"
    return out, err


def main(argv: Sequence[str] | None = None, *, prog: str | None = None, am_genhash: bool = True) -> int:
    """``argv``: the arguments after the program name (after ``--genhash`` for keepalived -T)."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = prog if prog is not None else (sys.argv[0] if am_genhash else "keepalived")
    # keepalived counts the program name (and --genhash) in its "argc <= 2" check
    options, errors = parse(args, argc=len(args) + (1 if am_genhash else 2))
    if options is None:
        for line in errors:
            sys.stderr.write(line + "\n")
        sys.stderr.write(usage(name, am_genhash))
        return 1
    out, err = asyncio.run(run(options))
    sys.stdout.write(out)
    sys.stderr.write(err)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(prog="genhash"))
