"""Request sources for the load driver: a URL list (round robin, optionally weighted) or an access log.

The access log is the web server's own, in common or combined log format (nginx's and Apache's
defaults, lighttpd's `accesslog`) or busybox httpd's `-v` lines, copied out of the twin; the last N
GET requests are replayed in order against a base URL on loopback.
"""

import collections
import re
from urllib.parse import urlsplit

from .errors import HelperError, invalid
from .load_targets import Target, check_path, parse_target

MAX_WEIGHT = 1000
MAX_TARGETS = 10000
MAX_REPLAYED = 1000000
MAX_LOG_LINE = 65536

# host ident user [time] "request" status bytes, then optionally "referer" "agent" and anything after
# (nginx and Apache may append fields). A quoted field may hold \" escapes (Apache) or \x22 (nginx).
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_CLF = re.compile(r'^(\S+) (\S+) (.+?) \[([^\]]+)\] ' + _QUOTED + r' (\d{3}) (\d+|-)(?: ' + _QUOTED + ' ' + _QUOTED + r')?(?: .*)?$')
_METHOD = re.compile(r"^[A-Z][A-Z-]{0,19}$")
# busybox httpd -v writes "IP:port: url:/path" per request (no method: it is replayed as GET), -vv adds
# "IP:port: response:NNN" lines, which are not requests.
_BUSYBOX = re.compile(r"^(\S+): (url|response):(\S*)$")


def weighted_cycle(entries):
    """One cycle of smooth weighted round robin (nginx's upstream order): weights interleaved, not bunched."""
    current = [0] * len(entries)
    total = sum(weight for _, weight in entries)
    cycle = []
    for _ in range(total):
        best = 0
        for index, (_, weight) in enumerate(entries):
            current[index] += weight
            if current[index] > current[best]:
                best = index
        current[best] -= total
        cycle.append(entries[best][0])
    return cycle


def targets_from_list(items, allowed_ports):
    """The request order for a list of URLs or {url, weight} objects; every URL is checked first."""
    if not isinstance(items, list) or not items or len(items) > MAX_TARGETS:
        raise invalid("targets must be a list of 1 to %d URLs." % MAX_TARGETS)
    entries = []
    for item in items:
        if isinstance(item, dict):
            url, weight = item.get("url"), item.get("weight", 1)
        else:
            url, weight = item, 1
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= MAX_WEIGHT:
            raise invalid("A target's weight must be an integer from 1 to %d." % MAX_WEIGHT, url=str(url))
        entries.append((parse_target(url, allowed_ports), weight))
    if all(weight == 1 for _, weight in entries):
        return [target for target, _ in entries]
    if sum(weight for _, weight in entries) > MAX_TARGETS * 10:
        raise invalid("The targets' weights add up to more than %d." % (MAX_TARGETS * 10))
    return weighted_cycle(entries)


class AccessLogError(Exception):
    """A line of the access log that is not in common or combined log format."""

    def __init__(self, line_number, reason):
        super().__init__("line %d: %s" % (line_number, reason))
        self.line_number = line_number
        self.reason = reason


def _describe_mismatch(text):
    """Say what is wrong with a line that does not match the format, as precisely as cheaply possible."""
    if "[" not in text or "]" not in text:
        return "no [time] field; expected common or combined log format (host ident user [time] \"request\" status bytes)"
    if '"' not in text:
        return "no quoted \"request\" field after the time"
    after = text.rsplit('"', 1)[-1].split() if text.count('"') == 2 else None
    if after is not None and (len(after) < 2 or not re.match(r"^\d{3}$", after[0])):
        return "the request is not followed by a three-digit status and a byte count"
    return "not in common or combined log format (host ident user [time] \"request\" status bytes [\"referer\" \"agent\"])"


def _request_path(target):
    """The path and query of a request target (origin-form, or absolute-form as proxies log it)."""
    if target.startswith("/"):
        return target
    parts = urlsplit(target)
    if parts.scheme in ("http", "https") and parts.netloc:
        return (parts.path or "/") + ("?" + parts.query if parts.query else "")
    return None


def parse_access_log(lines, last_n):
    """The last `last_n` GET request paths of a log, in order, and counts of lines skipped by why.

    Raises AccessLogError naming the first line that is not in the format.
    """
    kept = collections.deque(maxlen=last_n)
    skipped = {"nonGet": 0, "noRequestLine": 0, "unusablePath": 0}
    total = 0
    for number, raw in enumerate(lines, start=1):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        text = text.rstrip("\r\n")
        if not text.strip():
            continue
        if len(text) > MAX_LOG_LINE:
            raise AccessLogError(number, "longer than %d characters" % MAX_LOG_LINE)
        match = _CLF.match(text)
        busybox = _BUSYBOX.match(text) if match is None else None
        if busybox is not None:
            if busybox.group(2) == "url":
                total += 1
                if busybox.group(3).startswith("/"):
                    kept.append(busybox.group(3))
                else:
                    skipped["unusablePath"] += 1
            continue
        if match is None:
            raise AccessLogError(number, _describe_mismatch(text))
        total += 1
        words = match.group(5).split(" ")
        # nginx logs "-" or raw bytes for a connection that sent no valid request (a 400): nothing to replay.
        if len(words) not in (2, 3) or not _METHOD.match(words[0]):
            skipped["noRequestLine"] += 1
            continue
        if words[0] != "GET":
            skipped["nonGet"] += 1
            continue
        path = _request_path(words[1])
        if path is None:
            skipped["unusablePath"] += 1
            continue
        kept.append(path)
    return list(kept), skipped, total


def _join(base, path):
    base_path = base.path.rstrip("/")
    return base_path + path


def targets_from_access_log(spec, base_url, allowed_ports, opener=open):
    """Targets replaying the last N GET requests of the log at `spec.path`, against `base_url`."""
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str) or not spec["path"]:
        raise invalid("accessLog must be an object with a path.")
    last_n = spec.get("lastN", 10000)
    if not isinstance(last_n, int) or isinstance(last_n, bool) or not 1 <= last_n <= MAX_REPLAYED:
        raise invalid("accessLog.lastN must be an integer from 1 to %d." % MAX_REPLAYED)
    if not isinstance(base_url, str):
        raise invalid("An accessLog source needs a baseUrl (the twin's forward, e.g. http://127.0.0.1:18080).")
    base = parse_target(base_url, allowed_ports)
    try:
        with opener(spec["path"], "rb") as stream:
            paths, skipped, total = parse_access_log(stream, last_n)
    except AccessLogError as error:
        raise invalid("The access log %s cannot be parsed: %s." % (spec["path"], error),
                      path=spec["path"], line=error.line_number, problem=error.reason)
    except OSError as error:
        raise invalid("The access log %s cannot be read: %s." % (spec["path"], error.strerror or error), path=spec["path"])
    targets = []
    for path in paths:
        full = _join(base, path)
        try:
            check_path(full, path)
        except HelperError:  # a logged path with bytes a request line cannot carry: skipped, counted
            skipped["unusablePath"] += 1
            continue
        targets.append(Target(base.host, base.port, full, base.family, base.host_header))
    if not targets:
        raise invalid("The access log %s has no GET request to replay (%d lines; skipped: %s)."
                      % (spec["path"], total, skipped), path=spec["path"], skipped=skipped)
    source = {"kind": "accessLog", "path": spec["path"], "lines": total, "replayed": len(targets), "skipped": skipped}
    return targets, source
