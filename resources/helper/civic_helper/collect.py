"""`collect`: diagnostics run in a ready clone, written as hashed artifacts in its session folder.

The toolkit is injected once per run, before the first step that needs it, and removed at the end, also on
error and cancel. Guest files move with guest-file-read in chunks, never through guest-exec output (which
qemu-ga caps at 16 MB). A failing step is reported and the next one runs.
"""

import os

from .collect_args import STEPS, parse_collect_args
from .collect_artifacts import ARTIFACTS_DIR, ArtifactStore, sanitised_guest_path
from .collect_guest import CHUNK_TIMEOUT, CollectGuest
from .collect_metrics import SAMPLE_SCRIPT, SAMPLE_SCRIPT_NAME, jsonl, samples_from_raw
from .errors import Cancelled, HelperError, NOT_FOUND, VM_BUSY, failed
from .qga import QgaError
from .qmp import QmpClient, QmpError, pid_alive
from .session import open_session
from . import toolkit_inject as tk
from .toolkit_plan import PLAN

_RUN_TO_FILE = "o=\"$1\"; shift; exec \"$@\" >\"$o\" 2>&1"
_RUN_TO_FILES = "o=\"$1\"; e=\"$2\"; shift 2; exec \"$@\" >\"$o\" 2>\"$e\""
NO_AGENT_NONE = "Agentless collection was asked (access none)."


# The argv of every diagnostic comes from the toolkit plan (toolkit_plan.json), which the app reads too.

def backtrace_argv(pid):
    """gdb lists the threads and prints every thread's backtrace, then detaches."""
    return PLAN.diagnostic_argv("backtrace", pid=pid)


def core_dump_argv(pid, guest_path):
    """gdb writes an ELF core of the running process (gcore); the process goes on."""
    return PLAN.diagnostic_argv("coreDump", pid=pid, corePath=guest_path)


def kernel_stacks_argv(pid):
    """Each thread's kernel stack from /proc/PID/task/TID/stack, read by our busybox."""
    return PLAN.diagnostic_argv("kernelStacks", pid=pid)


def syscalls_argv(pid, seconds):
    """strace counts the process's system calls for `seconds`, then SIGINT makes it detach and print."""
    return PLAN.diagnostic_argv("syscallSummary", pid=pid, seconds=seconds)


def collector_argv(document, output):
    """The collector writes one document (processes, sockets or system) to `output`."""
    return PLAN.diagnostic_argv("collector", document=document, output=output)


def core_path(pid):
    """Where gcore writes the core of `pid` in the guest (the app's coreDumpArgv uses the same name)."""
    return "%s/core.%d" % (tk.GUEST_OUTPUT_DIR, pid)


def collector_output(document):
    """Where the collector writes `document` in the guest."""
    return "%s/%s.json" % (tk.GUEST_OUTPUT_DIR, document)


def to_file(output, argv):
    """Run argv with stdout and stderr in one guest file (so output moves by file read, not exec capture)."""
    return [tk.GUEST_BUSYBOX, "sh", "-c", _RUN_TO_FILE, "civic-run", output] + list(argv)


def _ready_session(root, clone_id):
    session = open_session(root, clone_id)
    if not session.try_lock():
        raise HelperError(VM_BUSY, "Another helper is working on clone %s." % clone_id, detail={"cloneId": clone_id})
    view = session.journal_view()
    pid = session.clone_pid()
    if view.state != "ready" or not pid or not pid_alive(pid):
        session.unlock()
        raise HelperError(NOT_FOUND, "Clone %s is not running (state %s)." % (clone_id, view.state),
                          detail={"cloneId": clone_id, "state": view.state})
    return session


