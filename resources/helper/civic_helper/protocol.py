"""The line protocol: one JSON object per line on stdout, cancel requests on stdin and by signal."""

import json
import signal
import sys
import threading

from . import HELPER_VERSION, PROTOCOL_VERSION
from .errors import Cancelled

CAPABILITIES = (
    "probe", "list", "clone", "exec", "file-get", "file-put", "dump", "collect", "destroy", "recover", "gc", "renew", "forward",
    "twin:lease", "strategy:background-snapshot", "strategy:precopy", "cancel:stdin", "cancel:signal",
)


def encode(message):
    """One protocol line: compact JSON, ASCII only so no guest byte can break the framing."""
    return json.dumps(message, ensure_ascii=True, separators=(",", ":"), sort_keys=True) + "\n"


def decode(line):
    """Parse one protocol line into a dict, or raise ValueError."""
    value = json.loads(line)
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise ValueError("a protocol message is a JSON object with a string `type`")
    return value


class Emitter:
    """Writes protocol messages; a lost reader never stops the work (it is journaled anyway)."""

    def __init__(self, stream=None):
        self._stream = stream if stream is not None else sys.stdout
        self._lock = threading.Lock()
        self.reader_lost = False

    def send(self, message):
        """Write one message and flush it."""
        with self._lock:
            if self.reader_lost:
                return
            try:
                self._stream.write(encode(message))
                self._stream.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.reader_lost = True

    def hello(self):
        """The first line of every run."""
        self.send({"type": "hello", "protocolVersion": PROTOCOL_VERSION, "helperVersion": HELPER_VERSION,
                   "capabilities": list(CAPABILITIES)})

    def progress(self, step, value, message, **extra):
        """A progress report; value is clamped to 0..1."""
        payload = {"type": "progress", "step": step, "value": max(0.0, min(1.0, float(value))), "message": message}
        payload.update(extra)
        self.send(payload)

    def result(self, payload):
        """The one successful outcome of a run."""
        self.send({"type": "result", "payload": payload})

    def error(self, helper_error):
        """The one failed outcome of a run."""
        self.send(helper_error.to_message())


class CancelToken:
    """Set by a cancel line or a signal; checked between steps, raised from signal handlers.

    While `shielded` (rollback running) a signal only records the request: rollback must finish.
    """

    def __init__(self):
        self._event = threading.Event()
        self.reason = None
        self._shield_depth = 0

    @property
    def requested(self):
        """Whether a cancel arrived."""
        return self._event.is_set()

    def request(self, reason):
        """Record a cancel request."""
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    def check(self):
        """Raise Cancelled when a cancel arrived and rollback is not running."""
        if self._event.is_set() and self._shield_depth == 0:
            raise Cancelled(self.reason or "cancel requested")

    def wait(self, seconds):
        """Sleep up to `seconds`, waking early on cancel; then check."""
        self._event.wait(seconds)
        self.check()

    def shield(self):
        """A context in which cancel never raises (used by rollback and teardown)."""
        token = self

        class _Shield:
            def __enter__(self):
                token._shield_depth += 1

            def __exit__(self, *exc):
                token._shield_depth -= 1
                return False

        return _Shield()

    @property
    def shielded(self):
        """Whether rollback is running."""
        return self._shield_depth > 0

    def install_signal_handlers(self):
        """SIGTERM, SIGINT and SIGHUP become cancels, so `finally` and rollback always run."""

        def handler(signum, _frame):
            name = signal.Signals(signum).name
            self.request("signal " + name)
            if self._shield_depth == 0:
                raise Cancelled("signal " + name)

        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, handler)

    def watch_stdin(self, stream=None, wake_main=True):
        """Read `{"type":"cancel"}` lines from stdin in a daemon thread; EOF is not a cancel.

        With `wake_main`, SIGUSR1 interrupts the main thread so a blocking call notices at once.
        """
        source = stream if stream is not None else sys.stdin

        def run():
            try:
                for line in source:
                    try:
                        message = decode(line)
                    except ValueError:
                        continue
                    if message.get("type") == "cancel":
                        self.request("cancel requested")
                        if not wake_main:
                            continue
                        try:
                            signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)
                        except (AttributeError, ValueError, OSError):
                            pass
            except (OSError, ValueError):
                return

        def on_usr1(_signum, _frame):
            if self._event.is_set() and self._shield_depth == 0:
                raise Cancelled(self.reason or "cancel requested")

        if wake_main:
            signal.signal(signal.SIGUSR1, on_usr1)
        thread = threading.Thread(target=run, name="stdin-cancel", daemon=True)
        thread.start()
        return thread
