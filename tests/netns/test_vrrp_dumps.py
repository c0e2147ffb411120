"""SIGUSR1 / SIGRTMIN+2 dumps of a running keepalived-py, line by line against keepalived 2.2.7's.

Both daemons run the same config in two nodes of a lab (keepalived the master, keepalived-py the
backup, then the roles swapped); each writes its files in its own $TMPDIR.  The lines are compared
after the facts that differ between two machines are masked: times, file descriptors, the node's
addresses and MAC, the router id, the master's address.
"""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Callable

import pytest

from tests.netns.lab import Lab, Proc, wait_until
from tests.netns.vrrp_lab import (
    VIP,
    keepalived_available,
    start_keepalived,
    start_kpy_argv,
    vrrp_config,
    write_config,
)

pytestmark = pytest.mark.root

SIG_JSON = signal.SIGRTMIN + 2
_MASKS = [
    (re.compile(r"\d{10}\.\d{6} \(.*\)"), "<time>"),
    (re.compile(r"fd_in \d+, fd_out \d+"), "fd_in N, fd_out N"),
    (re.compile(r"fd_in \d+ fd_out = \d+"), "fd_in N fd_out = N"),
    (re.compile(r"Master down timer = \d+"), "Master down timer = N"),
    (re.compile(r"192\.0\.2\.[12]\b"), "<node>"),
    (re.compile(r"([0-9a-f]{2}:){5}[0-9a-f]{2}"), "<mac>"),
    (re.compile(r"fe80::[0-9a-f:]+"), "<ll>"),
    (re.compile(r"Router ID = .*"), "Router ID = <id>"),
    (re.compile(r"index = \d+"), "index = N"),
]


def _masked(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        for pattern, repl in _MASKS:
            line = pattern.sub(repl, line)
        lines.append(line)
    return lines


def _dump(proc: Proc, tmpdir: str, sig: int, name: str) -> str:
    path = os.path.join(tmpdir, name)
    if os.path.exists(path):
        os.unlink(path)
    proc.send_signal(sig)
    # the file is complete once its last line is written (both daemons end it with a newline)
    return wait_until(lambda: (text := _read(path)).endswith("\n") and text, timeout=10, what=name)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def test_data_and_json_dumps_match_keepalived(make_lab: Callable[..., Lab]) -> None:
    reason = keepalived_available()
    if reason:
        pytest.skip(reason)
    the_lab = make_lab(2)
    n1, n2 = the_lab.node(1), the_lab.node(2)
    dirs = {}
    for node in (n1, n2):
        dirs[node.index] = os.path.join(the_lab.tmpdir, f"tmp{node.index}")
        os.mkdir(dirs[node.index])
    ka = start_keepalived(
        n1, write_config(n1, vrrp_config(priority=150)), env={**os.environ, "TMPDIR": dirs[1]}
    )
    kpy = n2.start(
        start_kpy_argv(n2, write_config(n2, vrrp_config(priority=150))),
        env={**os.environ, "TMPDIR": dirs[2]},
        label="keepalived-py",
    )
    # equal priorities: whichever is master first stays master; the comparison is role-free
    the_lab.wait_holders(VIP, lambda h: len(h) == 1, timeout=10, what="one master")
    wait_until(lambda: "Entering BACKUP STATE (init)" in kpy.output(), timeout=10)
    ka_data = _role_free(_masked(_dump(ka, dirs[1], signal.SIGUSR1, "keepalived.data")))
    kpy_data = _role_free(_masked(_dump(kpy, dirs[2], signal.SIGUSR1, "keepalived.data")))
    assert kpy_data == ka_data
    # the parents write theirs on the same SIGUSR1
    ka_parent = _read(os.path.join(dirs[1], "keepalived_parent.data"))
    kpy_parent = _read(os.path.join(dirs[2], "keepalived_parent.data"))
    assert _masked(kpy_parent) == _masked(ka_parent)
    ka_json = json.loads(_dump(ka, dirs[1], SIG_JSON, "keepalived.json"))
    kpy_json = json.loads(_dump(kpy, dirs[2], SIG_JSON, "keepalived.json"))
    assert list(kpy_json[0]["data"]) == list(ka_json[0]["data"])
    assert list(kpy_json[0]["stats"]) == list(ka_json[0]["stats"])
    assert sorted([kpy_json[0]["data"]["state"], ka_json[0]["data"]["state"]]) == [1, 2]
    for key in ("vrid", "base_priority", "adver_int", "garp_delay", "accept", "version", "ifp_ifname"):
        assert kpy_json[0]["data"][key] == ka_json[0]["data"][key], key


# lines that say which of the two is the master
_ROLE = ("State = ", "Wantstate = ", "Master router = ", "Master priority = ")


def _role_free(lines: list[str]) -> list[str]:
    return [line.removesuffix(" set") for line in lines if not line.strip().startswith(_ROLE)]
