"""Pure probe codecs: HTTP request/response judging, SMTP dialogue, DNS, UDP, ICMP (keepalived 2.2.7)."""

from __future__ import annotations

import contextlib
import hashlib
from ipaddress import ip_address

from hypothesis import given
from hypothesis import strategies as st

from keepalived_py.check.probes import dns, http, icmp, smtp, udp
from keepalived_py.check.probes.endpoint import resolve_endpoint
from keepalived_py.config.model.checkers import Connection, TcpCheck, Url
from keepalived_py.config.model.lvs import Protocol, RealServer, SockAddr, VirtualServer

# -- HTTP request ------------------------------------------------------------------------------


def test_request_template_ipv4_without_vhost() -> None:
    req = http.build_request("/", protocol="1.0", vhost=None, dst=ip_address("192.0.2.2"), port=80)
    assert req == b"GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 192.0.2.2:80\r\n\r\n"


def test_request_template_ipv6_and_connection_close() -> None:
    req = http.build_request("/x", protocol="1.1", vhost=None, dst=ip_address("2001:db8::2"), port=8080)
    assert req == (
        b"GET /x HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\n"
        b"Host: [2001:db8::2]:8080\r\n\r\n"
    )
    req = http.build_request(
        "/", protocol="1.0C", vhost="www.example.com", dst=ip_address("2001:db8::2"), port=80
    )
    assert req == (
        b"GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.com\r\n\r\n"
    )


def test_vhost_and_sni_precedence() -> None:
    url = Url(path="/")
    assert http.request_vhost(url, None, "rs", "vs") == "rs"
    assert http.request_vhost(Url(path="/", virtualhost="u"), "c", "rs", "vs") == "u"
    assert http.request_vhost(url, None, None, None) is None
    # SNI never uses the real server's virtualhost
    assert http.sni_name(url, None, "vs") == "vs"
    assert http.sni_name(url, "c", "vs") == "c"


# -- HTTP response -----------------------------------------------------------------------------


def test_status_code_extraction_rules() -> None:
    assert http.extract_status_code(b"HTTP/1.1 200 OK\r\n") == 200
    assert http.extract_status_code(b"HTTP/1.1 404 Not Found\r\n") == 404
    assert http.extract_status_code(b"HTTP/1.1 200\r\n") == 0  # no space after the code
    assert http.extract_status_code(b"HTTP/1.1  200 OK") == 0
    assert http.extract_status_code(b"HTTP/1.1 2000 OK") == 0
    assert http.extract_status_code(b"HTTP/1.1\r\n200 OK") == 0
    assert http.extract_status_code(b"") == 0


