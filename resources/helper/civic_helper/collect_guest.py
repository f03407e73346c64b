"""The guest side of `collect`: one qemu-ga connection, every program run logged, files moved in chunks."""

import base64
import datetime
import hashlib
import os
import sys
import time

from .errors import Cancelled, HelperError, failed
from .qga import GuestAgent, QgaError

# Commands `collect` needs from qemu-ga; guest-info says which ones the guest's agent enables.
REQUIRED_COMMANDS = ("guest-exec", "guest-exec-status", "guest-file-open", "guest-file-read",
                     "guest-file-write", "guest-file-close")
READ_CHUNK = 4 * 1024 * 1024
CHUNK_TIMEOUT = 120.0


def utc_stamp(seconds=None):
    """An ISO 8601 UTC time with milliseconds and a Z."""
    moment = datetime.datetime.fromtimestamp(time.time() if seconds is None else seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


class ArtifactTooLarge(HelperError):
    """A guest file passed `maxArtifactBytes`."""

    def __init__(self, limit):
        super().__init__("HELPER_FAILED", "The artifact is larger than maxArtifactBytes (%d)." % limit,
                         detail={"maxArtifactBytes": limit})


class _ChunkAgent(GuestAgent):
    """GuestAgent whose sends may take as long as a reply: a 4 MiB chunk does not fit the 0.2 s poll timeout
    that reading leaves on the socket. A cancel still interrupts a send (the signal handler raises)."""

    def execute(self, command, arguments=None, timeout=None):
        if self._sock is not None:
            self._sock.settimeout(timeout or self.timeout)
        return super().execute(command, arguments, timeout)


class CollectGuest:
    """qemu-ga in one clone, for one `collect` run.

    Keeps the list of guest programs run (`commands`, for the result) and the PID of the one running now,
    so a cancel can kill it: qemu-ga itself never stops a guest-exec child.
    """

    def __init__(self, qga_socket, token):
        self.qga_socket = qga_socket
        self.token = token
        self.commands = []
        self.running_pid = None
        self.agent = None

    def connect(self, timeout=10.0):
        """Open (or reopen) the agent connection; the sync on connect drops replies a broken one left."""
        self.close()
        self.agent = _ChunkAgent(self.qga_socket, timeout=timeout, token=self.token)
        return self.agent

    def close(self):
        """Release the socket (qemu-ga takes one client at a time)."""
        if self.agent is not None:
            self.agent.close()
            self.agent = None

    def probe(self):
        """(usable, reason, qga version): the agent answers and enables every command `collect` uses."""
        if not os.path.exists(self.qga_socket):
            return False, "The clone has no guest agent channel.", None
        try:
            self.connect(timeout=8.0)
            info = self.agent.execute("guest-info") or {}
        except Cancelled:
            raise
        except (HelperError, QgaError, OSError) as error:
            self.close()
            return False, "The clone's guest agent does not answer (%s)." % error, None
        enabled = {item.get("name") for item in info.get("supported_commands", []) if item.get("enabled")}
        missing = [name for name in REQUIRED_COMMANDS if name not in enabled]
        version = info.get("version")
        if missing:
            self.close()
            return False, "The clone's guest agent has %s disabled." % ", ".join(missing), version
        self.agent.timeout = CHUNK_TIMEOUT
        return True, None, version

    def run(self, argv, timeout, label=None):
        """guest-exec argv (argv[0] absolute) and wait for it; returns exitCode, signal, stdout, stderr, pid.

        The log line names the program and `label` only: a user's argv may carry secrets.
        """
        started = time.time()
        entry = {"argv": list(argv), "exitCode": None, "startedAt": utc_stamp(started), "endedAt": None}
        self.commands.append(entry)
        try:
            pid = self.agent.execute("guest-exec", {"path": argv[0], "arg": list(argv[1:]), "capture-output": True})
        except QgaError as error:
            entry["endedAt"] = utc_stamp()
            raise failed("The guest agent refused to run %s: %s" % (argv[0], error.desc), command="guest-exec")
        pid = pid["pid"]
        self.running_pid = pid
        self._log("guest pid %d started: %s (%s)" % (pid, argv[0], label or os.path.basename(argv[0])))
        deadline = time.monotonic() + timeout
        pause = 0.02
        try:
            while True:
                status = self.agent.execute("guest-exec-status", {"pid": pid})
                if status.get("exited"):
                    self.running_pid = None
                    entry["exitCode"] = status.get("exitcode")
                    entry["endedAt"] = utc_stamp()
                    return {"pid": pid, "exitCode": status.get("exitcode"), "signal": status.get("signal"),
                            "stdout": base64.b64decode(status.get("out-data", "")),
                            "stderr": base64.b64decode(status.get("err-data", ""))}
                if time.monotonic() >= deadline:
                    raise failed("%s did not end within %d s." % (argv[0], timeout), guestPid=pid)
                # Most steps take well under a second: poll fast first, then back off.
                self.token.wait(pause)
                pause = min(pause * 2, 0.25)
        finally:
            if entry["endedAt"] is None:
                entry["endedAt"] = utc_stamp()

    @staticmethod
    def _log(line):
        try:
            sys.stderr.write("civic-helper collect: %s\n" % line)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # a lost stderr reader never stops the work

    def run_checked(self, argv, timeout, purpose):
        """run(), failing unless the program exits 0."""
        outcome = self.run(argv, timeout, purpose)
        if outcome["exitCode"] != 0:
            how = ("signal %s" % outcome["signal"] if outcome["signal"] is not None
                   else "exit code %s" % outcome["exitCode"])
            raise failed("Cannot %s in the clone: %s ended with %s." % (purpose, argv[0], how),
                         stderr=outcome["stderr"].decode("utf-8", "replace")[-2000:])
        return outcome

    def kill_running(self, busybox):
        """Kill the guest program a cancel interrupted, with our busybox (best effort)."""
        pid, self.running_pid = self.running_pid, None
        if pid is None:
            return
        try:
            self.run([busybox, "kill", "-KILL", str(pid)], 30)
        except (HelperError, QgaError, OSError):
            pass

    def upload(self, host_path, guest_path, chunk):
        """Write a host file to a guest path in chunks."""
        handle = self.agent.execute("guest-file-open", {"path": guest_path, "mode": "w"})
        try:
            with open(host_path, "rb") as source:
                while True:
                    self.token.check()
                    data = source.read(chunk)
                    if not data:
                        break
                    reply = self.agent.execute("guest-file-write", {
                        "handle": handle, "buf-b64": base64.b64encode(data).decode("ascii")}, timeout=CHUNK_TIMEOUT)
                    if reply.get("count") != len(data):
                        raise failed("Short write to %s in the clone: %s of %d bytes (is it full?)." % (
                            guest_path, reply.get("count"), len(data)), guestPath=guest_path)
            self.agent.execute("guest-file-flush", {"handle": handle})
        except QgaError as error:
            raise failed("Cannot write %s in the clone: %s" % (guest_path, error.desc), guestPath=guest_path)
        finally:
            self._close_handle(handle)

    def read(self, guest_path, sink, max_bytes):
        """Copy a guest file into `sink.write` in chunks (never through guest-exec output); returns its size."""
        handle = self.agent.execute("guest-file-open", {"path": guest_path, "mode": "r"})
        total = 0
        try:
            while True:
                self.token.check()
                reply = self.agent.execute("guest-file-read", {"handle": handle, "count": READ_CHUNK},
                                           timeout=CHUNK_TIMEOUT)
                data = base64.b64decode(reply.get("buf-b64", ""))
                total += len(data)
                if total > max_bytes:
                    raise ArtifactTooLarge(max_bytes)
                if data:
                    sink.write(data)
                if reply.get("eof") or not data:
                    return total
        finally:
            self._close_handle(handle)

    def hash_file(self, guest_path):
        """SHA-256 of a guest file, computed on the host."""
        digest = hashlib.sha256()

        class _Sink:
            write = digest.update

        self.read(guest_path, _Sink(), 1024 ** 3)
        return digest.hexdigest()

    def read_small(self, guest_path, limit=1024 * 1024):
        """A small guest file's bytes."""
        parts = []

        class _Sink:
            def write(self, data):
                parts.append(data)

        self.read(guest_path, _Sink(), limit)
        return b"".join(parts)

    def _close_handle(self, handle):
        try:
            self.agent.execute("guest-file-close", {"handle": handle})
        except (QgaError, HelperError, OSError):
            pass
