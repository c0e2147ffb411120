"""Checker blocks of a real_server: keywords, defaults and keepalived 2.2.7's messages.

The expected messages were taken from the real keepalived 2.2.7 (``keepalived -t``) fed the
same blocks inside a virtual_server / real_server 192.0.2.20 80.
"""

from __future__ import annotations

import pytest

from keepalived_py.config.errors import Severity
from keepalived_py.config.model import checkers as m
from keepalived_py.config.schema.checkers import checker_keywords, read_hex_str
from tests.unit.checkers_harness import parse


def test_all_checker_keywords_installed() -> None:
    names = {kw.name for kw in checker_keywords()}
    assert names == {
        "MISC_CHECK",
        "SMTP_CHECK",
        "TCP_CHECK",
        "PING_CHECK",
        "UDP_CHECK",
        "HTTP_GET",
        "SSL_GET",
        "DNS_CHECK",
        "FILE_CHECK",
        "BFD_CHECK",
    }
    by_name = {kw.name: kw for kw in checker_keywords()}
    common = {"retry", "delay_before_retry", "warmup", "delay_loop", "alpha", "log_all_failures"}
    conn = {"connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout", "fwmark"}
    http = by_name["HTTP_GET"].sub
    assert http is not None
    assert {kw.name for kw in http} == common | conn | {
        "nb_get_retry",
        "virtualhost",
        "http_protocol",
        "enable_sni",
        "fast_recovery",
        "url",
    }
    url = http.get("url")
    assert url is not None and url.sub is not None
    assert {kw.name for kw in url.sub} == {
        "path",
        "digest",
        "status_code",
        "virtualhost",
        "regex",
        "regex_no_match",
        "regex_options",
        "regex_min_offset",
        "regex_max_offset",
        "regex_stack",
    }
    misc = by_name["MISC_CHECK"].sub
    assert misc is not None
    assert {kw.name for kw in misc} == common | {"misc_path", "misc_timeout", "misc_dynamic", "user"}
    for kind in ("TCP_CHECK", "PING_CHECK"):
        sub = by_name[kind].sub
        assert sub is not None and {kw.name for kw in sub} == common | conn
    bfd = by_name["BFD_CHECK"].sub
    assert bfd is not None and {kw.name for kw in bfd} == {"name", "alpha"}
    f = by_name["FILE_CHECK"].sub
    assert f is not None and {kw.name for kw in f} == {"track_file", "weight"}
    # 2.2.7 has no tls_compliant / sni_name (2.3+).
    assert http.get("tls_compliant") is None and http.get("sni_name") is None


def test_tcp_defaults_and_common_keywords() -> None:
    p = parse(
        "TCP_CHECK {\n connect_timeout 3\n retry 2\n delay_before_retry 1.5\n warmup 0\n"
        " delay_loop 10\n alpha\n log_all_failures off\n connect_port 8080\n bindto 192.0.2.99\n"
        " bind_port 1000\n bind_if eth0\n fwmark 7\n}"
    )
    assert p.messages == []
    [c] = p.checkers
    assert isinstance(c, m.TcpCheck)
    assert (c.retry, c.delay_before_retry, c.warmup, c.delay_loop) == (2, 1_500_000, 0, 10_000_000)
    assert c.alpha is True and c.log_all_failures is False
    assert c.connection == m.Connection(
        connect_port=8080,
        bindto="192.0.2.99",
        bind_port=1000,
        bind_if="eth0",
        connect_timeout=3_000_000,
        fwmark=7,
    )
    assert p.checkers[0].location is not None


def test_type_defaults_for_retry() -> None:
    p = parse(
        "TCP_CHECK {\n}\nHTTP_GET {\n url {\n path /\n }\n}\nDNS_CHECK {\n}\n"
        "MISC_CHECK {\n misc_path /bin/true\n}"
    )
    tcp, http, dns, misc = p.checkers
    assert tcp.retry is None
    t = m.resolve_timing(tcp, delay_loop=6_000_000)
    assert (t.retry, t.delay_before_retry, t.warmup) == (1, 1_000_000, 6_000_000)
    assert m.resolve_timing(http, delay_loop=6_000_000).delay_before_retry == 3_000_000
    t = m.resolve_timing(dns, delay_loop=6_000_000)
    assert (t.retry, t.delay_before_retry) == (3, 6_000_000)
    assert m.resolve_timing(misc, delay_loop=6_000_000).retry == 0
    t = m.resolve_timing(misc, delay_loop=6_000_000, rs_retry=4, rs_delay_before_retry=2, rs_warmup=1)
    assert (t.retry, t.delay_before_retry, t.warmup) == (4, 2, 1)


