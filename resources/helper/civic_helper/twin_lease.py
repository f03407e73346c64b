"""A twin's lease: `lease.json` in the session folder, the keeper process that enforces it, and systemd's scope.

A twin is a clone with a lease. The host enforces it: a keeper process the helper leaves on the host
(`lease_keeper.py`) destroys the twin at expiry whatever became of the app, SSH or the helper; where
systemd is PID 1 the clone QEMU also runs in a transient scope with `RuntimeMaxSec=`, so even a dead
keeper cannot let it outlive its lease by more than a grace period.

`lease.json` is only ever replaced whole (write, fsync, rename), under `lease.lock`, so the keeper's
"expired" decision and a `renew` can never interleave.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time

from .errors import HelperError, NOT_FOUND, invalid
from .qmp import pid_alive, read_cmdline

LEASE_NAME = "lease.json"
LEASE_LOCK_NAME = "lease.lock"
LEASE_LOG_NAME = "lease.log"
MIN_LEASE_SECONDS, MAX_LEASE_SECONDS = 30, 86400
# Test-only: a shorter minimum lease, so the end-to-end tests need not wait 30 s per expiry. The app
# never sets it (like CIVIC_HELPER_FAULT).
MIN_LEASE_ENV = "CIVIC_HELPER_MIN_LEASE_SECONDS"
KEEPER_MODULE = "civic_helper.lease_keeper"
# systemd stops the scope this long after the lease: the keeper acts first and tears down cleanly; the
# scope only catches a keeper that died.
SYSTEMD_GRACE_SECONDS = 60
# Where systemd runs the host it owns the cgroup tree, so the clone's lower share is asked of systemd:
# in machine.slice, beside libvirt's VMs (weights only compare among siblings), at a fifth of the
# default weight of 100.
SCOPE_SLICE = "machine.slice"
SCOPE_CPU_WEIGHT = 20
SCOPE_IO_WEIGHT = 20


def min_lease_seconds(environ=None):
    """The smallest lease accepted: 30 s, or the test-only override (at least 1 s)."""
    environ = os.environ if environ is None else environ
    try:
        return max(1, min(MIN_LEASE_SECONDS, int(environ.get(MIN_LEASE_ENV, MIN_LEASE_SECONDS))))
    except ValueError:
        return MIN_LEASE_SECONDS


def parse_lease_seconds(value, environ=None, name="leaseSeconds"):
    """An integer lease length in seconds, 30..86400; VALIDATION_FAILED otherwise."""
    low = min_lease_seconds(environ)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= MAX_LEASE_SECONDS:
        raise invalid("`%s` must be an integer from %d to %d." % (name, low, MAX_LEASE_SECONDS))
    return value


class LeaseLock:
    """The lock over lease.json: the keeper's expiry decision and `renew` take it in turn."""

    def __init__(self, session):
        self._path = session.path(LEASE_LOCK_NAME)
        self._clone_id = session.clone_id
        self._fd = None

    def __enter__(self):
        try:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            # The folder went away (a destroy finished meanwhile): the twin is gone.
            raise HelperError(NOT_FOUND, "No clone %s on this host." % self._clone_id,
                              detail={"cloneId": self._clone_id})
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self._fd)
        return False


def read_lease(session):
    """The lease of a session, or None when it is not a twin (or its lease file was never written)."""
    try:
        with open(session.path(LEASE_NAME)) as handle:
            lease = json.load(handle)
    except (OSError, ValueError):
        return None
    return lease if isinstance(lease, dict) and isinstance(lease.get("expiresAt"), (int, float)) else None


