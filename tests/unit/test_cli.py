"""keepalived's command line: exit statuses and answers, run in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepalived_py.cli import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 1), out, err


def test_missing_config_file_is_reported_and_only_fatal_with_e(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nonexistent.conf")
    code, _, err = _run(["-t", "-f", missing], capsys)
    assert (code, err.strip()) == (0, f"Config files missing '{missing}'.")
    code, _, err = _run(["-t", "-e", "-f", missing], capsys)
    assert (code, err.strip()) == (4, f"Config files missing '{missing}'.")


def test_config_test_log_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text("global_defs {\n  adverd_int 1\n}\n")
    log = tmp_path / "t.log"
    code, _, err = _run([f"--config-test={log}", "-f", str(conf)], capsys)
    assert code == 5 and err == ""
    assert f"({conf}: Line 2) Unknown keyword 'adverd_int'" in log.read_text()


def test_signum_and_unknown_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["--signum=RELOAD"], capsys)[:2] == (0, "1\n")
    assert _run(["--signum=JSON"], capsys)[:2] == (0, "36\n")
    code, _, err = _run(["--signum=FOO"], capsys)
    assert (code, err) == (1, "Unknown sigfunc FOO\n")
    code, _, err = _run(["--bogus"], capsys)
    assert (code, err) == (1, "Unknown option --bogus\n")


def test_snmp_is_refused_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text("vrrp_instance VI_1 {\n interface lo\n virtual_router_id 51\n priority 100\n}\n")
    for flag in (["-x"], ["-A", "/tmp/agentx"]):
        code, _out, err = _run(["-n", "-G", "-f", str(conf), *flag], capsys)
        assert code == 1
        assert "SNMP (-x/--snmp, -A/--snmp-agent-socket) is not supported yet" in err


def test_genhash_mode_as_the_first_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(["-T"], capsys)
    assert code == 1
    assert err.startswith("Usage: keepalived --genhash COMMAND [OPTIONS]")
    code, _out, err = _run(["-n", "-T"], capsys)
    assert code == 1 and "must be the first option" in err
