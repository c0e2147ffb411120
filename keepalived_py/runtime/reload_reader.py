"""``python -m keepalived_py.runtime.reload_reader FILE [CONFIG_ID] [--all-config]``: read a
configuration for the VRRP process's reload, in a separate process.

Parsing a large file is CPU work; done in the daemon (even in a thread) it competes with the
event loop for the GIL and for the CPU share of one process, and adverts at 100 ms came late.
This process parses at a lower scheduling priority and writes the result to its standard
output as a pickle: the diagnostics, the fatal exit status, and the configuration without its
LVS section (which the VRRP process does not use and which is the bulk of large files), so that
the daemon unpickles little.  Only the daemon reads it, from a pipe it made.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import sys

from keepalived_py.adapters.host import SystemHost
from keepalived_py.config.loader import LoadOptions, load
from keepalived_py.config.model.lvs import LvsSection


def main(argv: list[str]) -> int:
    if not argv:
        return 2
    path = argv[0]
    all_config = "--all-config" in argv[1:]
    rest = [a for a in argv[1:] if a != "--all-config"]
    config_id = rest[0] if rest else None
    with contextlib.suppress(OSError):
        os.nice(10)
    result = load(path, SystemHost(), LoadOptions(config_id=config_id, all_config=all_config))
    config = result.config
    if config is not None:
        config = dataclasses.replace(config, lvs=LvsSection())
    sys.stdout.buffer.write(
        pickle.dumps((result.diags, result.fatal_exit, config), protocol=pickle.HIGHEST_PROTOCOL)
    )
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
