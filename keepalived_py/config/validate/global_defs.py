"""Checks keepalived makes on global_defs: the script user and script security.

keepalived ``-t`` parses the file in its parent process (global_defs), then once more for each
child process (checker, vrrp, bfd), and each of them checks the security of the scripts *it*
would run.  So:

* the start/shutdown scripts are checked by the parent ("start/shutdown scripts ...");
* the checker checks its scripts only if a virtual server with real servers survives its
  validation ("check scripts ..."), and the vrrp process only if there is a vrrp instance
  ("scripts ...") - it then checks every vrrp_script, tracked or not;
* the global notify_fifo script is checked by both children, the vrrp/lvs ones by their own.

A script that runs as root (or as a set-uid/gid root file) must have no non-root-writable
part in its path.  Without ``enable_script_security`` any script found is a
``SECURITY VIOLATION`` (exit status 6); with it, insecure scripts are disabled instead.

The default script user (``script_user``, else ``keepalived_script``, else the running user)
is resolved lazily, once per run, exactly as keepalived does: the global_defs handlers resolve
it for the scripts of global_defs (state kept in ``GlobalDefs.default_script_user``) and this
module continues from there for the scripts of the child processes, which keepalived parses
after the whole of global_defs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntFlag
from typing import Any

from keepalived_py.config.errors import ConfigError, Location, Severity
from keepalived_py.config.host import FileInfo, Host
from keepalived_py.config.model import Config
from keepalived_py.config.model.global_defs import ScriptRun, ScriptUserState
from keepalived_py.config.scripts import Script
from keepalived_py.config.validate.context import ValidationContext

Log = Callable[[str], None]
DEFAULT_SCRIPT_USER = "keepalived_script"

# Which process runs a script, by the keyword it was configured with.
VRRP_SCRIPT_KEYWORDS = frozenset(
    {
        "notify_master",
        "notify_backup",
        "notify_fault",
        "notify_stop",
        "notify_deleted",
        "notify",
        "notify_master_rx_lower_pri",
    }
)
# vrrp_script { script ... } (recorded as "vrrp_script"; "script" accepted too).
TRACK_SCRIPT_KEYWORDS = frozenset({"vrrp_script", "script"})
CHECKER_SCRIPT_KEYWORDS = frozenset({"notify_up", "notify_down", "quorum_up", "quorum_down", "misc_path"})
GLOBAL_SCRIPT_KEYWORDS = frozenset(
    {
        "startup_script",
        "shutdown_script",
        "notify_fifo_script",
        "vrrp_notify_fifo_script",
        "lvs_notify_fifo_script",
    }
)


class ScriptFlags(IntFlag):
    """keepalived's SC_* results of check_script_secure()."""

    NONE = 0
    ISSCRIPT = 0x01
    INHIBIT = 0x02
    NOTFOUND = 0x04
    EXECUTABLE = 0x08
    INSECURE = 0x10
    SYSTEM = 0x20


# -- the default script user ---------------------------------------------------------------


def user_state(draft: dict[str, Any]) -> dict[str, Any]:
    """The mutable default-user state kept in the global_defs draft while parsing."""
    state: dict[str, Any] = draft.setdefault(
        "_script_user_state", {"resolved": False, "failed": False, "uid": 0, "gid": 0}
    )
    return state


def lookup_user(host: Host, user: str, group: str | None, log: Log) -> tuple[int, int] | None:
    """uid/gid of ``user`` (and ``group``), or None after keepalived's log message."""
    info = host.user_by_name(user)
    if info is None:
        log(f"Script user '{user}' does not exist")
        return None
    gid = info.gid
    if group is not None:
        found = host.group_by_name(group)
        if found is None:
            log(f"Script group '{group}' does not exist")
            return None
        gid = found
    return info.uid, gid


def set_script_user(state: dict[str, Any], host: Host, user: str, group: str | None, log: Log) -> bool:
    """``script_user``: True when it failed (keepalived then refuses later default-user scripts).

    A failure is sticky, as in keepalived: a later valid ``script_user`` does not undo it.
    """
    state["resolved"] = True
    found = lookup_user(host, user, group, log)
    if found is None:
        state["failed"] = True
    else:
        state["uid"], state["gid"] = found
    return bool(state["failed"])


def default_script_user(
    state: dict[str, Any], host: Host, script_security: bool, error: Log, log: Log
) -> tuple[int, int] | None:
    """The uid/gid a script without a user runs as, or None if keepalived refuses it."""
    if state["failed"]:
        return None
    if not state["resolved"]:
        state["resolved"] = True
        me = host.current_user()
        state["uid"], state["gid"] = me.uid, me.gid
        found = lookup_user(host, DEFAULT_SCRIPT_USER, None, log)
        if found is not None:
            state["uid"], state["gid"] = found
        elif script_security:
            error(f"Unable to set default user {DEFAULT_SCRIPT_USER} for script")
            state["failed"] = True
            return None
    return int(state["uid"]), int(state["gid"])


# -- check_script_secure -------------------------------------------------------------------


def is_executable(info: FileInfo, uid: int, gid: int) -> bool:
    mode = info.mode
    return (
        (uid == 0 and bool(mode & 0o111))
        or (uid == info.uid and bool(mode & 0o100))
        or (
            uid != info.uid
            and ((gid == info.gid and bool(mode & 0o010)) or (gid != info.gid and bool(mode & 0o001)))
        )
    )


def _path_prefixes(path: str) -> list[str]:
    """'/a/b/c' -> ['/', '/a', '/a/b', '/a/b/c'] (what keepalived stats, in order)."""
    out = ["/"] if path.startswith("/") else []
    parts = [p for p in path.split("/") if p]
    for i in range(1, len(parts) + 1):
        out.append(("/" if path.startswith("/") else "") + "/".join(parts[:i]))
    return out


def check_path_security(host: Host, filename: str, script_security: bool, log: Log) -> ScriptFlags:
    """Every part of the path must be root's and not writable by anyone else."""
    prefixes = _path_prefixes(filename)
    for i, part in enumerate(prefixes):
        last = i == len(prefixes) - 1
        info = host.stat(part)
        if info is None:
            log(f"check_script_secure could not find script '{filename}' - disabling")
            return ScriptFlags.NOTFOUND
        if (not last and not info.is_dir) or (last and not info.is_file):
            log(f"Wrong file type found in script path '{filename}'.")
            return ScriptFlags.INHIBIT
        sticky_dir = info.is_dir and bool(info.mode & 0o1000)
        if info.uid != 0 or (
            (info.is_file or (info.is_dir and not sticky_dir))
            and ((info.gid != 0 and bool(info.mode & 0o020)) or bool(info.mode & 0o002))
        ):
            disabling = " - disabling" if script_security else ""
            log(f"Unsafe permissions found for script '{filename}'{disabling}.")
            return ScriptFlags.INSECURE | (ScriptFlags.INHIBIT if script_security else ScriptFlags.NONE)
    return ScriptFlags.NONE


def check_script_secure(
    host: Host, path: str, uid: int, gid: int, script_security: bool, log: Log
) -> ScriptFlags:
    """keepalived's verdict on one script command (its argv[0]) run as uid:gid."""
    if path.startswith("<") and path[1:].lstrip(" \t").startswith("/"):
        # "</file": only tests that the file can be opened, nothing is executed.
        return ScriptFlags.SYSTEM
    if "/" not in path:
        found = host.which(path)
        if found is None:
            log(f"Cannot find script {path} in path - disabling")
            return ScriptFlags.NOTFOUND
        log(f"WARNING - script `{path}` resolved by path search to `{found}`. Please specify full path.")
        path = found
    if host.stat(path) is None:
        log(f"Script {path} cannot be accessed - No such file or directory")
        return ScriptFlags.NOTFOUND
    real = host.realpath(path)
    info = host.stat(real)
    if info is None:
        log(f"Unable to access script `{path}` - disabling")
        return ScriptFlags.NOTFOUND
    flags = ScriptFlags.ISSCRIPT
    protect = False
    if is_executable(info, uid, gid):
        flags |= ScriptFlags.EXECUTABLE
        protect = (
            uid == 0
            or gid == 0
            or (info.uid == 0 and bool(info.mode & 0o100) and bool(info.mode & 0o4000))
            or (info.gid == 0 and bool(info.mode & 0o010) and bool(info.mode & 0o2000))
        )
    else:
        log(f"WARNING - script '{real}' is not executable for uid:gid {uid}:{gid} - disabling.")
    if not protect:
        return flags
    return flags | check_path_security(host, real, script_security, log)


# -- the checks of each process ------------------------------------------------------------


@dataclass
class _Checker:
    """Runs the checks of one process, reporting through the validation context."""

    vctx: ValidationContext
    state: dict[str, Any]
    script_security: bool

    def log(self, message: str, location: Location | None = None) -> None:
        self.vctx.report(Severity.OK, message, location)

    def run_as(self, script: Script, location: Location | None, what: str) -> tuple[int, int] | None:
        """The uid/gid keepalived gives a child-process script, or None if it drops it."""
        host = self.vctx.host
        if script.user is not None:
            found = lookup_user(host, script.user, script.group, lambda m: self.log(m, location))
            if found is None:
                self.log(f"Invalid user/group for {what} script {script.path} - ignoring", location)
            return found
        return default_script_user(
            self.state,
            host,
            self.script_security,
            lambda m: self.vctx.report(Severity.GENERAL_ERROR, m, location),
            lambda m: self.log(m, location),
        )

    def flags(self, script: Script, uid: int, gid: int, location: Location | None) -> ScriptFlags:
        return check_script_secure(
            self.vctx.host, script.path, uid, gid, self.script_security, lambda m: self.log(m, location)
        )

    def run_flags(self, run: ScriptRun | None) -> ScriptFlags:
        if run is None:
            return ScriptFlags.NONE
        return self.flags(run.script, run.uid, run.gid, None)

    def verdict(self, flags: ScriptFlags, what: str) -> None:
        if not self.script_security and flags & ScriptFlags.ISSCRIPT:
            insecure = " There are insecure scripts." if flags & ScriptFlags.INSECURE else ""
            self.vctx.report(
                Severity.SECURITY_ERROR,
                f"SECURITY VIOLATION - {what}scripts are being executed but script_security not enabled."
                + insecure,
                hint="add enable_script_security to global_defs (and script_user if needed)",
            )


def _scripts(config: Config, keywords: Iterable[str]) -> list[tuple[Script, Location | None]]:
    wanted = frozenset(keywords)
    return [(s, loc) for s, loc in config.scripts if s.keyword in wanted]


def _vrrp_active(config: Config) -> bool:
    """Does the vrrp process have an instance (it checks nothing otherwise)?"""
    instances = getattr(config.vrrp, "instances", None)
    if instances is not None:
        return len(instances) > 0
    # Until the vrrp model says: notify scripts only exist inside instances/sync groups.
    return bool(_scripts(config, VRRP_SCRIPT_KEYWORDS))


def _checker_active(config: Config) -> bool:
    """Does a virtual server with real servers survive the checker's validation?"""
    servers = getattr(config.lvs, "virtual_servers", None)
    if servers is not None:
        return any(getattr(vs, "real_servers", ()) for vs in servers)
    return bool(_scripts(config, CHECKER_SCRIPT_KEYWORDS))


def _track_scripts(config: Config) -> dict[int, tuple[Script, str]]:
    """The vrrp_scripts as keepalived's vrrp process has them after parsing, by their index in
    ``config.scripts``: (command with the ``user``/``group`` of the block, block name).

    The command lines recorded while parsing are matched, in order, with the vrrp_script
    blocks the trackers model kept (a block without a command or with an unknown ``user`` is
    gone, so its index is missing); the block's ``user`` keyword, not the ``script`` line,
    says who runs it.
    """
    blocks = getattr(config.trackers, "scripts", None)
    out: dict[int, tuple[Script, str]] = {}
    unused = [b for b in (blocks or ()) if getattr(b, "script", None) is not None]
    for index, (script, _loc) in enumerate(config.scripts):
        if script.keyword not in TRACK_SCRIPT_KEYWORDS:
            continue
        if blocks is None:
            out[index] = (script, script.path)
            continue
        for i, block in enumerate(unused):
            if block.script.args == script.args:
                del unused[i]
                user = getattr(block, "user", None)
                group = getattr(block, "group", None)
                out[index] = (Script(script.args, user, group, script.keyword), str(block.name))
                break
    return out


NETNS_DIR = "/run/netns/"


def _check_namespace(vctx: ValidationContext) -> None:
    """keepalived enters ``net_namespace`` before anything else is checked; when it cannot,
    even ``-t`` stops there, with exit status 0 and nothing on stderr (it only logs)."""
    name = vctx.config.global_defs.net_namespace
    if name is None or vctx.host.stat(NETNS_DIR + name) is not None:
        return
    vctx.report(Severity.OK, f"Failed to open {NETNS_DIR}{name}")
    diag = vctx.diags.report(
        Severity.OK,
        f"Unable to set network namespace {name} - exiting",
        hint="keepalived -t exits here with status 0 without checking the rest of the configuration",
    )
    raise ConfigError(diag, exit_code=0)


def _checker(vctx: ValidationContext) -> _Checker:
    """The script checker shared by the three processes' checks of one ``-t`` run.

    Under ``-t`` keepalived validates the checker and VRRP configurations one after the other in
    one process, so what the first learns about the default script user holds for the next.
    """
    found = vctx.scratch.get("script_checker")
    if isinstance(found, _Checker):
        return found
    g = vctx.config.global_defs
    s: ScriptUserState = g.default_script_user
    made = _Checker(
        vctx, {"resolved": s.resolved, "failed": s.failed, "uid": s.uid, "gid": s.gid}, g.script_security
    )
    vctx.scratch["script_checker"] = made
    return made


def validate(vctx: ValidationContext) -> None:
    """The parent's checks: network namespace, then start-up/shutdown script security.

    The checker and VRRP processes' script checks (``check_checker_scripts``,
    ``check_vrrp_scripts``) are called by validate/lvs.py and validate/vrrp.py at the point
    of their own validation where keepalived makes them.
    """
    g = vctx.config.global_defs
    _check_namespace(vctx)
    if g.startup_script or g.shutdown_script:
        checker = _checker(vctx)
        flags = checker.run_flags(g.startup_script) | checker.run_flags(g.shutdown_script)
        checker.verdict(flags, "start/shutdown ")


def check_checker_scripts(vctx: ValidationContext) -> None:
    """Checker process: its parse gives each script its user (a refused one is dropped), then
    its validation checks them if a virtual server is left."""
    config = vctx.config
    g = config.global_defs
    checker = _checker(vctx)
    resolved = _resolve(checker, config, CHECKER_SCRIPT_KEYWORDS)
    if not _checker_active(config):
        return
    flags = ScriptFlags.NONE
    for script, loc, ids, _name in resolved:
        got = checker.flags(script, *ids, loc)
        flags |= got
        if script.keyword == "misc_path":
            if got & ScriptFlags.INHIBIT:
                checker.log(f"Disabling misc script {script.cmdline()} due to insecure", loc)
            elif got & ScriptFlags.NOTFOUND:
                checker.log(f"Disabling misc script {script.cmdline()} since not found/accessible", loc)
    flags |= checker.run_flags(g.notify_fifo.script) | checker.run_flags(g.lvs_notify_fifo.script)
    checker.verdict(flags, "check ")


def check_vrrp_scripts(vctx: ValidationContext) -> None:
    """VRRP process: every vrrp_script is checked, tracked or not (keepalived does it at the
    start of vrrp_complete_init, so not when a missing interface stopped the process)."""
    config = vctx.config
    g = config.global_defs
    checker = _checker(vctx)
    resolved = _resolve(checker, config, VRRP_SCRIPT_KEYWORDS | TRACK_SCRIPT_KEYWORDS)
    if not _vrrp_active(config):
        return
    flags = ScriptFlags.NONE
    for script, loc, ids, name in resolved:
        got = checker.flags(script, *ids, loc)
        flags |= got
        if script.keyword not in TRACK_SCRIPT_KEYWORDS:
            continue
        if got & ScriptFlags.INHIBIT:
            vctx.report(Severity.GENERAL_ERROR, f"Disabling track script {name} due to insecure", loc)
        elif got & ScriptFlags.NOTFOUND:
            vctx.report(
                Severity.GENERAL_ERROR, f"Disabling track script {name} since not found/accessible", loc
            )
    flags |= checker.run_flags(g.notify_fifo.script) | checker.run_flags(g.vrrp_notify_fifo.script)
    checker.verdict(flags, "")


def _resolve(
    checker: _Checker, config: Config, keywords: frozenset[str]
) -> list[tuple[Script, Location | None, tuple[int, int], str]]:
    """The scripts of one process with the uid/gid they run as and a name for messages, in
    file order; refused ones (unknown user, or no default user under script security) are
    left out, as keepalived does."""
    tracks = _track_scripts(config) if keywords & TRACK_SCRIPT_KEYWORDS else {}
    entries: list[tuple[Script, Location | None, str]] = []
    for index, (script, loc) in enumerate(config.scripts):
        if script.keyword not in keywords:
            continue
        if script.keyword in TRACK_SCRIPT_KEYWORDS:
            if index in tracks:
                entries.append((tracks[index][0], loc, tracks[index][1]))
        else:
            entries.append((script, loc, script.cmdline()))
    out: list[tuple[Script, Location | None, tuple[int, int], str]] = []
    for script, loc, name in entries:
        track = script.keyword in TRACK_SCRIPT_KEYWORDS
        what = "vrrp" if track else "misc" if script.keyword == "misc_path" else "notify"
        ids = checker.run_as(script, loc, what)
        if ids is None:
            if script.user is None and track:
                checker.vctx.report(
                    Severity.GENERAL_ERROR,
                    f"Unable to set default user for vrrp script {name} - removing",
                    loc,
                )
            elif script.user is None and what == "misc":
                checker.vctx.report(
                    Severity.GENERAL_ERROR,
                    f"Unable to set default user for misc script '{script.cmdline()}' - removing",
                    loc,
                )
            continue
        out.append((script, loc, ids, name))
    return out
