"""Artifacts of a `collect` run: files under `<session>/artifacts/`, hashed while written, listed for the result."""

import hashlib
import os
import re

from .collect_guest import ArtifactTooLarge

ARTIFACTS_DIR = "artifacts"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def sanitised_guest_path(guest_path):
    """A plain file name for a guest path: `/var/log/app.log` -> `var_log_app.log` (never `.` or `..`)."""
    name = _UNSAFE.sub("_", guest_path.strip("/").replace("/", "_"))[-120:].lstrip(".")
    return name or "file"


class ArtifactWriter:
    """One artifact being written: `<path>.partial`, renamed into place by `commit` once whole."""

    def __init__(self, store, relative, role, media_type, step, pid):
        self.store = store
        self.relative = relative
        self.role = role
        self.media_type = media_type
        self.step = step
        self.pid = pid
        self.final = os.path.join(store.session_dir, relative)
        self.partial = self.final + ".partial"
        os.makedirs(os.path.dirname(self.final), mode=0o700, exist_ok=True)
        self._handle = open(self.partial, "wb")
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data):
        """Append bytes, hashing them on the way."""
        self.size += len(data)
        if self.size > self.store.max_bytes:
            raise ArtifactTooLarge(self.store.max_bytes)
        self._digest.update(data)
        self._handle.write(data)

    def commit(self):
        """Close, fsync, rename into place and list it; returns the result entry."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self.partial, self.final)
        return self.store.record(self.relative, self.role, self.media_type, self.step, self.pid,
                                 self.size, self._digest.hexdigest())

    def discard(self):
        """Drop a half-written artifact."""
        if not self._handle.closed:
            self._handle.close()
        try:
            os.unlink(self.partial)
        except OSError:
            pass


class ArtifactStore:
    """Every artifact written by one run, in order; `on_written` hears of each one."""

    def __init__(self, session_dir, max_bytes, on_written=None):
        self.session_dir = session_dir
        self.max_bytes = max_bytes
        self.entries = []
        self.on_written = on_written

    def writer(self, relative, role, media_type, step, pid=None):
        """Start writing `relative` (a path under the session folder built by `collect`, never from input)."""
        return ArtifactWriter(self, relative, role, media_type, step, pid)

    def write_bytes(self, relative, role, media_type, step, data, pid=None):
        """A whole artifact from bytes in memory (small host-made documents)."""
        writer = self.writer(relative, role, media_type, step, pid)
        try:
            writer.write(data)
            return writer.commit()
        except BaseException:
            writer.discard()
            raise

    def adopt(self, relative, role, media_type, step, pid=None):
        """List a file something else wrote in place (QEMU's memory dump), hashing it now."""
        path = os.path.join(self.session_dir, relative)
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(4 * 1024 * 1024), b""):
                digest.update(block)
        return self.record(relative, role, media_type, step, pid, os.path.getsize(path), digest.hexdigest())

    def record(self, relative, role, media_type, step, pid, size, sha256):
        """Add one finished artifact to the list (replacing an earlier one at the same path)."""
        entry = {"path": relative, "role": role, "mediaType": media_type, "size": size, "sha256": sha256,
                 "step": step, "pid": pid}
        self.entries = [item for item in self.entries if item["path"] != relative]
        self.entries.append(entry)
        if self.on_written is not None:
            self.on_written(entry)
        return entry
