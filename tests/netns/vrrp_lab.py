"""VRRP daemons in a lab (tests/netns/lab.py): config files, keepalived-py and keepalived 2.2.7.

``vrrp_config()`` writes one vrrp_instance the way both daemons read it; ``start_kpy()`` and
``start_keepalived()`` run a daemon in the foreground in a node with its pid files in the lab's
temporary directory, logging to the console (captured in the process log), never to syslog.
"""

from __future__ import annotations

import os
import shutil
import sys

from tests.netns.lab import Node, Proc

KEEPALIVED = shutil.which("keepalived") or "/usr/sbin/keepalived"
VIP = "192.0.2.100"
VIP6 = "2001:db8::100"


def keepalived_available() -> str | None:
    """None when the real keepalived can be run here, else why not."""
    if not os.access(KEEPALIVED, os.X_OK):
        return "needs keepalived 2.2.7 (Debian's package)"
    return None


def vrrp_config(
    *,
    priority: int,
    state: str = "BACKUP",
    vrid: int = 51,
    advert_int: str = "1",
    vips: tuple[str, ...] = (f"{VIP}/24",),
    version: int | None = None,
    name: str = "VI_1",
    extra: str = "",
    global_extra: str = "",
) -> str:
    lines = [
        "global_defs {",
        "    router_id kpy_lab",
        *(f"    {line}" for line in global_extra.splitlines() if line.strip()),
        "}",
        f"vrrp_instance {name} {{",
        f"    state {state}",
        "    interface eth0",
        f"    virtual_router_id {vrid}",
        f"    priority {priority}",
        f"    advert_int {advert_int}",
    ]
    if version is not None:
        lines.append(f"    version {version}")
    lines += [f"    {line}" for line in extra.splitlines() if line.strip()]
    lines += ["    virtual_ipaddress {", *(f"        {v}" for v in vips), "    }", "}", ""]
    return "\n".join(lines)


def write_config(node: Node, text: str, name: str = "keepalived.conf") -> str:
    path = node.path(name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def start_kpy(node: Node, config: str, *, detail: bool = True) -> Proc:
    return node.start(start_kpy_argv(node, config, detail=detail), label="keepalived-py")


def start_kpy_argv(node: Node, config: str, *, detail: bool = True) -> list[str]:
    """The command line start_kpy() runs (pid files in the lab, console log, no syslog)."""
    argv = [
        sys.executable,
        "-m",
        "keepalived_py",
        "-P",
        "-n",
        "-l",
        "-G",
        "-f",
        config,
        "-p",
        node.path("kpy.pid"),
        "-r",
        node.path("kpy-vrrp.pid"),
    ]
    if detail:
        argv.append("-D")
    return argv


def start_keepalived(
    node: Node, config: str, *, detail: bool = True, env: dict[str, str] | None = None
) -> Proc:
    argv = [
        KEEPALIVED,
        "-P",
        "-n",
        "-l",
        "-G",
        "-f",
        config,
        "-p",
        node.path("ka.pid"),
        "-r",
        node.path("ka-vrrp.pid"),
        "-c",
        node.path("ka-checkers.pid"),
    ]
    if detail:
        argv.append("-D")
    return node.start(argv, env=env, label="keepalived")


# Waits for the FIFO to appear, then appends each line read to the record until end of file.
_FIFO_READER = r"""
import os, sys, time
fifo, record = sys.argv[1], sys.argv[2]
end = time.monotonic() + 30
while not os.path.exists(fifo):
    if time.monotonic() > end:
        sys.exit("no fifo")
    time.sleep(0.01)
with open(fifo, "rb", buffering=0) as f, open(record, "ab", buffering=0) as out:
    for line in f:
        out.write(line)
"""


def start_fifo_reader(node: Node, fifo: str, record: str) -> Proc:
    """A reader of a notify FIFO in ``node`` that keeps every line it reads in ``record``.

    It is started before the daemon, which creates the FIFO, so no line written at start-up is
    missed; it ends when the daemon closes the FIFO."""
    return node.start([sys.executable, "-c", _FIFO_READER, fifo, record], label="reader")


def notify_recorder(node: Node) -> tuple[str, str]:
    """A notify script appending its arguments, one call a line, to a record in ``node``'s
    directory; returns (script path, record path)."""
    record = node.path("notify.log")
    path = node.path("notify.sh")
    with open(path, "w", encoding="ascii") as f:
        f.write(f'#!/bin/sh\necho "$*" >> {record}\n')
    os.chmod(path, 0o755)
    return path, record


def flag_check_script(node: Node) -> tuple[str, str]:
    """A track script that fails while ``<node dir>/down`` exists; returns (script path, flag path)."""
    flag = node.path("down")
    path = node.path("check.sh")
    with open(path, "w", encoding="ascii") as f:
        f.write(f"#!/bin/sh\ntest ! -e '{flag}'\n")
    os.chmod(path, 0o755)
    return path, flag


def record_lines(path: str) -> list[str]:
    """The lines of a record written by a notify script or a FIFO reader (none before it exists)."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []
