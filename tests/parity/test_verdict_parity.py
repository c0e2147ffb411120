"""Verdict parity: ``keepalived-py -t`` judges every corpus config as keepalived 2.2.7's ``-t`` does.

For each config both programs run inside one throw-away network namespace (lo, eth0, eth1), and
must agree on (a) the exit status and (b) the set of ``(line, keyword)`` of their
"Unknown keyword 'X'" lines (keepalived prints some several times, and names the file only
sometimes, so sets of line and keyword are compared).  All configs run in parallel once per
session; the agreement figure and every disagreement go to ``SUMMARY_FILE`` and the terminal summary.
"""

from __future__ import annotations

import dataclasses
import fcntl
import ipaddress
import json
import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.netns_util import Netns, RunResult, netns, root_available
from tests.parity import corpus

SUMMARY_DIR = Path(tempfile.gettempdir()) / "keepalived-py-parity"
SUMMARY_FILE = SUMMARY_DIR / "summary.txt"
TIMEOUT = 30.0
MAX_SHOWN_LINES = 40

UNKNOWN_RE = re.compile(r"^\((?:.*: )?Line (\d+)\) Unknown keyword '(.*)'$")

ENTRIES = corpus.entries()


def unknown_keywords(stderr: str) -> frozenset[tuple[int, str]]:
    found = set()
    for line in stderr.splitlines():
        m = UNKNOWN_RE.match(line.rstrip("\r"))
        if m:
            found.add((int(m.group(1)), m.group(2)))
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class Side:
    run: RunResult

    @property
    def unknown(self) -> frozenset[tuple[int, str]]:
        return unknown_keywords(self.run.stderr)


@dataclass(frozen=True, slots=True)
class Outcome:
    entry: corpus.Entry
    ka: Side
    py: Side

    @property
    def reasons(self) -> list[str]:
        why = []
        if self.py.run.timed_out or self.ka.run.timed_out:
            why.append("timed out")
        if self.ka.run.returncode != self.py.run.returncode:
            ka_rc, py_rc = self.ka.run.returncode, self.py.run.returncode
            why.append(f"exit status keepalived={ka_rc} keepalived-py={py_rc}")
        only_ka = sorted(self.ka.unknown - self.py.unknown)
        only_py = sorted(self.py.unknown - self.ka.unknown)
        if only_ka:
            why.append(f"unknown keywords only keepalived reports: {_pairs(only_ka)}")
        if only_py:
            why.append(f"unknown keywords only keepalived-py reports: {_pairs(only_py)}")
        return why

    @property
    def agree(self) -> bool:
        return not self.reasons

    def report(self) -> str:
        args = " ".join(self.entry.args)
        parts = [f"== {self.entry.id} ({self.entry.path}{' ' + args if args else ''})"]
        parts += [f"   {r}" for r in self.reasons]
        for title, side in (("keepalived", self.ka), ("keepalived-py", self.py)):
            parts.append(f"   --- {title} -t: exit {side.run.returncode}, stderr:")
            lines = side.run.stderr.splitlines()
            parts += [f"   | {_short(line, 300)}" for line in lines[:MAX_SHOWN_LINES]]
            if len(lines) > MAX_SHOWN_LINES:
                parts.append(f"   | ... ({len(lines) - MAX_SHOWN_LINES} more lines)")
        return "\n".join(parts)


def _pairs(pairs: list[tuple[int, str]]) -> str:
    shown = ", ".join(f"line {n} '{_short(k)}'" for n, k in pairs[:8])
    return shown + (f" (+{len(pairs) - 8} more)" if len(pairs) > 8 else "")


# Both programs get the same, fixed PATH: bare script names resolve the same way on any machine.
FIXED_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "KEEPALIVED"))}
    env["PATH"] = FIXED_PATH
    env["LC_ALL"] = "C"
    return env


def _short(word: str, limit: int = 60) -> str:
    return word if len(word) <= limit else f"{word[:limit]}...({len(word)} chars)"


def _python_env() -> dict[str, str]:
    env = _base_env()
    env["PYTHONPATH"] = str(corpus.REPO)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run_entry(ns: Netns, keepalived: str, entry: corpus.Entry, cwd: str) -> Outcome:
    test_args = ["-t", "-f", entry.path, *entry.args]
    ka = ns.run([keepalived, *test_args], timeout=TIMEOUT, cwd=cwd, env=_base_env())
    py = ns.run(
        [sys.executable, "-m", "keepalived_py", *test_args], timeout=TIMEOUT, cwd=cwd, env=_python_env()
    )
    return Outcome(entry, Side(ka), Side(py))


