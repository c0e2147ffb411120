"""No input makes the config loader raise: it always answers with a LoadResult.

keepalived copes with any file (it reports and goes on, or exits with a status); a Python
traceback would be a crash where keepalived gives a verdict.  These properties feed the loader
random text, random bytes and mutations of valid configs from the parity corpus.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepalived_py.config.host import MemoryHost
from keepalived_py.config.loader import LoadOptions, LoadResult, load
from tests.configtest import CONF, parse_text

REPO = Path(__file__).resolve().parent.parent.parent
CONFIGS = REPO / "tests" / "parity" / "configs"

# Valid (or nearly valid) configs that cover most block kinds; mutations start from these.
SEEDS = [
    "vi_full.conf",
    "vi_unicast.conf",
    "sync_group.conf",
    "gd_many.conf",
    "static_all.conf",
    "track_group_garp.conf",
    "vs_ip_port.conf",
    "vs_group.conf",
    "rs_http_get.conf",
    "rs_smtp_misc.conf",
    "rs_file_bfd_check.conf",
    "bfd_instance.conf",
    "track_process.conf",
    "pp_define_multiline.conf",
    "pp_seq.conf",
    "pp_lst.conf",
    "pp_config_id_node1.conf",
    "pp_quotes.conf",
]
SEED_TEXTS = [(CONFIGS / name).read_bytes().decode("latin-1") for name in SEEDS]

# Words that stress the pre-processor and the dispatcher when dropped anywhere.
JUNK = [
    "{",
    "}",
    "{ }",
    '"',
    "'",
    '"a b',
    "#",
    "!",
    "\\",
    "\\#",
    "junk",
    "priority",
    "virtual_ipaddress {",
    "vrrp_instance X {",
    "real_server 198.51.100.1 80 {",
    "url {",
    "$X=",
    "$X= \\",
    "$X",
    "${X}",
    "${_RANDOM 1 x}",
    "$Y=a${Y}",
    "${Y}",
    "@",
    "@node1",
    "@^",
    "~SEQ(",
    "~SEQ(I, 1, 3)",
    "~SEQ(I, 1, 0, 3)",
    "~LST(",
    "~LST({A,B},{1})",
    "include",
    "include /etc/keepalived/keepalived.conf",
    "include *",
    "includea /nonexistent/*.conf",
    "\x00",
    "\r",
    "\t",
    "-1",
    "99999999999999999999",
    "1e400",
    "nan",
    "0x",
    "192.0.2.1/99",
    "2001:db8:::1",
]

FAST = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _check(result: LoadResult) -> None:
    assert isinstance(result, LoadResult)
    # The verdict itself must be computable too.
    code = result.fatal_exit if result.fatal_exit is not None else result.diags.test_exit_code()
    assert code in {0, 1, 2, 3, 4, 5, 6}
    for diag in result.diags.items:
        diag.render()


def _load_bytes(data: bytes, config_id: str | None = None) -> LoadResult:
    host = MemoryHost()
    host.files[CONF] = data
    return load(CONF, host, LoadOptions(config_id=config_id, test_mode=True))


@FAST
@given(st.text(max_size=2000))
def test_random_text_never_raises(text: str) -> None:
    _check(parse_text(text))


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    _check(_load_bytes(data))


@FAST
@given(
    st.lists(st.sampled_from(JUNK), max_size=60), st.lists(st.sampled_from([" ", "\n", "\t"]), max_size=60)
)
def test_junk_word_soup_never_raises(words: list[str], seps: list[str]) -> None:
    text = "".join(w + (seps[i] if i < len(seps) else " ") for i, w in enumerate(words))
    _check(parse_text(text, config_id="node1"))


@st.composite
def mutated_config(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SEED_TEXTS)).split("\n")
    for _ in range(draw(st.integers(1, 5))):
        if not lines:
            lines = [""]
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "glue", "truncate"]))
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "insert":
            lines.insert(i, draw(st.sampled_from(JUNK)))
        elif kind == "glue":
            line = lines[i]
            pos = draw(st.integers(0, len(line)))
            lines[i] = line[:pos] + draw(st.sampled_from(JUNK)) + line[pos:]
        else:
            text = "\n".join(lines)
            cut = draw(st.integers(0, len(text)))
            lines = text[:cut].split("\n")
    return "\n".join(lines)


@FAST
@given(mutated_config())
def test_mutated_valid_configs_never_raise(text: str) -> None:
    _check(parse_text(text, config_id="node1"))


def test_seed_configs_load_cleanly() -> None:
    for text in SEED_TEXTS:
        _check(parse_text(text, config_id="node1"))


def test_self_doubling_definition_terminates() -> None:
    """keepalived 2.2.7 loops for ever on this; we must stop (with a diagnostic) in bounded time.

    Runs in a child process: the expansion can sit inside one C-level string operation, where
    no signal handler gets a chance to interrupt it."""
    code = (
        "from tests.configtest import parse_text\n"
        "r = parse_text('$Y=${Y}${Y}\\n${Y}\\n')\n"
        "print(r.diags.test_exit_code())\n"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=6,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    except subprocess.TimeoutExpired:
        pytest.fail("source.py expands a self-doubling definition ($Y=${Y}${Y}) without bound")
    assert proc.returncode == 0, proc.stderr[-2000:]
