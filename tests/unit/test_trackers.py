"""vrrp_script, track_file / vrrp_track_file, vrrp_track_process."""

from __future__ import annotations

from keepalived_py.config.errors import Severity
from tests.configtest import parse_text


def errors(res: object) -> list[str]:
    return [d.message for d in res.diags.items if d.severity != Severity.OK]  # type: ignore[attr-defined]


def test_vrrp_script() -> None:
    res = parse_text(
        'vrrp_script chk1 {\n script "/bin/true arg"\n interval 0\n weight 300 reverse\n'
        " rise 0\n user nosuchuser\n}\n"
        "vrrp_script chk2 {\n interval 2\n}\n"
        "vrrp_script chk3 {\n script /bin/true\n weight -10 reverse\n interval 3\n fall 2\n init_fail\n}\n"
    )
    assert errors(res) == [
        "(chk1): vrrp script interval must be greater than 0, setting to 1",
        "number '300' outside range [-253, 253]",
        "vrrp_script chk1 weight 300 must be in [-253, 253]",
        "number '0' outside range [1, 2147483647]",
        "(chk1): vrrp script rise value '0' invalid, defaulting to 1",
        "Unable to set uid/gid for script '/bin/true' 'arg'",
        "No script set for vrrp_script chk2 - removing",
    ]
    (s,) = res.config.trackers.scripts
    assert s.name == "chk3" and s.weight == -10 and s.weight_reverse and s.interval == 3_000_000
    assert s.fall == 2 and s.init_fail and s.script is not None and s.script.args == ("/bin/true",)


def test_vrrp_script_needs_a_name() -> None:
    assert parse_text("vrrp_script {\n script /bin/true\n}\n").fatal_exit == 2


def test_track_files() -> None:
    res = parse_text(
        "track_file tf1 {\n weight 5\n}\n"
        "vrrp_track_file tf2 {\n file /tmp/tf2\n file /tmp/other\n weight 10 rev\n init_file 7 overwrite\n}\n"
    )
    assert errors(res) == [
        "No file set for track_file tf1 - ignoring",
        "File already set for track file tf2 - ignoring /tmp/other",
        "track_file tf2 unknown weight option rev",
    ]
    (tf,) = res.config.trackers.track_files
    assert (tf.name, tf.file, tf.weight, tf.init, tf.init_value) == ("tf2", "/tmp/tf2", 10, "overwrite", 7)


def test_track_process() -> None:
    res = parse_text(
        "vrrp_track_process p1 {\n weight 10\n}\n"
        "vrrp_track_process p2 {\n process foo a b\n process bar\n weight 5 x\n quorum 3\n"
        " quorum_max 2\n delay 1.5\n}\n"
    )
    assert errors(res) == [
        "track process 'p1' process name not specified",
        "Process already set for track process p2 - ignoring bar",
        "vrrp_track_process p2 unknown weight option x",
        "quorum_max is less than quorum - ignoring",
    ]
    (p,) = res.config.trackers.processes
    assert p.process == "foo" and p.params == ("a", "b") and p.param_match == "exact" and p.full_command
    assert p.weight == 5 and p.quorum == 3 and p.terminate_delay == p.fork_delay == 1_500_000
