"""Script security as keepalived 2.2.7 ``-t`` judges it (exit status 6 and its messages).

Each case was run with the real keepalived in a namespace (no keepalived_script user, root
running it); the in-memory host reproduces that machine.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest

from keepalived_py.config.host import FileInfo, MemoryHost, UserInfo
from keepalived_py.config.validate.global_defs import ScriptFlags, check_script_secure
from tests.configtest import parse_text

D = "/opt/scripts"
INSTANCE = """vrrp_instance VI_1 {{
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {{
    192.0.2.10/24
  }}
{body}
}}
"""
VIOLATION = "SECURITY VIOLATION - scripts are being executed but script_security not enabled."


def host() -> MemoryHost:
    h = MemoryHost()
    h.files["/bin/true"] = b"\x7fELF"
    h.modes["/bin/true"] = 0o100755
    h.files[f"{D}/ok.sh"] = b"#!/bin/sh\n"
    h.modes[f"{D}/ok.sh"] = 0o100755
    h.files[f"{D}/ww.sh"] = b"#!/bin/sh\n"
    h.modes[f"{D}/ww.sh"] = 0o100777
    h.files[f"{D}/noexec.sh"] = b"#!/bin/sh\n"
    h.modes[f"{D}/noexec.sh"] = 0o100644
    return h


def run(
    global_lines: str, body: str = "", top: str = "", h: MemoryHost | None = None
) -> tuple[int, list[str]]:
    text = f"global_defs {{\n{global_lines}\n}}\n{top}\n" + INSTANCE.format(body=body)
    r = parse_text(text, host=h or host())
    rc = r.fatal_exit if r.fatal_exit is not None else r.diags.test_exit_code()
    shown = [d.message for d in r.diags.items if d.severity]
    return rc, shown


SEC = "enable_script_security\nscript_user root"


@pytest.mark.parametrize(
    ("glob", "body", "rc", "shown"),
    [
        ("", "notify_master /bin/true", 6, [VIOLATION]),
        (
            "enable_script_security",
            "notify_master /bin/true",
            5,
            ["Unable to set default user keepalived_script for script"],
        ),
        (SEC, "notify_master /bin/true", 0, []),
        ("", f"notify_master {D}/nonexist.sh", 0, []),
        (SEC, f"notify_master {D}/nonexist.sh", 0, []),
        ("", f"notify_master {D}/noexec.sh", 6, [VIOLATION]),
        (SEC, f"notify_master {D}/noexec.sh", 0, []),
        ("", f"notify_master {D}/ww.sh", 6, [VIOLATION + " There are insecure scripts."]),
        (SEC, f"notify_master {D}/ww.sh", 0, []),
        ("script_user nosuchuser", "notify_master /bin/true", 5, ["Error setting global script uid/gid"]),
        ("", "notify_master true", 6, [VIOLATION]),
        ("", "notify_master nosuchcmd", 0, []),
        ("", 'notify_master "</etc/passwd"', 0, []),
        # A failed script_user is sticky: a later good one does not undo it.
        ("script_user root\nscript_user nosuch\nscript_user root", "notify_master /bin/true", 5, []),
    ],
)
def test_notify_script_verdicts(glob: str, body: str, rc: int, shown: list[str]) -> None:
    got_rc, got = run(glob, body)
    assert got_rc == rc
    if shown:
        assert got == shown


def test_untracked_vrrp_script_is_checked() -> None:
    rc, shown = run("", top="vrrp_script chk {\n script /bin/true\n}\n")
    assert (rc, shown) == (6, [VIOLATION])


def test_vrrp_script_needs_default_user_under_security() -> None:
    rc, shown = run("enable_script_security", top="vrrp_script chk {\n script /bin/true\n}\n")
    assert rc == 5
    assert shown == [
        "Unable to set default user keepalived_script for script",
        "Unable to set default user for vrrp script chk - removing",
    ]


def test_vrrp_script_user_keyword() -> None:
    rc, shown = run("enable_script_security", top="vrrp_script chk {\n script /bin/true\n user root\n}\n")
    assert (rc, shown) == (0, [])


def test_insecure_track_script_disabled() -> None:
    rc, shown = run(SEC, top=f"vrrp_script chk {{\n script {D}/ww.sh\n}}\n")
    assert (rc, shown) == (5, ["Disabling track script chk due to insecure"])
    rc, shown = run(SEC, top=f"vrrp_script chk {{\n script {D}/none\n}}\n")
    assert (rc, shown) == (5, ["Disabling track script chk since not found/accessible"])


def test_no_vrrp_instance_no_vrrp_check() -> None:
    r = parse_text("vrrp_script chk {\n script /bin/true\n}\n", host=host())
    assert r.diags.test_exit_code() == 0


def test_start_shutdown_scripts() -> None:
    r = parse_text(
        "global_defs {\n startup_script /bin/true\n notify_fifo_script /bin/true\n}\n", host=host()
    )
    shown = [d.message for d in r.diags.items if d.severity]
    assert shown == [
        "SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled."
    ]
    assert r.diags.test_exit_code() == 6
    assert r.config is not None and r.config.global_defs.startup_script_timeout == 10


def test_notify_fifo_script_checked_by_vrrp() -> None:
    rc, shown = run("notify_fifo /tmp/f\nnotify_fifo_script /bin/true")
    assert (rc, shown) == (6, [VIOLATION])


def test_script_before_script_user_keeps_running_user() -> None:
    h = host()
    h.users["nobody"] = UserInfo("nobody", 65534, 65534)
    r = parse_text("global_defs {\n startup_script /bin/true\n script_user nobody\n}\n", host=h)
    assert r.config is not None
    run_ = r.config.global_defs.startup_script
    assert run_ is not None and (run_.uid, run_.gid) == (0, 0)


def test_keepalived_script_user_is_the_default() -> None:
    h = host()
    h.users["keepalived_script"] = UserInfo("keepalived_script", 990, 990)
    rc, shown = run("enable_script_security", "notify_master /bin/true", h=h)
    assert (rc, shown) == (0, [])


class OwnedHost(MemoryHost):
    """Files owned by someone else than root."""

    owners: ClassVar[dict[str, tuple[int, int]]] = {}

    def stat(self, path: str) -> FileInfo | None:
        info = super().stat(path)
        if info is not None and path in self.owners:
            uid, gid = self.owners[path]
            info = dataclasses.replace(info, uid=uid, gid=gid)
        return info


def test_non_root_owned_directory_is_insecure() -> None:
    h = OwnedHost(**{f.name: getattr(host(), f.name) for f in dataclasses.fields(MemoryHost)})
    h.owners = {D: (1000, 1000)}
    logs: list[str] = []
    flags = check_script_secure(h, f"{D}/ok.sh", 0, 0, True, logs.append)
    assert flags & ScriptFlags.INSECURE and flags & ScriptFlags.INHIBIT
    assert logs == [f"Unsafe permissions found for script '{D}/ok.sh' - disabling."]


def test_group_writable_with_root_group_is_secure() -> None:
    h = host()
    h.modes[f"{D}/ok.sh"] = 0o100775
    assert check_script_secure(h, f"{D}/ok.sh", 0, 0, True, lambda m: None) == (
        ScriptFlags.ISSCRIPT | ScriptFlags.EXECUTABLE
    )


def test_non_root_user_script_needs_no_path_protection() -> None:
    h = host()
    flags = check_script_secure(h, f"{D}/ww.sh", 1000, 1000, True, lambda m: None)
    assert flags == ScriptFlags.ISSCRIPT | ScriptFlags.EXECUTABLE
