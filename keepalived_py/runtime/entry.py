"""What ``keepalived-py`` does once its options are known."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from collections.abc import Callable
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
    if opts.config_test:
        return _run(opts)
    from keepalived_py.runtime import startup_signals

    # held until the handlers exist: a signal during the start is answered, not fatal
    previous = startup_signals.hold()
    try:
        return _run(opts)
    finally:
        startup_signals.restore(previous)


def _run(opts: RuntimeOptions) -> int:
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
    if result.config is None:
        return 1

    def reload_in_namespace() -> Config | None:
        """The configuration read again once in the target namespace (its interfaces)."""
        again = load(
            opts.config_file, host, LoadOptions(config_id=opts.config_id, all_config=opts.all_config)
        )
        for diag in again.diags.items:
            sys.stderr.write(diag.render() + "\n")
        return again.config if again.fatal_exit is None else None

    return _run_daemon(result.config, opts, reload_in_namespace)


def _run_daemon(
    config: Config, opts: RuntimeOptions, reload_in_namespace: Callable[[], Config | None]
) -> int:
    """keepalived's start: namespace, pid files, "already running", detach unless -n, then the parent
    supervises the checker and VRRP children (the BFD child does not exist yet)."""
    from keepalived_py.runtime import logging_setup
    from keepalived_py.runtime import namespace as ns_mod

    if opts.snmp or opts.snmp_agent_socket:
        sys.stderr.write("keepalived-py: SNMP (-x/--snmp, -A/--snmp-agent-socket) is not supported yet\n")
        return 1
    gd = config.global_defs
    namespace = opts.namespace or gd.net_namespace
    ident = ns_mod.syslog_ident("Keepalived", namespace=namespace, instance=gd.instance)
    log = logging_setup.setup(
        console=opts.log_console and opts.dont_fork,
        syslog=not opts.no_syslog,
        facility=opts.log_facility,
        detail=opts.log_detail,
        ident=ident,
    )
    _log_start(log, opts)
    if opts.dump_conf:
        # keepalived -d: the configuration dump goes to the log at start, then the daemon runs
        from keepalived_py.adapters.host import SystemHost
        from keepalived_py.config.dump import dump_lines

        for line in dump_lines(config, SystemHost()):
            log.info("%s", line)
    if opts.namespace and gd.net_namespace:
        log.info(
            "Overriding config net_namespace '%s' with command line namespace '%s'",
            gd.net_namespace,
            opts.namespace,
        )
    if ident != "Keepalived":
        log.info("Changing syslog ident to %s", ident)
    paths = ns_mod.pid_paths(
        main=opts.pid_file,
        vrrp=opts.vrrp_pid_file,
        checkers=opts.checkers_pid_file,
        namespace=namespace,
        instance=gd.instance,
        use_pid_dir=gd.use_pid_dir,
    )
    opts = dataclasses.replace(
        opts,
        namespace=namespace,
        pid_file=paths.main,
        vrrp_pid_file=paths.vrrp,
        checkers_pid_file=paths.checkers,
    )
    if namespace:
        try:
            ns_mod.enter_network_namespace(namespace)
        except OSError as exc:
            log.info("Failed to open %s%s: %s", ns_mod.NETNS_DIR, namespace, exc.strerror)
            log.error("Unable to set network namespace %s - exiting", namespace)
            return 1
        found = reload_in_namespace()
        if found is None:
            return 1
        config = found
    from keepalived_py.runtime.supervisor import children_wanted

    with_vrrp, with_checker = children_wanted(config, opts)
    if not with_vrrp and not with_checker:
        log.info("No VRRP instance or virtual server configured: nothing to run")
        return 0
    from keepalived_py.runtime.pid_file import process_running

    if (
        process_running(paths.main)
        or (with_vrrp and process_running(paths.vrrp))
        or (with_checker and process_running(paths.checkers))
    ):
        log.info("daemon is already running")
        return 0
    from keepalived_py.runtime import startup_signals

    if startup_signals.stop_requested():
        return 0  # SIGTERM/SIGINT while starting: nothing was started yet
    if not opts.dont_fork:
        from keepalived_py.runtime.supervisor import daemonize

        sys.stdout.flush()
        sys.stderr.flush()
        if not daemonize():
            return 0
        logging_setup.setup(
            console=False,
            syslog=not opts.no_syslog,
            facility=opts.log_facility,
            detail=opts.log_detail,
            ident=ident,
        )
    if opts.umask is not None:
        os.umask(opts.umask)
    from keepalived_py.runtime import core_dump
    from keepalived_py.runtime.supervisor import run_daemon
    from keepalived_py.runtime.vrrp_process import tmp_dir

    restore_core_pattern = core_dump.init(
        core_dump=opts.core_dump, pattern=opts.core_dump_pattern, tmp_dir=tmp_dir()
    )
    try:
        ns_mod.make_pid_dir(paths)
    except OSError as exc:
        log.info("Unable to create directory %s: %s", paths.directory, exc.strerror)
    try:
        return run_daemon(config, opts)
    finally:
        ns_mod.remove_pid_dir(paths)
        restore_core_pattern()


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
