"""Twins: clones kept alive under a lease. The `clone` hooks, and the `renew` and `forward` verbs.

A twin is made by `clone` with `leaseSeconds`. Before its `ready` record the helper writes lease.json,
starts the lease keeper and journals a `lease` record, so no ready twin is ever without a keeper
(a helper killed between the two leaves a twin `recover` restarts a keeper for, or destroys when its
lease has passed).
"""

import re
import socket
import time

from .errors import HelperError, NOT_FOUND, VM_BUSY, failed, invalid
from .guest_network import parse_ipv4
from .journal import Journal
from .qmp import QmpClient, QmpError, pid_alive, read_cmdline
from .session import check_clone_id, open_session
from .twin_lease import (LeaseLock, ensure_keeper, extend_scope, is_expired, lease_summary, new_lease,
                         parse_lease_seconds, read_lease, start_keeper, write_lease)

FORWARD_PICK_ATTEMPTS = 5
# `info usernet` rows: "  TCP[HOST_FORWARD]  13   127.0.0.1  5555   10.0.2.15   22   0   0".
USERNET_ROW = re.compile(r"^\s*(TCP|UDP)\[HOST_FORWARD\]\s+-?\d+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s", re.MULTILINE)


# -- clone hooks ------------------------------------------------------------------------------------


def parse_twin_args(args):
    """The `clone` arguments a twin adds: leaseSeconds (None = a plain clone) and guestNetwork."""
    from .guest_network import parse_guest_network
    lease = args.get("leaseSeconds")
    return {"leaseSeconds": None if lease is None else parse_lease_seconds(lease),
            "guestNetwork": parse_guest_network(args.get("guestNetwork"))}


def clone_launch(clone_id, args, clone_argv):
    """(argv, preexec, in_scope) for the clone QEMU: lower priority always; a systemd scope for a twin where usable."""
    from .clone_priority import lower_priority
    from .twin_lease import scope_argv, systemd_status
    if args.get("leaseSeconds") and systemd_status()["usable"]:
        return scope_argv(clone_id, args["leaseSeconds"], clone_argv), lower_priority, True
    return list(clone_argv), lower_priority, False


def finish_clone(op):
    """Before `ready`: the clone's priority and forwards read back, and for a twin its lease and keeper."""
    from .clone_priority import read_priority
    extra = {"priority": read_priority(op.clone_process.pid), "guestNetwork": op.args.get("guestNetwork")}
    try:
        extra["forwards"] = usernet_forwards(op.clone_monitor.execute(
            "human-monitor-command", {"command-line": "info usernet"}))
    except QmpError:
        extra["forwards"] = []
    if op.args.get("leaseSeconds"):
        systemd = None
        if getattr(op, "clone_scope", False):
            from .twin_lease import scope_unit_name
            systemd = {"unit": scope_unit_name(op.session.clone_id), "renewed": None}
        extra["lease"] = start_lease(op.session, op.journal, op.args["leaseSeconds"], systemd)
    return extra


def start_lease(session, journal, lease_seconds, systemd=None):
    """Write the lease, start its keeper and journal it; returns the lease summary for the result."""
    lease = new_lease(lease_seconds)
    lease["cloneStartedAt"] = lease["renewedAt"]
    if systemd is not None:
        lease["systemd"] = systemd
    write_lease(session, lease)
    lease["keeperPid"] = start_keeper(session)
    write_lease(session, lease)
    journal.append("lease", expiresAt=lease["expiresAt"], ttlSeconds=lease_seconds, keeperPid=lease["keeperPid"],
                   systemd=systemd)
    return lease_summary(session, lease)


def usernet_forwards(hmp_text):
    """The host forwards `info usernet` lists: [{protocol, hostAddress, hostPort, guestAddress, guestPort}]."""
    return [{"protocol": m.group(1).lower(), "hostAddress": m.group(2), "hostPort": int(m.group(3)),
             "guestAddress": m.group(4), "guestPort": int(m.group(5))} for m in USERNET_ROW.finditer(hmp_text)]