def test_connection_errors_and_families() -> None:
    p = parse(
        "TCP_CHECK {\n connect_timeout 0\n delay_loop 0\n retry x\n bind_if abcdefghijklmnopq\n"
        " fwmark -1\n connect_port 0\n}\n"
        "PING_CHECK {\n bindto 2001:db8::1\n connect_ip 192.0.2.40\n bindto 192.0.2.41\n"
        " connect_ip 2001:db8::5\n}\nHTTP_GET {\n connect_ip 192.0.2.300\n url {\n path /\n }\n}"
    )
    assert p.messages == [
        "number '0' outside range [0.000001, 4294.967295]",
        "connect_timeout 0 invalid - ignoring",
        p.messages[2],  # delay_loop range (keepalived: TIMER_MAXIMUM is ULONG_MAX - 1)
        "delay_loop '0' is invalid - ignoring",
        "invalid number 'x'",
        "Invalid retry connection value 'x'",
        "Interface name abcdefghijklmnopq is too long - ignoring",
        "negative number '-1'",
        "Invalid fwmark connection value '-1'",
        "number '0' outside range [1, 65535]",
        "Invalid checker connect_port '0'",
        "bindto address 2001:db8::1 does not match address family of connect_ip - skipping",
        "connect_ip address 2001:db8::5 does not match address family of bindto - skipping",
        "Invalid connect_ip address 192.0.2.300 - ignoring",
    ]
    tcp, ping, http = p.checkers
    assert tcp.connection == m.Connection()
    assert ping.connection.bindto == "192.0.2.41" and ping.connection.dst_cleared
    assert http.connection.dst_cleared
    assert p.exit_code == 5


def test_connect_ip_strips_range_and_mask() -> None:
    p = parse(
        "TCP_CHECK {\n connect_ip 192.0.2.7-9\n}\n"
        "TCP_CHECK {\n connect_ip 2001:db8:0::1/64\n bindto 2001:db8::2\n}"
    )
    assert p.messages == []
    assert [c.connection.connect_ip for c in p.checkers] == ["192.0.2.7", "2001:db8::1"]


def test_link_local_needs_bind_if() -> None:
    p = parse("TCP_CHECK {\n connect_ip fe80::1\n}\nTCP_CHECK {\n connect_ip fe80::1\n bind_if eth0\n}")
    assert p.messages == ["Checker link local address fe80::1 requires a bind_if"]
    assert len(p.checkers) == 1
    p = parse("TCP_CHECK {\n}", rs="fe80::2 80")
    assert p.messages == ["Checker link local address fe80::2 requires a bind_if"]
    assert p.checkers == []


def test_http_get_urls() -> None:
    p = parse(
        "HTTP_GET {\n url {\n digest ff20ad2481f97b1754ef3e12ecd3a9c\n"
        " status_code 200 300-199 99 abc 201-\n }\n"
        " url {\n path /x\n digest ff20ad2481f97b1754ef3e12ecd3a9cg\n regex_options caseless\n }\n"
        " url {\n path /y\n digest FF20ad2481f97b1754ef3e12ecd3a9cc\n status_code 301-303 404 4294967496\n"
        "  virtualhost www.example.com\n }\n nb_get_retry 3\n http_protocol 2\n http_protocol 1.0c\n}"
    )
    assert p.messages == [
        "digest 'ff20ad2481f97b1754ef3e12ecd3a9c' character length should be 32 rather than 31",
        "Invalid HTTP_GET status code '300-199'",
        "Invalid HTTP_GET status code '99'",
        "Invalid HTTP_GET status code 'abc'",
        "Invalid HTTP_GET status code '201-'",
        "HTTP/SSL_GET checker url has no path - ignoring",
        "Unable to interpret hex digit in 'ff20ad2481f97b1754ef3e12ecd3a9cg' at offset 30/31",
        "regex parameters specified without regex",
        "nb_get_retry is deprecated - please use 'retry'",
        "Invalid http_protocol version 2",
    ]
    [c] = p.checkers
    assert isinstance(c, m.HttpGetCheck) and not isinstance(c, m.SslGetCheck)
    assert c.retry == 3 and c.http_protocol == "1.0C"
    x, y = c.urls
    assert x.path == "/x" and x.digest is None and x.status_codes == frozenset(range(200, 300))
    assert x.regex_options == ()
    assert y.digest == bytes.fromhex("ff20ad2481f97b1754ef3e12ecd3a9cc")
    assert y.status_codes == frozenset({200, 301, 302, 303, 404})
    assert y.virtualhost == "www.example.com"


