"""Keyword tables of the checker blocks of a real_server (TCP_CHECK, HTTP_GET, SSL_GET, ...).

Contract with the real_server table: a checker block pushes its draft on ``ctx.stack`` (the
real_server draft is the element below it); at its '}' the draft is popped, frozen and appended
to ``real_server_draft["checkers"]`` - unless keepalived would have dropped the checker there
(it then says why).  A url block is appended to its checker draft's ``urls`` the same way.

What a checker needs from outside its block, read from the drafts when the block is parsed
(as keepalived reads its own lists at that moment):

* the real server's address (``address``, a string or an ipaddress object) and port (``port``)
  in its draft, and the virtual server's ``protocol`` - for the address family checks and the
  ``[addr]:proto:port`` names in messages;
* the names of the ``track_file`` blocks (``ctx.result["trackers"]["track_files"]``) and of the
  ``bfd_instance`` blocks as the checker process knows them (``ctx.result["bfd"]
  ["checker_tracked"]``, a dict by name) defined above.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from keepalived_py.config.dispatch import Keyword, ParseContext, Table
from keepalived_py.config.errors import Severity
from keepalived_py.config.model import checkers as m
from keepalived_py.config.schema.common import Draft, block
from keepalived_py.config.scripts import QuoteError, Script, parse_script, split_quoted_escaped
from keepalived_py.config.values import (
    UINT_MAX,
    check_true_false,
    read_int,
    read_timer,
    read_unsigned,
)

INT32_MAX = 2**31 - 1
IFNAMSIZ = 16
BFD_INAME_MAX = 32
WHITE = " \t\n\r\f\v"

REGEX_OPTIONS = frozenset(m.REGEX_OPTION_NAMES)

# Draft markers (keys no real_server draft uses).
CHECKER = "_checker"
HOST = "_smtp_host"
URL = "_url"
DROPPED = "_dropped"


# -- C-like number parsing ---------------------------------------------------------------------


def _strtoul(text: str, base: int) -> tuple[int, str]:
    """C strtoul: (value modulo 2**64, unparsed rest); no digits: (0, text)."""
    s = text.lstrip(WHITE)
    neg = False
    i = 0
    if s[:1] in ("+", "-") and s:
        neg = s[0] == "-"
        i = 1
    if (
        base == 16
        and s[i : i + 2].lower() == "0x"
        and s[i + 2 : i + 3]
        and s[i + 2] in "0123456789abcdefABCDEF"
    ):
        i += 2
    digits = "0123456789abcdef"[:base]
    j = i
    while j < len(s) and s[j].lower() in digits:
        j += 1
    if j == i:
        return 0, text
    val = int(s[i:j], base)
    if val > 2**64 - 1:
        val = 2**64 - 1
    elif neg:
        val = (-val) % 2**64
    return val, s[j:]


def read_hex_str(text: str, allow_wildcard: bool) -> tuple[bytes, bytes | None] | None:
    """keepalived's read_hex_str(): hex octets, blanks between octets allowed, a lone
    nibble before a blank is an octet of its own, X (with ``allow_wildcard``) is any nibble.

    None when keepalived finds the string invalid (including, as keepalived does, when the
    last octet is 0xff).
    """

    def nibble(c: str) -> int:
        if "0" <= c <= "9":
            return ord(c) - ord("0")
        if c >= "a":
            c = chr(ord(c) - (ord("a") - ord("A")))
        if "A" <= c <= "F":
            return ord(c) - ord("A") + 10
        if allow_wildcard and c == "X":
            return 0xFE
        return 0xFF

    data = bytearray()
    mask = bytearray()
    using_mask = False
    val = 0
    p, n = 0, len(text)
    while True:
        while p < n and text[p] in " \t":
            p += 1
        if p >= n:
            break
        val = nibble(text[p])
        p += 1
        if val == 0xFF:
            break
        mask_val = 0
        if val == 0xFE:
            mask_val, val, using_mask = 0x0F, 0, True
        if p < n and text[p] != " ":
            high = (val << 4) & 0xFF
            mask_val = (mask_val << 4) & 0xFF
            val = nibble(text[p])
            p += 1
            if val == 0xFF:
                break
            if val == 0xFE:
                mask_val |= 0x0F
                val = 0
                using_mask = True
            val |= high
        data.append(val)
        mask.append(mask_val)
    if val == 0xFF or not data:
        return None
    return bytes(data), bytes(mask) if using_mask else None


def _inet_pton(text: str) -> tuple[int, str] | None:
    """keepalived's inet_stosockaddr(): (family 4/6, canonical address) or None.

    The family is chosen by the presence of ':'; anything from a '-' or '/' on is ignored.
    """
    family = 6 if ":" in text else 4
    for sep in ("-", "/"):
        if sep in text:
            text = text[: text.index(sep)]
            break
    if "%" in text or not text or text != text.strip(WHITE):
        return None
    try:
        addr = ipaddress.IPv6Address(text) if family == 6 else ipaddress.IPv4Address(text)
    except ValueError:
        return None
    return family, str(addr)


# -- drafts ------------------------------------------------------------------------------------


def _checker(ctx: ParseContext) -> Draft:
    """The draft of the checker being read (below an SMTP host or url draft if any)."""
    for d in reversed(ctx.stack):
        if isinstance(d, dict) and CHECKER in d:
            return d
    # Only reachable if the table is used outside a checker block.
    return {CHECKER: "?", DROPPED: True}


def _conn(ctx: ParseContext) -> Draft:
    """The connection options being set: an SMTP host block's, else the checker's."""
    top = ctx.stack[-1] if ctx.stack else None
    if isinstance(top, dict) and (HOST in top or CHECKER in top) and "co" in top:
        co: Draft = top["co"]
        return co
    found: Draft = _checker(ctx).setdefault("co", {})
    return found


def _outer(ctx: ParseContext, kind: str, depth: int) -> Draft:
    """The enclosing real_server (``kind`` "rs", depth 0) or virtual_server ("vs", depth 1)
    draft: tagged ``_kind`` by schema/lvs.py, else the non-checker drafts below the checker."""
    plain = 0
    for d in reversed(ctx.stack):
        if not isinstance(d, dict) or {CHECKER, HOST, URL} & d.keys():
            continue
        if d.get("_kind") == kind:
            return d
        if "_kind" not in d:
            if plain == depth:
                return d
            plain += 1
    return {}


def _rs_draft(ctx: ParseContext) -> Draft:
    return _outer(ctx, "rs", 0)


def _vs_draft(ctx: ParseContext) -> Draft:
    return _outer(ctx, "vs", 1)


def _rs_address(ctx: ParseContext) -> tuple[int, str] | None:
    rs = _rs_draft(ctx)
    for key in ("address", "addr", "ip"):
        value = rs.get(key)
        if value is not None:
            text = str(getattr(value, "ip", value))
            return _inet_pton(text)
    return None


def _rs_port(ctx: ParseContext) -> int:
    rs = _rs_draft(ctx)
    port = rs.get("port", getattr(rs.get("address"), "port", 0))
    return port if isinstance(port, int) else 0


def _fmt_rs(ctx: ParseContext) -> str:
    """keepalived's FMT_RS: ``[address]:proto:port``."""
    addr = _rs_address(ctx)
    given = _vs_draft(ctx).get("protocol", "none")  # keepalived: 0 until a protocol keyword
    proto = str(getattr(given, "name", given)).lower()
    proto = {"6": "tcp", "17": "udp", "132": "sctp", "0": "none"}.get(proto, proto)
    return f"[{addr[1] if addr else '?'}]:{proto}:{_rs_port(ctx)}"