def first_user_netdev(argv):
    """The id of the clone's first user netdev (where forwards go), or None (-nic without an id)."""
    for index, option in enumerate(argv[:-1]):
        value = argv[index + 1]
        if option in ("-netdev", "-nic") and (value.startswith("user,") or value == "user"):
            match = re.search(r"(?:^|,)id=([^,]+)", value)
            return match.group(1) if match else None
    return None


def clone_forwards(qmp_socket, token=None):
    """The forwards slirp holds now (clone-time and runtime), read back with `info usernet`."""
    with QmpClient(qmp_socket, timeout=10.0, token=token) as clone:
        return usernet_forwards(clone.execute("human-monitor-command", {"command-line": "info usernet"}))


# -- verbs ------------------------------------------------------------------------------------------


def _running_session(context, args, lock):
    session = open_session(context.root, check_clone_id(args.get("cloneId")))
    if lock and not session.try_lock():
        raise HelperError(VM_BUSY, "Another helper is working on clone %s." % session.clone_id,
                          detail={"cloneId": session.clone_id})
    view = session.journal_view()
    pid = session.clone_pid()
    if view.state != "ready" or not pid or not pid_alive(pid):
        session.unlock()
        raise HelperError(NOT_FOUND, "Clone %s is not running (state %s)." % (session.clone_id, view.state),
                          detail={"cloneId": session.clone_id, "state": view.state})
    return session, view


def renew(context, args):
    """Extend a twin's lease to now + leaseSeconds, and restart its keeper if it died."""
    seconds = parse_lease_seconds(args.get("leaseSeconds"))
    # No session lock: a twin is renewed while a collect or a load works on it. The lease lock orders
    # renew against the keeper's expiry decision.
    session, _ = _running_session(context, args, lock=False)
    with LeaseLock(session):
        lease = read_lease(session)
        if lease is None:
            raise invalid("Clone %s is not a twin (it was made without leaseSeconds); there is no lease to renew."
                          % session.clone_id, cloneId=session.clone_id)
        if is_expired(lease):
            raise invalid("The lease of twin %s ran out at %s; it is being destroyed and cannot be renewed." % (
                session.clone_id, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(lease["expiresAt"]))),
                cloneId=session.clone_id, expiresAt=lease["expiresAt"], expired=True)
        now = time.time()
        lease.update(expiresAt=round(now + seconds, 3), ttlSeconds=seconds, renewedAt=round(now, 3))
        if lease.get("systemd"):
            lease["systemd"] = dict(lease["systemd"], **extend_scope(
                session.clone_id, lease.get("cloneStartedAt", now), lease["expiresAt"]))
        pid, restarted = ensure_keeper(session, lease)
        lease["keeperPid"] = pid
        write_lease(session, lease)
        Journal(session.dir).append("lease-renewed", expiresAt=lease["expiresAt"], ttlSeconds=seconds,
                                    keeperPid=pid, keeperRestarted=restarted)
    return {"cloneId": session.clone_id, "lease": lease_summary(session, lease), "keeperRestarted": restarted}


def parse_forward_args(args):
    """Validate `forward`: guestPort 1..65535, hostPort 0..65535 (0 = pick), guestAddress a dotted IPv4."""
    guest_port = args.get("guestPort")
    if not isinstance(guest_port, int) or isinstance(guest_port, bool) or not 1 <= guest_port <= 65535:
        raise invalid("`guestPort` must be an integer from 1 to 65535.")
    host_port = args.get("hostPort", 0)
    if not isinstance(host_port, int) or isinstance(host_port, bool) or not 0 <= host_port <= 65535:
        raise invalid("`hostPort` must be an integer from 0 (pick one) to 65535.")
    address = args.get("guestAddress")
    if address is not None:
        address = str(parse_ipv4(address, "guestAddress"))
    return {"guestPort": guest_port, "hostPort": host_port, "guestAddress": address}


def free_loopback_port():
    """A TCP port on 127.0.0.1 nobody listens on right now (slirp binds it a moment later; retried if taken)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
    finally:
        probe.close()


def hostfwd_rule(host_port, guest_address, guest_port):
    """The hostfwd_add rule: loopback only on the host; an empty guest address is slirp's default guest."""
    return "tcp:127.0.0.1:%d-%s:%d" % (host_port, guest_address or "", guest_port)