def test_digest_error_shows_truncated_digest() -> None:
    p = parse("HTTP_GET {\n url {\n path /\n digest 0123zz6789abcdef0123456789abcdef\n }\n}")
    assert p.messages == ["Unable to interpret hex digit in '0123zz' at offset 4/5"]


def test_http_get_checker_level_errors() -> None:
    p = parse(
        "HTTP_GET {\n url {\n path /\n digest 0123456789abcdef0123456789abcdef\n"
        ' digest 0123456789abcdef0123456789abcdef\n regex "a b"\n regex a b\n regex_min_offset 10\n'
        " regex_max_offset 5\n regex_stack 5\n }\n enable_sni maybe\n fast_recovery\n virtualhost\n"
        " http_protocol\n}\nSSL_GET {\n}"
    )
    errors = [d.message for d in p.diags.items if d.severity > Severity.OK]
    assert errors == [
        "Digest '0123456789abcdef0123456789abcdef' is a duplicate",
        "Invalid enable_sni parameter maybe",
        "HTTP_GET virtualhost name missing",
        "Missing http_protocol version",
        "HTTP/SSL_GET checker has no urls specified - ignoring",
    ]
    [c] = p.checkers
    assert c.fast_recovery and not c.enable_sni
    assert c.urls[0].regex == "a b" and c.urls[0].regex_min_offset == 0


def test_url_regex_fields() -> None:
    p = parse(
        'SSL_GET {\n enable_sni\n url {\n path /\n regex "^OK\\\\s"\n regex_no_match\n'
        " regex_options caseless bogus multiline\n regex_min_offset 2\n regex_max_offset 9\n"
        " regex_stack 100 200\n }\n}"
    )
    assert [d.message for d in p.diags.items] == []
    [c] = p.checkers
    assert isinstance(c, m.SslGetCheck) and c.enable_sni
    u = c.urls[0]
    assert u.regex == "^OK\\s" and u.regex_no_match
    assert u.regex_options == ("caseless", "multiline")
    assert (u.regex_min_offset, u.regex_max_offset, u.regex_stack) == (2, 9, (100, 200))


def test_smtp_check_and_host_blocks() -> None:
    p = parse(
        "SMTP_CHECK {\n helo_name\n host {\n connect_ip 192.0.2.30\n retry 5\n }\n"
        " host {\n connect_ip fe80::1\n }\n host {\n connect_port 25\n }\n}"
    )
    errors = [d.message for d in p.diags.items if d.severity > Severity.OK]
    assert errors == ["SMTP_CHECK helo name missing", "Checker link local address fe80::1 requires a bind_if"]
    a, b = p.checkers
    assert isinstance(a, m.SmtpCheck) and a.helo_name == m.SMTP_DEFAULT_HELO
    assert a.connection.connect_ip == "192.0.2.30" and a.connection.connect_timeout == 0
    assert b.connection.connect_port == 25 and a.retry == b.retry == 5
    p = parse("SMTP_CHECK {\n helo_name mail.example.com\n connect_timeout 5\n host {\n}\n}")
    a, b = p.checkers
    assert not a.from_host_block and a.connection.connect_timeout == 5_000_000
    assert b.from_host_block and a.helo_name == b.helo_name == "mail.example.com"


