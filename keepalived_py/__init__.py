"""keepalived-py: a drop-in replacement for keepalived, written in Python."""

__version__ = "0.1.0"
# The keepalived release whose behaviour this package reproduces.
KEEPALIVED_COMPAT_VERSION = "2.2.7"