def test_content_length_extraction_rules() -> None:
    assert http.extract_content_length(b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\n") == 12
    assert http.extract_content_length(b"content-length: 12\r\n") is None  # case-sensitive
    assert http.extract_content_length(b"Content-Length: 12 \r\n") is None  # trailing blank
    assert http.extract_content_length(b"Content-Length:\r\n") == 0
    assert http.extract_content_length(b"Content-Length: -1\r\n") is None  # SIZE_MAX
    assert http.extract_content_length(b"X: 1\0Content-Length: 3\r\n") is None  # after a NUL


def _response(chunks: list[bytes], *, digest: bool = True, regex: str | None = None) -> http.HttpResponse:
    compiled = http.compile_regex(regex) if regex else None
    assert not isinstance(compiled, str)
    r = http.HttpResponse(want_digest=digest, regex=compiled)
    for c in chunks:
        r.feed(c)
    return r


HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"


def test_md5_covers_the_body_up_to_content_length() -> None:
    r = _response([HEAD + b"hel", b"lo world"])
    assert r.digest() == hashlib.md5(b"hello").digest()
    assert r.rx_bytes == 11
    url = Url(path="/", digest=hashlib.md5(b"hello").digest())
    j = http.judge(url, r)
    assert j.ok and j.message == "MD5 digest" and j.length_mismatch == -6


def test_md5_without_content_length_covers_all_and_is_chunking_independent() -> None:
    body = b"x" * 10000
    head = b"HTTP/1.0 200 OK\r\n\r\n"
    whole = head + body
    for cut in (1, 7, 4095, 5000):
        chunks = [whole[i : i + cut] for i in range(0, len(whole), cut)]
        assert _response(chunks).digest() == hashlib.md5(body).digest()


def test_headers_must_fit_in_the_buffer() -> None:
    r = http.HttpResponse()
    r.feed(b"HTTP/1.0 200 OK\r\nX: " + b"a" * 5000)
    assert r.room() == 0 and not r.extracted
    assert http.judge(Url(path="/"), r).message == "Read, no data received from "


def test_status_code_set_and_digest_failure_messages() -> None:
    r = _response([b"HTTP/1.0 503 Busy\r\n\r\nbody"])
    assert http.judge(Url(path="/"), r) == http.Judgement(False, "HTTP status code error to")
    assert http.judge(Url(path="/", status_codes=frozenset({503})), r).ok
    r = _response([HEAD + b"hello"])
    bad = Url(path="/", digest=b"\0" * 16)
    assert http.judge(bad, r).message == "MD5 digest error to"
    assert http.judge(Url(path="/"), r) == http.Judgement(True, "HTTP status code", None)


def test_regex_match_no_match_and_offsets() -> None:
    url = Url(path="/", regex="ready")
    r = _response([b"HTTP/1.0 200 OK\r\n\r\n", b"server is ready\n"], regex="ready")
    assert http.judge(url, r).message == "Regex match"
    url_nm = Url(path="/", regex="ready", regex_no_match=True)
    assert http.judge(url_nm, r).message == "Regex match failed"
    # the stream starts with the body when the header read had no body bytes: offset 10
    assert http.judge(Url(path="/", regex="ready", regex_min_offset=11), r).message == "Regex match failed"
    assert http.judge(Url(path="/", regex="ready", regex_max_offset=10), r).ok
    assert not http.judge(Url(path="/", regex="ready", regex_max_offset=9), r).ok
    # a match across two reads is still found
    r2 = _response([b"HTTP/1.0 200 OK\r\n\r\n", b"rea", b"dy"], regex="ready")
    assert http.judge(url, r2).ok


def test_regex_stream_includes_headers_when_the_first_read_has_body() -> None:
    r = _response([b"HTTP/1.0 200 OK\r\n\r\nbody"], regex="200 OK")
    assert http.judge(Url(path="/", regex="200 OK"), r).ok
    r = _response([b"HTTP/1.0 200 OK\r\n\r\n", b"body"], regex="200 OK")
    assert not http.judge(Url(path="/", regex="200 OK"), r).ok


def test_invalid_regex_message() -> None:
    assert isinstance(http.compile_regex("(unclosed"), str)
    assert http.compile_regex("a.b", ("caseless", "dotall")).flags & 2  # type: ignore[union-attr]


def test_genhash_line() -> None:
    assert http.genhash_line(_response([HEAD + b"hello"])) == (hashlib.md5(b"hello").hexdigest(), False)
    assert http.genhash_line(http.HttpResponse(want_digest=True)) == (
        "no data received from remote webserver",
        True,
    )


@given(st.lists(st.binary(max_size=600), max_size=12))
def test_http_reader_never_raises(chunks: list[bytes]) -> None:
    r = _response(chunks, regex="a+")
    http.judge(Url(path="/", regex="a+", digest=b"\0" * 16), r)
    http.extract_status_code(b"".join(chunks))
    http.extract_content_length(b"".join(chunks))


# -- SMTP --------------------------------------------------------------------------------------


def test_smtp_status_rules() -> None:
    assert smtp.smtp_status(b"220 mail ESMTP\r") == 220
    assert smtp.smtp_status(b"250") == 250
    assert smtp.smtp_status(b"220\r") == -1
    assert smtp.smtp_status(b"220-first") == -1
    assert smtp.smtp_status(b"2200 x") == -1
    assert smtp.smtp_status(b"abc") == -1


def test_smtp_dialogue_steps() -> None:
    d = smtp.SmtpDialogue("smtpchecker.keepalived.org", "[192.0.2.2]:25")
    assert d.on_line(b"220 hi\r").send == b"HELO smtpchecker.keepalived.org\r\n"
    assert d.on_line(b"250 ok\r").send == b"QUIT\r\n"
    assert d.on_line(b"221 bye\r") == smtp.SmtpStep(done=True)
    d = smtp.SmtpDialogue("x", "[192.0.2.2]:25")
    assert d.on_line(b"554 no") == smtp.SmtpStep(
        done=True, error="Bad greeting banner from server [192.0.2.2]:25"
    )
    d.state = "helo"
    assert d.on_line(b"500 no").error == "Bad HELO response from server [192.0.2.2]:25"


def test_smtp_line_buffer_first_line_only_and_overflow() -> None:
    b = smtp.LineBuffer("[192.0.2.2]:25")
    assert b.feed(b"220 a") == (None, [])
    assert b.feed(b"b\r\n250 c\r\n") == (b"220 ab\r", [])
    b = smtp.LineBuffer("[192.0.2.2]:25")
    assert b.feed(b"x" * 600)[0] is None
    line, logs = b.feed(b"y\n")
    assert line == b"y" and logs and logs[0].startswith("SMTP_CHECK Buffer overflow reading from server")


@given(st.lists(st.binary(max_size=700), max_size=8))
def test_smtp_never_raises(chunks: list[bytes]) -> None:
    b = smtp.LineBuffer()
    d = smtp.SmtpDialogue("h", "s")
    for c in chunks:
        line, _ = b.feed(c)
        if line is not None:
            d.on_line(line)


# -- DNS ---------------------------------------------------------------------------------------


def test_dns_query_bytes() -> None:
    q = dns.build_query("example.com", dns.type_code("a"), 0x1234)
    assert q == bytes.fromhex("123401000001000000000000") + b"\x07example\x03com\x00" + b"\x00\x01\x00\x01"
    assert dns.build_query("", 6, 1)[12:] == b"\x00\x00\x06\x00\x01"
    assert dns.build_query(".", 6, 1)[12:] == b"\x00\x00\x06\x00\x01"
    assert dns.build_query("a.", 6, 1)[12:] == b"\x01a\x00\x00\x06\x00\x01"
    assert dns.type_name(28) == "AAAA" and dns.type_code("dnskey") == 48 and dns.type_code("PTR") == 0


def test_dns_reply_judgement() -> None:
    q = dns.decode_query(dns.build_query("example.com", 1, 7))
    assert q.name == "example.com" and q.qtype == 1 and q.ident == 7
    assert dns.judge_reply(7, dns.build_response(q)) == dns.ReplyVerdict()
    assert (
        dns.judge_reply(7, dns.build_response(q, answers=1, rdata=b"\xc0\x00\x02\x01")) == dns.ReplyVerdict()
    )
    assert dns.judge_reply(7, dns.build_response(q, rcode=3)).error == "read error occurred. (rcode = 3)"
    assert dns.judge_reply(8, dns.build_response(q)).ignore
    assert dns.judge_reply(7, dns.build_query("x", 1, 7)).ignore  # a query, not a response
    assert dns.judge_reply(7, b"\x00\x07\x80\x00").ignore  # shorter than 8 bytes


@given(st.binary(max_size=100))
def test_dns_decode_random_bytes(data: bytes) -> None:
    with contextlib.suppress(dns.DnsDecodeError):
        dns.decode_query(data)
    dns.judge_reply(1, data)


@given(st.from_regex(r"[a-z0-9]{1,20}(\.[a-z0-9]{1,20}){0,3}", fullmatch=True), st.integers(0, 0xFFFF))
def test_dns_query_roundtrip(name: str, ident: int) -> None:
    q = dns.decode_query(dns.build_query(name, 6, ident))
    assert (q.name, q.ident, q.qtype, q.qclass) == (name, ident, 6, 1)


# -- UDP ---------------------------------------------------------------------------------------


def test_udp_default_payload() -> None:
    assert udp.request_payload(None) == b"keepalived check - keepalived ch"
    assert udp.request_payload(b"\x01") == b"\x01"


def test_udp_reply_matching_with_mask_and_lengths() -> None:
    data, mask = bytes.fromhex("abcd"), bytes.fromhex("000f")  # "abcX"
    assert udp.reply_ok(b"\xab\xc7", reply_data=data, reply_mask=mask, min_length=0, max_length=255)
    assert not udp.reply_ok(b"\xab\xd7", reply_data=data, reply_mask=mask, min_length=0, max_length=255)
    assert udp.reply_ok(b"\xab", reply_data=data, reply_mask=None, min_length=0, max_length=255)  # shorter
    assert not udp.reply_ok(b"\xab", reply_data=data, reply_mask=None, min_length=2, max_length=255)
    assert not udp.reply_ok(b"\xab\xcd\x00", reply_data=data, reply_mask=None, min_length=0, max_length=2)
    assert udp.reply_ok(b"anything", reply_data=None, reply_mask=None, min_length=50, max_length=1)


def test_udp_errqueue_classification() -> None:
    assert udp.errqueue_failure([(2, 3)])
    assert udp.errqueue_failure([(3, 1)])
    assert not udp.errqueue_failure([(2, 11)])
    assert not udp.errqueue_failure([])
    assert udp.parse_extended_err(bytes([111, 0, 0, 0, 2, 3, 3, 0]) + b"\0" * 8) == (2, 3)


# -- ICMP --------------------------------------------------------------------------------------


def test_icmp_echo_request() -> None:
    pkt = icmp.build_echo(v6=False, seq=5)
    assert len(pkt) == 136 and pkt[0] == 8 and pkt[6:8] == b"\x00\x05"
    assert icmp.checksum(pkt) == 0
    assert pkt[8:27] == b"keepalived check - "
    assert icmp.build_echo(v6=True, seq=1)[0] == 128


def test_icmp_reply_judgement() -> None:
    assert icmp.judge_reply(b"\x00" * 8, v6=False).ok
    assert icmp.judge_reply(b"\x03" + b"\x00" * 7, v6=False) == icmp.EchoCheck(
        False, "Got ICMP packet with type 0x3"
    )
    assert icmp.judge_reply(b"\x81" + b"\x00" * 7, v6=True).ok
    assert icmp.judge_reply(b"\x00", v6=True).log == "Error, got short ICMPv6 packet, 1 bytes"
    reply = bytes([0, 0, 0, 0, 0x12, 0x34, 0, 9])
    assert icmp.reply_for_us(reply, v6=False, ident=0x1234, seq=9)
    assert not icmp.reply_for_us(reply, v6=False, ident=0x1234, seq=8)
    ip = bytes([0x45]) + b"\0" * 19
    assert icmp.strip_ipv4_header(ip + reply) == reply


@given(st.binary(max_size=80))
def test_icmp_never_raises_but_decode_error(data: bytes) -> None:
    icmp.judge_reply(data, v6=False)
    icmp.reply_for_us(data, v6=True, ident=1, seq=1)
    with contextlib.suppress(icmp.IcmpDecodeError):
        icmp.strip_ipv4_header(data)


# -- endpoint ----------------------------------------------------------------------------------


def test_endpoint_defaults_and_overrides() -> None:
    rs = RealServer(address=SockAddr(ip_address("192.0.2.2"), 80), connect_timeout=None)
    vs = VirtualServer(
        address=SockAddr(ip_address("192.0.2.100"), 80), protocol=Protocol.TCP, connect_timeout=3_000_000
    )
    ep = resolve_endpoint(vs, rs, TcpCheck())
    assert (str(ep.dst), ep.port, ep.bind, ep.timeout_us) == ("192.0.2.2", 80, None, 3_000_000)
    conn = Connection(
        connect_ip="192.0.2.9", connect_port=8080, bindto="192.0.2.1", bind_port=999, connect_timeout=1
    )
    ep = resolve_endpoint(vs, rs, TcpCheck(connection=conn))
    assert (str(ep.dst), ep.port, str(ep.bind), ep.bind_port, ep.timeout_us) == (
        "192.0.2.9",
        8080,
        "192.0.2.1",
        999,
        1,
    )
    assert ep.pair() == "[192.0.2.9]:8080"
    # bind_port without bindto is not used; a cleared destination cannot connect
    ep = resolve_endpoint(vs, rs, TcpCheck(connection=Connection(bind_port=999, dst_cleared=True)))
    assert ep.bind is None and ep.bind_port == 0 and ep.dst is None


@given(
    st.binary(max_size=3000),
    st.one_of(st.none(), st.integers(0, 4000)),
    st.lists(st.integers(1, 5000), min_size=1, max_size=8),
)
def test_digest_is_the_body_up_to_content_length_whatever_the_reads(
    body: bytes, content_length: int | None, cuts: list[int]
) -> None:
    head = b"HTTP/1.1 200 OK\r\n" + (
        b"Content-Length: %d\r\n" % content_length if content_length is not None else b""
    )
    stream = head + b"\r\n" + body
    chunks, i = [], 0
    for n in cuts * 10:
        if i >= len(stream):
            break
        chunks.append(stream[i : i + n])
        i += n
    chunks.append(stream[i:])
    r = _response(chunks)
    want = body if content_length is None else body[:content_length]
    assert r.extracted and r.digest() == hashlib.md5(want).digest()
    assert r.rx_bytes == len(body)


def test_pcre_spellings_translated() -> None:
    assert http.pcre_to_python(r"(?<word>ab)\z") == r"(?P<word>ab)\Z"
    assert http.pcre_to_python(r"(?'x'a)\Z") == r"(?P<x>a)(?=\n?\Z)"
    assert http.pcre_to_python(r"(?<=a)b(?<!c)\\z") == r"(?<=a)b(?<!c)\\z"
    compiled = http.compile_regex(r"(?<w>ready)\Z")
    assert not isinstance(compiled, str) and compiled.search(b"status ready\n")