def _defined_names(ctx: ParseContext, area_name: str, key: str) -> set[str]:
    area = ctx.result.get(area_name) if isinstance(ctx.result, dict) else None
    items = area.get(key, ()) if isinstance(area, dict) else ()
    names: set[str] = set()
    for item in items if isinstance(items, list | tuple | dict) else ():
        if isinstance(items, dict):
            names.add(str(item))
            continue
        name = item.get("name") if isinstance(item, dict) else getattr(item, "name", None)
        if isinstance(name, str):
            names.add(name)
    return names


def _new_checker(ctx: ParseContext, kind: str, connection: bool, **extra: Any) -> Draft:
    d: Draft = {CHECKER: kind, "location": ctx.location}
    if connection:
        rs = _rs_address(ctx)
        # keepalived starts from the real server's address (SMTP: from nothing).
        d["co"] = {"_dst_family": None if kind == "SMTP_CHECK" else (rs[0] if rs else 4)}
    d.update(extra)
    ctx.stack.append(d)
    return d


def _add_checker(ctx: ParseContext, obj: Any) -> None:
    if ctx.stack:
        rs = ctx.stack[-1]
        if isinstance(rs, dict):
            rs.setdefault("checkers", []).append(obj)


def _pop(ctx: ParseContext) -> Draft:
    d: Draft = ctx.stack.pop() if ctx.stack else {}
    return d


def _common_fields(d: Draft) -> dict[str, Any]:
    return {
        k: d[k]
        for k in (
            "retry",
            "delay_before_retry",
            "warmup",
            "delay_loop",
            "alpha",
            "log_all_failures",
            "location",
        )
        if k in d
    }


def _connection(ctx: ParseContext, co: Draft, smtp: bool = False) -> m.Connection:
    dst_family = co.get("_dst_family")
    return m.Connection(
        connect_ip=co.get("connect_ip") if dst_family is not None else None,
        connect_port=co.get("connect_port"),
        bindto=co.get("bindto") if co.get("_bind_family") is not None else None,
        bind_port=co.get("bind_port"),
        bind_if=co.get("bind_if"),
        connect_timeout=co.get("connect_timeout"),
        fwmark=co.get("fwmark", 0),
        dst_cleared=dst_family is None and not smtp,
    )


def _check_conn_opts(ctx: ParseContext, co: Draft) -> bool:
    """keepalived's check_conn_opts(): a link-local destination needs a bind_if."""
    if co.get("_dst_family") != 6 or co.get("bind_if"):
        return True
    dst = co.get("connect_ip")
    if dst is None:
        rs = _rs_address(ctx)
        dst = rs[1] if rs else None
    if dst is not None and ipaddress.IPv6Address(dst).is_link_local:
        ctx.report(Severity.GENERAL_ERROR, f"Checker link local address {dst} requires a bind_if")
        return False
    return True


# -- common keywords ---------------------------------------------------------------------------


def _h_connect_ip(ctx: ParseContext, words: tuple[str, ...]) -> None:
    co = _conn(ctx)
    text = ctx.word(words, 1)
    parsed = _inet_pton(text)
    if parsed is None:
        ctx.report(Severity.GENERAL_ERROR, f"Invalid connect_ip address {text} - ignoring")
        co["_dst_family"] = None
        co.pop("connect_ip", None)
        return
    bind_family = co.get("_bind_family")
    if bind_family is not None and bind_family != parsed[0]:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"connect_ip address {text} does not match address family of bindto - skipping",
        )
        co["_dst_family"] = None
        co.pop("connect_ip", None)
        return
    co["_dst_family"], co["connect_ip"] = parsed


