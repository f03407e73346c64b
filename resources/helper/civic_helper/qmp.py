"""QMP clients: a direct unix-socket client and a libvirt client through `virsh qemu-monitor-command`."""

import array
import json
import os
import socket
import subprocess
import time

from .errors import HelperError, VM_BUSY, failed


class QmpError(Exception):
    """QEMU answered a command with an error."""

    def __init__(self, command, error):
        super().__init__("%s: %s" % (command, error.get("desc", error)))
        self.command = command
        self.error_class = error.get("class", "")
        self.desc = error.get("desc", "")


class QmpClient:
    """One QMP connection over a unix socket; events are kept in order for `wait_event`.

    QMP serves one client at a time, so every user closes it in `finally` (or uses `with`).
    """

    def __init__(self, path, timeout=5.0, token=None):
        self.path = path
        self.token = token
        self.events = []
        self._buffer = b""
        self._next_id = 0
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(path)
            greeting = self._read_message(timeout)
            if "QMP" not in greeting:
                raise failed("The socket at %s does not speak QMP." % path, socket=path)
            self.execute("qmp_capabilities", timeout=timeout)
        except socket.timeout:
            self.close()
            raise HelperError(VM_BUSY, "The QMP socket %s did not greet in time: another client holds it." % path,
                              detail={"socket": path})
        except OSError as error:
            self.close()
            raise failed("Cannot connect to QMP socket %s: %s" % (path, error), socket=path)
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

    def peer_pid(self):
        """The PID of the QEMU at the other end (SO_PEERCRED)."""
        import struct
        creds = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return struct.unpack("3i", creds)[0]

    def _read_message(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("QMP reply timed out")
            self._sock.settimeout(min(remaining, 0.2))
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                if self.token is not None:
                    self.token.check()
                continue
            if not chunk:
                raise ConnectionError("QMP socket closed by QEMU")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line.decode("utf-8"))

    def execute(self, command, arguments=None, timeout=30.0, fds=None):
        """Run a command and return its `return` value; raise QmpError on an error reply."""
        # A unique id lets a reply left over from an interrupted command be recognised and skipped.
        self._next_id += 1
        request_id = "civic-%d" % self._next_id
        message = {"execute": command, "id": request_id}
        if arguments:
            message["arguments"] = arguments
        data = json.dumps(message).encode("utf-8") + b"\n"
        if fds:
            self._sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        else:
            self._sock.sendall(data)
        while True:
            reply = self._read_message(timeout)
            if "event" in reply:
                self.events.append(reply)
                continue
            if reply.get("id") != request_id:
                continue
            if "error" in reply:
                raise QmpError(command, reply["error"])
            if "return" in reply:
                return reply["return"]

    def wait_event(self, names, timeout):
        """Return the first queued or arriving event named in `names`, or None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event.get("event") in names:
                    return self.events.pop(index)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                reply = self._read_message(min(remaining, 0.5))
            except socket.timeout:
                continue
            if "event" in reply:
                self.events.append(reply)

    def find_event(self, name):
        """The newest queued event with this name, without removing it."""
        for event in reversed(self.events):
            if event.get("event") == name:
                return event
        return None


def event_time(event):
    """An event's QEMU timestamp in seconds since the epoch."""
    stamp = event.get("timestamp") or {}
    return stamp.get("seconds", 0) + stamp.get("microseconds", 0) / 1e6


VIRSH_PROMPT = b"virsh # "


