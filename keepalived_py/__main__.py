"""``python -m keepalived_py``."""

from keepalived_py.cli import main

main()
