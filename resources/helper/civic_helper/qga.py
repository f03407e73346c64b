"""A qemu-guest-agent client over the clone's qga socket: exec, file read and write in chunks."""

import base64
import json
import random
import socket
import time

from .errors import HelperError, failed

SYNC_DELIMITER = b"\xff"


class QgaError(Exception):
    """The guest agent answered with an error."""

    def __init__(self, command, error):
        super().__init__("%s: %s" % (command, error.get("desc", error)))
        self.command = command
        self.error_class = error.get("class", "")
        self.desc = error.get("desc", "")


class GuestAgent:
    """One connection to qemu-ga; the socket takes one client, so close it on every path (`with`)."""

    def __init__(self, path, timeout=10.0, token=None):
        self.path = path
        self.token = token
        self.timeout = timeout
        self._buffer = b""
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.settimeout(timeout)
            self._sock.connect(path)
            self.sync()
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Release the socket (idempotent)."""
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def _recv(self, deadline):
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HelperError("HELPER_FAILED", "The guest agent did not answer in time.",
                                  detail={"socket": self.path})
            self._sock.settimeout(min(remaining, 0.2))
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                if self.token is not None:
                    self.token.check()
                continue
            if not chunk:
                raise failed("The guest agent closed the connection.", socket=self.path)
            self._buffer += chunk
            return

    def sync(self):
        """guest-sync-delimited: drop stale replies a previous client left behind."""
        sync_id = random.randint(1, 2 ** 31 - 1)
        # A leading 0xFF makes the agent drop any half-received command.
        self._sock.sendall(SYNC_DELIMITER + json.dumps(
            {"execute": "guest-sync-delimited", "arguments": {"id": sync_id}}).encode() + b"\n")
        deadline = time.monotonic() + self.timeout
        while True:
            while SYNC_DELIMITER not in self._buffer:
                self._buffer = b""
                self._recv(deadline)
            self._buffer = self._buffer[self._buffer.index(SYNC_DELIMITER) + 1:]
            reply = self._read_message(deadline)
            if reply.get("return") == sync_id:
                return

    def _read_message(self, deadline):
        while b"\n" not in self._buffer:
            self._recv(deadline)
        line, _, self._buffer = self._buffer.partition(b"\n")
        line = line.strip().lstrip(SYNC_DELIMITER)
        if not line:
            return self._read_message(deadline)
        try:
            return json.loads(line.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise failed("The guest agent sent a malformed reply.", socket=self.path)

    def execute(self, command, arguments=None, timeout=None):
        """Run a guest agent command and return its `return` value."""
        message = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        self._sock.sendall(json.dumps(message).encode() + b"\n")
        deadline = time.monotonic() + (timeout or self.timeout)
        reply = self._read_message(deadline)
        if "error" in reply:
            raise QgaError(command, reply["error"])
        return reply.get("return")

    def run(self, path, args=(), env=(), input_data=None, timeout=60.0, poll=0.05):
        """guest-exec with captured output; wait for it with guest-exec-status."""
        arguments = {"path": path, "arg": list(args), "capture-output": True}
        if env:
            arguments["env"] = list(env)
        if input_data is not None:
            arguments["input-data"] = base64.b64encode(input_data).decode("ascii")
        pid = self.execute("guest-exec", arguments)["pid"]
        deadline = time.monotonic() + timeout
        while True:
            status = self.execute("guest-exec-status", {"pid": pid})
            if status.get("exited"):
                return {
                    "pid": pid,
                    "exitCode": status.get("exitcode"),
                    "signal": status.get("signal"),
                    "stdout": base64.b64decode(status.get("out-data", "")),
                    "stderr": base64.b64decode(status.get("err-data", "")),
                    "stdoutTruncated": bool(status.get("out-truncated")),
                    "stderrTruncated": bool(status.get("err-truncated")),
                }
            if time.monotonic() >= deadline:
                raise failed("The guest command did not exit within %.0f s; it still runs in the clone." % timeout,
                             guestPid=pid)
            if self.token is not None:
                self.token.wait(poll)
            else:
                time.sleep(poll)

    def read_file(self, path, sink, max_bytes, chunk=1024 * 1024):
        """Copy a guest file into `sink` (a binary writer) in chunks; returns (bytes, truncated)."""
        handle = self.execute("guest-file-open", {"path": path, "mode": "r"})
        total = 0
        try:
            while True:
                if self.token is not None:
                    self.token.check()
                reply = self.execute("guest-file-read", {"handle": handle, "count": chunk})
                data = base64.b64decode(reply.get("buf-b64", ""))
                if total + len(data) > max_bytes:
                    sink.write(data[:max_bytes - total])
                    return max_bytes, True
                sink.write(data)
                total += len(data)
                if reply.get("eof") or not data:
                    return total, False
        finally:
            self._close_handle(handle)

    def write_file(self, path, source, chunk=48 * 1024):
        """Copy a binary reader into a guest file in chunks; returns the byte count."""
        handle = self.execute("guest-file-open", {"path": path, "mode": "w"})
        total = 0
        try:
            while True:
                if self.token is not None:
                    self.token.check()
                data = source.read(chunk)
                if not data:
                    break
                reply = self.execute("guest-file-write", {"handle": handle,
                                                          "buf-b64": base64.b64encode(data).decode("ascii")})
                if reply.get("count") != len(data):
                    raise failed("The guest agent wrote %s of %d bytes." % (reply.get("count"), len(data)))
                total += len(data)
            self.execute("guest-file-flush", {"handle": handle})
            return total
        finally:
            self._close_handle(handle)

    def _close_handle(self, handle):
        try:
            self.execute("guest-file-close", {"handle": handle})
        except (QgaError, HelperError, OSError):
            pass
