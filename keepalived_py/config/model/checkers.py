"""Typed model of the checker blocks of a real_server (TCP_CHECK, HTTP_GET, SSL_GET, ...).

Timing fields left ``None`` are inherited as keepalived does after parsing: from the real
server, else from the virtual server, else the checker type's own default
(``resolve_timing``).  Times are in microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from keepalived_py.config.errors import Location
from keepalived_py.config.scripts import Script

# PCRE2 options keepalived knows, in the order of its table.
REGEX_OPTION_NAMES = (
    "allow_empty_class",
    "alt_bsux",
    "auto_callout",
    "caseless",
    "dollar_endonly",
    "dotall",
    "dupnames",
    "extended",
    "firstline",
    "match_unset_backref",
    "multiline",
    "never_ucp",
    "never_utf",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "ucp",
    "ungreedy",
    "utf",
    "never_backslash_c",
    "alt_circumflex",
    "alt_verbnames",
    "use_offset_limit",
)

TIMER_HZ = 1_000_000
HTTP_STATUS_CODE_MIN = 100
HTTP_STATUS_CODE_MAX = 599
DEFAULT_STATUS_CODES: frozenset[int] = frozenset(range(200, 300))
SMTP_DEFAULT_HELO = "smtpchecker.keepalived.org"
DNS_TYPES: tuple[str, ...] = ("A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY")


@dataclass(frozen=True, slots=True)
class Connection:
    """Where a checker connects from and to.

    ``None`` addresses and ports mean the real server's; ``connect_timeout`` None is inherited
    from the real server / virtual server.  keepalived clears the destination address when a
    ``connect_ip`` is rejected: ``dst_cleared`` records that (the checker cannot connect then).
    """

    connect_ip: str | None = None
    connect_port: int | None = None
    bindto: str | None = None
    bind_port: int | None = None
    bind_if: str | None = None
    connect_timeout: int | None = None
    fwmark: int = 0
    dst_cleared: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Checker:
    """What every launchable checker has: its retry policy and timing overrides."""

    KIND: ClassVar[str] = ""
    # keepalived's per-type defaults, used when neither the checker nor the real server says.
    DEFAULT_RETRY: ClassVar[int] = 1
    # None: the checker's delay_loop.
    DEFAULT_DELAY_BEFORE_RETRY: ClassVar[int | None] = 1 * TIMER_HZ

    retry: int | None = None
    delay_before_retry: int | None = None
    warmup: int | None = None
    delay_loop: int | None = None
    alpha: bool | None = None
    log_all_failures: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TcpCheck(Checker):
    KIND: ClassVar[str] = "TCP_CHECK"
    connection: Connection = field(default_factory=Connection)


@dataclass(frozen=True, slots=True)
class Url:
    """One ``url`` of an HTTP_GET/SSL_GET checker.

    ``regex_max_offset`` is as written (keepalived stores it plus one); 0 means no limit.
    The regex is kept as text: PCRE2 compilation happens in the checker at run time.
    """

    path: str
    digest: bytes | None = None
    status_codes: frozenset[int] = DEFAULT_STATUS_CODES
    virtualhost: str | None = None
    regex: str | None = None
    regex_options: tuple[str, ...] = ()
    regex_no_match: bool = False
    regex_min_offset: int = 0
    regex_max_offset: int = 0
    regex_stack: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpGetCheck(Checker):
    KIND: ClassVar[str] = "HTTP_GET"
    DEFAULT_DELAY_BEFORE_RETRY: ClassVar[int | None] = 3 * TIMER_HZ
    connection: Connection = field(default_factory=Connection)
    urls: tuple[Url, ...] = ()
    virtualhost: str | None = None
    http_protocol: str = "1.0"  # "1.0", "1.0C" (1.0 with Connection: close) or "1.1"
    enable_sni: bool = False
    fast_recovery: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SslGetCheck(HttpGetCheck):
    KIND: ClassVar[str] = "SSL_GET"


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpCheck(Checker):
    """One SMTP checker.  A deprecated ``host { }`` block becomes a checker of its own, as in
    keepalived; ``from_host_block`` marks those (their connect_timeout defaults to 0 there)."""

    KIND: ClassVar[str] = "SMTP_CHECK"
    connection: Connection = field(default_factory=Connection)
    helo_name: str = SMTP_DEFAULT_HELO
    from_host_block: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DnsCheck(Checker):
    KIND: ClassVar[str] = "DNS_CHECK"
    DEFAULT_RETRY: ClassVar[int] = 3
    DEFAULT_DELAY_BEFORE_RETRY: ClassVar[int | None] = None
    connection: Connection = field(default_factory=Connection)
    type: str = "SOA"
    name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MiscCheck(Checker):
    """A script checker; ``timeout`` 0 means the checker's delay_loop (keepalived's rule)."""

    KIND: ClassVar[str] = "MISC_CHECK"
    DEFAULT_RETRY: ClassVar[int] = 0
    script: Script
    timeout: int = 0
    dynamic: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UdpCheck(Checker):
    """``reply_mask`` has 0x0f/0xf0 nibbles set where ``require_reply`` used X wildcards."""

    KIND: ClassVar[str] = "UDP_CHECK"
    connection: Connection = field(default_factory=Connection)
    payload: bytes | None = None
    require_reply: bool = False
    reply_data: bytes | None = None
    reply_mask: bytes | None = None
    min_reply_length: int = 0
    max_reply_length: int = 255


@dataclass(frozen=True, slots=True, kw_only=True)
class PingCheck(Checker):
    KIND: ClassVar[str] = "PING_CHECK"
    connection: Connection = field(default_factory=Connection)


@dataclass(frozen=True, slots=True, kw_only=True)
class FileCheck:
    """A tracked file's value feeding the real server's weight.

    ``weight`` None means the track_file's own weight and reverse setting.
    """

    KIND: ClassVar[str] = "FILE_CHECK"
    track_file: str
    weight: int | None = None
    reverse: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BfdCheck:
    """The real server follows a bfd_instance's session state."""

    KIND: ClassVar[str] = "BFD_CHECK"
    name: str
    alpha: bool | None = None
    location: Location | None = None


