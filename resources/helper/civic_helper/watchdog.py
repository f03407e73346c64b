"""The pause watchdog: a process apart from the helper that puts the source back in service if the helper
dies or stalls while our migration can hold the source paused.

The helper starts it before it touches the source and tells it over a pipe when the source is at risk
(`arm`: from the journal record before `stop` or `migrate`), when a pause began (`paused`), and when the
risk is over (`disarm`). While armed, the watchdog acts when
- the pipe closes: the helper is gone (SIGKILL, OOM, a crash), or
- a pause outlives its budget, or (precopy) the helper stopped polling the migration that will pause the
  source by itself: the helper is stuck, so the watchdog SIGKILLs it first.
Acting means what the journal says: `migrate_cancel` for a precopy migration, `cont` for a source we
stopped, then a `source-resumed` record saying so. The clone, overlays and settings are left to `recover`,
which the app runs at its next connect: the watchdog's one job is that production runs.

It holds no QMP connection until it acts (QMP serves one client, and the helper has it); a dead helper's
socket is closed by the kernel, so the watchdog's connection is accepted next.
"""

import json
import os
import select
import signal
import subprocess
import sys
import time

from .errors import HelperError, failed
from .journal import JOURNAL_NAME, Journal, JournalView, read_records
from .qmp import QmpError, pid_alive, wait_for
from .teardown import resume_source
from .vm import VmSource

# The helper enforces its budget itself first; the watchdog steps in this much later.
BUDGET_GRACE_S = 0.02
# A precopy migration pauses the source on its own at pre-switchover: the helper must keep polling it.
MIN_BEAT_S = 0.25
# A helper that is rolling back resumes the source first thing; past this it counts as stuck.
ROLLBACK_GRACE_S = 0.1
READY_LINE = b"ready\n"
CONNECT_SECONDS = 10.0


