"""``keepalived-py``: keepalived's command line (same short and long options, same defaults).

This module only turns the command line into ``RuntimeOptions`` and hands over; it imports the
heavy parts lazily so that ``--version`` and ``-t`` start quickly.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import click

from keepalived_py import KEEPALIVED_COMPAT_VERSION, __version__

DEFAULT_CONFIG_FILE = "/etc/keepalived/keepalived.conf"

# keepalived --signum: signal numbers of the functions (Linux x86-64 numbering).
SIGNUMS = {
    "STOP": 15,
    "RELOAD": 1,
    "DATA": 10,
    "STATS": 12,
    "STATS_CLEAR": 63,  # SIGRTMIN + 29 in keepalived's numbering (SIGRTMAX)
    "JSON": 36,  # SIGRTMIN + 2
}


@dataclass
class RuntimeOptions:
    """Everything the command line says, with keepalived's defaults."""

    config_file: str = DEFAULT_CONFIG_FILE
    vrrp_only: bool = False
    check_only: bool = False
    no_bfd: bool = False
    all_children: bool = False
    log_console: bool = False
    log_detail: bool = False
    log_facility: str = "daemon"
    no_syslog: bool = False
    umask: int | None = None
    release_vips: bool = False
    dont_release_vrrp: bool = False
    dont_release_ipvs: bool = False
    dont_respawn: bool = False
    dont_fork: bool = False
    dump_conf: bool = False
    pid_file: str | None = None
    vrrp_pid_file: str | None = None
    checkers_pid_file: str | None = None
    bfd_pid_file: str | None = None
    address_monitoring: bool = False
    snmp: bool = False
    snmp_agent_socket: str | None = None
    namespace: str | None = None
    core_dump: bool = False
    core_dump_pattern: str | None = None
    all_config: bool = False
    config_id: str | None = None
    config_test: bool = False
    config_test_log: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # set in a supervised child: the pipe on which it tells the parent it is running
    ready_fd: int | None = None


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _facility(value: str) -> str:
    if value.isdigit() and 0 <= int(value) <= 7:
        return f"local{value}"
    if value in {f"local{i}" for i in range(8)} | {"user", "daemon"}:
        return value
    raise click.BadParameter(f"Invalid log facility '{value}'")


def _version_text() -> str:
    return (
        f"Keepalived-py v{__version__} (compatible with Keepalived v{KEEPALIVED_COMPAT_VERSION})\n\n"
        "A drop-in replacement for keepalived, written in Python.\n"
    )


CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


