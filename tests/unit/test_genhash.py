"""genhash's options, messages and dumps as keepalived 2.2.7 prints them (keepalived_py/genhash.py).

The expected texts were read from Debian's keepalived 2.2.7 (``genhash ...``); the netns test
test_checkers_real.py::test_genhash_same_output_as_keepalived compares with the binary itself.
"""

from __future__ import annotations

from ipaddress import ip_address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keepalived_py import genhash


def _parse(*args: str) -> tuple[genhash.Options | None, list[str]]:
    return genhash.parse(list(args), argc=len(args) + 1)


def test_full_options() -> None:
    o, errors = _parse("-S", "-I", "-s", "192.0.2.2", "--port=8443", "-u", "/x", "-V", "www", "-P", "1.0c",
                       "-t", " 3", "-m", "7", "-v")  # fmt: skip
    assert errors == [] and o is not None
    assert (o.server, o.port, o.url, o.use_ssl, o.sni, o.vhost) == (
        ip_address("192.0.2.2"),
        8443,
        "/x",
        True,
        True,
        "www",
    )
    assert (o.protocol, o.timeout_us, o.fwmark, o.verbose) == ("1.0C", 3_000_000, 7, True)


def test_long_option_prefixes_and_clusters() -> None:
    o, _ = _parse("--serv", "2001:db8::2", "-vp80", "--url", "/")
    assert o is not None and o.server == ip_address("2001:db8::2") and o.port == 80 and o.verbose


@pytest.mark.parametrize(
    ("args", "errors"),
    [
        (("-h",), []),  # argc <= 2: the usage alone
        (("-s", "192.0.2.1", "-p", "0", "-u", "/"), ["invalid port number '0'"]),
        (("-s", "x", "-p", "80", "-u", "/"), ["server should be an IP, not x"]),
        (("-s", "192.0.2.1", "-p", "80", "-u", "/", "extra"), ["Unexpected argument(s): extra"]),
        (("-s", "192.0.2.1", "-p", "80", "-q", "-u", "/"), ["Unknown option -q"]),
        (("-s", "192.0.2.1", "-p", "80", "--bogus", "-u", "/"), ["Unknown option --bogus"]),
        (("-s", "192.0.2.1", "-p"), ["Missing parameter for option -p"]),
        (("-s", "192.0.2.1", "-p", "80", "-P", "2.0", "-u", "/"), ["invalid HTTP protocol version '2.0'"]),
        (("-s", "192.0.2.1", "-p", "80", "-t", "-1", "-u", "/"), ["invalid timeout '-1'"]),
        (("-s", "192.0.2.1", "-p", "80", "-m", "x", "-u", "/"), ["invalid fwmark 'x'"]),
        (("-s", "192.0.2.1", "-p", "80"), []),  # no url: the usage
        (("-s", "192.0.2.1", "-p", "80", "-h", "-u", "/"), []),
    ],
)
def test_refusals(args: tuple[str, ...], errors: list[str]) -> None:
    assert _parse(*args) == (None, errors)


def test_usage_text() -> None:
    text = genhash.usage("keepalived", False)
    assert text.startswith("Usage: keepalived --genhash COMMAND [OPTIONS]\nCommands:\n")
    assert (
        "   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).\n"
        in text
    )
    assert text.endswith("   --timeout         -t       Timeout in seconds\n")
    assert genhash.usage("genhash", True).startswith("Usage: genhash COMMAND")


def test_dump_buffer_layout() -> None:
    assert genhash.dump_buffer(b"HTTP/1.0 200 OK\r\n") == (
        "0000  48 54 54 50 2f 31 2e 30 - 20 32 30 30 20 4f 4b 0d   HTTP/1.0 200 OK.\n"
        "0016  0a                      -                           .               \n"
    )
    assert genhash.dump_buffer(b"") == ""


@given(st.lists(st.text(max_size=12), max_size=8))
def test_parse_never_raises(args: list[str]) -> None:
    genhash.parse(args, argc=len(args) + 1)
