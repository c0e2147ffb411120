"""What ``keepalived-py`` does once its options are known."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from keepalived_py.cli import RuntimeOptions
    from keepalived_py.config.model import Config


def _open_test_log(opts: RuntimeOptions) -> TextIO:
    if opts.config_test_log:
        try:
            return open(opts.config_test_log, "a", encoding="utf-8", errors="surrogateescape")
        except OSError as exc:
            sys.stderr.write(f"Unable to open config test log file {opts.config_test_log}: {exc}\n")
    return sys.stderr


def run(opts: RuntimeOptions) -> int:
    """Run keepalived-py; returns the process exit status."""
    from keepalived_py.adapters.host import SystemHost
    from keepalived_py.config.loader import LoadOptions, load

    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")

    host = SystemHost()
    result = load(
        opts.config_file,
        host,
        LoadOptions(config_id=opts.config_id, all_config=opts.all_config, test_mode=opts.config_test),
    )
    if opts.config_test:
        out = _open_test_log(opts)
        for diag in result.diags.items:
            # keepalived -t prints configuration errors only; its plain log lines are silent.
            if diag.shown_in_test:
                out.write(diag.render() + "\n")
        out.flush()
        if result.fatal_exit is not None:
            return result.fatal_exit
        return result.diags.test_exit_code()

    for diag in result.diags.items:
        sys.stderr.write(diag.render() + "\n")
    if result.fatal_exit is not None:
        return result.fatal_exit
    if opts.dump_conf and result.config is not None:
        from keepalived_py.config.dump import dump_text

        sys.stdout.write(dump_text(result.config))
    if opts.dump_conf:
        # -d stays a dump-only mode until the daemon runs with it too.
        sys.stderr.write("keepalived-py: the VRRP and checker daemons are not implemented yet\n")
        return 1
    if result.config is None:
        return 1
    return _run_daemon(result.config, opts)


def _run_daemon(config: Config, opts: RuntimeOptions) -> int:
    """keepalived's start: detach unless -n, then the parent supervises the VRRP child (the checker
    and BFD children do not exist yet)."""
    from keepalived_py.runtime import logging_setup

    if opts.check_only:
        sys.stderr.write("keepalived-py: the health-checker daemon is not implemented yet\n")
        return 1
    if not opts.dont_fork:
        from keepalived_py.runtime.supervisor import daemonize

        sys.stdout.flush()
        sys.stderr.flush()
        if not daemonize():
            return 0
    log = logging_setup.setup(
        console=opts.log_console and opts.dont_fork,
        syslog=not opts.no_syslog,
        facility=opts.log_facility,
        detail=opts.log_detail,
        ident="Keepalived",
    )
    _log_start(log, opts)
    if config.lvs.virtual_servers and not opts.vrrp_only:
        log.warning("virtual_server blocks are ignored: the health-checker daemon is not implemented yet")
    if not config.vrrp.instances and not config.static.have_vrrp_config and not opts.all_children:
        log.info("No VRRP instance configured: nothing to run")
        return 0
    if opts.umask is not None:
        os.umask(opts.umask)
    from keepalived_py.runtime.supervisor import run_daemon

    return run_daemon(config, opts)


def _log_start(log: logging.Logger, opts: RuntimeOptions) -> None:
    """keepalived's first lines: version, system, command line, configuration file."""
    from keepalived_py import KEEPALIVED_COMPAT_VERSION, __version__

    u = os.uname()
    log.info(
        "Starting Keepalived-py v%s (compatible with Keepalived v%s)", __version__, KEEPALIVED_COMPAT_VERSION
    )
    log.info("Running on %s %s %s", u.sysname, u.release, u.version)
    log.info("Command line: %s", " ".join(f"'{a}'" for a in sys.argv))
    log.info("Configuration file %s", opts.config_file)
