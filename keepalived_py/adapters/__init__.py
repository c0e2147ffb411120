"""keepalived-py."""
