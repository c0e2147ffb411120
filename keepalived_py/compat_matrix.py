"""Render docs/compatibility.md from the keyword tables and the command line definition.

The tables are the single source of truth for what is supported; a test checks that the committed
page is what this module renders (``python -m keepalived_py.compat_matrix > docs/compatibility.md``).
"""

from __future__ import annotations

from collections.abc import Iterator

from keepalived_py.config.dispatch import Keyword, Table

# Command-line options and how far each is wired (keepalived 2.2.7's `keepalived --help`).
CLI_STATUS: dict[str, tuple[str, str]] = {
    "--use-file": ("supported", ""),
    "--config-test": ("supported", "exit status as keepalived 2.2.7; optional log file"),
    "--dump-conf": ("supported", "the configuration dump goes to the log at start, in keepalived's layout"),
    "--config-id": ("supported", ""),
    "--all-config": ("supported", ""),
    "--version": ("supported", ""),
    "--signum": ("supported", ""),
    "--vrrp": ("supported", "the parent runs only the VRRP child"),
    "--dont-fork": ("supported", "without it the daemon detaches (fork, setsid, chdir /)"),
    "--release-vips": (
        "partial",
        "accepted; addresses are tracked through reloads, so keepalived's case (VIPs left after a reload"
        " into BACKUP) does not arise; VIPs keepalived-py did not add are not removed",
    ),
    "--dont-respawn": ("supported", "a dead child stops the daemon"),
    "--check": ("supported", "the parent runs only the checker child"),
    "--checkers_pid": ("supported", ""),
    "--dont-release-ipvs": ("supported", "the checker child leaves its IPVS services at stop"),
    "--all": ("supported", "the children run even without configuration for them"),
    "--namespace": ("supported", "setns before forking; pid files in /run/keepalived/NAME/"),
    "--genhash": ("supported", "as the first option, as keepalived; also the genhash-py command"),
    "--address-monitoring": ("supported", "every address added or removed is logged"),
    "--core-dump": ("supported", "RLIMIT_CORE unlimited, and Python's faulthandler report in $TMPDIR"),
    "--core-dump-pattern": ("supported", "restored at exit"),
    "--snmp": ("not yet", "refused at start with a clear message"),
    "--snmp-agent-socket": ("not yet", "refused at start with a clear message"),
    "--log-console": ("supported", ""),
    "--log-detail": ("supported", ""),
    "--log-facility": ("supported", ""),
    "--no-syslog": ("supported", ""),
    "--umask": ("supported", ""),
    "--pid": ("supported", ""),
    "--vrrp_pid": ("supported", ""),
    "--dont-release-vrrp": ("supported", ""),
}

_STATUS_LABEL = {"supported": "supported", "parsed": "parsed only", "not yet": "not yet"}


def walk(table: Table, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], list[Keyword]]]:
    """Each block's keywords (in table order), then its sub-blocks, depth first."""
    keywords = list(table)
    yield path, keywords
    for kw in keywords:
        if kw.sub is not None and kw.sub is not table and kw.name not in path:
            yield from walk(kw.sub, (*path, kw.name))


def render() -> str:
    from keepalived_py.cli import command as cli_main
    from keepalived_py.config.schema import root_table

    out: list[str] = [
        "# Compatibility with keepalived 2.2.7",
        "",
        "Generated from the keyword tables by `python -m keepalived_py.compat_matrix`; do not edit.",
        "",
        "Status: **supported** — behaves as in keepalived; **parsed only** — read, checked and kept in",
        "the typed model, the behaviour arrives with the VRRP / checker / daemon work; **not yet** —",
        'accepted without an "Unknown keyword" error but ignored.',
        "",
        "## Command line",
        "",
        "| option | status | note |",
        "| --- | --- | --- |",
    ]
    for param in cli_main.params:
        opts = [*param.opts, *param.secondary_opts]
        long = next((o for o in opts if o.startswith("--")), opts[0])
        status, note = CLI_STATUS.get(long, ("parsed only", "accepted; wired by a later piece of work"))
        out.append(f"| `{' / '.join(opts)}` | {status} | {note} |")

    out.append("| `-h / --help` | supported |  |")
    out += ["", "## Configuration keywords", ""]
    counts: dict[str, int] = {}
    rows: list[str] = []
    for path, keywords in walk(root_table()):
        title = " > ".join(path) if path else "top level"
        rows += ["", f"### {title}", "", "| keyword | status | note |", "| --- | --- | --- |"]
        for kw in keywords:
            label = _STATUS_LABEL[kw.status]
            counts[label] = counts.get(label, 0) + 1
            block = " (block)" if kw.sub is not None else ""
            rows.append(f"| `{kw.name}`{block} | {label} | {kw.note} |")
    total = sum(counts.values())
    summary = ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))
    out.append(f"{total} keyword entries: {summary}.")
    out += rows
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())
