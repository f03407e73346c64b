"""The lease keeper: a small process left on the host that destroys a twin when its lease runs out.

Started detached by `clone` (with `leaseSeconds`), `renew` and `recover` (its own session, stdin from
/dev/null, output to `lease.log`), it follows `lease.json` once a second, so a `renew` moves its
deadline without talking to it. At expiry it marks the lease expired (under the lease lock, so a late
`renew` is refused rather than lost) and tears the twin down exactly as `destroy` does, with reason
`lease-expired`: session lock first, retried; when another helper still holds the lock after 30 s it
stops the clone QEMU anyway (that helper's work ends with the clone) and keeps retrying the teardown.
It exits when the session folder is gone (destroyed by the user, or by itself).
"""

import os
import sys
import time
import traceback

from .errors import HelperError
from .journal import Journal
from .session import MARKER_NAME, Session
from .teardown import stop_clone_process, teardown
from .twin_lease import LeaseLock, is_expired, read_lease, write_lease

TICK_SECONDS = 1.0
LOCK_PATIENCE_SECONDS = 30.0
LOCK_RETRY_SECONDS = 0.5
# A teardown that failed (the source unreachable while our overlay is on it) is tried again this often,
# for this long; after that `recover` at the app's next connect takes over.
TEARDOWN_RETRY_SECONDS = 10.0
TEARDOWN_GIVE_UP_SECONDS = 3600.0


def log(message):
    """One line in lease.log (our stderr), with the time."""
    sys.stderr.write("%s lease keeper %d: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), os.getpid(),
                                                   message))
    sys.stderr.flush()


def session_of(session_dir):
    """The Session of a folder path `<root>/<cloneId>`."""
    return Session(os.path.dirname(session_dir), os.path.basename(session_dir))


def gone(session):
    """The folder (or its marker) is gone: someone destroyed the twin."""
    return not os.path.isfile(session.path(MARKER_NAME))


def wait_for_expiry(session, clock=time.time, sleep=time.sleep):
    """Follow lease.json until the lease has expired (returns True) or the session is gone (False)."""
    while True:
        if gone(session):
            return False
        lease = read_lease(session)
        now = clock()
        if lease is not None and is_expired(lease, now):
            return True
        remaining = lease["expiresAt"] - now if lease is not None else TICK_SECONDS
        sleep(max(0.05, min(TICK_SECONDS, remaining)))


def mark_expired(session, clock=time.time):
    """Record the expiry under the lease lock; False when a renew got there first (or the twin is gone)."""
    if gone(session):
        return False
    with LeaseLock(session):
        lease = read_lease(session)
        if gone(session) or lease is None:
            return False
        if not is_expired(lease, clock()):
            return False
        if not lease.get("expired"):
            lease["expired"] = True
            lease["expiredAt"] = round(clock(), 3)
            write_lease(session, lease)
    return True


def take_session_lock(session, patience=LOCK_PATIENCE_SECONDS, clock=time.monotonic, sleep=time.sleep):
    """Take the session lock, retrying; past `patience` stop the clone QEMU once and go on retrying.

    Returns True with the lock held, False when the session went away meanwhile.
    """
    started = clock()
    stopped = False
    while True:
        if gone(session):
            return False
        try:
            if session.try_lock():
                return True
        except FileNotFoundError:
            return False
        if not stopped and clock() - started >= patience:
            log("another helper has held the session for %.0f s; stopping the clone QEMU anyway" % patience)
            stop_clone_process(session)
            stopped = True
        sleep(LOCK_RETRY_SECONDS)


def destroy_expired(session):
    """Tear the twin down as `destroy` does, reason `lease-expired`; retried while the source is unreachable."""
    from .lifecycle import _source_opener  # the same opener destroy uses; imported late (lifecycle imports us)

    give_up = time.monotonic() + TEARDOWN_GIVE_UP_SECONDS
    while True:
        if not take_session_lock(session):
            log("the twin was destroyed by someone else")
            return 0
        try:
            view = session.journal_view()
            summary = teardown(session, Journal(session.dir), view, _source_opener(session, view), None,
                               reason="lease-expired")
            log("lease expired: twin destroyed (%s)" % (", ".join(summary["actions"]) or "nothing to undo"))
            return 0
        except HelperError as error:
            log("teardown failed: %s" % error.message)
        except Exception:  # a bug or a QMP surprise must not let the twin outlive its lease: log, retry
            log("teardown failed:\n" + traceback.format_exc())
        finally:
            session.unlock()
        if time.monotonic() >= give_up:
            log("giving up; run `civic-helper recover` for %s" % session.clone_id)
            return 1
        time.sleep(TEARDOWN_RETRY_SECONDS)


def main(argv):
    """Keep one twin's lease: argv is [module name, session folder]."""
    session = session_of(argv[-1])
    log("keeping the lease of %s" % session.clone_id)
    try:
        while True:
            if not wait_for_expiry(session):
                log("the session folder is gone; nothing to keep")
                return 0
            if mark_expired(session):
                break
    except HelperError as error:  # the lease lock's folder vanished: destroyed meanwhile
        log(error.message)
        return 0
    return destroy_expired(session)
