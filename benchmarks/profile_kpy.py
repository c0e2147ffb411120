"""Run keepalived-py under cProfile and write the statistics when it exits (SIGTERM ends it cleanly).

    python benchmarks/profile_kpy.py OUT.prof -- -P -n -l -f FILE ...
    python -c "import pstats; pstats.Stats('OUT.prof').sort_stats('tottime').print_stats(30)"

Used by ``benchmarks/scale.py --profile DIR`` to see where the master and the backup spend their
time with 1,000 instances.
"""

from __future__ import annotations

import cProfile
import sys


def main() -> None:
    out = sys.argv[1]
    args = sys.argv[3:] if sys.argv[2:3] == ["--"] else sys.argv[2:]
    from keepalived_py.cli import main as kpy_main

    prof = cProfile.Profile()
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