class VirshMonitor:
    """QMP for a libvirt domain through `virsh qemu-monitor-command` (libvirtd owns the socket).

    Commands go through one long-lived `virsh` shell, so a command inside the source pause costs
    milliseconds rather than a process start; commands passing descriptors use a one-off `virsh
    --pass-fds`. No events: callers poll. libvirt marks the domain tainted (custom-monitor).
    """

    def __init__(self, domain, token=None, virsh="virsh", uri="qemu:///system"):
        self.domain = domain
        self.token = token
        self.events = []
        self._virsh = virsh
        self._uri = uri
        self._shell = None
        self._buffer = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """End the virsh shell (idempotent)."""
        shell, self._shell = self._shell, None
        if shell is not None:
            try:
                shell.stdin.close()
            except OSError:
                pass
            try:
                shell.wait(timeout=5)
            except subprocess.TimeoutExpired:
                shell.kill()
                shell.wait()
            shell.stdout.close()

    def execute(self, command, arguments=None, timeout=30.0, fds=None):
        """Run one QMP command; returns its `return` value or raises QmpError."""
        message = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        text = json.dumps(message)
        if fds:
            output = self._run_once(text, fds, timeout)
        else:
            output = self._run_in_shell(text, timeout)
        return self._parse(command, output)

    def _run_once(self, text, fds, timeout):
        argv = [self._virsh, "-q", "-c", self._uri, "qemu-monitor-command", "--pass-fds",
                ",".join(str(fd) for fd in fds), "--", self.domain, text]
        try:
            completed = subprocess.run(argv, capture_output=True, timeout=timeout, pass_fds=tuple(fds))
        except subprocess.TimeoutExpired:
            raise failed("virsh qemu-monitor-command timed out.", domain=self.domain)
        return completed.stdout + completed.stderr

    def _run_in_shell(self, text, timeout):
        if self._shell is None:
            self._shell = subprocess.Popen([self._virsh, "-q", "-c", self._uri], stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self._buffer = b""
        # Single quotes make virsh take the JSON literally; a quote inside it becomes a JSON escape.
        line = "qemu-monitor-command %s '%s'\n" % (self.domain, text.replace("'", "\\u0027"))
        try:
            self._shell.stdin.write(line.encode("utf-8"))
            self._shell.stdin.flush()
        except OSError:
            self.close()
            raise failed("The virsh shell ended.", domain=self.domain)
        return self._read_until_prompt(time.monotonic() + timeout)

    def _read_until_prompt(self, deadline):
        import select
        fd = self._shell.stdout.fileno()
        while True:
            # The reply ends at the next prompt that follows a line of output.
            index = self._buffer.find(VIRSH_PROMPT, 1)
            if index > 0 and (b"{" in self._buffer[:index] or b"error" in self._buffer[:index]):
                output, self._buffer = self._buffer[:index], self._buffer[index + len(VIRSH_PROMPT):]
                return output
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise failed("virsh did not answer in time.", domain=self.domain)
            ready, _, _ = select.select([fd], [], [], min(remaining, 0.2))
            if self.token is not None:
                self.token.check()
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    output = self._buffer
                    self.close()
                    return output
                self._buffer += chunk

    def _parse(self, command, output):
        text = output.decode("utf-8", "replace")
        for line in text.splitlines():
            line = line.strip()
            if line.startswith(VIRSH_PROMPT.decode()):
                line = line[len(VIRSH_PROMPT):].strip()
            if line.startswith("{") and not line.startswith('{"execute"'):
                reply = json.loads(line)
                if "error" in reply:
                    raise QmpError(command, reply["error"])
                return reply.get("return")
        errors = [line.strip() for line in text.splitlines() if line.strip().startswith("error")]
        raise failed("virsh qemu-monitor-command %s failed: %s" % (command, " ".join(errors) or text.strip()[:500]),
                     domain=self.domain, command=command)

    def wait_event(self, names, timeout):
        """Events are not available through virsh; callers poll instead."""
        return None

    def find_event(self, name):
        """Events are not available through virsh."""
        return None


def wait_for(predicate, timeout, token=None, interval=0.01):
    """Poll `predicate` until it returns a truthy value or the timeout passes (returns None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        if token is not None:
            token.wait(interval)
        else:
            time.sleep(interval)


def pid_alive(pid):
    """Whether a process with this PID exists (zombies count as gone)."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            stat = handle.read()
    except (FileNotFoundError, ProcessLookupError, OSError):
        return False
    state = stat.rsplit(b")", 1)[-1].split()[0:1]
    return state != [b"Z"]


def read_cmdline(pid):
    """A process's argv from /proc/PID/cmdline, or None when gone."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    parts = raw.split(b"\0")
    if parts and parts[-1] == b"":
        parts.pop()
    return [part.decode("utf-8", "surrogateescape") for part in parts]


def rss_bytes(pid):
    """A process's resident set size in bytes, or None."""
    try:
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def is_socket(path):
    """Whether path is a unix socket (without following a symlink)."""
    import stat as stat_module
    try:
        return stat_module.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def accepts_connections(path):
    """Whether a unix socket exists and listens (QEMU creates the file a moment before it listens)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
        return True
    except OSError:
        return False
    finally:
        probe.close()
