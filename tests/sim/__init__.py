"""Simulated LAN tests: several VRRP cores, the real codec, a virtual clock."""