def _h_bindto(ctx: ParseContext, words: tuple[str, ...]) -> None:
    co = _conn(ctx)
    text = ctx.word(words, 1)
    parsed = _inet_pton(text)
    if parsed is None:
        ctx.report(Severity.GENERAL_ERROR, f"Invalid bindto address {text} - ignoring")
        co["_bind_family"] = None
        co.pop("bindto", None)
        return
    dst_family = co.get("_dst_family")
    if dst_family is not None and dst_family != parsed[0]:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"bindto address {text} does not match address family of connect_ip - skipping",
        )
        co["_bind_family"] = None
        co.pop("bindto", None)
        return
    co["_bind_family"], co["bindto"] = parsed


def _port_handler(key: str) -> Callable[[ParseContext, tuple[str, ...]], None]:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        text = ctx.word(words, 1)
        value = read_unsigned(ctx, text, 1, 65535, ignore_error=True)
        if value is None:
            ctx.report(Severity.GENERAL_ERROR, f"Invalid checker {key} '{text}'")
            return
        _conn(ctx)[key] = value

    return handler


def _h_bind_if(ctx: ParseContext, words: tuple[str, ...]) -> None:
    text = ctx.word(words, 1)
    if len(text.encode()) > IFNAMSIZ - 1:
        ctx.report(Severity.GENERAL_ERROR, f"Interface name {text} is too long - ignoring")
        return
    _conn(ctx)["bind_if"] = text


def _h_connect_timeout(ctx: ParseContext, words: tuple[str, ...]) -> None:
    text = ctx.word(words, 1)
    value = read_timer(ctx, text, 1, UINT_MAX, ignore_error=True)
    if value is None:
        ctx.report(Severity.GENERAL_ERROR, f"connect_timeout {text} invalid - ignoring")
        return
    _conn(ctx)["connect_timeout"] = value


def _h_fwmark(ctx: ParseContext, words: tuple[str, ...]) -> None:
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 0, UINT_MAX, ignore_error=True)
    if value is None:
        ctx.report(Severity.GENERAL_ERROR, f"Invalid fwmark connection value '{text}'")
        return
    _conn(ctx)["fwmark"] = value


def _unsigned_kw(key: str, message: str) -> Callable[[ParseContext, tuple[str, ...]], None]:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        text = ctx.word(words, 1)
        value = read_unsigned(ctx, text, 0, UINT_MAX, ignore_error=True)
        if value is None:
            ctx.report(Severity.GENERAL_ERROR, message.format(text))
            return
        _checker(ctx)[key] = value

    return handler


def _timer_kw(key: str, lo: int, message: str) -> Callable[[ParseContext, tuple[str, ...]], None]:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        text = ctx.word(words, 1)
        value = read_timer(ctx, text, lo, 0, ignore_error=True)
        if value is None:
            ctx.report(Severity.GENERAL_ERROR, message.format(text))
            return
        _checker(ctx)[key] = value

    return handler


def _bool_value(ctx: ParseContext, words: tuple[str, ...], name: str) -> bool | None:
    if len(words) < 2:
        return True
    value = check_true_false(words[1])
    if value is None:
        ctx.report(Severity.GENERAL_ERROR, f"Invalid {name} parameter {words[1]}")
    return value


def _bool_kw(key: str, target: Callable[[ParseContext], Draft] = _checker) -> Callable[..., None]:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        value = _bool_value(ctx, words, key)
        if value is not None:
            target(ctx)[key] = value

    return handler


def connection_keywords() -> list[Keyword]:
    return [
        Keyword("connect_ip", _h_connect_ip, note="default: the real server's address"),
        Keyword("connect_port", _port_handler("connect_port"), note="default: the real server's port"),
        Keyword("bindto", _h_bindto),
        Keyword("bind_port", _port_handler("bind_port")),
        Keyword("bind_if", _h_bind_if),
        Keyword("connect_timeout", _h_connect_timeout),
        Keyword("fwmark", _h_fwmark, note="SO_MARK on the checker's socket"),
    ]


def timing_keywords() -> list[Keyword]:
    return [
        Keyword("retry", _unsigned_kw("retry", "Invalid retry connection value '{}'")),
        Keyword(
            "delay_before_retry",
            _timer_kw("delay_before_retry", 0, "Invalid delay_before_retry connection value '{}'"),
        ),
        Keyword("warmup", _timer_kw("warmup", 0, "Invalid warmup connection value '{}'")),
        Keyword("delay_loop", _timer_kw("delay_loop", 1, "delay_loop '{}' is invalid - ignoring")),
        Keyword("alpha", _bool_kw("alpha")),
        Keyword("log_all_failures", _bool_kw("log_all_failures")),
    ]


def common_keywords(connection: bool) -> list[Keyword]:
    return (connection_keywords() if connection else []) + timing_keywords()


# -- TCP_CHECK, PING_CHECK ---------------------------------------------------------------------


