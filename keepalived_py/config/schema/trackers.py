"""Keyword tables of vrrp_script, track_file (vrrp_track_file), vrrp_track_process."""

from __future__ import annotations

from typing import Any

from keepalived_py.config.dispatch import Keyword, ParseContext, Table
from keepalived_py.config.errors import Severity
from keepalived_py.config.model.trackers import UINT_MAX, TrackFile, TrackProcess, VrrpScript
from keepalived_py.config.schema.common import append, draft, mark_supported
from keepalived_py.config.scripts import parse_script
from keepalived_py.config.values import INT_MAX, INT_MIN, TIMER_HZ, read_decimal, read_int, read_unsigned

GE = Severity.GENERAL_ERROR

# -- vrrp_script -------------------------------------------------------------------------------


def _script_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    ctx.stack.append({"name": ctx.word(words, 1), "_remove": False, "_user_set": False})


def _script_script(ctx: ParseContext, words: tuple[str, ...]) -> None:
    if len(words) < 2:
        return  # keepalived then removes the script for want of a command
    st = ctx.statements[ctx.pos - 1]
    parsed = parse_script(ctx, st.text, "vrrp_script")
    if parsed is not None:
        # Only the command counts: vrrp_script takes its user from the ``user`` keyword.
        draft(ctx)["script"] = parsed.__class__(parsed.args, None, None, parsed.keyword)


