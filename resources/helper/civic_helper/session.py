"""Session folders: one per clone under the helper root, each with a marker, a journal and a lock."""

import fcntl
import json
import os
import re
import secrets
import shutil

from .argv_rewrite import RewriteRefused, check_safe_path
from .errors import HelperError, NOT_FOUND, invalid
from .journal import JOURNAL_NAME, JournalView, fsync_dir, read_records

MARKER_NAME = ".civic-helper-session"
LOCK_NAME = "lock"
ROOT_LOCK_NAME = ".root.lock"
CLONE_ID = re.compile(r"^cw-[0-9a-f]{12}$")


def default_root(environ=None):
    """`$XDG_RUNTIME_DIR/civic-workbench/sessions`, else `~/.cache/civic-workbench/sessions`."""
    environ = os.environ if environ is None else environ
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, "civic-workbench", "sessions")
    home = environ.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".cache", "civic-workbench", "sessions")


def prepare_root(root):
    """Create the root (0700) after checking its path is one the helper can pass to QEMU safely."""
    root = os.path.abspath(root)
    try:
        check_safe_path(root)
    except RewriteRefused as error:
        raise invalid("The helper root cannot be used: %s" % error, root=root)
    # Unix socket paths are limited to 107 bytes; leave room for "/cw-xxxxxxxxxxxx/qmp.sock".
    if len(root) > 80:
        raise invalid("The helper root path is too long for unix sockets (max 80 characters).", root=root)
    os.makedirs(root, mode=0o700, exist_ok=True)
    return root


def new_clone_id():
    """A fresh clone id (`cw-` and 12 hex digits)."""
    return "cw-" + secrets.token_hex(6)


def check_clone_id(clone_id):
    """Refuse anything that is not a clone id, so it can never name a path outside the root."""
    if not isinstance(clone_id, str) or not CLONE_ID.match(clone_id):
        raise invalid("Not a clone id: expected cw- and 12 hex digits.", cloneId=str(clone_id)[:64])
    return clone_id


class RootLock:
    """An exclusive lock over the whole root, held while checking for and creating sessions."""

    def __init__(self, root):
        self._path = os.path.join(root, ROOT_LOCK_NAME)
        self._fd = None

    def __enter__(self):
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self._fd)
        return False


class Session:
    """A clone's folder: paths of everything the clone owns live here."""

    def __init__(self, root, clone_id):
        self.root = root
        self.clone_id = check_clone_id(clone_id)
        self.dir = os.path.join(root, clone_id)
        self._lock_fd = None

    def path(self, name):
        """A path inside the session folder."""
        return os.path.join(self.dir, name)

    @property
    def qmp_socket(self):
        """The clone's QMP socket."""
        return self.path("qmp.sock")

    @property
    def qga_socket(self):
        """The clone's guest agent socket."""
        return self.path("qga.sock")

    @property
    def pidfile(self):
        """The clone QEMU's pidfile (its argv carries this path: how its processes are recognised)."""
        return self.path("clone.pid")

    @property
    def state_file(self):
        """The background-snapshot state file."""
        return self.path("state.bin")

    @property
    def exists(self):
        """Whether the folder carries our marker."""
        return os.path.isfile(self.path(MARKER_NAME))

    def create(self, marker):
        """Make the folder with its marker (fsync'ed), failing if it exists."""
        os.mkdir(self.dir, 0o700)
        data = dict(marker, cloneId=self.clone_id, marker="civic-helper-session/1")
        with open(self.path(MARKER_NAME), "w") as handle:
            json.dump(data, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        fsync_dir(self.dir)
        fsync_dir(self.root)

    def created_at(self):
        """When the session was made (its marker's mtime, epoch seconds), or None."""
        try:
            return round(os.stat(self.path(MARKER_NAME)).st_mtime, 3)
        except OSError:
            return None

    def marker(self):
        """The marker's JSON, or None."""
        try:
            with open(self.path(MARKER_NAME)) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def try_lock(self):
        """Take the session lock without waiting; False when another helper holds it."""
        fd = os.open(self.path(LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def unlock(self):
        """Release the session lock."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def journal_view(self):
        """Replay view of the journal."""
        return JournalView(read_records(self.path(JOURNAL_NAME)))

    def clone_pid(self):
        """The clone QEMU's PID from its pidfile or the journal, or None."""
        try:
            with open(self.pidfile) as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            pass
        started = self.journal_view().data("clone-started")
        pid = started.get("pid")
        return pid if isinstance(pid, int) else None

    def remove_folder(self):
        """Delete the folder; only ever called on a folder carrying our marker."""
        if os.path.isfile(self.path(MARKER_NAME)) or os.path.isdir(self.dir):
            shutil.rmtree(self.dir, ignore_errors=True)
            if os.path.isdir(self.dir):
                # A file created meanwhile (a renew's lease.lock) makes rmtree leave the folder: once more.
                shutil.rmtree(self.dir, ignore_errors=True)
            try:
                fsync_dir(self.root)
            except OSError:
                pass


def open_session(root, clone_id):
    """An existing session, or NOT_FOUND."""
    session = Session(root, clone_id)
    if not session.exists:
        raise HelperError(NOT_FOUND, "No clone %s on this host." % clone_id, detail={"cloneId": clone_id})
    return session


def list_sessions(root):
    """Every folder under the root that carries the helper's marker."""
    sessions = []
    try:
        names = sorted(os.listdir(root))
    except FileNotFoundError:
        return sessions
    for name in names:
        if CLONE_ID.match(name) and os.path.isfile(os.path.join(root, name, MARKER_NAME)):
            sessions.append(Session(root, name))
    return sessions