class CollectOperation:
    """One `collect` run against one clone."""

    def __init__(self, context, args):
        self.context = context
        self.token = context.token
        self.args = parse_collect_args(args)
        self.steps = self.args["steps"]
        self.session = None
        self.guest = None
        self.store = None
        self.toolkit = None
        self.bootstrap = None
        self.injected = False
        self.toolkit_error = None
        self.toolkit_removed = None
        self.skipped = []
        self.failed = []
        self.guest_info = {"kernel": None, "qgaVersion": None}
        self.index = 0

    # -- progress -----------------------------------------------------------------------------------------

    def _progress(self, value, message, **extra):
        self.context.emitter.progress("collect:%s" % self.steps[self.index]["id"], value, message, **extra)

    def _on_artifact(self, entry):
        self._progress((self.index + 1.0) / len(self.steps), "Wrote %s." % entry["path"],
                       artifact=entry["path"], size=entry["size"])

    # -- run ----------------------------------------------------------------------------------------------

    def run(self):
        """Run every step; returns the result payload (or raises CANCELLED with what was written)."""
        self.session = _ready_session(self.context.root, self.args["cloneId"])
        try:
            return self._run()
        finally:
            self.session.unlock()

    def _needs(self, kind):
        column = 0 if kind == "qga" else 1
        return any(STEPS[step["id"]][column] for step in self.steps)

    def _run(self):
        access = self.args["access"]
        if access != "none" and self.args["toolkit"] and self._needs("toolkit"):
            self.toolkit = tk.load_toolkit(self.args["toolkit"])
        self.store = ArtifactStore(self.session.dir, self.args["maxArtifactBytes"], self._on_artifact)
        os.makedirs(self.session.path(ARTIFACTS_DIR), mode=0o700, exist_ok=True)
        self.guest = CollectGuest(self.session.qga_socket, self.token)
        no_agent = NO_AGENT_NONE
        try:
            if access != "none" and self._needs("qga"):
                usable, no_agent, version = self.guest.probe()
                self.guest_info["qgaVersion"] = version
                access = "qga" if usable else "none"
                if usable:
                    self._read_kernel_version()
            else:
                access = "none"
            for self.index, step in enumerate(self.steps):
                self._progress(float(self.index) / len(self.steps), "Step %s." % step["id"])
                if STEPS[step["id"]][0] and access != "qga":
                    self.skipped.append({"step": step["id"], "reason": no_agent})
                    continue
                self._run_step(step)
        except Cancelled as error:
            self._cleanup(interrupted=True)
            error.detail.update(self._partial())
            raise
        except BaseException:
            self._cleanup(interrupted=True)
            raise
        self._cleanup(interrupted=False)
        self.context.emitter.progress("collect:done", 1.0, "Collected %d artifacts." % len(self.store.entries))
        payload = dict(self._partial(), cloneId=self.session.clone_id, access=access, sessionDir=self.session.dir,
                       guest=self.guest_info)
        return payload

    def _partial(self):
        toolkit = None
        if self.toolkit is not None:
            toolkit = {"key": self.toolkit.key, "files": self.toolkit.files(),
                       "injected": self.injected, "removed": self.toolkit_removed}
        return {"artifacts": list(self.store.entries) if self.store else [], "skipped": self.skipped,
                "failed": self.failed, "commands": self.guest.commands if self.guest else [], "toolkit": toolkit}

    def _read_kernel_version(self):
        try:
            text = self.guest.read_small("/proc/version", 64 * 1024)
            self.guest_info["kernel"] = text.decode("utf-8", "replace").strip()
        except (HelperError, QgaError) as error:
            if isinstance(error, Cancelled):
                raise
            self.guest_info["kernel"] = None

    def _cleanup(self, interrupted):
        """Kill an interrupted guest program, remove the toolkit, release qemu-ga; never interrupted itself."""
        with self.token.shield():
            if self.guest is None:
                return
            try:
                if self.bootstrap is not None:
                    if interrupted:
                        # The stream may hold half a reply; a new connection syncs past it.
                        self.guest.connect(timeout=CHUNK_TIMEOUT)
                        self.guest.kill_running(self.bootstrap)
                    self.toolkit_removed = tk.remove(self.guest, self.bootstrap)
            except (HelperError, QgaError, OSError):
                self.toolkit_removed = False
            finally:
                self.guest.close()

    # -- steps --------------------------------------------------------------------------------------------

    def _fail(self, step_id, error, pid=None, **extra):
        entry = {"step": step_id, "pid": pid, "code": error.code if isinstance(error, HelperError) else "HELPER_FAILED",
                 "message": error.message if isinstance(error, HelperError) else str(error)}
        entry.update(extra)
        self.failed.append(entry)

    def _run_step(self, step):
        step_id = step["id"]
        try:
            if STEPS[step_id][1]:
                self._ensure_toolkit()
            handler = getattr(self, "_step_" + step_id.replace("-", "_"))
            handler(step)
        except Cancelled:
            raise
        except QgaError as error:
            self._fail(step_id, failed("The guest agent refused %s: %s" % (error.command, error.desc)))
            self._resync()
        except HelperError as error:
            self._fail(step_id, error)
            self._resync()

    def _resync(self):
        """After a failed step the agent stream may be mid-reply: reconnect (sync) before the next step."""
        try:
            self.guest.connect(timeout=CHUNK_TIMEOUT)
        except Cancelled:
            raise
        except (HelperError, OSError):
            pass

    def _ensure_toolkit(self):
        if self.bootstrap is not None:
            return
        if self.toolkit_error is not None:
            raise self.toolkit_error
        # Set before the first guest write, so cleanup removes whatever part of the plan ran.
        self.bootstrap = tk.bootstrap_path()
        try:
            tk.inject(self.guest, self.toolkit, self.bootstrap)
            self.injected = True
        except Cancelled:
            raise
        except QgaError as error:
            self.toolkit_error = failed("Cannot put the toolkit into the clone: %s" % error.desc)
            raise self.toolkit_error
        except HelperError as error:
            self.toolkit_error = failed("Cannot put the toolkit into the clone: %s" % error.message, **error.detail)
            raise self.toolkit_error

    def _per_pid(self, step, body):
        for pid in step["pids"]:
            try:
                body(pid)
            except Cancelled:
                raise
            except QgaError as error:
                self._fail(step["id"], failed("The guest agent refused %s: %s" % (error.command, error.desc)), pid)
                self._resync()
            except HelperError as error:
                self._fail(step["id"], error, pid)
                self._resync()

    def _fetch(self, guest_path, relative, role, media_type, step_id, pid=None):
        writer = self.store.writer(relative, role, media_type, step_id, pid)
        try:
            self.guest.read(guest_path, writer, self.store.max_bytes)
            return writer.commit()
        except BaseException:
            writer.discard()
            raise

    def _remove_guest_files(self, *paths):
        if self.token.requested:
            return  # the whole tmpfs goes in cleanup; a guest run here would hide the PID to kill
        self.guest.run([tk.GUEST_BUSYBOX, "rm", "-f"] + list(paths), 30)

    def _diagnostic(self, step, pid, argv, relative, role, timeout, accept=lambda outcome: outcome["exitCode"] == 0):
        output = "%s/%s.%d.txt" % (tk.GUEST_OUTPUT_DIR, step["id"], pid)
        try:
            outcome = self.guest.run(to_file(output, argv), timeout, "%s of pid %d" % (step["id"], pid))
            self._fetch(output, relative, role, "text/plain", step["id"], pid)
        finally:
            self._remove_guest_files(output)
        if not accept(outcome):
            raise failed("%s for process %d ended with %s (see the artifact)." % (
                step["id"], pid, _how(outcome)), exitCode=outcome["exitCode"], signal=outcome["signal"])

    def _document(self, step):
        output = collector_output(step["id"])
        outcome = self.guest.run(collector_argv(step["id"], output), 300, "collector " + step["id"])
        summary = outcome["stderr"].decode("utf-8", "replace").strip()[-2000:]
        # Exit 1: written but cut at a cap (the document says `truncated`); anything else wrote nothing usable.
        if outcome["exitCode"] not in (0, 1):
            raise failed("The collector failed for %s (%s)." % (step["id"], _how(outcome)), summary=summary)
        try:
            self._fetch(output, "%s/%s.json" % (ARTIFACTS_DIR, step["id"]), step["id"], "application/json",
                        step["id"])
        finally:
            self._remove_guest_files(output)

    _step_processes = _document
    _step_sockets = _document
    _step_system = _document

    def _step_backtraces(self, step):
        self._per_pid(step, lambda pid: self._diagnostic(
            step, pid, backtrace_argv(pid), "%s/backtraces/%d.txt" % (ARTIFACTS_DIR, pid), "backtraces", 300))

    def _step_kernel_stacks(self, step):
        self._per_pid(step, lambda pid: self._diagnostic(
            step, pid, kernel_stacks_argv(pid), "%s/kernel-stacks/%d.txt" % (ARTIFACTS_DIR, pid), "kernel-stacks",
            60))

    def _step_syscalls(self, step):
        # On the timeout's SIGINT strace detaches, prints its table and re-raises SIGINT: that is the normal end.
        self._per_pid(step, lambda pid: self._diagnostic(
            step, pid, syscalls_argv(pid, step["seconds"]), "%s/syscalls/%d.txt" % (ARTIFACTS_DIR, pid), "syscalls",
            step["seconds"] + 120, accept=lambda outcome: outcome["exitCode"] == 0 or outcome["signal"] == 2))

    def _step_core_dump(self, step):
        def one(pid):
            core = core_path(pid)
            log = "%s/core.%d.log" % (tk.GUEST_OUTPUT_DIR, pid)
            try:
                outcome = self.guest.run(to_file(log, core_dump_argv(pid, core)), 600, "core-dump of pid %d" % pid)
                if outcome["exitCode"] != 0:
                    text = self.guest.read_small(log, 64 * 1024).decode("utf-8", "replace").strip()
                    raise failed("gcore of process %d ended with %s." % (pid, _how(outcome)), log=text[-2000:])
                self._fetch(core, "%s/cores/core.%d" % (ARTIFACTS_DIR, pid), "core-dump", "application/x-coredump",
                            step["id"], pid)
            finally:
                self._remove_guest_files(core, log)

        self._per_pid(step, one)

    def _step_metrics(self, step):
        raw_path = "%s/metrics.raw" % tk.GUEST_OUTPUT_DIR
        samples = max(1, step["seconds"] // step["intervalSeconds"])
        try:
            outcome = self.guest.run([tk.GUEST_BUSYBOX, "sh", "-c", SAMPLE_SCRIPT, SAMPLE_SCRIPT_NAME, tk.GUEST_BUSYBOX,
                                      str(samples), str(step["intervalSeconds"]), raw_path], step["seconds"] + 120,
                                     "metrics")
            if outcome["exitCode"] != 0:
                raise failed("The metrics sampler ended with %s." % _how(outcome))
            raw = self.guest.read_small(raw_path, 256 * 1024 * 1024)
        finally:
            self._remove_guest_files(raw_path)
        self.store.write_bytes("%s/metrics.jsonl" % ARTIFACTS_DIR, "metrics", "application/x-ndjson", "metrics",
                               jsonl(samples_from_raw(raw)))

    def _step_command(self, step):
        stdout = "%s/command.%s.stdout" % (tk.GUEST_OUTPUT_DIR, step["name"])
        stderr = "%s/command.%s.stderr" % (tk.GUEST_OUTPUT_DIR, step["name"])
        # busybox timeout execs the command in its own PID, so the PID qemu-ga reports is the command's.
        argv = [tk.GUEST_BUSYBOX, "sh", "-c", _RUN_TO_FILES, "civic-command", stdout, stderr,
                tk.GUEST_BUSYBOX, "timeout", "-s", "KILL", str(step["seconds"])] + step["argv"]
        try:
            outcome = self.guest.run(argv, step["seconds"] + 60, "command " + step["name"])
            for guest_path, suffix in ((stdout, "stdout"), (stderr, "stderr")):
                self._fetch(guest_path, "%s/commands/%s.%s" % (ARTIFACTS_DIR, step["name"], suffix),
                            "command-output", "text/plain", "command")
        finally:
            self._remove_guest_files(stdout, stderr)
        if outcome["signal"] is not None:
            raise failed("The command %s ended with %s (timeout %d s)." % (
                step["name"], _how(outcome), step["seconds"]),
                         name=step["name"], signal=outcome["signal"])

    def _step_kernel_symbols(self, step):
        base = "%s/kernel/" % ARTIFACTS_DIR
        self._fetch("/proc/version", base + "version.txt", "kernel-symbols", "text/plain", step["id"])
        self._fetch("/proc/kallsyms", base + "kallsyms.txt", "kernel-symbols", "text/plain", step["id"])
        try:
            self._fetch("/sys/kernel/btf/vmlinux", base + "btf-vmlinux", "kernel-symbols",
                        "application/octet-stream", step["id"])
        except QgaError:
            pass  # a kernel built without BTF: the artifact is optional

    def _step_files(self, step):
        used = set()
        for guest_path in step["paths"]:
            name = sanitised_guest_path(guest_path)
            while name in used:
                name = "_" + name
            used.add(name)
            try:
                self._fetch(guest_path, "%s/files/%s" % (ARTIFACTS_DIR, name), "guest-file", "application/octet-stream",
                            step["id"])
            except Cancelled:
                raise
            except QgaError as error:
                code = NOT_FOUND if "No such file" in error.desc else "HELPER_FAILED"
                self._fail("files", HelperError(code, "Cannot read %s in the clone: %s" % (guest_path, error.desc)),
                           path=guest_path)
                self._resync()
            except HelperError as error:
                self._fail("files", error, path=guest_path)
                self._resync()

    def _step_memory_dump(self, step):
        name = "memory.elf" if step["format"] == "elf" else "memory.kdump"
        relative = "%s/%s" % (ARTIFACTS_DIR, name)
        final = self.session.path(relative)
        partial = final + ".partial"
        try:
            with QmpClient(self.session.qmp_socket, timeout=10.0, token=self.token) as clone:
                clone.execute("dump-guest-memory", {"paging": False, "protocol": "file:" + partial,
                                                    "format": step["format"], "detach": False}, timeout=3600.0)
            if os.path.getsize(partial) > self.store.max_bytes:
                raise failed("The memory dump is larger than maxArtifactBytes.", size=os.path.getsize(partial))
            os.replace(partial, final)
        except QmpError as error:
            raise failed("dump-guest-memory failed: %s" % error.desc)
        finally:
            try:
                os.unlink(partial)
            except OSError:
                pass
        media_type = "application/x-elf" if step["format"] == "elf" else "application/x-kdump"
        self.store.adopt(relative, "memory-dump", media_type, step["id"])


def _how(outcome):
    if outcome.get("signal") is not None:
        return "signal %s" % outcome["signal"]
    return "exit code %s" % outcome.get("exitCode")


def collect(context, args):
    """The `collect` verb."""
    return CollectOperation(context, args).run()
