"""Run every checker of a keepalived.conf (keepalived_py.runtime.checkers) and write one JSON line
per attempt to OUT: ``{"rs", "kind", "index", "start", "end", "verdict", "logs", "due",
"weight_delta"}`` (times: CLOCK_MONOTONIC seconds, comparable with the test's time.monotonic()).

    python -m tests.netns.checker_driver CONF OUT
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from keepalived_py.adapters.host import SystemHost
from keepalived_py.adapters.probes import make_ssl_context
from keepalived_py.config.loader import LoadOptions, load
from keepalived_py.runtime.checkers import HealthChecker, build_checker, now_us


async def run(conf: str, out: str) -> None:
    result = load(conf, SystemHost(), LoadOptions())
    if result.config is None:
        raise SystemExit(f"config not loaded: {[d.message for d in result.diags.items]}")
    lvs = result.config.lvs
    tls = make_ssl_context(lvs.ssl)
    log_all = result.config.global_defs.checker_log_all_failures
    checkers: list[HealthChecker] = []
    for vs in lvs.virtual_servers:
        for rs in vs.real_servers:
            for i, model in enumerate(rs.checkers):
                c = build_checker(vs, rs, i, model, ssl_context=tls, log_all_failures=log_all)
                if c is not None:
                    checkers.append(c)
    with open(out, "a", buffering=1) as f:

        def emit(**kw: object) -> None:
            f.write(json.dumps(kw) + "\n")

        emit(event="started", checkers=len(checkers), t=time.monotonic())

        async def loop_one(c: HealthChecker) -> None:
            c.start(now_us(), 0.0)
            while True:
                assert c.due is not None
                await asyncio.sleep(max(0.0, (c.due - now_us()) / 1e6))
                start = time.monotonic()
                outcome = await c.attempt()
                emit(
                    rs=c.name,
                    kind=c.KIND,
                    index=c.index,
                    start=start,
                    end=time.monotonic(),
                    verdict=outcome.verdict.value if outcome.verdict else None,
                    logs=list(outcome.logs),
                    due=(c.due or 0) / 1e6,
                    weight_delta=outcome.weight_delta,
                )

        await asyncio.gather(*(loop_one(c) for c in checkers))


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2]))