def test_dns_check() -> None:
    p = parse(
        "DNS_CHECK {\n type aaaa\n type XX\n name a.example.com\n name www..x\n}\n"
        "DNS_CHECK {\n name .x\n}\nDNS_CHECK {\n name www.example.com.\n name again\n}"
    )
    assert p.messages == [
        "Unknown DNS check type XX - ignoring",
        "DNS_CHECK name 'a.example.com' has empty label - ignoring",
        "DNS_CHECK name 'www..x' has empty label - ignoring",
        "DNS_CHECK name '.x' has empty label - ignoring",
        "DNS_CHECK name already specified - ignoring",
    ]
    a, b, c = p.checkers
    assert (a.type, a.name) == ("AAAA", "")
    assert (b.type, c.name) == ("SOA", "www.example.com.")


def test_udp_check() -> None:
    p = parse(
        "UDP_CHECK {\n payload\n payload 01 02 ff\n payload 0102 zz\n require_reply 0x\n"
        " require_reply 01XX 2\n min_reply_length 70000\n max_reply_length -1\n min_reply_length 20\n"
        " max_reply_length 10\n}\nUDP_CHECK {\n payload a b c\n}"
    )
    assert p.messages == [
        "UDP_CHECK payload requires a payload",
        "Invalid hex string for UDP_CHECK payload",
        "Invalid hex string for UDP_CHECK payload",
        "number '70000' outside range [0, 65535]",
        "UDP_CHECK min length 70000 not valid - must be between 0 & 65535",
        "negative number '-1'",
        "UDP_CHECK max length -1 not valid - must be between 0 & 65535",
        "UDP_CHECK min_reply length 20 > max_reply_length 10 - will always fail",
    ]
    a, b = p.checkers
    assert a.require_reply and a.reply_data == b"\x01\x00\x02" and a.reply_mask == b"\x00\xff\x00"
    assert (a.min_reply_length, a.max_reply_length) == (20, 10)
    assert b.payload == b"\x0a\x0b\x0c"


@pytest.mark.parametrize(
    ("text", "wild", "expected"),
    [
        ("0102", False, (b"\x01\x02", None)),
        ("1 23 4", False, (b"\x01\x23\x04", None)),
        ("ff", False, None),  # keepalived rejects a last octet of 0xff
        ("ff01", False, (b"\xff\x01", None)),
        ("0x", True, (b"\x00", b"\x0f")),
        ("0x", False, None),
        ("", False, None),
    ],
)
def test_read_hex_str(text: str, wild: bool, expected: tuple[bytes, bytes | None] | None) -> None:
    assert read_hex_str(text, wild) == expected


def test_misc_check() -> None:
    p = parse(
        "MISC_CHECK {\n misc_path\n misc_timeout 5000\n user\n}\n"
        'MISC_CHECK {\n misc_path "/bin/true x"\n user nosuchuser\n misc_timeout 5000\n}\n'
        "MISC_CHECK {\n user root nosuchgroup\n}\n"
        "MISC_CHECK {\n misc_path \"/usr/bin/check 'a b'\" ignored\n misc_timeout 4\n misc_dynamic\n"
        " user root root\n retry 2\n}"
    )
    errors = [d.message for d in p.diags.items if d.severity > Severity.OK]
    assert errors == [
        "number '5000' outside range [0, 4294]",
        "Invalid misc_timeout value '5000'",
        "No user specified for misc checker script ",
        "No script path has been specified for MISC_CHECKER - skipping",
        "Failed to set uid/gid for misc checker script '/bin/true' 'x' - removing",
        "Failed to set uid/gid for misc checker script  - removing",
    ]
    [c] = p.checkers
    assert isinstance(c, m.MiscCheck)
    assert c.script.args == ("/usr/bin/check", "a b")
    assert (c.script.user, c.script.group) == ("root", "root")
    assert (c.timeout, c.dynamic, c.retry) == (4_000_000, True, 2)
    # Script security sees exactly the scripts keepalived keeps, with their user.
    assert [s for s, _ in p.result["scripts"]] == [c.script]