def _simple_checker(kind: str, model: type[m.TcpCheck] | type[m.PingCheck]) -> Keyword:
    def open_(ctx: ParseContext, words: tuple[str, ...]) -> None:
        _new_checker(ctx, kind, connection=True)

    def close(ctx: ParseContext) -> None:
        d = _pop(ctx)
        if _check_conn_opts(ctx, d["co"]):
            _add_checker(ctx, model(connection=_connection(ctx, d["co"]), **_common_fields(d)))

    return block(kind, Table(kind, common_keywords(True)), open_, close)


# -- HTTP_GET, SSL_GET -------------------------------------------------------------------------


def _url(ctx: ParseContext) -> Draft:
    top = ctx.stack[-1] if ctx.stack else None
    if isinstance(top, dict) and URL in top:
        return top
    return {URL: True}


def _h_url_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    ctx.stack.append({URL: True})


def _h_url_close(ctx: ParseContext) -> None:
    u = _pop(ctx)
    if "path" not in u:
        ctx.report(Severity.GENERAL_ERROR, "HTTP/SSL_GET checker url has no path - ignoring")
        return
    codes: set[int] = u.get("status_codes", set())
    regex = u.get("regex")
    options: list[str] = u.get("regex_options", [])
    no_match = u.get("regex_no_match", False)
    min_off: int = u.get("regex_min_offset", 0)
    max_off: int = u.get("regex_max_offset", 0)  # stored as keepalived does: written + 1
    stack = u.get("regex_stack")
    if regex is None and (options or no_match or min_off or max_off or stack):
        ctx.report(Severity.OK, "regex parameters specified without regex")
        options, no_match, min_off, max_off, stack = [], False, 0, 0, None
    if max_off and min_off >= max_off:
        ctx.report(Severity.OK, f"regex min offset {min_off} > regex_max_offset {max_off - 1} - ignoring")
        min_off = max_off = 0
    url = m.Url(
        path=u["path"],
        digest=u.get("digest"),
        status_codes=frozenset(codes) if codes else m.DEFAULT_STATUS_CODES,
        virtualhost=u.get("virtualhost"),
        regex=regex,
        regex_options=tuple(dict.fromkeys(options)),
        regex_no_match=no_match,
        regex_min_offset=min_off,
        regex_max_offset=max_off - 1 if max_off else 0,
        regex_stack=stack,
    )
    _checker(ctx).setdefault("urls", []).append(url)


def _h_path(ctx: ParseContext, words: tuple[str, ...]) -> None:
    _url(ctx)["path"] = ctx.word(words, 1)


def _h_digest(ctx: ParseContext, words: tuple[str, ...]) -> None:
    u = _url(ctx)
    digest = ctx.word(words, 1)
    if "digest" in u:
        ctx.report(Severity.GENERAL_ERROR, f"Digest '{digest}' is a duplicate")
        return
    raw = digest.encode().decode("latin-1")  # keepalived counts bytes
    if len(raw) != 32:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"digest '{digest}' character length should be 32 rather than {len(raw)}",
        )
        return
    out = bytearray(16)
    for i in range(15, -1, -1):
        value, rest = _strtoul(raw[2 * i : 2 * i + 2], 16)
        if rest:
            shown = raw[: 2 * i + 2].encode("latin-1").decode(errors="replace")
            ctx.report(
                Severity.GENERAL_ERROR,
                f"Unable to interpret hex digit in '{shown}' at offset {2 * i}/{2 * i + 1}",
            )
            return
        out[i] = value & 0xFF
    u["digest"] = bytes(out)


def _h_status_code(ctx: ParseContext, words: tuple[str, ...]) -> None:
    codes: set[int] = _url(ctx).setdefault("status_codes", set())
    for text in words[1:]:
        lo, rest = _strtoul(text, 10)
        lo &= 0xFFFFFFFF
        if rest.startswith("-"):
            hi, rest = _strtoul(rest[1:], 10)
            hi &= 0xFFFFFFFF
        else:
            hi = lo
        lo_ok = m.HTTP_STATUS_CODE_MIN <= lo <= m.HTTP_STATUS_CODE_MAX
        hi_ok = m.HTTP_STATUS_CODE_MIN <= hi <= m.HTTP_STATUS_CODE_MAX
        if rest or not lo_ok or not hi_ok or lo > hi:
            ctx.report(Severity.GENERAL_ERROR, f"Invalid HTTP_GET status code '{text}'")
            continue
        codes.update(range(lo, hi + 1))


def _h_url_virtualhost(ctx: ParseContext, words: tuple[str, ...]) -> None:
    if len(words) < 2:
        ctx.report(Severity.GENERAL_ERROR, "Missing HTTP_GET virtualhost name")
        return
    _url(ctx)["virtualhost"] = words[1]


def _raw_words(ctx: ParseContext) -> list[str] | None:
    """The current line re-split with quotes and escapes (keepalived's strvec_qe)."""
    try:
        return split_quoted_escaped(ctx.statements[ctx.pos - 1].text)
    except QuoteError as exc:
        text = str(exc)
        ctx.report(Severity.UNMATCHED_QUOTE if "terminating" in text else Severity.OK, text)
        return None


def _h_regex(ctx: ParseContext, words: tuple[str, ...]) -> None:
    qe = _raw_words(ctx)
    if qe is None:
        return
    if len(qe) != 2:
        ctx.report(Severity.OK, "regex missing or too many fields")
        return
    _url(ctx)["regex"] = qe[1]


def _h_regex_no_match(ctx: ParseContext, words: tuple[str, ...]) -> None:
    _url(ctx)["regex_no_match"] = True


