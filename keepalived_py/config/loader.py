"""keepalived.conf -> Config: pre-process, split, dispatch, freeze, validate."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from keepalived_py.config import dispatch, model, schema, source, statements
from keepalived_py.config.errors import ConfigError, Diagnostics, Severity
from keepalived_py.config.host import Host
from keepalived_py.config.model import Config
from keepalived_py.config.validate import validate
from keepalived_py.config.validate.context import ValidationContext

# The areas keepalived's parent process reads; the children read the rest.
PARENT_AREAS = frozenset({"global_defs"})
# What each of keepalived's other readings of the file (checker, VRRP, BFD child) reads.
CHILD_AREAS = (
    frozenset({"lvs", "trackers", "bfd"}),
    frozenset({"static", "trackers", "vrrp", "bfd"}),
    frozenset({"bfd"}),
)
# Brace problems after which keepalived's readings can disagree on the block structure.
_STRUCTURE_ERRORS = frozenset(
    {Severity.UNEXPECTED_BOB, Severity.MISSING_BOB, Severity.UNEXPECTED_EOB, Severity.MISSING_EOB}
)
# keepalived's exit status when a configuration file error stops the parent (EXIT_NO_CONFIG).
EXIT_CONFIG_FILE_ERROR = 6


@dataclass(frozen=True, slots=True)
class LoadOptions:
    config_id: str | None = None
    all_config: bool = False
    test_mode: bool = False
    validate: bool = True


@dataclass(frozen=True, slots=True)
class LoadResult:
    """The config (None when a fatal error stopped parsing), every diagnostic, and the exit
    status keepalived would give (``fatal_exit`` set when it would have exited at once)."""

    config: Config | None
    diags: Diagnostics
    fatal_exit: int | None = None


def load(path: str, host: Host, options: LoadOptions | None = None) -> LoadResult:
    opts = options or LoadOptions()
    diags = Diagnostics()
    state = source.SourceState()
    try:
        lines = source.read_source(
            path, host, diags, source.SourceOptions(opts.config_id, opts.all_config), state
        )
        stmts = statements.parse_statements(lines, diags)
        parse_opts = dispatch.ParseOptions(test_mode=opts.test_mode)
        if state.config_file_error:
            # keepalived's parent reads the file (global keywords only) and stops there.
            parse_opts.active_areas = PARENT_AREAS
        ctx = dispatch.ParseContext(stmts, diags, host, model.new_draft(), parse_opts)
        dispatch.run(ctx, schema.root_table())
        if state.config_file_error:
            return LoadResult(None, diags, EXIT_CONFIG_FILE_ERROR)
        parent_stmts = _parent_statements(state, lines)
        if parent_stmts is not None:
            # The readings number lines differently: report what each of them reports.
            _other_readings(stmts, parent_stmts, host, diags, opts.test_mode, replace=True)
        elif any(d.severity in _STRUCTURE_ERRORS for d in diags.items):
            _other_readings(stmts, stmts, host, diags, opts.test_mode)
        config = model.freeze(ctx.result)
        if opts.validate:
            vctx = ValidationContext(config, host, diags, opts.test_mode)
            validate(vctx)
            config = vctx.config
    except ConfigError as exc:
        return LoadResult(None, diags, exc.exit_code)
    return LoadResult(config, diags)


def _parent_statements(
    state: source.SourceState, lines: list[source.SourceLine]
) -> list[statements.Statement] | None:
    """The parent's statements, when its reading numbers lines differently from the children's."""
    parent = state.parent_lines
    if parent is None or [(p.location.line, p.text) for p in parent] == [
        (c.location.line, c.text) for c in lines
    ]:
        return None
    return statements.parse_statements(parent, Diagnostics())


def _other_readings(
    stmts: list[statements.Statement],
    parent_stmts: list[statements.Statement],
    host: Host,
    diags: Diagnostics,
    test_mode: bool,
    replace: bool = False,
) -> None:
    """Add the unknown keywords keepalived's other readings of a malformed file report.

    keepalived reads the file once per process, each skipping the blocks of the others by
    counting braces.  With balanced blocks every reading sees the same structure, so one full
    reading finds everything; after a brace error an inactive block can end elsewhere, and a
    reading may then meet (and report) a keyword the full reading took as part of a block.
    With ``replace`` the unknown keywords of the full reading are dropped first: the readings'
    own reports are then the whole truth (their line numbers differ from the full reading's).
    """
    if replace:
        diags.items = [d for d in diags.items if d.severity != Severity.UNKNOWN_KEYWORD]
    seen = {(d.location, d.keyword) for d in diags.items if d.severity == Severity.UNKNOWN_KEYWORD}
    for areas in (PARENT_AREAS, *CHILD_AREAS):
        scratch = Diagnostics()
        opts = dispatch.ParseOptions(test_mode=test_mode, active_areas=areas)
        reading = parent_stmts if areas is PARENT_AREAS else stmts
        with contextlib.suppress(ConfigError):
            dispatch.run(
                dispatch.ParseContext(reading, scratch, host, model.new_draft(), opts), schema.root_table()
            )
        for d in scratch.items:
            if d.severity == Severity.UNKNOWN_KEYWORD and (d.location, d.keyword) not in seen:
                seen.add((d.location, d.keyword))
                diags.add(d)
