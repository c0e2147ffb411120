"""keepalived 2.2.7 line pre-processing (source.py); expectations checked against the real binary."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepalived_py.config.errors import ConfigError, Diagnostics, Severity
from keepalived_py.config.host import MemoryHost
from keepalived_py.config.source import SourceOptions, SourceState, decomment, expand_braces, read_source

CONF = "/etc/keepalived/keepalived.conf"


def run(
    text: str | bytes,
    files: dict[str, bytes] | None = None,
    config_id: str | None = "kpt",
    all_config: bool = False,
) -> tuple[list[tuple[str, int, str]], Diagnostics, SourceState]:
    host = MemoryHost(files={CONF: text.encode() if isinstance(text, str) else text, **(files or {})})
    diags = Diagnostics()
    state = SourceState()
    out = read_source(CONF, host, diags, SourceOptions(config_id, all_config, random_seed=1), state)
    return [(s.location.file, s.location.line, s.text) for s in out], diags, state


def texts(text: str, **kw: object) -> list[str]:
    return [t for _, _, t in run(text, **kw)[0]]  # type: ignore[arg-type]


def lines(text: str | bytes, **kw: object) -> list[tuple[int, str]]:
    return [(n, t) for _, n, t in run(text, **kw)[0]]  # type: ignore[arg-type]


# -- decomment ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text", "unterminated"),
    [
        ("  a b  ", "a b", None),
        ("a # c", "a", None),
        ("a ! c", "a", None),
        ('a "#x" b # c', 'a "#x" b', None),
        ("a \\# b", "a # b", None),
        ("a \\! b", "a ! b", None),
        ('a "\\#" b', 'a "\\#" b', None),
        ("x \\", "x\\", None),
        ("x # comment \\", "x\\", None),
        ('a "b', 'a "b', 'a "b'),
        ('# "q', "", None),
        ('a \\" b', 'a \\" b', None),
    ],
)
def test_decomment(raw: str, text: str, unterminated: str | None) -> None:
    assert decomment(raw) == (text, unterminated)


def test_unterminated_quote_is_reported() -> None:
    _, diags, _ = run('router_id "abc\n')
    assert [(d.severity, d.message) for d in diags.items] == [
        (Severity.GENERAL_ERROR, "Unterminated quote 'router_id \"abc'")
    ]


# -- braces ------------------------------------------------------------------------------------


def test_brace_splitting() -> None:
    assert texts("a { b }\n") == ["a", "{", "b", "}"]
    assert texts('a "{" { b\n') == ['a "{"', "{", "b"]
    assert texts("}}\n") == ["}", "}"]
    assert texts('a "x { b\n') == ['a "x { b']


def test_text_after_brace_is_a_new_line() -> None:
    assert texts("a { @kpt b }\n") == ["a", "{", "b", "}"]
    assert texts("a { $X=1\n$X\n") == ["a", "{", "1"]


# -- physical lines ----------------------------------------------------------------------------


def test_crlf_and_blank_lines() -> None:
    assert lines("a\r\n\r\n  \nb\r\r\n") == [(1, "a"), (4, "b")]


def test_long_line_is_cut_into_fgets_pieces_and_shifts_later_lines() -> None:
    # keepalived: the 1023-byte piece is line 1, the rest line 3 (its copy gets an extra line).
    long = "bogus_kw_A " + "x" * 1100 + " bogus_kw_B\n"
    got = lines("bogus_kw_1\n" + long + "bogus_kw_2\n")
    assert [(n, t.split()[0][:10]) for n, t in got] == [
        (1, "bogus_kw_1"),
        (1, "bogus_kw_A"),
        (3, "xxxxxxxxxx"),
        (4, "bogus_kw_2"),
    ]


def test_nul_byte_ends_the_line_and_junk_is_harmless() -> None:
    got = lines(b"kw_1\nkw_2\x00 kw_X\nkw_3\n\x00junk\nkw_4 \xff\xfe\n")
    assert [(n, t.split()[0]) for n, t in got] == [(1, "kw_1"), (2, "kw_2"), (3, "kw_3"), (5, "kw_4")]


def test_escaped_comment_chars_at_line_start_become_file_markers() -> None:
    # The copy reader takes "!..." as the end of a file and "# NAME" as the start of file NAME.
    got = run("kw_1\n\\!kw_2\nkw_3\n\\# kw_4\nkw_5\nkw_6 \\# x\n")[0]
    assert got == [
        (CONF, 1, "kw_1"),
        (CONF, 1, "kw_3"),
        ("kw_4", 1, "kw_5"),
        ("kw_4", 2, "kw_6"),
    ]


# -- conditionals ------------------------------------------------------------------------------


def test_conditional_lines() -> None:
    text = "@kpt a\n@^kpt b\n@other c\n@^other d\n@kpt\n"
    assert texts(text) == ["a", "d"]
    assert texts(text, config_id="other") == ["b", "c"]


def test_default_config_id_is_host_name_up_to_dot() -> None:
    host = MemoryHost(files={CONF: b"@node1 yes\n@example no\n${_INSTANCE}\n"}, host_name="node1.example")
    out = read_source(CONF, host, Diagnostics())
    assert [s.text for s in out] == ["yes", "node1"]


# -- definitions -------------------------------------------------------------------------------


def test_definitions() -> None:
    text = "$A=kw_a\n$A\n${A}_x\n$A_x\n$B=${A} y\n$B\n$C =no\n$A,b\n"
    assert texts(text) == ["kw_a", "kw_a_x", "$A_x", "kw_a y", "$C =no", "kw_a,b"]


def test_multiline_definition_locations() -> None:
    text = "$ML= \\\n  one \\\n  two $X \\\n  three\n$X=x\n$ML\n"
    assert lines(text) == [(6, "one"), (6, "two x"), (6, "three")]


def test_multiline_definition_only_at_end_of_line() -> None:
    assert texts("$ML=a \\\nb\n$ML x\n") == ["$ML x"]


def test_comment_line_ends_a_multiline_definition_in_the_copy() -> None:
    text = "$M= \\\n  kw_4 \\\n# comment\n  kw_5\n$M\n"
    assert lines(text) == [(4, "kw_5"), (5, "kw_4")]


def test_predefined_definitions() -> None:
    # the replacement is decommented again, so "#" and "!" start comments
    assert texts("${_HASH}x a\na ${_BANG} b\n${_PWD}\n") == ["a", "/etc/keepalived"]
    host = MemoryHost(files={CONF: b"a ${_PWD}\n"}, cwd="/")
    assert [s.text for s in read_source(CONF, host, Diagnostics())] == ["a /etc/keepalived"]


def test_random_in_range_and_seedable() -> None:
    got = texts("~SEQ(i, 50) ${_RANDOM 3 7}\n")
    assert {int(t) for t in got} <= {3, 4, 5, 6, 7}
    assert got == texts("~SEQ(i, 50) ${_RANDOM 3 7}\n")
    assert 0 <= int(texts("$_RANDOM\n")[0]) <= 32767


def test_env_is_not_predefined_in_2_2_7() -> None:
    assert texts("a ${_ENV HOME}\n") == ["a $", "{", "_ENV HOME", "}"]


def test_self_reference_does_not_hang() -> None:
    got, diags, _ = run("$A=$A\nx $A\n")
    assert got and diags.items[0].severity == Severity.GENERAL_ERROR


# -- ~SEQ / ~LST -------------------------------------------------------------------------------


def test_seq_forms() -> None:
    assert texts("~SEQ(i, 3) s$i\n") == ["s1", "s2", "s3"]
    assert texts("~SEQ(i, 5, -2, 1) t${i}\n") == ["t5", "t3", "t1"]
    assert texts("~SEQ(i, 3, 1) u$i\n") == ["u3", "u2", "u1"]
    assert texts("~SEQ(i, 0) v$i\n") == ["v1", "v0"]
    assert texts("~SEQx(i, 9, 12) h$i\n") == ["h9", "ha", "hb", "hc"]
    assert texts("$N=2\n~SEQ(i, $N) w$i\n") == ["w1", "w2"]
    assert texts("~SEQ(i, 1, 2) ~SEQ(j, 1, 2) n${i}${j}\n") == ["n11", "n12", "n21", "n22"]
    assert texts("$S=~SEQ(k,2) o$k\n$S\n") == ["o1", "o2"]


def test_lst_forms() -> None:
    assert texts("~LST(X, a, b) l$X\n") == ["la", "lb"]
    assert texts("~LST({P,Q}, {1,2}, {3}) m${P}_${Q}\n") == ["m1_2", "m3_"]


def test_seq_lines_take_the_location_of_the_seq_line() -> None:
    assert lines("x\n~SEQ(i, 2) a$i\ny\n") == [(1, "x"), (2, "a1"), (2, "a2"), (3, "y")]


@pytest.mark.parametrize(
    ("line", "messages"),
    [
        ("~SEQ(bad", ["Invalid ~SEQ definition '~SEQ(bad'", "Invalid ~SEQ specification '~SEQ(bad'"]),
        ("~SEQ(i, 1, 0, 3) x", ["Invalid ~SEQ values '~SEQ(i, 1, 0, 3) x'"]),
        ("~SEQx(i, -1, 3) x", ["~SEQx is only valid for positive numbers '~SEQx(i, -1, 3) x'"]),
        ("~LST(a b)", ["Invalid ~LST specification '~LST(a b)'"]),
        ("~LST(X, {1,2})", ["~LST specification has too many values '~LST(X, {1,2})'"]),
    ],
)
def test_seq_errors(line: str, messages: list[str]) -> None:
    _, diags, _ = run(line + "\n")
    got = [d.message for d in diags.items]
    assert got[: len(messages)] == messages
    assert all(d.severity == Severity.GENERAL_ERROR for d in diags.items)


def test_huge_seq_is_capped() -> None:
    got, diags, _ = run("~SEQ(i, 1, 100000000000) x\n")
    assert len(got) <= 200_001
    assert any("~SEQ" in d.message for d in diags.items)


# -- includes ----------------------------------------------------------------------------------


def test_include_relative_to_including_file_and_names() -> None:
    files = {
        "/etc/keepalived/conf.d/a.conf": b"kw_a\ninclude sub/b.conf\nkw_a3\n",
        "/etc/keepalived/conf.d/sub/b.conf": b"kw_b\n",
        "/etc/keepalived/conf.d/c.conf": b"kw_c\n",
    }
    got, diags, _ = run("kw_1\ninclude conf.d/*.conf\nkw_3\n", files)
    assert got == [
        (CONF, 1, "kw_1"),
        ("conf.d/a.conf", 1, "kw_a"),
        ("sub/b.conf", 1, "kw_b"),
        ("conf.d/a.conf", 3, "kw_a3"),
        ("conf.d/c.conf", 1, "kw_c"),
        (CONF, 3, "kw_3"),
    ]
    assert not diags.items


def test_include_braces() -> None:
    files = {"/etc/y.conf": b"kw_y\n"}
    got, diags, _ = run("include /etc/{y,z}.conf\n", files)
    assert [t for _, _, t in got] == ["kw_y"]
    assert [(d.severity, d.message) for d in diags.items] == [
        (Severity.OK, 'Some config files missing: "/etc/{y,z}.conf".')
    ]
    _, diags, state = run("includeb /etc/{y,z}.conf\n", files)
    assert diags.items[0].severity == Severity.FILE_NOT_FOUND and state.config_file_error


def test_expand_braces() -> None:
    assert expand_braces("a{b,c{d,e}}f") == ["abf", "acdf", "acef"]
    assert expand_braces("a{b") == ["a{b"]


@pytest.mark.parametrize(
    ("line", "severity", "message"),
    [
        ("include /etc/none.conf", Severity.OK, "Config files missing '/etc/none.conf'."),
        ("includea /etc/none.conf", Severity.FILE_NOT_FOUND, "Config files missing '/etc/none.conf'."),
        ("includem /nodir/*.conf", Severity.FILE_NOT_FOUND, "Config files missing '/nodir/*.conf'."),
        ("includew /etc/*.nomatch", Severity.FILE_NOT_FOUND, "No config files matched '/etc/*.nomatch'."),
        ("include /etc", Severity.OK, "Configuration file '/etc/' is a directory - skipping"),
        (
            "includer /etc/x.sh",
            Severity.FILE_NOT_FOUND,
            "Configuration file '/etc/x.sh' is not a regular non-executable file - skipping",
        ),
    ],
)
def test_include_errors(line: str, severity: Severity, message: str) -> None:
    host_files = {"/etc/x.sh": b"kw\n"}
    host = MemoryHost(files={CONF: (line + "\n").encode(), **host_files}, modes={"/etc/x.sh": 0o100755})
    diags = Diagnostics()
    state = SourceState()
    assert read_source(CONF, host, diags, SourceOptions("kpt"), state) == []
    assert [(d.severity, d.message) for d in diags.items] == [(severity, message)]
    assert diags.items[0].location is not None and diags.items[0].location.line == 1
    assert state.config_file_error == (severity == Severity.FILE_NOT_FOUND)


def test_plain_include_wildcard_without_match_is_silent() -> None:
    assert run("include /etc/*.nomatch\n")[1].items == []


def test_all_config_and_include_check() -> None:
    _, diags, _ = run("include /etc/none.conf\n", all_config=True)
    assert diags.items[0].severity == Severity.FILE_NOT_FOUND
    _, diags, _ = run("global_defs {\ninclude_check\n}\ninclude /etc/none.conf\n")
    assert diags.items[0].severity == Severity.FILE_NOT_FOUND
    _, diags, _ = run("include_check read +wildcard_match -read bogus\ninclude /etc/*.x\n")
    assert [d.message for d in diags.items] == [
        "Duplicate include_check 'bogus' specified - ignoring",
        "No config files matched '/etc/*.x'.",
    ]


def test_include_check_is_restored_at_end_of_included_file() -> None:
    files = {"/etc/a.conf": b"include_check\n"}
    _, diags, _ = run("include /etc/a.conf\ninclude /etc/none.conf\n", files)
    assert diags.items[0].severity == Severity.OK


def test_include_produced_by_conditional_is_read_again_by_the_copy_reader() -> None:
    files = {"/etc/keepalived/inc/y.conf": b"kw_y1\n# a comment\nkw_y2\n"}
    got = run("kw_1\n@kpt include inc/y.conf\nkw_3\n", files)[0]
    assert got == [
        (CONF, 1, "kw_1"),
        ("inc/y.conf", 1, "kw_y1"),
        ("a comment", 1, "kw_y2"),
        ("inc/y.conf", 1, "kw_y1"),
        ("inc/y.conf", 3, "kw_y2"),
        (CONF, 3, "kw_3"),
    ]


def test_include_loop_is_reported_at_once() -> None:
    """A file including itself, directly or through another, is skipped where it loops.

    keepalived recurses until it runs out of descriptors; with two includes a level the reading
    never ends.  A mutated config of the property tests took 33 s this way before the check."""
    files = {
        "/etc/keepalived/self.conf": b"kw\ninclude self.conf\ninclude self.conf\n",
        "/etc/keepalived/a.conf": b"kw_a\ninclude b.conf\n",
        "/etc/keepalived/b.conf": b"kw_b\ninclude a.conf\n",
    }
    got, diags, state = run("include self.conf\ninclude a.conf\n", files)
    assert [kw for _, _, kw in got] == ["kw", "kw_a", "kw_b"]
    loops = [d for d in diags.items if "includes itself (an include loop)" in d.message]
    assert [d.message.split("'")[1] for d in loops] == ["self.conf", "self.conf", "a.conf"]
    assert loops[-1].hint == "/etc/keepalived/a.conf -> /etc/keepalived/b.conf -> /etc/keepalived/a.conf"
    assert all(d.severity == Severity.OK for d in loops) and not state.config_file_error


def test_include_depth_is_capped() -> None:
    """A chain of distinct files deeper than any real config stops at MAX_INCLUDE_DEPTH."""
    files = {f"/etc/keepalived/d{i}.conf": f"kw{i}\ninclude d{i + 1}.conf\n".encode() for i in range(100)}
    got, diags, state = run("include d0.conf\n", files)
    assert 10 < len(got) < 100
    assert "Too many open files" in diags.items[-1].message and diags.items[-1].hint
    assert diags.items[-1].severity == Severity.OK and not state.config_file_error


def test_include_is_blank_in_copy() -> None:
    _, _, state = run("a # c\ninclude /etc/none.conf\n")
    assert state.copy[:3] == [f"# {CONF}", "a", ""]


# -- main file ---------------------------------------------------------------------------------


def test_missing_main_file() -> None:
    for all_config, severity, status in ((False, Severity.OK, 0), (True, Severity.FILE_NOT_FOUND, 4)):
        diags = Diagnostics()
        with pytest.raises(ConfigError) as exc:
            read_source("/etc/none.conf", MemoryHost(), diags, SourceOptions(all_config=all_config))
        assert exc.value.exit_code == status
        assert [(d.severity, d.message) for d in diags.items] == [
            (severity, "Config files missing '/etc/none.conf'.")
        ]


def test_main_file_glob_with_several_matches() -> None:
    host = MemoryHost(files={"/etc/a.conf": b"kw_a\n", "/etc/b.conf": b"kw_b\n"})
    diags = Diagnostics()
    out = read_source("/etc/*.conf", host, diags)
    assert [(s.location.file, s.text) for s in out] == [("/etc/a.conf", "kw_a"), ("/etc/b.conf", "kw_b")]
    assert diags.items[0].severity == Severity.MULTIPLE_FILES


# -- robustness and speed ----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data: bytes) -> None:
    host = MemoryHost(files={CONF: data, "/etc/keepalived/x.conf": data[:50]})
    read_source(CONF, host, Diagnostics(), SourceOptions("kpt", random_seed=0))


_ALPHABET = st.sampled_from(
    ["$A", "=", "${A}", "\\", "\n", " ", "{", "}", '"', "#", "!", "@kpt ", "@^", "~SEQ(i,", "~LST(", ")",
     ",", "2", "x", "include ", "x.conf", "*", "$_RANDOM", "${_RANDOM 1 9}", "\\#", "\r", "\t"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=60))
def test_random_config_text_never_raises(parts: list[str]) -> None:
    text = "".join(parts)
    host = MemoryHost(files={CONF: text.encode(), "/etc/keepalived/x.conf": text[:40].encode()})
    read_source(CONF, host, Diagnostics(), SourceOptions("kpt", random_seed=0))


def test_big_config_reads_every_line() -> None:
    # Speed is measured by benchmarks/config_parse.py, never asserted here.
    block = (
        "vrrp_instance VI_1 {\n state BACKUP\n interface eth0 # c\n virtual_ipaddress {\n"
        '  192.0.2.1/24\n }\n notify "/bin/true a"\n! x\n\n}\n'
    )
    host = MemoryHost(files={CONF: (block * 3100).encode()})
    lines = read_source(CONF, host, Diagnostics())
    # Per block: "vrrp_instance VI_1", "{", 2 keywords, "virtual_ipaddress", "{", address, "}",
    # notify, "}" -> 10 logical lines.
    assert len(lines) == 31_000
    assert lines[-1].location.line == 31_000  # the last "}" is the file's last line


def test_file_including_itself_twice_stops_with_an_error() -> None:
    """Two self-includes per file would double at every nesting level: each is refused at once."""
    from tests.configtest import parse_text

    text = "include /etc/keepalived/keepalived.conf\ninclude /etc/keepalived/keepalived.conf\n"
    r = parse_text(text, validate=False)
    loops = [d for d in r.diags.items if "includes itself (an include loop)" in d.message]
    assert [d.location.line for d in loops if d.location] == [1, 2]