def _h_regex_options(ctx: ParseContext, words: tuple[str, ...]) -> None:
    # keepalived silently ignores unknown option names.
    opts: list[str] = _url(ctx).setdefault("regex_options", [])
    opts.extend(w for w in words[1:] if w in REGEX_OPTIONS)


def _regex_offset(ctx: ParseContext, words: tuple[str, ...], kind: str) -> int:
    if len(words) != 2:
        ctx.report(Severity.OK, f"Missing or too may options for regex_{kind}_offset")
        return 0
    value, rest = _strtoul(words[1], 10)
    if rest:
        ctx.report(Severity.OK, f"Invalid regex_{kind}_offset {words[1]} specified")
        return 0
    return value


def _h_regex_min_offset(ctx: ParseContext, words: tuple[str, ...]) -> None:
    _url(ctx)["regex_min_offset"] = _regex_offset(ctx, words, "min")


def _h_regex_max_offset(ctx: ParseContext, words: tuple[str, ...]) -> None:
    _url(ctx)["regex_max_offset"] = (_regex_offset(ctx, words, "max") + 1) % 2**64


def _h_regex_stack(ctx: ParseContext, words: tuple[str, ...]) -> None:
    if len(words) != 3:
        ctx.report(Severity.OK, "regex_stack requires start and max values")
        return
    start, rest = _strtoul(words[1], 10)
    if rest:
        ctx.report(Severity.OK, "regex_stack invalid start value")
        return
    top, rest = _strtoul(words[2], 10)
    if rest:
        ctx.report(Severity.OK, "regex_stack invalid max value")
        return
    if start > top:
        ctx.report(Severity.OK, "regex stack start cannot exceed max value")
        return
    _url(ctx)["regex_stack"] = (start, top)


def url_table() -> Table:
    return Table(
        "url",
        [
            Keyword("path", _h_path),
            Keyword("digest", _h_digest, note="MD5 of the body, as keepalived --genhash prints it"),
            Keyword("status_code", _h_status_code, note="codes and ranges (default 200-299)"),
            Keyword("virtualhost", _h_url_virtualhost),
            Keyword("regex", _h_regex, note="PCRE2 pattern, compiled when the checker runs"),
            Keyword("regex_no_match", _h_regex_no_match),
            Keyword("regex_options", _h_regex_options),
            Keyword("regex_min_offset", _h_regex_min_offset),
            Keyword("regex_max_offset", _h_regex_max_offset),
            Keyword("regex_stack", _h_regex_stack),
        ],
    )


def _h_nb_get_retry(ctx: ParseContext, words: tuple[str, ...]) -> None:
    ctx.report(Severity.GENERAL_ERROR, "nb_get_retry is deprecated - please use 'retry'")
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 0, UINT_MAX, ignore_error=True)
    if value is None:
        ctx.report(Severity.GENERAL_ERROR, f"Invalid nb_get_retry value '{text}'")
        return
    _checker(ctx)["retry"] = value


def _h_http_virtualhost(ctx: ParseContext, words: tuple[str, ...]) -> None:
    if len(words) < 2:
        ctx.report(Severity.GENERAL_ERROR, "HTTP_GET virtualhost name missing")
        return
    _checker(ctx)["virtualhost"] = words[1]


_HTTP_PROTOCOLS = {"1.0": "1.0", "1.1": "1.1", "1.0C": "1.0C", "1.0c": "1.0C"}


def _h_http_protocol(ctx: ParseContext, words: tuple[str, ...]) -> None:
    if len(words) < 2:
        ctx.report(Severity.GENERAL_ERROR, "Missing http_protocol version")
        return
    if words[1] not in _HTTP_PROTOCOLS:
        ctx.report(Severity.GENERAL_ERROR, f"Invalid http_protocol version {words[1]}")
        return
    _checker(ctx)["http_protocol"] = _HTTP_PROTOCOLS[words[1]]


def _http_checker(kind: str, model: type[m.HttpGetCheck]) -> Keyword:
    def open_(ctx: ParseContext, words: tuple[str, ...]) -> None:
        _new_checker(ctx, kind, connection=True)

    def close(ctx: ParseContext) -> None:
        d = _pop(ctx)
        if not d.get("urls"):
            ctx.report(Severity.GENERAL_ERROR, "HTTP/SSL_GET checker has no urls specified - ignoring")
            return
        if not _check_conn_opts(ctx, d["co"]):
            return
        extra = {k: d[k] for k in ("virtualhost", "http_protocol", "enable_sni", "fast_recovery") if k in d}
        _add_checker(
            ctx,
            model(
                connection=_connection(ctx, d["co"]),
                urls=tuple(d["urls"]),
                **extra,
                **_common_fields(d),
            ),
        )

    table = Table(
        kind,
        [
            *common_keywords(True),
            Keyword("nb_get_retry", _h_nb_get_retry, note="deprecated, use retry"),
            Keyword("virtualhost", _h_http_virtualhost),
            Keyword("http_protocol", _h_http_protocol, note="1.0, 1.0C or 1.1"),
            Keyword("enable_sni", _bool_kw("enable_sni")),
            Keyword("fast_recovery", _bool_kw("fast_recovery")),
            block("url", url_table(), _h_url_open, _h_url_close),
        ],
    )
    return block(kind, table, open_, close)


# -- SMTP_CHECK --------------------------------------------------------------------------------


def _smtp_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    _new_checker(ctx, "SMTP_CHECK", connection=True, hosts=[])