@click.command("keepalived-py", context_settings=CONTEXT_SETTINGS)
@click.option(
    "-f",
    "--use-file",
    "config_file",
    default=DEFAULT_CONFIG_FILE,
    metavar="FILE",
    help="Use the specified configuration file (default '/etc/keepalived/keepalived.conf')",
)
@click.option("-P", "--vrrp", "vrrp_only", is_flag=True, help="Only run with VRRP subsystem")
@click.option("-C", "--check", "check_only", is_flag=True, help="Only run with Health-checker subsystem")
@click.option("-B", "--no_bfd", "no_bfd", is_flag=True, help="Don't run BFD subsystem")
@click.option(
    "--all",
    "all_children",
    is_flag=True,
    help="Force all child processes to run, even if have no configuration",
)
@click.option("-l", "--log-console", is_flag=True, help="Log messages to local console")
@click.option("-D", "--log-detail", is_flag=True, help="Detailed log messages")
@click.option(
    "-S",
    "--log-facility",
    default="daemon",
    metavar="([0-7]|local[0-7]|user|daemon)",
    help="Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)",
)
@click.option("-G", "--no-syslog", is_flag=True, help="Don't log via syslog")
@click.option(
    "-u", "--umask", "umask", default=None, metavar="MASK", help="umask for file creation (in numeric form)"
)
@click.option("-X", "--release-vips", is_flag=True, help="Drop VIP on transition from signal.")
@click.option(
    "-V", "--dont-release-vrrp", is_flag=True, help="Don't remove VRRP VIPs and VROUTEs on daemon stop"
)
@click.option("-I", "--dont-release-ipvs", is_flag=True, help="Don't remove IPVS topology on daemon stop")
@click.option("-R", "--dont-respawn", is_flag=True, help="Don't respawn child processes")
@click.option("-n", "--dont-fork", is_flag=True, help="Don't fork the daemon process")
@click.option("-d", "--dump-conf", is_flag=True, help="Dump the configuration data")
@click.option(
    "-p", "--pid", "pid_file", default=None, metavar="FILE", help="Use specified pidfile for parent process"
)
@click.option(
    "-r",
    "--vrrp_pid",
    "vrrp_pid_file",
    default=None,
    metavar="FILE",
    help="Use specified pidfile for VRRP child process",
)
@click.option(
    "-T",
    "--genhash",
    is_flag=True,
    help="Enter into genhash utility mode (this should be the first option used).",
)
@click.option(
    "-c",
    "--checkers_pid",
    "checkers_pid_file",
    default=None,
    metavar="FILE",
    help="Use specified pidfile for checkers child process",
)
@click.option(
    "-a",
    "--address-monitoring",
    is_flag=True,
    help="Report all address additions/deletions notified via netlink",
)
@click.option(
    "-b",
    "--bfd_pid",
    "bfd_pid_file",
    default=None,
    metavar="FILE",
    help="Use specified pidfile for BFD child process",
)
@click.option("-x", "--snmp", is_flag=True, help="Enable SNMP subsystem")
@click.option(
    "-A",
    "--snmp-agent-socket",
    default=None,
    metavar="FILE",
    help="Use the specified socket for master agent",
)
@click.option(
    "-s", "--namespace", default=None, metavar="NAME", help="Run in network namespace NAME (overrides config)"
)
@click.option("-m", "--core-dump", is_flag=True, help="Produce core dump if terminate abnormally")
@click.option(
    "-M",
    "--core-dump-pattern",
    default=None,
    metavar="PATN",
    is_flag=False,
    flag_value="core",
    help="Also set /proc/sys/kernel/core_pattern to PATN (default 'core')",
)
@click.option(
    "-e", "--all-config", is_flag=True, help="Error if any configuration file missing (same as includet)"
)
@click.option(
    "-i",
    "--config-id",
    default=None,
    metavar="id",
    help="Skip any configuration lines beginning '@' that don't match id or any lines "
    "beginning @^ that do match. The config-id defaults to the node name if option not used",
)
@click.option(
    "--signum",
    default=None,
    metavar="SIGFUNC",
    help="Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON",
)
@click.option(
    "-t",
    "--config-test",
    "config_test",
    default=None,
    is_flag=False,
    flag_value="-",
    metavar="[=LOG_FILE]",
    help="Check the configuration for obvious errors, output to stderr by default",
)
@click.option("-v", "--version", is_flag=True, help="Display the version number")
def command(**kw: object) -> None:
    """keepalived-py: VRRP failover and LVS health checking, as keepalived does them."""
    if kw["version"]:
        sys.stderr.write(_version_text())
        sys.exit(0)
    if kw["signum"] is not None:
        name = str(kw["signum"])
        if name not in SIGNUMS:
            sys.stderr.write(f"Unknown sigfunc {name}\n")
            sys.exit(1)
        print(SIGNUMS[name])
        sys.exit(0)
    if kw["genhash"]:
        # keepalived: -T is only genhash mode as the first option
        sys.stderr.write("keepalived-py: -T/--genhash must be the first option\n")
        sys.exit(1)
    opts = RuntimeOptions(
        config_file=str(kw["config_file"]),
        vrrp_only=bool(kw["vrrp_only"]),
        check_only=bool(kw["check_only"]),
        no_bfd=bool(kw["no_bfd"]),
        all_children=bool(kw["all_children"]),
        log_console=bool(kw["log_console"]),
        log_detail=bool(kw["log_detail"]),
        log_facility=_facility(str(kw["log_facility"])),
        no_syslog=bool(kw["no_syslog"]),
        umask=int(str(kw["umask"]), 0) if kw["umask"] is not None else None,
        release_vips=bool(kw["release_vips"]),
        dont_release_vrrp=bool(kw["dont_release_vrrp"]),
        dont_release_ipvs=bool(kw["dont_release_ipvs"]),
        dont_respawn=bool(kw["dont_respawn"]),
        dont_fork=bool(kw["dont_fork"]),
        dump_conf=bool(kw["dump_conf"]),
        pid_file=_opt_str(kw["pid_file"]),
        vrrp_pid_file=_opt_str(kw["vrrp_pid_file"]),
        checkers_pid_file=_opt_str(kw["checkers_pid_file"]),
        bfd_pid_file=_opt_str(kw["bfd_pid_file"]),
        address_monitoring=bool(kw["address_monitoring"]),
        snmp=bool(kw["snmp"]),
        snmp_agent_socket=_opt_str(kw["snmp_agent_socket"]),
        namespace=_opt_str(kw["namespace"]),
        core_dump=bool(kw["core_dump"]),
        core_dump_pattern=_opt_str(kw["core_dump_pattern"]),
        all_config=bool(kw["all_config"]),
        config_id=_opt_str(kw["config_id"]),
        config_test=kw["config_test"] is not None,
        config_test_log=(str(kw["config_test"]) if kw["config_test"] not in (None, "-") else None),
    )
    from keepalived_py.runtime.entry import run

    sys.exit(run(opts))


# keepalived's exit status for an internal error (EX_SOFTWARE).
EXIT_PROGRAM_ERROR = 70


def main(argv: list[str] | None = None) -> None:
    """Console entry point: keepalived's answers to bad options, and no traceback for anything.

    Set KEEPALIVED_PY_DEBUG=1 to see the traceback of an internal error.
    """
    try:
        _main(argv)
    finally:
        if argv is None:  # the program itself, not a caller in this process
            from keepalived_py.runtime import startup_signals

            # the interpreter puts the default handlers back while it finalizes: a SIGTERM then
            # would kill the exiting daemon (status -15) instead of being ignored
            startup_signals.hold()


def _main(argv: list[str] | None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-T", "--genhash"):
        # keepalived -T: the rest of the command line is genhash's (it must come first)
        from keepalived_py import genhash

        sys.exit(genhash.main(args[1:], prog="keepalived", am_genhash=False))
    try:
        command.main(args=args, prog_name="keepalived-py", standalone_mode=False)
    except click.exceptions.NoSuchOption as exc:
        sys.stderr.write(f"Unknown option {exc.option_name}\n")
        sys.exit(1)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.ClickException as exc:
        sys.stderr.write(f"keepalived-py: {exc.format_message()}\n")
        sys.exit(1)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except BaseException as exc:
        import os

        if os.environ.get("KEEPALIVED_PY_DEBUG"):
            raise
        sys.stderr.write(f"keepalived-py: internal error: {type(exc).__name__}: {exc}\n")
        sys.exit(EXIT_PROGRAM_ERROR)
    sys.exit(0)
