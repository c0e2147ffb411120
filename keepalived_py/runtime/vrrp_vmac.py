"""``use_vmac`` at run time: the macvlan each instance runs on, as keepalived 2.2.7 manages it.

keepalived creates the VMAC when it starts (not when it becomes MASTER), brings it up at once and
keeps it up in every state; the instance's VIPs and gratuitous ARPs go on it (so ARP tables
learn the virtual MAC) and so do its adverts, unless ``vmac_xmit_base``, which sends them from
the base interface.  Adverts are received on the base interface (see ``sender``).  A VMAC that
goes down faults its instance; one that is deleted is made again at once.  At stop (not with
``--dont-release-vrrp``) the rp_filter changes and the base interface's ARP parameters are put
back and the VMAC is deleted.

Known differences: keepalived 2.2.7 leaves the base interface's arp_ignore/arp_filter at 1 after
stop (its saved copy is overwritten by its own netlink notification), we put them back; it raises
rp_filter only on interfaces it has had netlink news about since it started, we on all; its
nftables ``vmac_map``/``vmac_set`` rules (IPv6: MLD reports re-sent from the base, router
solicitations dropped) are not made here (see ``sender`` for IPv4).

``use_ipvlan`` is parsed but has no run-time effect yet: the instance runs on its interface and a
log line says so (the test machine's kernel has no ipvlan).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from keepalived_py.adapters.vmac import (
    LinkInfo,
    VmacLinks,
    ipv4_conf_interfaces,
    read_sysctl,
    write_sysctl,
)
from keepalived_py.adapters.vrrp_socket import VrrpSocketV4, VrrpSocketV6
from keepalived_py.config.model import Config
from keepalived_py.config.model.ip import IpAddress
from keepalived_py.config.model.vrrp import VrrpInstance
from keepalived_py.vrrp.vmac_names import (
    BASE_IPV4_SYSCTLS,
    RpFilterPlan,
    RpFilterSaved,
    SysctlWrite,
    base_changes,
    choose_vmac_name,
    is_matching_vmac,
    link_local_from_mac,
    plan_placement,
    rp_filter_clear,
    rp_filter_restore,
    vmac_mac,
    vmac_writes,
)

log = logging.getLogger(__name__)

Sender = VrrpSocketV4 | VrrpSocketV6


@dataclass
class Vmac:
    """A VMAC this process owns (created or adopted): deleted at stop."""

    instance: str
    name: str
    ifindex: int
    base: str
    family: int
    # made for VIPs on another interface or family (use_vmac_addr, a VIP's use_vmac)
    extra: bool = False
    mac: str = ""


@dataclass
class _Base:
    """keepalived's count of IPv4 VMACs on one base interface, and the values to put back."""

    users: int = 0
    saved: dict[str, int] = field(default_factory=dict)


