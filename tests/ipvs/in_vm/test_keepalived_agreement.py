"""Table agreement with keepalived 2.2.7: the same config gives the same IPVS table.

For each config, inside the VM: keepalived-py's table (``desired_table`` with the health the
checkers will settle on, applied through the adapter) is saved with ``ipvsadm -Sn`` and flushed;
then Debian's keepalived runs the config (checker process only) until the kernel shows that same
table and keeps it for a few check rounds, or a deadline passes; its table is what is compared,
line by line (sorted: the kernel lists destinations in the order they were added).  Real servers
are judged by MISC_CHECK /bin/true or /bin/false, so both daemons know the verdicts in advance.

Each result is appended to ``$IPVS_VM_XCHG/agreement.jsonl`` for the host-side test to report.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from keepalived_py.adapters.host import SystemHost
from keepalived_py.adapters.ipvs import IpvsAdapter
from keepalived_py.check.health import PoolState, Verdict
from keepalived_py.check.ipvs_desired import VirtualServerHealth, desired_table
from keepalived_py.check.ipvs_diff import diff
from keepalived_py.check.ipvs_model import IpvsTable
from keepalived_py.config.loader import load
from keepalived_py.config.model.checkers import MiscCheck
from keepalived_py.config.model.lvs import LvsSection
from tests.ipvs.in_vm.conftest import ipvsadm_save

KEEPALIVED = "/usr/sbin/keepalived"
SETTLE_DEADLINE = 60.0  # seconds; checks run every second, the VM is slow
STABLE_FOR = 3.0  # the table must stay equal this long (three check rounds)

GLOBAL = """global_defs {
    enable_script_security
    script_user root
}
"""

CONFIGS = {
    "nat_persistence_v6": """
virtual_server 192.0.2.10 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    real_server 198.51.100.1 8080 {
        weight 3
        MISC_CHECK {
            misc_path /bin/true
        }
    }
    real_server 198.51.100.2 8080 {
        weight 2
        inhibit_on_failure
        MISC_CHECK {
            misc_path /bin/false
        }
    }
    real_server 198.51.100.3 8081 {
        MISC_CHECK {
            misc_path /bin/false
        }
    }
    real_server 198.51.100.4 8082 {
        weight 5
        uthreshold 100
        lthreshold 10
    }
}
virtual_server 2001:db8::10 53 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol UDP
    real_server 2001:db8:1::1 5353 {
        MISC_CHECK {
            misc_path /bin/true
        }
    }
    real_server 2001:db8:1::2 5353 {
        weight 4
    }
}
""",
    "dr_fwmark_sorry": """
virtual_server fwmark 7 {
    delay_loop 1
    lb_algo sh
    sh-port
    lb_kind DR
    persistence_timeout 600
    quorum 3
    sorry_server 203.0.113.9
    real_server 198.51.100.11 {
        weight 2
        MISC_CHECK {
            misc_path /bin/false
        }
    }
    real_server 198.51.100.12 {
        weight 2
        MISC_CHECK {
            misc_path /bin/true
        }
    }
}
virtual_server 192.0.2.30 443 {
    delay_loop 1
    lb_algo lc
    lb_kind DR
    protocol TCP
    sorry_server 203.0.113.10 443
    sorry_server_inhibit
    real_server 198.51.100.21 443 {
        MISC_CHECK {
            misc_path /bin/true
        }
    }
    real_server 198.51.100.22 443 {
        inhibit_on_failure
        MISC_CHECK {
            misc_path /bin/false
        }
    }
}
virtual_server fwmark 8 {
    ip_family inet6
    delay_loop 1
    lb_algo rr
    lb_kind DR
    persistence_timeout 120
    persistence_granularity 64
    real_server 2001:db8:2::1 {
        MISC_CHECK {
            misc_path /bin/true
        }
    }
    real_server 2001:db8:2::2 {
        weight 7
    }
}
""",
    "group_tun_gue": """
