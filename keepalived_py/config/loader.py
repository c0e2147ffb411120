"""keepalived.conf -> Config: pre-process, split, dispatch, freeze, validate."""

from __future__ import annotations

from dataclasses import dataclass

from keepalived_py.config import dispatch, model, schema, source, statements
from keepalived_py.config.errors import ConfigError, Diagnostics
from keepalived_py.config.host import Host
from keepalived_py.config.model import Config
from keepalived_py.config.validate import validate
from keepalived_py.config.validate.context import ValidationContext

# The areas keepalived's parent process reads; the children read the rest.
PARENT_AREAS = frozenset({"global_defs"})
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
        config = model.freeze(ctx.result)
        if opts.validate:
            vctx = ValidationContext(config, host, diags, opts.test_mode)
            validate(vctx)
            config = vctx.config
    except ConfigError as exc:
        return LoadResult(None, diags, exc.exit_code)
    return LoadResult(config, diags)
