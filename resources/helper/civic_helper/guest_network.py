"""A twin's isolated network at the guest's own address: slirp's `net=`, `host=`, `dns=` and `dhcpstart=`.

slirp's default network is 10.0.2.0/24, which only a DHCP guest joins. A guest with a static address keeps
it in the clone, so slirp must live on the guest's own subnet, with its host, DNS and DHCP addresses at
addresses the guest does not use. Pure functions (no I/O), so the rewrite stays testable.
"""

import ipaddress

from .errors import invalid

# slirp needs a network, a broadcast, its host, its DNS, a DHCP start and the guest: 6 addresses, so /29
# is the smallest subnet that holds them. Below /8 slirp's tables and our picks make no sense.
MIN_PREFIX, MAX_PREFIX = 8, 29
# Where slirp puts its own addresses by default (host .2, DNS .3, DHCP from .15); we keep that layout
# and step past the guest's address when it collides.
HOST_OFFSET, DNS_OFFSET, DHCP_OFFSET = 2, 3, 15


def parse_guest_network(value):
    """Validate `guestNetwork` ({"address": dotted IPv4, "prefix": 8..29}); returns it normalised or None."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"address", "prefix"}:
        raise invalid("`guestNetwork` must be {\"address\": \"A.B.C.D\", \"prefix\": %d..%d}." % (MIN_PREFIX, MAX_PREFIX))
    address = parse_ipv4(value.get("address"), "guestNetwork.address")
    prefix = value.get("prefix")
    if not isinstance(prefix, int) or isinstance(prefix, bool) or not MIN_PREFIX <= prefix <= MAX_PREFIX:
        raise invalid("`guestNetwork.prefix` must be an integer from %d to %d." % (MIN_PREFIX, MAX_PREFIX))
    network = ipaddress.IPv4Network("%s/%d" % (address, prefix), strict=False)
    if address in (network.network_address, network.broadcast_address):
        raise invalid("`guestNetwork.address` %s is the network or broadcast address of %s." % (address, network))
    if address.is_loopback or address.is_multicast or address.is_unspecified or address.is_link_local:
        raise invalid("`guestNetwork.address` %s cannot be a guest's own address." % address)
    return {"address": str(address), "prefix": prefix}


def parse_ipv4(value, name):
    """A dotted-quad IPv4 address, strictly (no leading zeros, no shorthand, no names); VALIDATION_FAILED else."""
    if not isinstance(value, str) or not 7 <= len(value) <= 15:
        raise invalid("`%s` must be a dotted IPv4 address." % name)
    parts = value.split(".")
    if len(parts) != 4 or not all(p.isdigit() and p.isascii() and (p == "0" or not p.startswith("0")) for p in parts):
        raise invalid("`%s` must be a dotted IPv4 address (four decimal numbers, no leading zeros)." % name)
    try:
        return ipaddress.IPv4Address(value)
    except ValueError:
        raise invalid("`%s` must be a dotted IPv4 address." % name)


def slirp_layout(guest_network):
    """The slirp addresses for a guest network: {net, host, dns, dhcpstart, guest}, none of them the guest's."""
    guest = ipaddress.IPv4Address(guest_network["address"])
    network = ipaddress.IPv4Network("%s/%d" % (guest, guest_network["prefix"]), strict=False)
    taken = {guest}

    def pick(offset):
        # Step past addresses already used; the subnet is at least /29, so a free one always exists.
        for step in range(network.num_addresses - 2):
            candidate = network.network_address + 1 + (offset - 1 + step) % (network.num_addresses - 2)
            if candidate not in taken:
                taken.add(candidate)
                return candidate
        raise invalid("`guestNetwork` %s has no room for slirp's addresses." % network)

    host = pick(HOST_OFFSET)
    dns = pick(DNS_OFFSET)
    dhcp = pick(min(DHCP_OFFSET, network.num_addresses - 2))
    return {"net": str(network), "host": str(host), "dns": str(dns), "dhcpstart": str(dhcp), "guest": str(guest)}


def netdev_keys(guest_network):
    """The keyval pairs a user netdev gets for this guest network (empty for slirp's default network)."""
    if guest_network is None:
        return []
    layout = slirp_layout(guest_network)
    return [["net", layout["net"]], ["host", layout["host"]], ["dns", layout["dns"]],
            ["dhcpstart", layout["dhcpstart"]]]