def _h_helo_name(ctx: ParseContext, words: tuple[str, ...]) -> None:
    if len(words) < 2:
        ctx.report(Severity.GENERAL_ERROR, "SMTP_CHECK helo name missing")
        return
    _checker(ctx)["helo_name"] = words[1]


def _smtp_host_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    rs = _rs_address(ctx)
    # keepalived starts a host from the real server's address, with a 0 connect_timeout.
    ctx.stack.append({HOST: True, "co": {"_dst_family": rs[0] if rs else 4, "connect_timeout": 0}})


def _smtp_host_close(ctx: ParseContext) -> None:
    host = _pop(ctx)
    if _check_conn_opts(ctx, host["co"]):
        _checker(ctx).setdefault("hosts", []).append(host["co"])


def _smtp_close(ctx: ParseContext) -> None:
    d = _pop(ctx)
    co: Draft = d["co"]
    hosts: list[Draft] = d.get("hosts", [])
    if hosts:
        ctx.report(Severity.OK, "The SMTP_CHECK host block is deprecated. Please define additional checkers.")
    configured = any(
        k in co for k in ("connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout")
    )
    configured = configured or co.get("_dst_family") is not None or bool(co.get("fwmark"))
    conns: list[tuple[m.Connection, bool]] = []
    if configured or not hosts:
        if co.get("_dst_family") is None:
            rs = _rs_address(ctx)
            co["_dst_family"] = rs[0] if rs else 4
            co.pop("connect_ip", None)
        if not _check_conn_opts(ctx, co):
            return
        conns.append((_connection(ctx, co, smtp=True), False))
    conns.extend((_connection(ctx, h, smtp=True), True) for h in hosts)
    common = _common_fields(d)
    helo = d.get("helo_name", m.SMTP_DEFAULT_HELO)
    for conn, from_host in conns:
        _add_checker(ctx, m.SmtpCheck(connection=conn, helo_name=helo, from_host_block=from_host, **common))


def _smtp_keyword() -> Keyword:
    host = block(
        "host",
        Table("host", common_keywords(True)),
        _smtp_host_open,
        _smtp_host_close,
        note="deprecated: each host becomes a checker of its own",
    )
    table = Table("SMTP_CHECK", [Keyword("helo_name", _h_helo_name), *common_keywords(True), host])
    return block("SMTP_CHECK", table, _smtp_open, _smtp_close)


# -- DNS_CHECK ---------------------------------------------------------------------------------


def _h_dns_type(ctx: ParseContext, words: tuple[str, ...]) -> None:
    text = ctx.word(words, 1)
    for name in m.DNS_TYPES:
        if name.lower() == text.lower():
            _checker(ctx)["type"] = name
            return
    ctx.report(Severity.GENERAL_ERROR, f"Unknown DNS check type {text} - ignoring")


