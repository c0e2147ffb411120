"""tests/ipvs/in_vm needs a kernel with IPVS: it is collected only inside the VM (tests/ipvs/vm.py
sets KEEPALIVED_PY_IPVS_VM there).  On the host it is not collected at all, so it neither runs nor
counts as skipped; tests/ipvs/test_ipvs_vm.py boots the VM once and runs it there."""

from __future__ import annotations

import os

collect_ignore = [] if os.environ.get("KEEPALIVED_PY_IPVS_VM") == "1" else ["in_vm"]