def forward(context, args):
    """Add a loopback forward to a running clone through its own QMP; returns the bound host port."""
    wanted = parse_forward_args(args)
    session, view = _running_session(context, args, lock=True)
    try:
        address = wanted["guestAddress"] or (view.begin.get("guestNetwork") or {}).get("address") or ""
        netdev = first_user_netdev(read_cmdline(session.clone_pid()) or [])
        journal = Journal(session.dir)
        attempts = FORWARD_PICK_ATTEMPTS if wanted["hostPort"] == 0 else 1
        with QmpClient(session.qmp_socket, timeout=10.0, token=context.token) as clone:
            for attempt in range(attempts):
                port = wanted["hostPort"] or free_loopback_port()
                rule = hostfwd_rule(port, address, wanted["guestPort"])
                journal.append("forward", rule=rule, netdev=netdev)
                command = "hostfwd_add %s%s" % (netdev + " " if netdev else "", rule)
                try:
                    reply = clone.execute("human-monitor-command", {"command-line": command})
                except QmpError as error:
                    raise failed("QEMU refused the forward %s: %s" % (rule, error.desc), rule=rule)
                listed = usernet_forwards(clone.execute("human-monitor-command", {"command-line": "info usernet"}))
                bound = [f for f in listed if f["hostPort"] == port and f["protocol"] == "tcp"]
                if not reply.strip() and bound:
                    # The guest address as slirp resolved it (its default guest when none was given).
                    entry = {"protocol": "tcp", "hostAddress": "127.0.0.1", "hostPort": port,
                             "guestAddress": address or bound[0]["guestAddress"], "guestPort": wanted["guestPort"]}
                    journal.append("forward-added", **entry)
                    return {"cloneId": session.clone_id, "forward": entry, "forwards": listed}
                journal.append("forward-failed", rule=rule, qemu=reply.strip()[-300:])
                if attempt + 1 == attempts:
                    raise failed("The forward %s could not bind 127.0.0.1:%d: %s" % (
                        rule, port, reply.strip() or "slirp does not list it"), rule=rule, hostPort=port)
        raise failed("The forward could not bind.")  # not reached: the loop returns or raises
    finally:
        session.unlock()


def twin_forward_ports(context, clone_id):
    """The loopback ports of a live twin's TCP forwards: the only places the `load` verb may aim at."""
    session, view = _running_session(context, {"cloneId": clone_id}, lock=False)
    lease = read_lease(session)
    if lease is None:
        raise invalid("Clone %s is not a twin: load is driven only at a twin's forwards." % session.clone_id,
                      cloneId=session.clone_id)
    if is_expired(lease):
        raise invalid("Twin %s is past its lease." % session.clone_id, cloneId=session.clone_id, expired=True)
    forwards = twin_facts(session, view)["forwards"]
    return frozenset(f["hostPort"] for f in forwards if f.get("protocol", "tcp") == "tcp" and f.get("hostPort"))


def twin_facts(session, view):
    """What `gc` adds to a session entry: forwards (clone-time and runtime), and for a twin `twin` and `lease`."""
    facts = {"forwards": (view.data("ready").get("result") or {}).get("forwards", []) +
             view.all_data("forward-added")}
    lease = read_lease(session)
    if lease is not None:
        facts.update(twin=True, lease=lease_summary(session, lease))
    return facts


def lease_verdict(session, view):
    """For `recover` and `gc`: "expired" for a twin past its lease, "live" for one within it, None for a clone."""
    lease = read_lease(session)
    if lease is None:
        # lease.json is written before the `lease` record: a twin whose file is lost counts as expired,
        # since nothing may run past its lease.
        return "expired" if view.has("lease") else None
    return "expired" if is_expired(lease) else "live"


def restart_dead_keeper(session):
    """Give a live twin whose keeper died a new one; returns {"keeperRestarted", "lease"}."""
    with LeaseLock(session):
        lease = read_lease(session)
        if lease is None:
            return {"keeperRestarted": False, "lease": None}
        pid, restarted = ensure_keeper(session, lease)
        if restarted:
            lease["keeperPid"] = pid
            write_lease(session, lease)
            Journal(session.dir).append("keeper-restarted", keeperPid=pid)
    return {"keeperRestarted": restarted, "lease": lease_summary(session, lease)}