def _h_dns_name(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _checker(ctx)
    if "name" in d:
        ctx.report(Severity.GENERAL_ERROR, "DNS_CHECK name already specified - ignoring")
        return
    name = ctx.word(words, 1)
    # keepalived's empty-label test, quirks included (it also rejects a one-letter first label).
    invalid = name.startswith(".") and name != "."
    p: int = 0
    while not invalid:
        if name[p + 1 : p + 2] == ".":
            invalid = True
            break
        nxt = name.find(".", p + 1)
        if nxt < 0:
            break
        p = nxt
    if invalid:
        ctx.report(Severity.GENERAL_ERROR, f"DNS_CHECK name '{name}' has empty label - ignoring")
        return
    d["name"] = name


def _dns_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    _new_checker(ctx, "DNS_CHECK", connection=True)


def _dns_close(ctx: ParseContext) -> None:
    d = _pop(ctx)
    if not _check_conn_opts(ctx, d["co"]):
        return
    extra = {k: d[k] for k in ("type", "name") if k in d}
    _add_checker(ctx, m.DnsCheck(connection=_connection(ctx, d["co"]), **extra, **_common_fields(d)))


# -- MISC_CHECK --------------------------------------------------------------------------------


def _cmd_str(script: Script | None) -> str:
    """keepalived's cmd_str(): each word in single quotes (not a leading redirection)."""
    if script is None:
        return ""
    out = []
    for i, arg in enumerate(script.args):
        out.append(arg if i == 0 and arg[:1] in ("<", ">") else f"'{arg}'")
    return " ".join(out)


def _drop_script(ctx: ParseContext, script: Script | None) -> None:
    """Forget a script keepalived will not run (replaced or its checker removed)."""
    if script is None:
        return
    scripts = ctx.result.get("scripts") if isinstance(ctx.result, dict) else None
    if isinstance(scripts, list):
        for i, (s, _loc) in enumerate(scripts):
            if s is script:
                del scripts[i]
                break


def split_quoted_escaped_or_empty(text: str) -> list[str]:
    try:
        return split_quoted_escaped(text)
    except QuoteError:
        return ["?"]  # parse_script reports it


def _misc_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    _new_checker(ctx, "MISC_CHECK", connection=False)


def _h_misc_path(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _checker(ctx)
    if d.get(DROPPED):
        return
    qe = _raw_words(ctx)
    if qe is None or len(qe) < 2:
        return
    if not split_quoted_escaped_or_empty(qe[1]):
        return
    # Only the command line counts: keepalived ignores further words here (see ``user``).
    escaped = "".join("\\" + c if c in WHITE + "\"'\\" else c for c in qe[1])
    script = parse_script(ctx, f"{qe[0]} {escaped}", "misc_path")
    if script is None:
        return
    _drop_script(ctx, d.get("script"))
    d["script"] = script


def _h_misc_timeout(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _checker(ctx)
    if d.get(DROPPED):
        return
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 0, UINT_MAX // m.TIMER_HZ, ignore_error=True)
    if value is None:
        ctx.report(Severity.GENERAL_ERROR, f"Invalid misc_timeout value '{text}'")
        return
    d["timeout"] = value * m.TIMER_HZ


def _h_misc_dynamic(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _checker(ctx)
    if not d.get(DROPPED):
        d["dynamic"] = True


def _h_misc_user(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _checker(ctx)
    if d.get(DROPPED):
        return
    if len(words) < 2:
        ctx.report(
            Severity.GENERAL_ERROR, f"No user specified for misc checker script {_cmd_str(d.get('script'))}"
        )
        return
    failed = False
    if ctx.host.user_by_name(words[1]) is None:
        ctx.report(Severity.OK, f"Script user '{words[1]}' does not exist")
        failed = True
    elif len(words) > 2 and ctx.host.group_by_name(words[2]) is None:
        ctx.report(Severity.OK, f"Script group '{words[2]}' does not exist")
        failed = True
    if failed:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"Failed to set uid/gid for misc checker script {_cmd_str(d.get('script'))} - removing",
        )
        _drop_script(ctx, d.get("script"))
        d[DROPPED] = True
        return
    d["user"] = (words[1], words[2] if len(words) > 2 else None)


def _misc_close(ctx: ParseContext) -> None:
    d = _pop(ctx)
    if d.get(DROPPED):
        return
    script: Script | None = d.get("script")
    if script is None:
        ctx.report(Severity.GENERAL_ERROR, "No script path has been specified for MISC_CHECKER - skipping")
        return
    if "user" in d:
        user, group = d["user"]
        final = Script(script.args, user, group, script.keyword)
        scripts = ctx.result.get("scripts") if isinstance(ctx.result, dict) else None
        if isinstance(scripts, list):
            for i, (s, loc) in enumerate(scripts):
                if s is script:
                    scripts[i] = (final, loc)
                    break
        script = final
    extra = {k: d[k] for k in ("timeout", "dynamic") if k in d}
    _add_checker(ctx, m.MiscCheck(script=script, **extra, **_common_fields(d)))


def _misc_keyword() -> Keyword:
    table = Table(
        "MISC_CHECK",
        [
            *common_keywords(False),
            Keyword("misc_path", _h_misc_path, note="goes through script security"),
            Keyword("misc_timeout", _h_misc_timeout, note="seconds; default the checker's delay_loop"),
            Keyword("misc_dynamic", _h_misc_dynamic, note="exit status 2..255 sets the weight"),
            Keyword("user", _h_misc_user),
        ],
    )
    return block("MISC_CHECK", table, _misc_open, _misc_close)


# -- UDP_CHECK ---------------------------------------------------------------------------------


def _h_payload(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _checker(ctx)
    if len(words) == 1:
        ctx.report(Severity.GENERAL_ERROR, "UDP_CHECK payload requires a payload")
        return
    parsed = read_hex_str(" ".join(words[1:]), allow_wildcard=False)
    if parsed is None:
        ctx.report(Severity.GENERAL_ERROR, "Invalid hex string for UDP_CHECK payload")
        d["payload"] = None
        return
    d["payload"] = parsed[0]


def _h_require_reply(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _checker(ctx)
    d["require_reply"] = True
    if len(words) == 1:
        return
    parsed = read_hex_str(" ".join(words[1:]), allow_wildcard=True)
    if parsed is None:
        ctx.report(Severity.GENERAL_ERROR, "Invalid hex string for UDP_CHECK reply")
        return
    d["reply_data"], d["reply_mask"] = parsed


def _reply_length(key: str, which: str) -> Callable[[ParseContext, tuple[str, ...]], None]:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        text = ctx.word(words, 1)
        value = read_unsigned(ctx, text, 0, 65535)
        if value is None:
            ctx.report(
                Severity.GENERAL_ERROR,
                f"UDP_CHECK {which} length {text} not valid - must be between 0 & 65535",
            )
            return
        _checker(ctx)[key] = value

    return handler


def _udp_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    _new_checker(ctx, "UDP_CHECK", connection=True)


def _udp_close(ctx: ParseContext) -> None:
    d = _pop(ctx)
    if not _check_conn_opts(ctx, d["co"]):
        return
    lo = d.get("min_reply_length", 0)
    hi = d.get("max_reply_length", 255)
    if lo > hi:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"UDP_CHECK min_reply length {lo} > max_reply_length {hi} - will always fail",
        )
    keys = ("payload", "require_reply", "reply_data", "reply_mask", "min_reply_length", "max_reply_length")
    extra = {k: d[k] for k in keys if k in d}
    _add_checker(ctx, m.UdpCheck(connection=_connection(ctx, d["co"]), **extra, **_common_fields(d)))


def _udp_keyword() -> Keyword:
    table = Table(
        "UDP_CHECK",
        [
            *common_keywords(True),
            Keyword("payload", _h_payload, note="hex octets"),
            Keyword("require_reply", _h_require_reply, note="optional hex, X = any nibble"),
            Keyword("min_reply_length", _reply_length("min_reply_length", "min")),
            Keyword("max_reply_length", _reply_length("max_reply_length", "max")),
        ],
    )
    return block("UDP_CHECK", table, _udp_open, _udp_close)


# -- FILE_CHECK --------------------------------------------------------------------------------


def _file_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    ctx.stack.append({CHECKER: "FILE_CHECK", "location": ctx.location})


def _h_track_file(ctx: ParseContext, words: tuple[str, ...]) -> None:
    name = ctx.word(words, 1)
    if name not in _defined_names(ctx, "trackers", "track_files"):
        ctx.report(Severity.GENERAL_ERROR, f"track_file {name} not found")
        return
    _checker(ctx)["track_file"] = name


def _h_file_weight(ctx: ParseContext, words: tuple[str, ...]) -> None:
    if len(words) < 2:
        ctx.report(Severity.GENERAL_ERROR, "track file weight missing")
        return
    weight = read_int(ctx, words[1], -INT32_MAX, INT32_MAX, ignore_error=True)
    if weight is None:
        ctx.report(
            Severity.GENERAL_ERROR,
            f"weight for track file must be in [{-INT32_MAX}..{INT32_MAX}] inclusive. Ignoring...",
        )
        return
    reverse = False
    if len(words) >= 3:
        if words[2] == "reverse":
            reverse = True
        elif words[2] != "noreverse":
            ctx.report(Severity.GENERAL_ERROR, f"unknown track file weight option {words[2]} - ignoring")
            return
    d = _checker(ctx)
    d["weight"], d["reverse"] = weight, reverse


def _file_close(ctx: ParseContext) -> None:
    d = _pop(ctx)
    if "track_file" not in d:
        ctx.report(Severity.GENERAL_ERROR, "FILE_CHECK has no track_file specified - ignoring")
        return
    extra = {k: d[k] for k in ("weight", "reverse") if k in d}
    _add_checker(ctx, m.FileCheck(track_file=d["track_file"], location=d.get("location"), **extra))


def _file_keyword() -> Keyword:
    table = Table(
        "FILE_CHECK",
        [
            Keyword("track_file", _h_track_file, note="a track_file block defined above"),
            Keyword("weight", _h_file_weight, note="default: the track_file's weight"),
        ],
    )
    return block("FILE_CHECK", table, _file_open, _file_close)


# -- BFD_CHECK ---------------------------------------------------------------------------------


def _bfd_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    ctx.stack.append({CHECKER: "BFD_CHECK", "location": ctx.location})


def _h_bfd_name(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _checker(ctx)
    if d.get(DROPPED):
        return
    rs = _fmt_rs(ctx)
    name = words[1] if len(words) >= 2 else ""
    error = True
    if len(words) != 2:
        ctx.report(
            Severity.GENERAL_ERROR, f"({rs}) BFD_CHECK - No or too many names specified - skipping checker"
        )
    elif name not in _defined_names(ctx, "bfd", "checker_tracked"):
        ctx.report(Severity.GENERAL_ERROR, f"({rs}) BFD_CHECK - BFD {name} not configured")
    elif "name" in d:
        ctx.report(Severity.GENERAL_ERROR, f"({rs}) BFD_CHECK - BFD {name} already specified as {d['name']}")
    elif len(name.encode()) >= BFD_INAME_MAX:
        ctx.report(Severity.GENERAL_ERROR, f"({rs}) BFD_CHECK - BFD name {name} too long")
    else:
        error = False
    if not error:
        for c in _rs_draft(ctx).get("checkers", []):
            if isinstance(c, m.BfdCheck) and c.name == name:
                ctx.report(Severity.GENERAL_ERROR, f"({rs}) BFD_CHECK - RS already monitoring {name}")
                error = True
                break
    if error:
        d[DROPPED] = True
        return
    d["name"] = name


def _h_bfd_alpha(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = _checker(ctx)
    if d.get(DROPPED):
        return
    value = _bool_value(ctx, words, "alpha")
    if value is not None:
        d["alpha"] = value


def _bfd_close(ctx: ParseContext) -> None:
    d = _pop(ctx)
    if d.get(DROPPED):
        return
    if "name" not in d:
        ctx.report(
            Severity.GENERAL_ERROR, f"({_fmt_rs(ctx)}) No name has been specified for BFD_CHECKER - skipping"
        )
        return
    _add_checker(ctx, m.BfdCheck(name=d["name"], alpha=d.get("alpha"), location=d.get("location")))


def _bfd_keyword() -> Keyword:
    table = Table(
        "BFD_CHECK",
        [
            Keyword("name", _h_bfd_name, note="a bfd_instance defined above"),
            Keyword("alpha", _h_bfd_alpha),
        ],
    )
    return block("BFD_CHECK", table, _bfd_open, _bfd_close)


# -- the list the real_server table includes ---------------------------------------------------


def checker_keywords() -> list[Keyword]:
    """The checker block keywords that the real_server table includes."""
    return [
        _misc_keyword(),
        _smtp_keyword(),
        _simple_checker("TCP_CHECK", m.TcpCheck),
        _simple_checker("PING_CHECK", m.PingCheck),
        _udp_keyword(),
        _http_checker("HTTP_GET", m.HttpGetCheck),
        _http_checker("SSL_GET", m.SslGetCheck),
        block(
            "DNS_CHECK",
            Table(
                "DNS_CHECK",
                [
                    *common_keywords(True),
                    Keyword(
                        "type", _h_dns_type, note="A NS CNAME SOA MX TXT AAAA RRSIG DNSKEY (default SOA)"
                    ),
                    Keyword("name", _h_dns_name, note="default the root"),
                ],
            ),
            _dns_open,
            _dns_close,
        ),
        _file_keyword(),
        _bfd_keyword(),
    ]
