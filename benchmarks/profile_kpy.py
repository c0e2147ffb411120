"""Run keepalived-py under cProfile and write the statistics when it exits (SIGTERM ends it cleanly).

    python benchmarks/profile_kpy.py OUT.prof -- -P -n -l -f FILE ...
    python -c "import pstats; pstats.Stats('OUT.prof').sort_stats('tottime').print_stats(30)"

Used by ``benchmarks/scale.py --profile DIR`` to see where the master and the backup spend their
time with 1,000 instances.  With ``--on-signal``, profiling runs between two SIGALRMs
(scale.py sends one to the daemon's processes when its measuring window opens and one when it
closes), so start-up, election and shutdown are left out.  The VRRP process (the forked child)
writes its statistics to ``OUT.vrrp``, the parent to ``OUT``.
"""

from __future__ import annotations

import cProfile
import signal
import sys
from types import FrameType
from typing import Any


def main() -> None:
    out = sys.argv[1]
    args = sys.argv[2:]
    on_signal = args[:1] == ["--on-signal"]
    if on_signal:
        args = args[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    from keepalived_py.cli import main as kpy_main
    from keepalived_py.runtime import vrrp_process

    prof = cProfile.Profile()
    run_vrrp = vrrp_process.run_vrrp

    def profiled_vrrp(*a: Any, **kw: Any) -> Any:
        """The VRRP process (keepalived-py's forked child, or the process itself) writes OUT.vrrp."""
        try:
            return run_vrrp(*a, **kw)
        finally:
            prof.disable()
            prof.dump_stats(out + ".vrrp")

    vrrp_process.run_vrrp = profiled_vrrp

    running = [False]

    def start(signum: int, frame: FrameType | None) -> None:
        """The first SIGALRM starts profiling, the second stops it (the window, without shutdown)."""
        del signum, frame
        if running[0]:
            prof.disable()
        else:
            prof.enable()
        running[0] = not running[0]

    if on_signal:
        signal.signal(signal.SIGALRM, start)
    else:
        prof.enable()
    try:
        kpy_main(args)
    except SystemExit:
        pass
    finally:
        prof.disable()
        prof.dump_stats(out)


if __name__ == "__main__":
    main()