def write_summary(outcomes: list[Outcome]) -> str:
    bad = [o for o in outcomes if not o.agree]
    head = f"verdict parity: {len(outcomes) - len(bad)}/{len(outcomes)} configs agree"
    lines = [head]
    lines += [f"  DISAGREE {o.entry.id}: {'; '.join(o.reasons)}" for o in bad]
    details = "\n\n".join(o.report() for o in bad)
    SUMMARY_DIR.mkdir(parents=True, exist_ok=True)
    SUMMARY_FILE.write_text("\n".join(lines) + "\n\n" + details + "\n")
    return "\n".join(lines)


# Read by tests/parity/conftest.py's terminal summary (without xdist; with it, the file is read).
LAST_SUMMARY: list[str] = []


def _run_all(keepalived: str) -> list[Outcome]:
    with netns() as ns, tempfile.TemporaryDirectory(prefix="kpy-parity-") as cwd:
        workers = max(4, 2 * (os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda e: _run_entry(ns, keepalived, e, cwd), ENTRIES))


def _encode(outcomes: list[Outcome]) -> str:
    runs = {o.entry.id: [dataclasses.asdict(o.ka.run), dataclasses.asdict(o.py.run)] for o in outcomes}
    return json.dumps(runs)


def _decode(text: str) -> list[Outcome]:
    data = json.loads(text)

    def run(d: dict[str, Any]) -> RunResult:
        return RunResult(**{**d, "argv": tuple(d["argv"])})

    return [Outcome(e, Side(run(data[e.id][0])), Side(run(data[e.id][1]))) for e in ENTRIES]


def _shared_outcomes(keepalived: str, tmp_path_factory: pytest.TempPathFactory) -> list[Outcome]:
    """Run the corpus once per pytest run: under xdist the first worker runs it, the others read it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _run_all(keepalived)
    shared = tmp_path_factory.getbasetemp().parent
    with open(shared / "parity.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cache = shared / "parity.json"
        if cache.is_file():
            return _decode(cache.read_text())
        outcomes = _run_all(keepalived)
        cache.write_text(_encode(outcomes))
        return outcomes


@pytest.fixture(scope="module")
def parity_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    reason = root_available()
    if reason:
        pytest.skip(f"verdict parity {reason}")
    keepalived = shutil.which("keepalived", path=FIXED_PATH)
    if keepalived is None:
        pytest.skip("verdict parity needs the real keepalived binary (apt-get install keepalived)")
    outcomes = _shared_outcomes(keepalived, tmp_path_factory)
    LAST_SUMMARY[:] = [write_summary(outcomes), f"details: {SUMMARY_FILE}"]
    return {o.entry.id: o for o in outcomes}


@pytest.mark.root
@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_verdict_parity(entry: corpus.Entry, parity_results: dict[str, Outcome]) -> None:
    outcome = parity_results[entry.id]
    if not outcome.agree:
        pytest.fail("keepalived and keepalived-py disagree:\n" + outcome.report(), pytrace=False)


# ---- corpus shape (no root needed) --------------------------------------------------------------

DOC_NETS = [
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
# Besides documentation ranges: netmasks, wildcards, loopback, multicast groups and link-local
# addresses (VRRP needs them; they never leave the namespace).
ALLOWED_OTHER = re.compile(r"^(255\.[0-9.]+|0\.0\.0\.0|::)$")
ADDR_RE = re.compile(
    r"(?<![\w.:])(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7})(?![\w.:])"
)


def test_corpus_shape() -> None:
    files = corpus.crafted()
    assert len(files) >= 70
    ids = [e.id for e in ENTRIES]
    assert not [i for i in ids if "/inc/" in i]
    for path in files:
        data = Path(path).read_bytes().decode("latin-1")
        assert data.lstrip().startswith(("#", "!")), f"{path}: first line must say what it exercises"


def test_corpus_uses_documentation_addresses_only() -> None:
    files = corpus.crafted() + sorted(str(p) for p in (corpus.CRAFTED_DIR / "inc").rglob("*") if p.is_file())
    offenders = []
    for path in files:
        for n, line in enumerate(Path(path).read_bytes().decode("latin-1").splitlines(), 1):
            for token in ADDR_RE.findall(line):
                try:
                    addr = ipaddress.ip_address(token)
                except ValueError:
                    continue
                if (
                    ALLOWED_OTHER.match(token)
                    or addr.is_multicast
                    or addr.is_link_local
                    or addr.is_loopback
                    or any(addr in net for net in DOC_NETS)
                ):
                    continue
                offenders.append(f"{path}:{n}: {token}")
    assert not offenders, "\n".join(offenders)