def write_lease(session, lease):
    """Replace lease.json atomically: a reader sees the old lease or the new one, never half of one."""
    temporary = session.path(LEASE_NAME + ".tmp")
    with open(temporary, "w") as handle:
        json.dump(lease, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, session.path(LEASE_NAME))
    fd = os.open(session.dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_lease(ttl_seconds, now=None):
    """A lease of `ttl_seconds` from now."""
    now = time.time() if now is None else now
    return {"expiresAt": round(now + ttl_seconds, 3), "ttlSeconds": ttl_seconds, "renewedAt": round(now, 3)}


def is_expired(lease, now=None):
    """Whether the keeper has marked the lease expired or its time has passed."""
    now = time.time() if now is None else now
    return bool(lease.get("expired")) or now >= lease["expiresAt"]


def keeper_alive(session, pid):
    """Whether `pid` is a live lease keeper of this session (a reused PID is not)."""
    if not isinstance(pid, int) or pid <= 0 or not pid_alive(pid):
        return False
    argv = read_cmdline(pid) or []
    return any(KEEPER_MODULE in arg for arg in argv) and session.dir in argv


def lease_summary(session, lease=None, now=None):
    """What results and `gc` show: {expiresAt, ttlSeconds, secondsLeft, expired, keeperPid, keeperAlive, systemd}."""
    lease = read_lease(session) if lease is None else lease
    if lease is None:
        return None
    now = time.time() if now is None else now
    pid = lease.get("keeperPid")
    return {"expiresAt": lease["expiresAt"], "ttlSeconds": lease.get("ttlSeconds"),
            "secondsLeft": max(0.0, round(lease["expiresAt"] - now, 1)), "expired": is_expired(lease, now),
            "keeperPid": pid, "keeperAlive": keeper_alive(session, pid), "systemd": lease.get("systemd")}


def start_keeper(session):
    """Start a lease keeper for the session (detached, its own session, output to lease.log); returns its PID.

    It holds none of the helper's descriptors (stdin /dev/null, stdout and stderr the log), so a helper's
    stdout closes when the helper exits and the app's reader sees the end of the run.
    """
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = ("import sys; sys.path.insert(0, %r); from civic_helper.lease_keeper import main; "
            "sys.exit(main(sys.argv[1:]))" % package_parent)
    log = open(session.path(LEASE_LOG_NAME), "ab")
    try:
        process = subprocess.Popen(
            [sys.executable, "-S", "-c", code, KEEPER_MODULE, session.dir],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True, start_new_session=True,
            cwd="/")
    finally:
        log.close()
    # Never waited for: it outlives this helper and init reaps it. Drop the handle so Python does not
    # warn about a child still running when the helper exits.
    process.returncode = 0
    return process.pid


def ensure_keeper(session, lease):
    """Start a keeper when the lease's recorded one is not alive; returns (pid, restarted)."""
    if keeper_alive(session, lease.get("keeperPid")):
        return lease["keeperPid"], False
    pid = start_keeper(session)
    return pid, True


# -- systemd, the second line of defence ------------------------------------------------------------


def systemd_status(proc_comm="/proc/1/comm", which=shutil.which):
    """Whether the clone can also run in a transient scope: systemd is PID 1 and systemd-run exists."""
    try:
        with open(proc_comm) as handle:
            init = handle.read().strip()
    except OSError:
        init = None
    if init != "systemd":
        return {"usable": False, "reason": "PID 1 is %s, not systemd" % (init or "unknown")}
    if which("systemd-run") is None or which("systemctl") is None:
        return {"usable": False, "reason": "systemd-run or systemctl is missing"}
    if not os.path.isdir("/run/systemd/system"):
        return {"usable": False, "reason": "/run/systemd/system is missing (systemd is not running the host)"}
    return {"usable": True, "reason": None}


def scope_unit_name(clone_id):
    """The transient scope's name for a clone."""
    return "civic-clone-%s.scope" % clone_id


def scope_argv(clone_id, lease_seconds, clone_argv):
    """Run the clone's argv inside a transient scope whose RuntimeMaxSec= ends it after the lease and a grace.

    `systemd-run --scope` registers the scope and then execs the command itself: the QEMU keeps the PID
    the helper started, and its argv (with the pidfile teardown looks for) is the clone's own.
    """
    return ["systemd-run", "--scope", "--quiet", "--collect", "--unit=" + scope_unit_name(clone_id),
            "--slice=" + SCOPE_SLICE, "--property=RuntimeMaxSec=%ds" % (lease_seconds + SYSTEMD_GRACE_SECONDS),
            "--property=CPUWeight=%d" % SCOPE_CPU_WEIGHT, "--property=IOWeight=%d" % SCOPE_IO_WEIGHT,
            "--"] + list(clone_argv)


def scope_runtime_argv(clone_id, seconds_from_start):
    """`systemctl set-property` that moves the scope's RuntimeMaxSec= (counted from the scope's start)."""
    return ["systemctl", "set-property", "--runtime", scope_unit_name(clone_id),
            "RuntimeMaxSec=%ds" % (seconds_from_start + SYSTEMD_GRACE_SECONDS)]


def extend_scope(clone_id, started_at, expires_at, run=subprocess.run):
    """Move the scope's limit to the new expiry; returns {"unit", "renewed", "error"?}."""
    argv = scope_runtime_argv(clone_id, int(expires_at - started_at) + 1)
    try:
        completed = run(argv, capture_output=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired) as error:
        return {"unit": scope_unit_name(clone_id), "renewed": False, "error": str(error)}
    if completed.returncode != 0:
        return {"unit": scope_unit_name(clone_id), "renewed": False,
                "error": completed.stderr.decode("utf-8", "replace").strip()[-300:]}
    return {"unit": scope_unit_name(clone_id), "renewed": True}


def probe_lease():
    """What `probe` says under `lease`: the mechanisms this host offers, best first."""
    systemd = systemd_status()
    mechanisms = (["systemd-scope"] if systemd["usable"] else []) + ["keeper"]
    return {"mechanisms": mechanisms, "systemd": systemd, "minSeconds": min_lease_seconds(),
            "maxSeconds": MAX_LEASE_SECONDS}