def _script_seconds(key: str) -> Any:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        d = draft(ctx)
        text = ctx.word(words, 1)
        value = read_unsigned(ctx, text, 0, UINT_MAX // TIMER_HZ, ignore_error=True)
        if value is None:
            if key == "interval":
                ctx.report(
                    GE,
                    f"({d['name']}): vrrp script interval '{text}' must be between 1 and "
                    f"{UINT_MAX // TIMER_HZ} - ignoring",
                )
            else:
                ctx.report(GE, f"({d['name']}): vrrp script timeout '{text}' invalid - ignoring")
            return
        if value == 0:
            ctx.report(GE, f"({d['name']}): vrrp script {key} must be greater than 0, setting to 1")
            value = 1
        d[key] = value * TIMER_HZ

    return handler


def _script_weight(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    text = ctx.word(words, 1)
    value = read_int(ctx, text, -253, 253, ignore_error=True)
    if value is None:
        ctx.report(GE, f"vrrp_script {d['name']} weight {text} must be in [-253, 253]")
    else:
        d["weight"] = value
    if len(words) >= 3:
        if words[2] == "reverse":
            d["weight_reverse"] = True
        else:
            ctx.report(GE, f"vrrp_script {d['name']} unknown weight option {words[2]}")


def _script_rise_fall(key: str) -> Any:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        d = draft(ctx)
        text = ctx.word(words, 1)
        value = read_unsigned(ctx, text, 1, INT_MAX, ignore_error=True)
        if value is None:
            ctx.report(GE, f"({d['name']}): vrrp script {key} value '{text}' invalid, defaulting to 1")
            value = 1
        d[key] = value

    return handler


def cmd_str(args: tuple[str, ...]) -> str:
    """keepalived's cmd_str(): each word quoted, except a leading redirection."""
    return " ".join(a if i == 0 and a[:1] in ("<", ">") else f"'{a}'" for i, a in enumerate(args))


def check_user_group(ctx: ParseContext, user: str, group: str | None) -> bool:
    """keepalived's set_uid_gid(): do the user (and group) exist? Logs as keepalived does."""
    if ctx.host.user_by_name(user) is None:
        ctx.report(Severity.OK, f"Script user '{user}' does not exist")
        return False
    if group is not None and ctx.host.group_by_name(group) is None:
        ctx.report(Severity.OK, f"Script group '{group}' does not exist")
        return False
    return True


def _script_user(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    user = ctx.word(words, 1)
    group = words[2] if len(words) > 2 else None
    if not check_user_group(ctx, user, group):
        script = d.get("script")
        ctx.report(GE, f"Unable to set uid/gid for script {cmd_str(script.args if script else ())}")
        d["_remove"] = True
        return
    d["_remove"] = False
    d["_user_set"] = True
    d["user"], d["group"] = user, group


def _script_close(ctx: ParseContext) -> None:
    d = ctx.stack.pop()
    if d.get("script") is None:
        ctx.report(GE, f"No script set for vrrp_script {d['name']} - removing")
        return
    if d["_remove"]:
        return
    append(ctx, "trackers", "scripts", VrrpScript(**{k: v for k, v in d.items() if not k.startswith("_")}))


VRRP_SCRIPT = Table(
    "vrrp_script",
    [
        Keyword("script", _script_script, note="command line; runs as `user` or the default script user"),
        Keyword("interval", _script_seconds("interval"), note="whole seconds"),
        Keyword("timeout", _script_seconds("timeout"), note="whole seconds"),
        Keyword("weight", _script_weight, note="-253..253 [reverse]"),
        Keyword("rise", _script_rise_fall("rise")),
        Keyword("fall", _script_rise_fall("fall")),
        Keyword("user", _script_user, note="USER [GROUP]"),
        Keyword("init_fail", lambda ctx, words: draft(ctx).__setitem__("init_fail", True)),
    ],
)

# -- track_file --------------------------------------------------------------------------------


def _file_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    ctx.stack.append({"name": ctx.word(words, 1), "weight": 1})


def _vrrp_file_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    ctx.report(Severity.OK, '"vrrp_track_file" is deprecated, please use "track_file"')
    _file_open(ctx, words)


def _file_file(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    if len(words) < 2:
        ctx.report(GE, "track file file name missing")
        return
    if "file" in d:
        ctx.report(GE, f"File already set for track file {d['name']} - ignoring {words[1]}")
        return
    d["file"] = words[1]


def _file_weight(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    if len(words) < 2:
        ctx.report(GE, f"No weight specified for track file {d['name']} - ignoring")
        return
    if d["weight"] != 1:
        ctx.report(GE, f"Weight already set for track file {d['name']} - ignoring {words[1]}")
        return
    value = read_int(ctx, words[1], -254, 254, ignore_error=True)
    if value is None:
        ctx.report(
            GE,
            f"Weight ({words[1]}) for track_file {d['name']} must be between "
            "[-254..254] inclusive. Ignoring...",
        )
        value = 1
    d["weight"] = value
    if len(words) >= 3:
        if words[2] == "reverse":
            d["weight_reverse"] = True
        else:
            ctx.report(GE, f"track_file {d['name']} unknown weight option {words[2]}")


def _file_init(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    d["init"] = "create"
    d["init_value"] = 0
    for raw in words[1:]:
        w = raw.lstrip(" \t\n\r\f\v")
        if w[:1].isdigit() or w[:1] == "-":
            value = read_int(ctx, raw, INT_MIN, INT_MAX)
            if value is None:
                ctx.report(GE, f"Track file {d['name']} init value {w} is invalid")
                value = 0
            elif not -254 <= value <= 254:
                ctx.report(
                    GE, f"Track file {d['name']} init value {value} is outside sensible range [-254, 254]"
                )
            d["init_value"] = value
        elif w == "overwrite":
            d["init"] = "overwrite"
        else:
            ctx.report(GE, f"Unknown track file init option {w}")


def _file_close(ctx: ParseContext) -> None:
    d = ctx.stack.pop()
    if "file" not in d:
        ctx.report(GE, f"No file set for track_file {d['name']} - ignoring")
        return
    append(ctx, "trackers", "track_files", TrackFile(**d))
    if d.get("init") == "overwrite":
        info = ctx.host.stat(d["file"])
        if info is not None and not info.is_file:
            ctx.report(GE, f"Cannot initialise track file {d['name']} - it is not a regular file")


def _track_file_table(name: str) -> Table:
    return Table(
        name,
        [
            Keyword("file", _file_file),
            Keyword("weight", _file_weight, note="-254..254 [reverse]"),
            Keyword("init_file", _file_init, note="[VALUE] [overwrite]"),
        ],
    )


# -- vrrp_track_process ------------------------------------------------------------------------


def _proc_open(ctx: ParseContext, words: tuple[str, ...]) -> None:
    ctx.stack.append({"name": ctx.word(words, 1), "quorum": 1, "quorum_max": UINT_MAX, "weight": 0})


def _proc_process(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    if "process" in d:
        ctx.report(GE, f"Process already set for track process {d['name']} - ignoring {ctx.word(words, 1)}")
        return
    d["process"] = ctx.word(words, 1)
    if len(words) > 2:
        d["params"] = tuple(words[2:])
        if d.get("param_match", "none") == "none":
            d["param_match"] = "exact"
        d["full_command"] = True


def _proc_match(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    if len(words) == 1:
        d["param_match"] = "exact"
    elif words[1] in ("initial", "partial"):
        d["param_match"] = words[1]
    else:
        ctx.report(GE, f"Invalid param_match type {words[1]} - ignoring")
        return
    d["full_command"] = True


def _proc_weight(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    if len(words) < 2:
        ctx.report(GE, f"No weight specified for track process {d['name']} - ignoring")
        return
    if d["weight"]:
        ctx.report(GE, f"Weight already set for track process {d['name']} - ignoring {words[1]}")
        return
    value = read_int(ctx, words[1], -254, 254, ignore_error=True)
    if value is None:
        ctx.report(
            GE,
            f"Weight ({words[1]}) for vrrp_track_process {d['name']} must be between "
            "[-254..254] inclusive. Ignoring...",
        )
        return
    if len(words) >= 3:
        if words[2] == "reverse":
            d["weight_reverse"] = True
        else:
            ctx.report(GE, f"vrrp_track_process {d['name']} unknown weight option {words[2]}")
    d["weight"] = value


def _proc_quorum(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 1, 65535, ignore_error=True)
    if value is None:
        ctx.report(
            GE,
            f"Quorum ({text}) for vrrp_track_process {d['name']} must be between "
            "[1..65535] inclusive. Ignoring...",
        )
        return
    if value > d["quorum_max"]:
        ctx.report(GE, "Quorum is greater than quorum_max - ignoring")
        return
    d["quorum"] = value


def _proc_quorum_max(ctx: ParseContext, words: tuple[str, ...]) -> None:
    d = draft(ctx)
    text = ctx.word(words, 1)
    value = read_unsigned(ctx, text, 0, 65535, ignore_error=True)
    if value is None:
        ctx.report(
            GE,
            f"quorum_max ({text}) for vrrp_track_process {d['name']} must be between [0..65535] inclusive. "
            "Ignoring...",
        )
        return
    if (value or d["quorum"] > 1) and value < d["quorum"]:
        ctx.report(GE, "quorum_max is less than quorum - ignoring")
        return
    d["quorum_max"] = value
    if value == 0:
        d["quorum"] = 0
    elif not d["quorum"]:
        d["quorum"] = 1


def _proc_delay(kind: str) -> Any:
    def handler(ctx: ParseContext, words: tuple[str, ...]) -> None:
        d = draft(ctx)
        text = ctx.word(words, 1)
        value = read_decimal(ctx, text, 1, 3600 * TIMER_HZ, 6, ignore_error=True)
        if value is None:
            ctx.report(
                GE,
                f"{kind}delay ({text}) for vrrp_track_process {d['name']} must be between "
                "[0.000001..3600] inclusive. Ignoring...",
            )
            return
        if kind != "fork_":
            d["terminate_delay"] = value
        if kind != "terminate_":
            d["fork_delay"] = value

    return handler


def _proc_close(ctx: ParseContext) -> None:
    d = ctx.stack.pop()
    if "process" not in d:
        ctx.report(GE, f"track process '{d['name']}' process name not specified")
        return
    append(ctx, "trackers", "processes", TrackProcess(**d))


TRACK_PROCESS = Table(
    "vrrp_track_process",
    [
        Keyword("process", _proc_process, note="NAME [PARAMETERS...]", status="supported"),
        Keyword("param_match", _proc_match, note="[initial|partial]", status="supported"),
        Keyword("weight", _proc_weight, note="-254..254 [reverse]", status="supported"),
        Keyword("quorum", _proc_quorum, status="supported"),
        Keyword("quorum_max", _proc_quorum_max, status="supported"),
        Keyword("delay", _proc_delay(""), status="supported"),
        Keyword("terminate_delay", _proc_delay("terminate_"), status="supported"),
        Keyword("fork_delay", _proc_delay("fork_"), status="supported"),
        Keyword(
            "full_command",
            lambda ctx, words: draft(ctx).__setitem__("full_command", True),
            status="supported",
        ),
    ],
)


_SCRIPT_SUPPORTED = ("script", "interval", "timeout", "weight", "rise", "fall", "user", "init_fail")


def root_keywords() -> list[Keyword]:
    """The top-level keywords this area owns."""
    return [
        Keyword(
            "vrrp_script",
            _script_open,
            sub=mark_supported(
                VRRP_SCRIPT, ("script", "interval", "timeout", "weight", "rise", "fall", "user", "init_fail")
            ),
            close=_script_close,
            status="supported",
        ),
        Keyword(
            "track_file",
            _file_open,
            sub=mark_supported(_track_file_table("track_file"), ("file", "weight", "init_file")),
            close=_file_close,
            status="supported",
        ),
        Keyword(
            "vrrp_track_file",
            _vrrp_file_open,
            sub=mark_supported(_track_file_table("vrrp_track_file"), ("file", "weight", "init_file")),
            close=_file_close,
            status="supported",
            note="deprecated, use track_file",
        ),
        Keyword(
            "vrrp_track_process",
            _proc_open,
            sub=TRACK_PROCESS,
            close=_proc_close,
            status="supported",
            note="kernel process connector; polls /proc where it cannot be used (network namespaces)",
        ),
    ]
