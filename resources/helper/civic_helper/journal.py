"""The crash-safe session journal: one JSON record per line, appended and fsync'ed before each action."""

import json
import os
import signal
import time

JOURNAL_NAME = "journal.jsonl"

# Phases of `clone`, in order, per strategy. Each is written BEFORE its action runs.
CLONE_PHASES_BACKGROUND = (
    "begin", "source-caps", "source-overlays", "source-nodes", "source-cut", "source-resumed", "state-wait", "caps-restored", "clone-overlays",
    "clone-start", "clone-started", "clone-load", "clone-resume", "ready",
)
CLONE_PHASES_PRECOPY = (
    "begin", "source-caps", "clone-overlays", "clone-start", "clone-started", "source-overlays", "source-nodes", "migrate-start", "switchover",
    "source-resumed", "caps-restored", "clone-resume", "ready",
)
# Points inside the source pause where faults can be injected without a journal record.
PAUSE_FAULT_POINTS = ("source-stop", "source-snapshot", "state-save", "migrate-continue", "source-resume")
# Precopy: the migration runs and will pause the source by itself at pre-switchover.
MIGRATION_FAULT_POINTS = ("migrate-running",)
# Phases of `destroy` and of rollback (shared by error paths and `recover`).
TEARDOWN_PHASES = (
    "teardown", "migrate-cancel", "source-resume", "caps-restore", "clone-stop", "source-commit",
    "files-remove", "done",
)
# Records written AFTER an action, so replay knows it completed.
DONE_RECORDS = ("source-resumed", "clone-started", "caps-restored", "source-committed", "clone-stopped")
ALL_PHASES = tuple(dict.fromkeys(CLONE_PHASES_BACKGROUND + CLONE_PHASES_PRECOPY + TEARDOWN_PHASES))

FAULT_ENV = "CIVIC_HELPER_FAULT"


class Journal:
    """Appends records to `<session>/journal.jsonl`, fsync'ing file and folder."""

    def __init__(self, session_dir, fault_hook=None):
        self.path = os.path.join(session_dir, JOURNAL_NAME)
        self._dir = session_dir
        self._seq = len(read_records(self.path))
        self._fault_hook = fault_hook

    def append(self, phase, **data):
        """Write a record and make it durable before returning."""
        self._seq += 1
        record = {"seq": self._seq, "at": round(time.time(), 6), "phase": phase, "pid": os.getpid()}
        if data:
            record["data"] = data
        line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
        new_file = not os.path.exists(self.path)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if new_file:
            fsync_dir(self._dir)
        self.fault_point(phase)
        return record

    def fault_point(self, phase):
        """Give the test-only fault hook a chance to act at this phase."""
        if self._fault_hook is not None:
            self._fault_hook(phase)


def fsync_dir(path):
    """Make a folder's entries durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_records(path):
    """All complete records of a journal; a torn last line (crash mid-write) is ignored."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return []
    records = []
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(record, dict) and isinstance(record.get("phase"), str):
            records.append(record)
    return records


class JournalView:
    """Answers replay questions about a list of records."""

    def __init__(self, records):
        self.records = list(records)
        self.phases = [record["phase"] for record in self.records]

    def has(self, phase):
        """Whether a record with this phase exists."""
        return phase in self.phases

    def data(self, phase):
        """The data of the last record with this phase, or {}."""
        for record in reversed(self.records):
            if record["phase"] == phase:
                return record.get("data") or {}
        return {}

    def all_data(self, phase):
        """The data of every record with this phase, in order."""
        return [record.get("data") or {} for record in self.records if record["phase"] == phase]

    @property
    def last_phase(self):
        """The phase of the newest record, or None."""
        return self.phases[-1] if self.phases else None

    @property
    def begin(self):
        """The `begin` record's data: the VM, strategy and original source state."""
        return self.data("begin")

    def after_last(self, phase, later):
        """Whether `later` was recorded after the newest `phase` record."""
        last = max((i for i, p in enumerate(self.phases) if p == phase), default=-1)
        return any(p == later for p in self.phases[last + 1:]) if last >= 0 else False

    @property
    def state(self):
        """One word for the session: creating, ready, tearing-down, destroyed."""
        if self.has("done"):
            return "destroyed"
        if self.has("teardown"):
            return "tearing-down"
        if self.has("ready"):
            return "ready"
        return "creating"


FAULT_ACTIONS = ("kill", "cancel", "kill-clone", "kill-watchdog", "kill-both", "hang")
# `pause+N:action` acts N ms after a source pause began (a random offset inside the pause window).
PAUSE_OFFSET_PREFIX = "pause+"


def parse_fault(spec):
    """Parse CIVIC_HELPER_FAULT (`phase:action[,phase:action]`); test-only, documented as such."""
    faults = {}
    if not spec:
        return faults
    for item in spec.split(","):
        phase, _, action = item.partition(":")
        if phase and action in FAULT_ACTIONS:
            faults[phase] = action
    return faults


def pause_offset_faults(spec):
    """The `pause+N:action` faults as (seconds after the pause began, action)."""
    offsets = []
    for phase, action in parse_fault(spec).items():
        if phase.startswith(PAUSE_OFFSET_PREFIX):
            try:
                offsets.append((float(phase[len(PAUSE_OFFSET_PREFIX):]) / 1000.0, action))
            except ValueError:
                continue
    return offsets


def _kill(pid):
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def fault_action(action, phase, token, clone_pid_source, watchdog_pid_source=None):
    """Carry out one test-only fault: SIGKILL the helper, the clone or the watchdog, cancel, or hang."""
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "cancel":
        token.request("fault injection at " + phase)
        token.check()
    elif action == "kill-clone":
        _kill(clone_pid_source())
    elif action in ("kill-watchdog", "kill-both"):
        pid = watchdog_pid_source() if watchdog_pid_source is not None else None
        _kill(pid)
        if pid and action == "kill-both":
            # Both at once: the watchdog must be gone before the helper, or it would see the helper die.
            while os.path.exists("/proc/%d" % pid) and not _zombie(pid):
                time.sleep(0.0005)
            os.kill(os.getpid(), signal.SIGKILL)
    elif action == "hang":
        # A helper stuck inside the pause (a blocked call): only the watchdog can end it.
        while True:
            time.sleep(3600)


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return handle.read().rsplit(b")", 1)[-1].split()[0:1] == [b"Z"]
    except OSError:
        return True


def make_fault_hook(spec, token, clone_pid_source, watchdog_pid_source=None):
    """A hook called after each record (and at pause points) that carries out the fault for that phase."""
    faults = parse_fault(spec)
    if not faults:
        return None

    def hook(phase):
        action = faults.get(phase)
        if action is not None:
            fault_action(action, phase, token, clone_pid_source, watchdog_pid_source)

    return hook