def test_file_check() -> None:
    p = parse(
        "FILE_CHECK {\n track_file nope\n weight\n weight 3 sideways\n weight 2147483648\n}\n"
        "FILE_CHECK {\n track_file tf1\n track_file tf2\n weight -5 reverse\n}\n"
        "FILE_CHECK {\n track_file tf1\n}",
        track_files=("tf1",),
    )
    assert p.messages == [
        "track_file nope not found",
        "track file weight missing",
        "unknown track file weight option sideways - ignoring",
        "number '2147483648' outside integer range",
        "weight for track file must be in [-2147483647..2147483647] inclusive. Ignoring...",
        "FILE_CHECK has no track_file specified - ignoring",
        "track_file tf2 not found",
    ]
    a, b = p.checkers
    assert a == m.FileCheck(track_file="tf1", weight=-5, reverse=True, location=a.location)
    assert b.weight is None


def test_bfd_check() -> None:
    p = parse(
        "BFD_CHECK {\n name\n name bfd1\n}\nBFD_CHECK {\n name nope\n}\n"
        "BFD_CHECK {\n name bfd1\n alpha maybe\n}\nBFD_CHECK {\n name bfd1\n}\nBFD_CHECK {\n alpha\n}",
        bfds=("bfd1",),
    )
    assert p.messages == [
        "([192.0.2.20]:tcp:80) BFD_CHECK - No or too many names specified - skipping checker",
        "([192.0.2.20]:tcp:80) BFD_CHECK - BFD nope not configured",
        "Invalid alpha parameter maybe",
        "([192.0.2.20]:tcp:80) BFD_CHECK - RS already monitoring bfd1",
        "([192.0.2.20]:tcp:80) No name has been specified for BFD_CHECKER - skipping",
    ]
    [c] = p.checkers
    assert c == m.BfdCheck(name="bfd1", alpha=None, location=c.location)


@pytest.mark.parametrize(
    "body",
    [
        "TCP_CHECK {\n connect_timeout\n}",
        "HTTP_GET {\n url {\n path\n }\n}",
        "HTTP_GET {\n nb_get_retry\n}",
        "DNS_CHECK {\n name\n}",
        "FILE_CHECK {\n track_file\n}",
        "UDP_CHECK {\n min_reply_length\n}",
    ],
)
def test_missing_parameter_is_fatal(body: str) -> None:
    assert parse(body).exit_code == 2


def test_misc_path_alone_is_not_fatal() -> None:
    p = parse("MISC_CHECK {\n misc_path\n}")
    assert p.exit_code == 5
    assert p.messages == ["No script path has been specified for MISC_CHECKER - skipping"]


@pytest.mark.parametrize(
    "body",
    [
        'TCP_CHECK {\n connect_ip ""\n bindto ""\n}',
        'HTTP_GET {\n url {\n digest ""\n status_code "" - -- 1-2-3\n regex\n regex_stack a b\n }\n}',
        'UDP_CHECK {\n payload ""\n require_reply " "\n}',
        'MISC_CHECK {\n misc_path ""\n user ""\n}',
        'MISC_CHECK {\n misc_path "unterminated\n}',
        'DNS_CHECK {\n name ""\n name .\n type ""\n}',
        "SMTP_CHECK {\n host {\n host {\n }\n }\n}",
        'BFD_CHECK {\n name ""\n}',
    ],
)
def test_odd_words_never_raise(body: str) -> None:
    parse(body)


def test_whole_file_through_the_real_server_table() -> None:
    from tests.configtest import parse_text

    r = parse_text(
        "virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_kind NAT\n lb_algo rr\n"
        " real_server 192.0.2.20 80 {\n"
        "  HTTP_GET {\n   url {\n    path /health\n    status_code 200-204\n   }\n   connect_timeout 2\n  }\n"
        "  TCP_CHECK {\n   connect_port 81\n  }\n"
        "  BFD_CHECK {\n   name nope\n  }\n"
        " }\n}\n"
    )
    assert r.config is not None
    [rs] = r.config.lvs.virtual_servers[0].real_servers
    http, tcp = rs.checkers
    assert isinstance(http, m.HttpGetCheck) and http.urls[0].status_codes == frozenset(range(200, 205))
    assert http.connection.connect_timeout == 2_000_000
    assert isinstance(tcp, m.TcpCheck) and tcp.connection.connect_port == 81
    assert "([192.0.2.20]:tcp:80) BFD_CHECK - BFD nope not configured" in [d.message for d in r.diags.items]