class WatchdogLink:
    """The helper's end: starts the watchdog process and tells it what the source's risk is."""

    def __init__(self, session, source, max_pause_ms):
        self.session = session
        self.lost = False
        self._pause_hooks = []
        package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        config = {"sessionDir": session.dir, "vm": source.describe(), "helperPid": os.getpid(),
                  "maxPauseMs": max_pause_ms}
        code = "import sys; sys.path.insert(0, %r); from civic_helper.watchdog import main; sys.exit(main(sys.argv[1:]))"
        log = open(session.path("watchdog.log"), "ab")
        try:
            # Its own session: a cancel that signals the helper's process group must not reach it.
            self.process = subprocess.Popen(
                [sys.executable, "-S", "-c", code % package_parent, json.dumps(config)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, close_fds=True, start_new_session=True)
        finally:
            log.close()
        os.set_blocking(self.process.stdin.fileno(), False)
        self._ready = False
        self.armed = False

    @property
    def pid(self):
        """The watchdog's PID."""
        return self.process.pid

    def wait_ready(self, timeout=30.0):
        """Wait for the watchdog's `ready` line; raise when it did not start."""
        if self._ready:
            return
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        received = b""
        while READY_LINE not in received:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None:
                raise failed("The pause watchdog did not start (%s); the source was not touched." % (
                    "exited with status %s" % self.process.returncode if self.process.poll() is not None
                    else "no answer in %.0f s" % timeout), log=self.session.path("watchdog.log"))
            ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
            if ready:
                chunk = os.read(fd, 64)
                if not chunk:
                    continue
                received += chunk
        self.process.stdout.close()
        self._ready = True

    def on_pause(self, hook):
        """Call hook(paused_at) when a pause begins (test-only fault timers use it)."""
        self._pause_hooks.append(hook)

    def arm(self, beat_within_ms=None):
        """The source is at risk from now on; refuse to go on without a live watchdog."""
        self.wait_ready()
        if not self._send({"arm": True, "beatWithinMs": beat_within_ms}) or self.process.poll() is not None:
            raise failed("The pause watchdog is not running; the clone was abandoned before the source was paused.")
        self.armed = True

    def beat(self):
        """The helper is alive and polling (precopy, before the pause)."""
        self._send({"beat": True})

    def paused(self, paused_at):
        """A pause began at `paused_at` (time.monotonic(), which is one clock for every process)."""
        self._send({"paused": paused_at})
        for hook in self._pause_hooks:
            hook(paused_at)

    def rolling_back(self):
        """The helper noticed a failure and is putting the source back itself: give it a moment."""
        if self.armed:
            self._send({"rollback": time.monotonic()})

    def disarm(self):
        """The source runs and nothing of ours can pause it again."""
        self.armed = False
        self._send({"disarm": True})

    def close(self):
        """End the watchdog: an armed one takes the closed pipe as the helper's death and acts."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _send(self, message):
        # Never raise inside the pause: a dead watchdog only means the helper keeps the promise alone.
        if self.lost:
            return False
        try:
            os.write(self.process.stdin.fileno(), json.dumps(message).encode("utf-8") + b"\n")
            return True
        except BlockingIOError:
            # A stopped watchdog with a full pipe: the beat is dropped, the helper is not held up.
            return True
        except (OSError, ValueError):
            self.lost = True
            return False


class Watch:
    """The watchdog's state: armed or not, the pause start, the last heartbeat."""

    def __init__(self, config, clock=time.monotonic):
        self.config = config
        self.clock = clock
        self.budget_s = config["maxPauseMs"] / 1000.0
        self.armed = False
        self.beat_within_s = None
        self.last_beat = None
        self.paused_at = None
        self.rollback_until = None

    def take(self, message):
        """Apply one message from the helper."""
        if message.get("arm"):
            self.armed = True
            within = message.get("beatWithinMs")
            self.beat_within_s = max(MIN_BEAT_S, within / 1000.0) if within else None
            self.last_beat = self.clock()
        if message.get("beat"):
            self.last_beat = self.clock()
        if message.get("paused") is not None:
            self.paused_at = float(message["paused"])
            self.beat_within_s = None
        if message.get("rollback") is not None and self.armed:
            self.rollback_until = float(message["rollback"]) + ROLLBACK_GRACE_S
            self.beat_within_s = None
        if message.get("disarm"):
            self.armed = False
            self.paused_at = None
            self.beat_within_s = None
            self.rollback_until = None

    def deadline(self):
        """The monotonic time at which a stuck helper must be stopped, or None."""
        if not self.armed:
            return None
        times = []
        if self.paused_at is not None:
            times.append(self.paused_at + self.budget_s + BUDGET_GRACE_S)
        if self.beat_within_s is not None and self.last_beat is not None:
            times.append(self.last_beat + self.beat_within_s)
        deadline = min(times) if times else None
        if self.rollback_until is not None:
            return max(deadline or 0.0, self.rollback_until)
        return deadline

    def overdue_reason(self):
        """Why the helper counts as stuck now, or None."""
        deadline = self.deadline()
        if deadline is None or self.clock() < deadline:
            return None
        if self.rollback_until is not None:
            return "helper stuck while rolling back"
        if self.paused_at is not None:
            return "pause budget spent"
        return "helper stopped polling the migration"


def main(argv):
    """Run the watchdog for one clone session (argv[0]: its JSON config)."""
    config = json.loads(argv[0])
    watch = Watch(config)
    link = SourceLink(config["vm"])
    os.write(1, READY_LINE)
    # The helper reads our stdout only for that line; hold no end of its pipes after it.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    try:
        reason = follow(watch, 0, link.warm)
        if reason is None:
            return 0
        if reason != "helper gone":
            stop_helper(config["helperPid"])
        rescue(config["sessionDir"], watch, link, reason)
        return 0
    finally:
        link.close()


def follow(watch, fd, on_arm=None):
    """Read the helper's messages until it disarms and leaves (None) or something needs us (a reason)."""
    buffer = b""
    while True:
        deadline = watch.deadline()
        timeout = None if deadline is None else max(0.0, deadline - watch.clock())
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            reason = watch.overdue_reason()
            if reason:
                return reason
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return "helper gone" if watch.armed else None
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            try:
                message = json.loads(line.decode("utf-8"))
                watch.take(message)
            except (ValueError, UnicodeDecodeError, TypeError, AttributeError):
                continue
            if message.get("arm") and on_arm is not None:
                on_arm()


class SourceLink:
    """How the watchdog reaches the source: QMP only once the helper let go; libvirt through a warm virsh."""

    def __init__(self, vm):
        self.source = VmSource(vm["kind"], vm["target"])
        self.monitor = None

    def warm(self):
        """libvirt serves many clients: start our virsh shell now, so acting costs no process start."""
        if self.source.kind != "libvirt" or self.monitor is not None:
            return
        try:
            self.monitor = self.source.open_monitor(None)
            self.monitor.execute("query-status", timeout=30.0)
        except (HelperError, OSError) as error:
            sys.stderr.write("watchdog: could not warm the libvirt monitor: %s\n" % error)
            self.close()

    def connect(self):
        """A monitor on the source, retried while QEMU has not yet let the dead helper's connection go."""
        if self.monitor is not None:
            return self.monitor
        deadline = time.monotonic() + CONNECT_SECONDS
        while True:
            try:
                self.monitor = self.source.open_monitor(None, timeout=2.0)
                return self.monitor
            except HelperError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.002)

    def close(self):
        """Release the monitor."""
        if self.monitor is not None:
            self.monitor.close()
            self.monitor = None


def stop_helper(pid):
    """SIGKILL a stuck helper and wait until it is gone (so the journal and QMP are ours)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    wait_for(lambda: not pid_alive(pid), 5.0, interval=0.001)


def rescue(session_dir, watch, link, reason):
    """Resume the source as the journal says and record it; errors go to the log for `recover`."""
    started = watch.clock()
    try:
        monitor = link.connect()
        view = JournalView(read_records(os.path.join(session_dir, JOURNAL_NAME)))
        seen_running = []
        actions = resume_source(view, monitor, on_running=lambda: seen_running.append(watch.clock()))
        resumed = seen_running[0] if seen_running else watch.clock()
        record = {"by": "watchdog", "reason": reason, "actions": actions,
                  "rescueMs": round((resumed - started) * 1000.0, 1)}
        if watch.paused_at is not None:
            record["pauseMs"] = round((resumed - watch.paused_at) * 1000.0, 1)
        Journal(session_dir).append("source-resumed", **record)
    except (HelperError, QmpError, OSError) as error:
        sys.stderr.write("watchdog: could not resume the source (%s): %s\n" % (reason, error))
        try:
            Journal(session_dir).append("watchdog-failed", reason=reason, error=str(error))
        except OSError:
            pass
