"""`exec`, `file-get`, `file-put` and `dump` in a ready clone (never in the source VM)."""

import base64
import hashlib
import io
import os
import re
import time

from .errors import HelperError, NOT_FOUND, VM_BUSY, failed, invalid
from .qga import GuestAgent, QgaError
from .qmp import QmpClient, QmpError, pid_alive
from .session import check_clone_id, open_session

MAX_FILE_BYTES = 1024 ** 3
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def _ready_session(context, args):
    session = open_session(context.root, check_clone_id(args.get("cloneId")))
    if not session.try_lock():
        raise HelperError(VM_BUSY, "Another helper is working on clone %s." % session.clone_id,
                          detail={"cloneId": session.clone_id})
    view = session.journal_view()
    pid = session.clone_pid()
    if view.state != "ready" or not pid or not pid_alive(pid):
        session.unlock()
        raise HelperError(NOT_FOUND, "Clone %s is not running (state %s)." % (session.clone_id, view.state),
                          detail={"cloneId": session.clone_id, "state": view.state})
    return session


def _guest_agent(session, context):
    if not os.path.exists(session.qga_socket):
        raise HelperError(NOT_FOUND, "This clone has no guest agent channel.", detail={"cloneId": session.clone_id})
    return GuestAgent(session.qga_socket, timeout=10.0, token=context.token)


def _string_list(args, key):
    value = args.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid("`%s` must be a list of strings." % key)
    return value


def _guest_path(args, key="path"):
    value = args.get(key)
    if not isinstance(value, str) or not value.startswith("/") or "\0" in value:
        raise invalid("`%s` must be an absolute guest path." % key)
    return value


def _output_path(session, folder, name):
    directory = session.path(folder)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    return os.path.join(directory, "%d-%s" % (time.time_ns(), SAFE_NAME.sub("_", name)[-80:] or "file"))


def run_exec(context, session, args):
    """Run a program in the clone through qemu-ga; output comes back base64 (guest bytes are hostile)."""
    path = _guest_path(args)
    timeout = args.get("timeoutSeconds", 60)
    if not isinstance(timeout, (int, float)) or not 1 <= timeout <= 3600:
        raise invalid("`timeoutSeconds` must be from 1 to 3600.")
    input_data = None
    if args.get("inputBase64") is not None:
        try:
            input_data = base64.b64decode(args["inputBase64"], validate=True)
        except (ValueError, TypeError):
            raise invalid("`inputBase64` is not base64.")
    started = time.time()
    with _guest_agent(session, context) as agent:
        try:
            outcome = agent.run(path, _string_list(args, "args"), _string_list(args, "env"), input_data,
                                timeout=float(timeout))
        except QgaError as error:
            raise failed("The guest agent refused guest-exec: %s" % error.desc, command="guest-exec")
    return {
        "cloneId": session.clone_id, "argv": [path] + _string_list(args, "args"), "pid": outcome["pid"],
        "exitCode": outcome["exitCode"], "signal": outcome["signal"],
        "stdoutBase64": base64.b64encode(outcome["stdout"]).decode("ascii"),
        "stderrBase64": base64.b64encode(outcome["stderr"]).decode("ascii"),
        "stdoutTruncated": outcome["stdoutTruncated"], "stderrTruncated": outcome["stderrTruncated"],
        "startedAt": started, "endedAt": time.time(),
    }


class _HashingWriter:
    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()

    def write(self, data):
        self.digest.update(data)
        self.handle.write(data)


def run_file_get(context, session, args):
    """Copy a guest file into the session folder (`files/`), returning its path, size and SHA-256."""
    path = _guest_path(args)
    max_bytes = args.get("maxBytes", MAX_FILE_BYTES)
    if not isinstance(max_bytes, int) or not 0 < max_bytes <= MAX_FILE_BYTES:
        raise invalid("`maxBytes` must be from 1 to %d." % MAX_FILE_BYTES)
    local = _output_path(session, "files", os.path.basename(path))
    try:
        with _guest_agent(session, context) as agent, open(local, "xb") as handle:
            writer = _HashingWriter(handle)
            size, truncated = agent.read_file(path, writer, max_bytes)
    except QgaError as error:
        _unlink_quietly(local)
        raise HelperError(NOT_FOUND if "No such file" in error.desc else "HELPER_FAILED",
                          "Cannot read %s in the clone: %s" % (path, error.desc), detail={"path": path})
    except BaseException:
        _unlink_quietly(local)
        raise
    return {"cloneId": session.clone_id, "guestPath": path, "localPath": local, "size": size,
            "sha256": writer.digest.hexdigest(), "truncated": truncated}


def run_file_put(context, session, args):
    """Write a guest file from inline base64 content or a host file."""
    path = _guest_path(args)
    if args.get("contentBase64") is not None:
        try:
            data = base64.b64decode(args["contentBase64"], validate=True)
        except (ValueError, TypeError):
            raise invalid("`contentBase64` is not base64.")
        source = io.BytesIO(data)
    elif isinstance(args.get("source"), str) and os.path.isabs(args["source"]):
        try:
            source = open(args["source"], "rb")
        except OSError as error:
            raise HelperError(NOT_FOUND, "Cannot read %s: %s" % (args["source"], error.strerror))
    else:
        raise invalid("Give `contentBase64` or an absolute host `source` path.")
    digest = hashlib.sha256()

    class _Reader:
        def read(self, size):
            chunk = source.read(size)
            digest.update(chunk)
            return chunk

    try:
        with _guest_agent(session, context) as agent:
            written = agent.write_file(path, _Reader())
    except QgaError as error:
        raise failed("Cannot write %s in the clone: %s" % (path, error.desc), path=path)
    finally:
        source.close()
    return {"cloneId": session.clone_id, "guestPath": path, "size": written, "sha256": digest.hexdigest()}


def run_dump(context, session, args):
    """dump-guest-memory of the clone (ELF, paging off, or kdump-zlib) into the session's `dumps/`."""
    dump_format = args.get("format", "elf")
    if dump_format not in ("elf", "kdump-zlib"):
        raise invalid("`format` must be elf or kdump-zlib.")
    local = _output_path(session, "dumps", "memory.%s" % ("elf" if dump_format == "elf" else "kdump"))
    started = time.monotonic()
    try:
        with QmpClient(session.qmp_socket, timeout=10.0, token=context.token) as clone:
            clone.execute("dump-guest-memory", {"paging": False, "protocol": "file:" + local,
                                                "format": dump_format, "detach": False}, timeout=3600.0)
    except QmpError as error:
        _unlink_quietly(local)
        raise failed("dump-guest-memory failed: %s" % error.desc)
    except BaseException:
        _unlink_quietly(local)
        raise
    elapsed = (time.monotonic() - started) * 1000.0
    digest = hashlib.sha256()
    with open(local, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return {"cloneId": session.clone_id, "localPath": local, "format": dump_format,
            "size": os.path.getsize(local), "sha256": digest.hexdigest(), "dumpMs": round(elapsed, 1)}


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def run(verb, context, args):
    """Dispatch a guest verb under the session lock."""
    session = _ready_session(context, args)
    try:
        handler = {"exec": run_exec, "file-get": run_file_get, "file-put": run_file_put, "dump": run_dump}[verb]
        return handler(context, session, args)
    finally:
        session.unlock()
