"""The `load` verb: drive HTTP load at a twin's forwards on loopback and report what the service did.

Arguments (JSON): {cloneId, targets: [url | {url, weight}] | accessLog: {path, lastN}, baseUrl,
mode: "closed" | "open", concurrency, rate, warmupSeconds, durationSeconds, maxRequests, allowedPorts: [int],
timeoutSeconds}. Every target is checked before the first byte is sent (load_targets.py): on loopback, and
on a port of the live twin `cloneId`'s forwards (narrowed further by `allowedPorts` when given), so the
driver can never be turned on production or anything else the host reaches. The run is bounded in time
and count by hard caps whatever the caller asks, and stops by itself.
"""

import os

from .errors import Cancelled, invalid
from .load_engine import LoadPlan, LoadRun
from .load_sources import targets_from_access_log, targets_from_list
from .load_targets import parse_allowed_ports

MAX_DURATION_SECONDS = 600
MAX_WARMUP_SECONDS = 120
MAX_REQUESTS = 10000000
MAX_CONCURRENCY = 512
MAX_RATE = 100000
MAX_TIMEOUT_SECONDS = 60

# Test-only: lets the helper's own tests and the driver's benchmark aim at a plain loopback server with
# no twin (still loopback only). The app never sets it.
ANY_LOOPBACK_ENV = "CIVIC_HELPER_LOAD_ANY_LOOPBACK"

_KNOWN = frozenset(("cloneId", "targets", "accessLog", "baseUrl", "mode", "concurrency", "rate", "warmupSeconds",
                    "durationSeconds", "maxRequests", "allowedPorts", "timeoutSeconds"))


def _number(args, name, default, low, high, integer=False, low_open=False):
    value = args.get(name, default)
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise invalid("%s must be a%s number." % (name, "n integer" if integer else ""), argument=name)
    if value > high or value < low or (low_open and value == low):
        raise invalid("%s must be %s %s and at most %s." % (name, "above" if low_open else "at least", low, high),
                      argument=name, value=value)
    return value


def parse_load_args(args, twin_ports=None):
    """The plan and the source description for the verb's JSON arguments; refusals raise before any I/O.

    `twin_ports`: the twin's forward ports (None: only `allowedPorts`, if any, limits the ports).
    """
    unknown = sorted(set(args) - _KNOWN)
    if unknown:
        raise invalid("Unknown load arguments: %s." % ", ".join(unknown), unknown=unknown)
    allowed_ports = parse_allowed_ports(args.get("allowedPorts"))
    if twin_ports is not None:
        allowed_ports = twin_ports if allowed_ports is None else allowed_ports & twin_ports
    if ("targets" in args) == ("accessLog" in args):
        raise invalid("Give exactly one request source: targets (a list of URLs) or accessLog {path, lastN}.")
    mode = args.get("mode", "closed")
    if mode not in ("closed", "open"):
        raise invalid('mode must be "closed" (fixed concurrency) or "open" (fixed rate).', argument="mode")
    plan = LoadPlan(
        targets=None,
        mode=mode,
        concurrency=_number(args, "concurrency", 8, 1, MAX_CONCURRENCY, integer=True),
        rate=_number(args, "rate", 0, 0, MAX_RATE, low_open=True) if mode == "open" else None,
        warmup_seconds=_number(args, "warmupSeconds", 1, 0, MAX_WARMUP_SECONDS),
        duration_seconds=_number(args, "durationSeconds", 10, 0, MAX_DURATION_SECONDS, low_open=True),
        max_requests=_number(args, "maxRequests", MAX_REQUESTS, 1, MAX_REQUESTS, integer=True),
        timeout_seconds=_number(args, "timeoutSeconds", 10, 0, MAX_TIMEOUT_SECONDS, low_open=True),
    )
    if mode == "open" and "rate" not in args:
        raise invalid("An open-loop run needs a rate (requests per second).", argument="rate")
    if "targets" in args:
        if "baseUrl" in args:
            raise invalid("baseUrl goes with accessLog; targets are full URLs.", argument="baseUrl")
        plan.targets = targets_from_list(args["targets"], allowed_ports)
        source = {"kind": "targets", "targets": sorted({target.url() for target in plan.targets})}
    else:
        plan.targets, source = targets_from_access_log(args["accessLog"], args.get("baseUrl"), allowed_ports)
    return plan, source


def _progress(emitter, plan):
    total = plan.warmup_seconds + plan.duration_seconds

    def on_second(run, elapsed, _now):
        warming = elapsed <= plan.warmup_seconds
        index = int(elapsed - plan.warmup_seconds) - 1
        second = run.timeline[index] if 0 <= index < len(run.timeline) else None
        p95 = second.histogram.percentile(95) if second is not None else None
        emitter.progress(
            "load", elapsed / total if total else 1.0,
            ("Warming up (%d of %g s)" % (elapsed, plan.warmup_seconds)) if warming else
            ("Measuring: %d of %g s, %d requests" % (elapsed - plan.warmup_seconds, plan.duration_seconds, run.completed)),
            phase="warmup" if warming else "measure", second=elapsed, sent=run.completed, ok=run.ok,
            errors=run.completed - run.ok, warmupRequests=run.warmup_requests,
            secondRequests=second.requests if second is not None else 0,
            secondP95Ms=None if p95 is None else p95 / 1000.0)

    return on_second


def run_load(context, args):
    """The `load` verb: check everything, run the plan, return {source, report}."""
    twin_ports = None
    if "cloneId" in args or os.environ.get(ANY_LOOPBACK_ENV) != "1":
        if "cloneId" not in args:
            raise invalid("load needs the cloneId of the twin whose forwards it drives.", argument="cloneId")
        from .twin import twin_forward_ports
        twin_ports = twin_forward_ports(context, args["cloneId"])
    plan, source = parse_load_args(args, twin_ports)
    token = context.token
    run = LoadRun(plan, on_second=_progress(context.emitter, plan), should_stop=lambda: token.requested)
    report = run.run()
    if report["stoppedBy"] == "cancel":
        error = Cancelled(token.reason or "cancel requested")
        error.detail["partialReport"] = report
        raise error
    return {"source": source, "report": report}