AnyChecker = (
    TcpCheck
    | HttpGetCheck
    | SslGetCheck
    | SmtpCheck
    | DnsCheck
    | MiscCheck
    | UdpCheck
    | PingCheck
    | FileCheck
    | BfdCheck
)


@dataclass(frozen=True, slots=True)
class Timing:
    """A checker's effective retry policy after keepalived's inheritance rules."""

    retry: int
    delay_before_retry: int
    warmup: int
    delay_loop: int


def resolve_timing(
    checker: Checker,
    *,
    delay_loop: int,
    rs_retry: int | None = None,
    rs_delay_before_retry: int | None = None,
    rs_warmup: int | None = None,
) -> Timing:
    """keepalived's post-parse defaults for a checker.

    ``delay_loop`` is the real server's (itself inherited from the virtual server); the
    ``rs_*`` values are the real server's after inheriting from its virtual server, None if
    neither set them.
    """
    loop = checker.delay_loop if checker.delay_loop is not None else delay_loop
    retry = checker.retry
    if retry is None:
        retry = rs_retry if rs_retry is not None else checker.DEFAULT_RETRY
    warmup = checker.warmup
    if warmup is None:
        warmup = rs_warmup if rs_warmup is not None else loop
    dbr = checker.delay_before_retry
    if dbr is None:
        if rs_delay_before_retry is not None:
            dbr = rs_delay_before_retry
        elif checker.DEFAULT_DELAY_BEFORE_RETRY:
            dbr = checker.DEFAULT_DELAY_BEFORE_RETRY
        else:
            dbr = loop
    return Timing(retry, dbr, warmup, loop)
