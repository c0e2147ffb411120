"""keepalived's compatibility with the VRRPv3 unicast checksum of keepalived 1.3.6 and earlier.

Up to 1.3.6, keepalived computed the checksum of a VRRPv3/IPv4 advert sent to a unicast peer
over a pseudo-header whose destination was the multicast group (``vrrp_mcast_group4``,
224.0.0.18 by default) instead of the peer's address.  keepalived 2.2.7 (built with its default
``--enable-checksum-compat``) keeps talking to such peers:

* ``old_unicast_checksum`` in an instance: send and verify the old way from the start ("config");
  ``old_unicast_checksum never``: never switch ("never");
* by default ("no"), a unicast VRRPv3 advert whose checksum fails with the real destination but
  matches with the multicast group switches the instance to the old way for good ("auto"),
  logging ``(NAME) Setting unicast VRRPv3 checksum to old version``; from then on its own adverts
  are sent the old way and new-style ones are refused (``Invalid VRRPv3 checksum``).

Only VRRPv3 over IPv4 has the pseudo-header in question (IPv6 checksums are the kernel's, v2 has
none).  This module is pure: it decides which destination goes into the pseudo-header, and the
codec does the arithmetic.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from keepalived_py.vrrp import packet
from keepalived_py.vrrp.packet import AF_INET

IpAddr = IPv4Address | IPv6Address

SWITCH_MESSAGE = "Setting unicast VRRPv3 checksum to old version"
INVALID_V3 = "Invalid VRRPv3 checksum"


class ChecksumMode(enum.Enum):
    """keepalived's chksum_compatibility_t, under the names its dump prints."""

    NONE = "no"  # the default: switches to AUTO on the first old-style advert
    NEVER = "never"
    CONFIG = "config"
    AUTO = "auto"

    @property
    def old(self) -> bool:
        """The pseudo-header destination is the multicast group."""
        return self in (ChecksumMode.CONFIG, ChecksumMode.AUTO)

    @classmethod
    def from_config(cls, value: str | None) -> ChecksumMode:
        """The model's ``old_unicast_checksum`` ("config", "never" or None)."""
        if value == "config":
            return cls.CONFIG
        if value == "never":
            return cls.NEVER
        return cls.NONE


@dataclass
class UnicastChecksum:
    """The checksum mode of one instance (mutable: the automatic switch is for good)."""

    mode: ChecksumMode
    group: IPv4Address
    unicast: bool = False

    def _applies(self, version: int, family: int) -> bool:
        return version == 3 and family == AF_INET

    def pseudo_dst(self, dst: IpAddr, *, version: int) -> IpAddr:
        """The destination to put in the pseudo-header of an advert we send to ``dst``."""
        if version == 3 and isinstance(dst, IPv4Address) and self.mode.old:
            return self.group
        return dst

    def decode(
        self, data: bytes, *, src: IpAddr, dst: IpAddr, family: int
    ) -> tuple[packet.Advertisement, bool]:
        """``packet.decode`` with this instance's checksum rule.

        Returns the advert and whether it switched the instance to the old checksum (the caller
        logs ``SWITCH_MESSAGE`` then).  Raises ``packet.DecodeError`` as the codec does.
        """
        version = data[0] >> 4 if data else 0
        if not self._applies(version, family) or not isinstance(dst, IPv4Address):
            return packet.decode(data, src=src, dst=dst, family=family), False
        if self.mode.old:
            return packet.decode(data, src=src, dst=self.group, family=family), False
        try:
            return packet.decode(data, src=src, dst=dst, family=family), False
        except packet.DecodeError as exc:
            if (
                exc.reason is not packet.DecodeReason.CHECKSUM
                or not self.unicast
                or self.mode is not ChecksumMode.NONE
                or dst == self.group
            ):
                raise
            try:
                adv = packet.decode(data, src=src, dst=self.group, family=family)
            except packet.DecodeError:
                raise exc from None
        self.mode = ChecksumMode.AUTO
        return adv, True
