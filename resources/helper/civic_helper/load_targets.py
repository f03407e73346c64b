"""Where the load driver may aim: loopback literals only, and only the ports it was allowed.

Nothing is resolved: a name other than `localhost` is refused, so a poisoned resolver or /etc/hosts
cannot point the driver at production. Every refusal is a LOAD_TARGET_REFUSED error whose `detail.reason`
says which rule it broke.
"""

import ipaddress
from urllib.parse import urlsplit

from .errors import LOAD_TARGET_REFUSED, HelperError

# A request line is built from these bytes only, so a target can never smuggle a second request.
_PATH_BYTES = frozenset(b"!$&'()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~%[]")


def refused(message, reason, **detail):
    """A LOAD_TARGET_REFUSED error with its reason."""
    detail["reason"] = reason
    return HelperError(LOAD_TARGET_REFUSED, message, detail=detail)


class Target:
    """One request to send: where (host literal, port) and what (the request line's path)."""

    __slots__ = ("host", "port", "path", "family", "host_header")

    def __init__(self, host, port, path, family, host_header):
        self.host = host
        self.port = port
        self.path = path
        self.family = family
        self.host_header = host_header

    @property
    def endpoint(self):
        """The (host, port) connections go to."""
        return (self.host, self.port)

    def url(self):
        """The target as a URL, for reports."""
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%d%s" % (host, self.port, self.path)


def loopback_host(hostname, url):
    """The address literal to connect to for `hostname`, or a refusal; `localhost` means 127.0.0.1."""
    if hostname is None or hostname == "":
        raise refused("The load target %s names no host." % url, "no-host", url=url)
    if hostname.lower() == "localhost":
        return "127.0.0.1", 4
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        raise refused("The load target %s names a host (%s), not a loopback address: the driver resolves no names "
                      "and aims only at 127.0.0.0/8 or ::1." % (url, hostname), "not-a-literal", url=url, host=hostname)
    if not address.is_loopback:
        raise refused("The load target %s is not on loopback (%s): the driver aims only at the twin's forwards on "
                      "127.0.0.0/8 or ::1." % (url, hostname), "not-loopback", url=url, host=hostname)
    return str(address), address.version


def check_path(path, url):
    """The request path, or a refusal when it holds bytes that do not belong in a request line."""
    raw = path.encode("latin-1", "replace")
    if not raw.startswith(b"/") or any(byte not in _PATH_BYTES for byte in raw):
        raise refused("The load target %s has a path that cannot go in a request line." % url, "bad-path", url=url)
    return path


def parse_target(url, allowed_ports=None):
    """A Target for an http:// URL on loopback, on an allowed port when a list is given."""
    if not isinstance(url, str) or len(url) > 8192:
        raise refused("A load target must be a URL string.", "not-a-url")
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise refused("The load target %s is not http:// (the driver speaks plain HTTP/1.1 to loopback forwards)."
                      % url, "not-http", url=url)
    if parts.username is not None or parts.password is not None:
        raise refused("The load target %s carries credentials; it must not." % url, "credentials", url=url)
    host, family = loopback_host(parts.hostname, url)
    try:
        port = parts.port if parts.port is not None else 80
    except ValueError:
        raise refused("The load target %s has an invalid port." % url, "bad-port", url=url)
    if allowed_ports is not None and port not in allowed_ports:
        raise refused("The load target %s uses port %d, which is not one of the twin's forwards (%s)."
                      % (url, port, ", ".join(str(p) for p in sorted(allowed_ports)) or "none"),
                      "port-not-allowed", url=url, port=port, allowedPorts=sorted(allowed_ports))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    check_path(path, url)
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return Target(host, port, path, family, host_header)


def parse_allowed_ports(value):
    """None (no list given) or a frozenset of ports 1..65535; anything else is a refusal."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536
                                              for p in value):
        raise refused("allowedPorts must be a list of port numbers.", "bad-allowed-ports")
    return frozenset(value)
