"""Where the daemon runs: its network namespace, its pid files and its syslog ident.

keepalived can run inside a named network namespace (``-s NAME`` or ``net_namespace NAME``) and
as a named instance (``instance NAME``).  Either moves its pid files into ``/run/keepalived/``
(``use_pid_dir`` asks for that too), adds ``_INSTANCE`` to their names, and adds ``_NAMESPACE``
and ``_INSTANCE`` to the syslog ident, so that several keepalived daemons can run on one host.
keepalived enters the namespace before it forks, and bind-mounts ``/run/keepalived/NAMESPACE``
on ``/run/keepalived`` in a private mount namespace; keepalived-py writes the files directly in
``/run/keepalived/NAMESPACE``, which is the same place seen from the host.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

NETNS_DIR = "/var/run/netns/"
RUN_DIR = "/run"
PID_DIR = "/run/keepalived"
CLONE_NEWNET = 0x40000000


@dataclass(frozen=True, slots=True)
class PidPaths:
    main: str
    vrrp: str
    checkers: str
    # the directory keepalived-py created for them (removed at exit when empty), if any
    directory: str | None = None


def pid_paths(
    *,
    main: str | None,
    vrrp: str | None,
    checkers: str | None,
    namespace: str | None,
    instance: str | None,
    use_pid_dir: bool,
) -> PidPaths:
    """keepalived's pid file names: the given ones, else derived as keepalived's main.c does."""
    in_dir = use_pid_dir or namespace is not None or instance is not None
    directory = f"{PID_DIR}/{namespace}" if namespace else PID_DIR

    def name(base: str, given: str | None) -> str:
        if given:
            return given
        if not in_dir:
            return f"{RUN_DIR}/{base}.pid"
        suffix = f"_{instance}" if instance else ""
        return f"{directory}/{base}{suffix}.pid"

    return PidPaths(
        main=name("keepalived", main),
        vrrp=name("vrrp", vrrp),
        checkers=name("checkers", checkers),
        directory=directory if in_dir else None,
    )


def syslog_ident(base: str, *, namespace: str | None, instance: str | None) -> str:
    """keepalived's make_syslog_ident: ``Keepalived_vrrp_NS_INSTANCE``."""
    parts = [base]
    if namespace:
        parts.append(namespace)
    if instance:
        parts.append(instance)
    return "_".join(parts)


def enter_network_namespace(name: str) -> None:
    """Move this (single-threaded) process into ``/var/run/netns/NAME``; OSError if it cannot."""
    path = NETNS_DIR + name
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns() failed with error {err}")
    finally:
        os.close(fd)


def make_pid_dir(paths: PidPaths) -> None:
    if paths.directory:
        os.makedirs(paths.directory, mode=0o755, exist_ok=True)


def remove_pid_dir(paths: PidPaths) -> None:
    """keepalived removes its pid directory at exit unless something else is in it."""
    if paths.directory:
        for directory in (paths.directory, PID_DIR):
            try:
                os.rmdir(directory)
            except OSError:
                break


def dump_file_name(name: str, *, namespace: str | None, instance: str | None) -> str:
    """keepalived's open_dump_file: ``keepalived.data`` becomes ``keepalived.NS_INSTANCE.data``
    for a daemon in a namespace or a named instance, so that several can dump in one $TMPDIR."""
    if not namespace and not instance:
        return name
    base, dot, ext = name.rpartition(".")
    tag = "_".join(part for part in (namespace, instance) if part)
    return f"{base}.{tag}{dot}{ext}"