virtual_server_group web {
    192.0.2.40-42 80
    fwmark 9
}
virtual_server group web {
    delay_loop 1
    lb_algo wlc
    lb_kind TUN
    protocol TCP
    real_server 198.51.100.31 80 {
        MISC_CHECK {
            misc_path /bin/true
        }
    }
    real_server 198.51.100.32 80 {
        weight 3
        lvs_method TUN type gue port 6080 csum
    }
    real_server 198.51.100.33 80 {
        MISC_CHECK {
            misc_path /bin/false
        }
    }
    real_server 198.51.100.34 8080 {
        lvs_method NAT
        weight 2
    }
}
""",
}


def _lvs(path: Path) -> LvsSection:
    result = load(str(path), SystemHost())
    assert result.config is not None, [d.message for d in result.diags.items]
    return result.config.lvs


def _settled_health(lvs: LvsSection) -> dict[int, VirtualServerHealth]:
    """The pools after every checker has given its verdict (/bin/true up, anything else down)."""
    health = {}
    for index, vs in enumerate(lvs.virtual_servers):
        pool = PoolState(vs)
        pool.start()
        for rs in vs.real_servers:
            for n, checker in enumerate(rs.checkers):
                assert isinstance(checker, MiscCheck)
                up = checker.script.args[0] == "/bin/true"
                pool.checker_verdict(rs.address, n, Verdict.UP if up else Verdict.DOWN)
        health[index] = pool.health()
    return health


def _run_keepalived(conf: Path, want: list[str], *extra: str) -> tuple[list[str], float, list[str], str]:
    """keepalived's table once it equals ``want`` for STABLE_FOR seconds (or at the deadline),
    the seconds that took, the table left after it stopped, and its log."""
    log = conf.with_suffix(".log")
    argv = [KEEPALIVED, "-C", "-n", "-l", "-D", *extra, "-f", str(conf)]
    argv += ["-p", str(conf.with_suffix(".pid")), "-c", str(conf.with_suffix(".checkers.pid"))]
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        equal_since: float | None = None
        table = ipvsadm_save()
        while time.monotonic() - started < SETTLE_DEADLINE:
            table = ipvsadm_save()
            now = time.monotonic()
            if sorted(table) == want:
                equal_since = equal_since if equal_since is not None else now
                if now - equal_since >= STABLE_FOR:
                    break
            else:
                equal_since = None
            time.sleep(0.3)
        seconds = time.monotonic() - started
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    left = ipvsadm_save()
    return table, seconds, left, log.read_text(errors="replace")


def _ours(name: str, adapter: IpvsAdapter, tmp_path: Path) -> tuple[Path, IpvsTable, list[str]]:
    """The config file, keepalived-py's table for it and that table's ``ipvsadm -Sn`` (then flushed)."""
    conf = tmp_path / f"{name}.conf"
    conf.write_text(GLOBAL + CONFIGS[name])
    lvs = _lvs(conf)
    desired = desired_table(lvs, _settled_health(lvs))
    adapter.apply(diff(adapter.read(), desired))
    ours = ipvsadm_save()
    assert adapter.read() == desired
    adapter.flush()
    return conf, desired, ours


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_table_agrees_with_keepalived(name: str, adapter: IpvsAdapter, tmp_path: Path) -> None:
    conf, _, ours = _ours(name, adapter, tmp_path)

    theirs, seconds, left, log = _run_keepalived(conf, sorted(ours))
    common = sum((Counter(ours) & Counter(theirs)).values())
    record = {
        "config": name,
        "keepalived_lines": len(theirs),
        "keepalived_py_lines": len(ours),
        "identical_lines": common,
        "same_order": ours == theirs,
        "settle_seconds": round(seconds, 1),
        "left_after_stop": len(left),
    }
    xchg = os.environ.get("IPVS_VM_XCHG")
    if xchg:
        with open(os.path.join(xchg, "agreement.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
    only_theirs = sorted((Counter(theirs) - Counter(ours)).elements())
    only_ours = sorted((Counter(ours) - Counter(theirs)).elements())
    assert not only_theirs and not only_ours, "\n".join(
        [
            f"{name}: keepalived only:",
            *only_theirs,
            "keepalived-py only:",
            *only_ours,
            "keepalived log:",
            log[-3000:],
        ]
    )
    # keepalived removes its services when it stops (it keeps them only with -I)
    assert left == [], left


def test_takeover_of_a_table_keepalived_left(adapter: IpvsAdapter, tmp_path: Path) -> None:
    """keepalived -I (--dont-release-ipvs) leaves its table; keepalived-py starting on it with the
    same config finds nothing to change: not one command is sent."""
    conf, desired, ours = _ours("dr_fwmark_sorry", adapter, tmp_path)
    theirs, _, left, log = _run_keepalived(conf, sorted(ours), "-I")
    assert sorted(theirs) == sorted(ours), log[-3000:]
    assert left == theirs
    adapter.sent.clear()
    adapter.apply(diff(adapter.read(), desired))
    assert adapter.sent == Counter()
    assert ipvsadm_save() == left