class VmacManager:
    """Every VMAC of the daemon."""

    def __init__(self, config: Config, links: VmacLinks | None = None) -> None:
        self.config = config
        self.links = links or VmacLinks()
        # names configured for VMACs: never given to another instance's unnamed VMAC
        self._configured = {i.vmac_ifname for i in config.vrrp.instances if i.vmac_ifname and i.use_vmac}
        self.vmacs: list[Vmac] = []
        self._bases: dict[str, _Base] = {}
        self._rp_filter: RpFilterSaved | None = None
        self._rp_filter_done = False
        self._existing: list[LinkInfo] | None = None
        # send-only advert sockets on the VMACs: (family, name, protocol) -> socket
        self._senders: dict[tuple[int, str, int], Sender] = {}

    # -- start ------------------------------------------------------------------------------

    def setup(self, inst: VrrpInstance, *, detail: bool = False) -> str | None:
        """The interface carrying ``inst``'s VIPs: its VMAC (created and up), or None when the
        instance has none (no use_vmac, or it could not be made: keepalived then stays on the
        base interface)."""
        if inst.use_ipvlan:
            log.info(
                "(%s) use_ipvlan is not supported by keepalived-py yet - running on interface %s",
                inst.name,
                inst.interface,
            )
            return None
        if not inst.use_vmac or not inst.interface:
            return None
        base = self.links.get(inst.interface)
        if base is None:
            log.info("(%s) interface %s does not exist - cannot create its VMAC", inst.name, inst.interface)
            return None
        family = inst.family or 4
        mac = vmac_mac(inst.vrid or 0, family, inst.vmac_mac)
        name = inst.vmac_ifname
        found = self._matching(inst, base, mac)
        old: LinkInfo | None = None
        if found is not None:
            log.info("(%s) Found matching interface %s", inst.name, found.name)
            if name and name != found.name:
                log.info(
                    "(%s) vmac name mismatch %s <=> %s. changing to %s.",
                    inst.name,
                    name,
                    found.name,
                    found.name,
                )
            name = found.name
        elif name:
            old = self.links.get(name)
            if old is not None and old.kind != "macvlan":
                log.info(
                    "(%s) VMAC interface name %s already exists as a non VMAC interface. "
                    "ignoring configured name",
                    inst.name,
                    name,
                )
                name, old = None, None
            elif old is not None:
                log.info(
                    "(%s) VMAC %s already exists but is incompatible. It will be deleted/updated",
                    inst.name,
                    name,
                )
        if not name:
            name = choose_vmac_name(self.config.global_defs.vmac_prefix, inst.vrid or 0, family, self._taken)
        if found is None and not self._make(inst, name, base, mac, old, detail):
            return None
        link = self.links.get(name)
        if link is None:
            return None
        self.vmacs.append(Vmac(inst.name, name, link.ifindex, base.name, family, mac=mac))
        if family == 4 and found is None:
            self._ipv4_parameters(name, base.name)
        self._configure(inst, name, link, base)
        return name

    def _configure(
        self, inst: VrrpInstance, name: str, link: LinkInfo, base: LinkInfo, *, extra: bool = False
    ) -> None:
        """IPv6 on or off, no EUI-64 address, up, and an IPv6 VMAC's link-local address.  An extra
        VMAC is set up as keepalived sets up its stand-in instance: its address's family, no
        eVIPs, no configured source, not vmac_xmit_base."""
        family = next(v.family for v in self.vmacs if v.name == name)
        other_family = not extra and any(a.family != family for a in inst.virtual_ipaddresses_excluded)
        write_sysctl("ipv6", name, "disable_ipv6", 0 if family == 6 or other_family else 1)
        # no EUI-64 link-local address from the virtual MAC (RFC 5798 section 7.4)
        if not write_sysctl("ipv6", name, "addr_gen_mode", 1):
            log.info("(%s) Error setting ADDR_GEN_MODE to NONE on %s", inst.name, name)
        self.links.set_up(link.ifindex)
        if family == 6 and (extra or not inst.vmac_xmit_base):
            self._link_local(inst, name, link.ifindex, base, use_src=not extra)

    def place(self, inst: VrrpInstance, vmac: str | None, *, detail: bool = False) -> tuple[IpAddress, ...]:
        """The instance's VIPs and eVIPs with the interface each goes on (the VMAC, an extra VMAC
        made here for use_vmac_addr or a VIP's use_vmac, or as configured)."""
        entries = (*inst.virtual_ipaddresses, *inst.virtual_ipaddresses_excluded)
        if not inst.interface or not (vmac or inst.use_vmac_addr or any(e.use_vmac for e in entries)):
            return entries
        placed = []
        for entry, extra in plan_placement(
            entries,
            interface=inst.interface,
            family=inst.family or 4,
            vmac=vmac,
            use_vmac_addr=inst.use_vmac_addr,
        ):
            if extra is not None:
                name = self._extra(inst, extra[0], extra[1], detail)
                if name is not None:
                    entry = replace(entry, dev=name)
            placed.append(entry)
        return tuple(placed)

    def _extra(self, inst: VrrpInstance, base_name: str, family: int, detail: bool) -> str | None:
        """keepalived's VMAC for addresses on ``base_name`` of ``family``: one we already have,
        one left in the kernel, or a new one named with vmac_addr_prefix."""
        base = self.links.get(base_name)
        if base is None:
            return None
        mac = vmac_mac(inst.vrid or 0, family, inst.vmac_mac)
        for vmac in self.vmacs:
            if vmac.base == base.name and vmac.mac == mac:
                return vmac.name
        found = self._matching(inst, base, mac)
        if found is not None:
            name = found.name
        else:
            gd = self.config.global_defs
            name = choose_vmac_name(
                gd.vmac_addr_prefix or gd.vmac_prefix, inst.vrid or 0, family, self._taken
            )
            if not self._make(inst, name, base, mac, None, detail):
                return None
        link = self.links.get(name)
        if link is None:
            return None
        self.vmacs.append(Vmac(inst.name, name, link.ifindex, base.name, family, extra=True, mac=mac))
        if family == 4 and found is None:
            self._ipv4_parameters(name, base.name)
        self._configure(inst, name, link, base, extra=True)
        return name

    def recreate_missing(self, instances: Mapping[str, VrrpInstance], *, detail: bool = False) -> list[str]:
        """keepalived makes a VMAC someone deleted again as soon as it hears of it (while its base
        interface exists).  Returns the names made again: their sockets must be opened anew."""
        done = []
        for vmac in self.vmacs:
            if self.links.index(vmac.name) == vmac.ifindex:
                continue
            link = self.links.get(vmac.name)
            inst = instances.get(vmac.instance)
            base = self.links.get(vmac.base)
            if inst is None or base is None:
                continue
            if link is None:
                mac = vmac_mac(inst.vrid or 0, vmac.family, inst.vmac_mac)
                if not self._make(inst, vmac.name, base, mac, None, detail):
                    continue
                link = self.links.get(vmac.name)
                if link is None:
                    continue
                if vmac.family == 4:
                    self._ipv4_parameters(vmac.name, base.name, count=False)
                self._configure(inst, vmac.name, link, base, extra=vmac.extra)
            vmac.ifindex = link.ifindex
            done.append(vmac.name)
        return done

    def _matching(self, inst: VrrpInstance, base: LinkInfo, mac: str) -> LinkInfo | None:
        # One dump for the whole start: a dump per instance costs O(n^2) with n VMACs.  Only
        # links that existed before we started can be adopted, so it never needs refreshing.
        if self._existing is None:
            self._existing = self.links.links()
        for link in self._existing:
            if link.name in self._names() or link.ifindex == base.ifindex:
                continue
            if is_matching_vmac(
                kind=link.kind, mode=link.mode, mac=link.mac, base_ok=link.link == base.ifindex, want_mac=mac
            ):
                return link
        return None

    def _names(self) -> set[str]:
        return {v.name for v in self.vmacs}

    def _taken(self, name: str) -> bool:
        return name in self._names() or name in self._configured or self.links.get(name) is not None

    def _make(
        self, inst: VrrpInstance, name: str, base: LinkInfo, mac: str, old: LinkInfo | None, detail: bool
    ) -> bool:
        update = False
        if old is not None:
            if old.link != base.ifindex:
                log.info("(%s) Removing old VMAC interface %s due to conflicting interface", inst.name, name)
                if self.links.delete(old.ifindex) is not None:
                    log.info("(%s) Error removing VMAC interface %s", inst.name, name)
                    return False
            elif (old.mac or "").lower() != mac or old.mode != "private":
                log.info("(%s) Update old VMAC interface %s due to wrong MAC/mode ", inst.name, name)
                update = True
            else:
                return True
        error = (
            self.links.update(old.ifindex, mac)
            if update and old
            else self.links.create(name, base.ifindex, mac)
        )
        if error is not None:
            log.info("(%s): Unable to create VMAC interface %s", inst.name, name)
            return False
        if detail:
            log.info(
                "(%s): Success %s VMAC interface %s", inst.name, "updating" if update else "creating", name
            )
        return True

    def _write(self, write: SysctlWrite) -> bool:
        return write_sysctl("ipv4", write.ifname, write.param, write.value)

    def _apply(self, plan: RpFilterPlan) -> None:
        for line in plan.logs:
            log.info("%s", line)
        for write in plan.writes:
            self._write(write)

    def _ipv4_parameters(self, name: str, base: str, *, count: bool = True) -> None:
        if not self._rp_filter_done:
            self._rp_filter_done = True
            interfaces = {n: read_sysctl("ipv4", n, "rp_filter") for n in ipv4_conf_interfaces()}
            plan, self._rp_filter = rp_filter_clear(
                read_sysctl("ipv4", "all", "rp_filter"),
                read_sysctl("ipv4", "default", "rp_filter"),
                interfaces,
            )
            self._apply(plan)
        if not all([self._write(w) for w in vmac_writes(name)]):
            log.info("Unable to set parameters for %s", name)
        if not count:
            return
        state = self._bases.setdefault(base, _Base())
        state.users += 1
        if state.users > 1:
            return
        current = {param: read_sysctl("ipv4", base, param) for param, _ in BASE_IPV4_SYSCTLS}
        writes = base_changes(base, current)
        if writes:
            state.saved = {p: v for p, v in current.items() if v is not None}
            if not all([self._write(w) for w in writes]):
                log.info("Set base flags on %s failed for VMAC %s", base, name)

    def _link_local(
        self, inst: VrrpInstance, name: str, ifindex: int, base: LinkInfo, *, use_src: bool = True
    ) -> None:
        """An IPv6 VMAC sends from a link-local address that is not derived from the virtual
        MAC: the configured source, else the base interface's link-local address, else the one
        the base interface's MAC gives."""
        address: ipaddress.IPv6Address | None = None
        base_ll = self.links.link_local6(base.ifindex)
        if use_src and inst.src_ip and ":" in inst.src_ip:
            address = ipaddress.IPv6Address(inst.src_ip.split("%", 1)[0])
        elif base_ll:
            address = ipaddress.IPv6Address(base_ll)
        elif base.mac:
            address = link_local_from_mac(base.mac)
        if address is None or self.links.add_address6(ifindex, str(address)) is not None:
            log.info("(%s) adding link-local address to %s failed", inst.name, name)

    # -- advert sockets ---------------------------------------------------------------------

    def sender(self, name: str, family: int, protocol: int, *, unicast_hops: int = 255) -> Sender:
        """The socket an instance's adverts leave by from its VMAC (with the virtual MAC).

        It joins no group: adverts are received on the base interface, which sees the same
        frames.  A VMAC that joined the VRRP group would send IGMP/MLD reports from the
        virtual MAC, and a switch would learn that MAC on a backup's port; keepalived stops
        that with an nftables rule that re-sends them from the base interface
        (``vmac_map``), we by not joining on the VMAC at all.
        """
        key = (family, name, protocol)
        found = self._senders.get(key)
        if found is None:
            if family == socket.AF_INET:
                found = VrrpSocketV4(name, group=None, protocol=protocol, rcvbuf=1)
            else:
                found = VrrpSocketV6(name, group=None, unicast_hops=unicast_hops, rcvbuf=1)
            self._senders[key] = found
        return found

    def reopen_senders(
        self, name: str
    ) -> list[tuple[VrrpSocketV4 | VrrpSocketV6, VrrpSocketV4 | VrrpSocketV6]]:
        """New sockets for a VMAC made again: (old, new) pairs."""
        pairs = []
        for key, old in list(self._senders.items()):
            if key[1] != name:
                continue
            with contextlib.suppress(OSError):
                old.close()
            del self._senders[key]
            try:
                new = self.sender(name, key[0], key[2])
            except OSError as exc:
                log.info("cannot open a VRRP socket on %s: %s", name, exc.strerror)
                continue
            pairs.append((old, new))
        return pairs

    def _close_senders(self) -> None:
        for sock in self._senders.values():
            with contextlib.suppress(OSError):
                sock.close()
        self._senders.clear()

    # -- stop -------------------------------------------------------------------------------

    def release(self, *, detail: bool = False) -> None:
        """keepalived's shutdown: rp_filter back, then each VMAC (base parameters, link)."""
        if self._rp_filter is not None:
            saved = self._rp_filter
            self._rp_filter = None
            now = {n: read_sysctl("ipv4", n, "rp_filter") for n in saved.interfaces}
            self._apply(
                rp_filter_restore(
                    saved,
                    read_sysctl("ipv4", "all", "rp_filter"),
                    read_sysctl("ipv4", "default", "rp_filter"),
                    now,
                )
            )
        for vmac in self.vmacs:
            if vmac.family == 4:
                self._reset_base(vmac.base)
            if self.links.delete(vmac.ifindex) is not None:
                log.info("(%s) Error removing VMAC interface %s", vmac.instance, vmac.name)
            elif detail:
                log.info("(%s) Success removing VMAC interface %s", vmac.instance, vmac.name)
        self.vmacs.clear()

    def _reset_base(self, base: str) -> None:
        state = self._bases.get(base)
        if state is None or state.users == 0:
            return
        state.users -= 1
        if state.users or not state.saved:
            return
        ok = all([write_sysctl("ipv4", base, p, v) for p, v in state.saved.items()])
        state.saved = {}
        if not ok:
            log.info("Unable to reset parameters for %s", base)

    def close(self, *, release: bool, detail: bool = False) -> None:
        self._close_senders()
        if release:
            self.release(detail=detail)
        self.links.close()
