"""The keyword dispatcher reproduces keepalived's block handling and error recovery."""

from __future__ import annotations

from keepalived_py.config.errors import Severity
from tests.configtest import messages, parse_text


def test_unknown_top_level_block_recovery() -> None:
    r = parse_text("nosuch_block {\n  inner 1\n}\n", validate=False)
    assert r.diags.unknown_keywords() == [(1, "nosuch_block"), (2, "inner"), (3, "}")]
    assert "Unexpected '{' - ignoring" in messages(r)
    assert r.diags.test_exit_code() == 5


def test_missing_close_brace_reported_at_end() -> None:
    r = parse_text("nosuch {\n", validate=False)
    assert "There are 1 missing '}'s or extra '{'s" in messages(r)
    # keepalived prints it without a line (found at the end of the file).
    assert r.diags.items[-1].render() == "There are 1 missing '}'s or extra '{'s"


def test_extra_close_brace() -> None:
    r = parse_text("}\n", validate=False)
    assert "Extra '}' found" in messages(r)
    assert r.diags.status >= Severity.UNEXPECTED_EOB


def test_fatal_include_error_stops_after_the_parent_read() -> None:
    # keepalived's parent reads global keywords only, then exits 6 on a fatal include error:
    # unknown keywords inside VRRP blocks are never reported, global ones are.
    text = (
        "includea /etc/keepalived/nomatch_*.conf\n"
        "global_defs {\n  bogus_global 1\n}\n"
        "vrrp_instance VI_1 {\n  bogus_vrrp 1\n}\n"
    )
    r = parse_text(text)
    assert r.fatal_exit == 6
    assert r.config is None
    assert r.diags.unknown_keywords() == [(3, "bogus_global")]


def test_skipped_block_cut_short_by_end_of_file_is_not_closed() -> None:
    # Found by the property tests: a duplicate instance is skipped by its open handler; when the
    # file ends inside it, no close handler may run on a draft that was never pushed.
    r = parse_text("vrrp_instance X {\n}\nvrrp_instance X {\n", validate=False)
    assert r.config is not None
    assert "There are 1 missing '}'s or extra '{'s" in messages(r)


def test_refused_block_without_brace_is_skipped_not_misread() -> None:
    # Found by the property tests: the unmatched quote cuts the line before its name and '{', the
    # open handler refuses the block; its lines must not be read into a missing draft.
    r = parse_text('vrrp_instance" VI_1 {\n  virtual_router_id 51\n}\n', validate=False)
    assert "vrrp_instance must have a name" in messages(r)


def test_other_readings_add_what_a_skipping_reading_reports() -> None:
    # virtual_ipaddress without '{' swallows the first '}', so the extra '}' closes the instance
    # for the VRRP reading; the parent, skipping the instance by counting braces, meets the last
    # '}' at top level and reports it as an unknown keyword, as keepalived 2.2.7 does.
    text = (
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 206\n"
        "    virtual_ipaddress\n        192.0.2.206/24\n    }\n}\n"
    )
    r = parse_text(text)
    assert (7, "}") in r.diags.unknown_keywords()
    assert "Extra '}' found" in messages(r)


def test_lines_longer_than_keepalived_buffer_reported_per_reading() -> None:
    # keepalived reads 1023 bytes at a time: the parent (global keywords) and the children
    # number the pieces of a long line differently, and each reports at its own numbers.
    text = "# " + "x" * 2500 + "\nvrrp_instance VI_1 {\n}\n"
    r = parse_text(text, validate=False)
    found = {(line, kw[:3]) for line, kw in r.diags.unknown_keywords()}
    # As keepalived 2.2.7: the parent at pieces 0 and 1, the children at lines 1 and 3.
    assert found == {(0, "xxx"), (1, "xxx"), (3, "xxx")}
