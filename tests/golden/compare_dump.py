"""Compare a .dump with keepalived's stripped ``-d`` log: ``compare_dump.py OURS KA [v]``.

Prints how many lines match in order; with a third argument, the unified diff.
"""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

# keepalived log lines that are not part of its configuration dump.
_NOT_DUMP = (
    "Starting |Running on |Command line|  +'|Configuration file|NOTICE|Startup complete|Stopp|"
    r"Script user '|\(|Registering|Unable|Remote SMTP|Opening|Activating|Gained|Initializing|"
    "TCP connection|Netlink|VRRP sockpool|Deleting|Removing|Adding|Using LinkWatch|keepalived-py|"
    "Track script|WARNING|Delaying|BFD_Instance|Entering|Leaving|Lost|Sending|VRRP_Script|Received|"
    "Failed to set|VRRP_Group|Warning - script|use_vmac or no_accept"
)
SKIP = re.compile(f"^({_NOT_DUMP})")


def load(path: str) -> list[str]:
    out: list[str] = []
    in_interfaces = False
    for line in Path(path).read_text().splitlines():
        if line.startswith("------<"):
            in_interfaces = "Interfaces" in line
        if in_interfaces or SKIP.match(line):
            continue
        out.append(line)
    return out


def main() -> None:
    ours, theirs = load(sys.argv[1]), load(sys.argv[2])
    sm = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    matched = sum(block.size for block in sm.get_matching_blocks())
    print(f"matched {matched} ours {len(ours)} keepalived {len(theirs)}")
    if len(sys.argv) > 3:
        for line in difflib.unified_diff(theirs, ours, "keepalived", "ours", n=0, lineterm=""):
            print(line)


if __name__ == "__main__":
    main()
