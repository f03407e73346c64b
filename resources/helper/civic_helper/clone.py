"""`clone`: a live clone of a running VM with a pause of milliseconds, journaled before every action."""

import os
import subprocess
import threading
import time

from .argv_rewrite import ClonePlan, RewriteRefused, inspect_argv, rewrite_argv
from .clone_disks import fd_opaque, overlay_node, plan_disks, process_owner, snapshot_actions  # noqa: F401
from .clone_strategies import STRATEGY_CLASSES
from .errors import HelperError, IMPACT_BUDGET_EXCEEDED, VM_BUSY, VM_NOT_CLONEABLE, failed, invalid
from .journal import Journal, fault_action, make_fault_hook, pause_offset_faults
from .qmp import QmpClient, QmpError, accepts_connections, rss_bytes, wait_for
from .session import RootLock, Session, list_sessions, new_clone_id
from .teardown import MIGRATION_ACTIVE, restore_migration_settings, resume_source, teardown
from .twin import clone_launch, finish_clone, parse_twin_args
from .watchdog import WatchdogLink

STRATEGIES = ("auto", "background-snapshot", "precopy")
DEFAULT_MAX_PAUSE_MS = 300
FAST_BANDWIDTH = 10 * 1024 ** 3


def parse_clone_args(args):
    """Validate the `clone` arguments."""
    if not isinstance(args.get("vm"), str):
        raise invalid("`vm` is required.")
    strategy = args.get("strategy", "auto")
    if strategy not in STRATEGIES:
        raise invalid("`strategy` must be one of %s." % ", ".join(STRATEGIES))
    max_pause = args.get("maxPauseMs", DEFAULT_MAX_PAUSE_MS)
    if not isinstance(max_pause, int) or isinstance(max_pause, bool) or not 1 <= max_pause <= 60000:
        raise invalid("`maxPauseMs` must be an integer from 1 to 60000.")
    forwards = args.get("hostForwards", [])
    if not isinstance(forwards, list) or len(forwards) > 16:
        raise invalid("`hostForwards` must be a list of at most 16 {hostPort, guestPort}.")
    for forward in forwards:
        if not isinstance(forward, dict) or not all(
                isinstance(forward.get(k), int) and not isinstance(forward.get(k), bool)
                for k in ("hostPort", "guestPort")):
            raise invalid("Each host forward is {\"hostPort\": int, \"guestPort\": int}.")
    timeout = args.get("timeoutSeconds", 300)
    if not isinstance(timeout, (int, float)) or not 1 <= timeout <= 86400:
        raise invalid("`timeoutSeconds` must be from 1 to 86400.")
    parsed = {"vm": args["vm"], "strategy": strategy, "maxPauseMs": max_pause, "hostForwards": forwards,
              "allowMultiple": bool(args.get("allowMultiple", False)), "timeoutSeconds": float(timeout)}
    parsed.update(parse_twin_args(args))
    return parsed


def choose_strategy(requested, capabilities):
    """The strategy to use given `query-migrate-capabilities` names; never postcopy."""
    names = set(capabilities)
    if requested == "background-snapshot":
        if "background-snapshot" not in names:
            raise HelperError(VM_NOT_CLONEABLE, "This QEMU has no background-snapshot migration.")
        return requested
    if requested == "precopy":
        if "pause-before-switchover" not in names:
            raise HelperError(VM_NOT_CLONEABLE, "This QEMU has no pause-before-switchover migration.")
        return requested
    if "background-snapshot" in names:
        return "background-snapshot"
    if "pause-before-switchover" in names:
        return "precopy"
    raise HelperError(VM_NOT_CLONEABLE, "This QEMU supports neither background-snapshot nor "
                                        "pause-before-switchover migration.")


def check_source_idle(monitor, vm_key):
    """Refuse a source that is migrating, running block jobs, or not in a clonable run state."""
    status = monitor.execute("query-status").get("status")
    if status == "paused":
        # QEMU 7.2 starts a VM once a background snapshot is under way, and a finished precopy leaves
        # the source's disks inactive until it runs: either would change a VM the user paused.
        raise HelperError(VM_NOT_CLONEABLE, "The VM is paused; QEMU cannot copy a paused VM's memory without "
                                            "starting it. Resume it first if that is acceptable.",
                          detail={"vm": vm_key, "status": status})
    if status != "running":
        if status in ("inmigrate", "postmigrate", "finish-migrate", "save-vm", "restore-vm"):
            raise HelperError(VM_BUSY, "The VM is %s; another migration or snapshot is in progress." % status,
                              detail={"vm": vm_key, "status": status})
        raise HelperError(VM_NOT_CLONEABLE, "The VM is %s, not running." % status,
                          detail={"vm": vm_key, "status": status})
    migration = (monitor.execute("query-migrate") or {}).get("status")
    if migration in MIGRATION_ACTIVE:
        raise HelperError(VM_BUSY, "The VM is being migrated (%s)." % migration, detail={"vm": vm_key})
    jobs = monitor.execute("query-block-jobs") or []
    if jobs:
        raise HelperError(VM_BUSY, "The VM has running block jobs.", detail={"vm": vm_key,
                                                                             "jobs": [j.get("device") for j in jobs]})
    return status


class CloneOperation:
    """One run of `clone` for one VM, with its journal, budget and rollback."""

    def __init__(self, context, args, source):
        self.context = context
        self.emitter = context.emitter
        self.token = context.token
        self.args = args
        self.source = source
        self.session = None
        self.journal = None
        self.monitor = None
        self.clone_monitor = None
        self.clone_process = None
        self.watchdog = None
        self.result = {}

    # -- helpers --------------------------------------------------------------------------------

    def progress(self, step, value, message, **extra):
        self.emitter.progress(step, value, message, **extra)

    def budget_check(self, paused_at, where):
        return self.budget_enforce((time.monotonic() - paused_at) * 1000.0, where)

    def budget_enforce(self, elapsed_ms, where):
        if elapsed_ms > self.args["maxPauseMs"]:
            raise HelperError(IMPACT_BUDGET_EXCEEDED, "The source would stay paused longer than %d ms (%.1f ms at "
                              "%s); the clone was abandoned and the source resumed." % (
                                  self.args["maxPauseMs"], elapsed_ms, where),
                              detail={"pausedMs": round(elapsed_ms, 1), "at": where,
                                      "maxPauseMs": self.args["maxPauseMs"]})
        return elapsed_ms

    def _clone_pid(self):
        return self.clone_process.pid if self.clone_process is not None else None

    def _watchdog_pid(self):
        return self.watchdog.pid if self.watchdog is not None else None

    # -- the run --------------------------------------------------------------------------------

    def run(self):
        """Create the clone or roll everything back; returns the result payload."""
        self._create_session()
        try:
            self.monitor = self.source.open_monitor(self.token)
            strategy = self._prepare()
            # Started with the session, so its start-up overlapped the preparation above.
            self.watchdog.wait_ready()
            STRATEGY_CLASSES[strategy](self).run()
            # A twin's keeper runs before `ready` is recorded: no ready twin is ever without one.
            self.result.update(finish_clone(self))
            self.journal.append("ready", result=self.result)
            self.progress("ready", 1.0, "Clone %s is running" % self.session.clone_id)
            return self.result
        except BaseException as error:
            self._rollback(error)
            raise
        finally:
            for client in (self.clone_monitor, self.monitor):
                if client is not None:
                    client.close()
            if self.watchdog is not None:
                self.watchdog.close()
            self.session.unlock()

    def _create_session(self):
        root = self.context.root
        with RootLock(root):
            if not self.args["allowMultiple"]:
                for other in list_sessions(root):
                    marker = other.marker() or {}
                    if marker.get("vm", {}).get("id") == self.source.key and other.journal_view().state != "destroyed":
                        raise HelperError(VM_BUSY, "A clone of this VM already exists (%s)." % other.clone_id,
                                          detail={"vm": self.source.key, "cloneId": other.clone_id})
            clone_id = new_clone_id()
            self.session = Session(root, clone_id)
            self.session.create({"vm": self.source.describe(), "helperPid": os.getpid(), "createdAt": time.time()})
            self.session.try_lock()
        hook = make_fault_hook(self.context.fault_spec, self.token, self._clone_pid, self._watchdog_pid)
        self.journal = Journal(self.session.dir, fault_hook=hook)
        # Before anything touches the source: a pause must never outlive the helper.
        self.watchdog = WatchdogLink(self.session, self.source, self.args["maxPauseMs"])
        for offset, action in pause_offset_faults(self.context.fault_spec):
            self.watchdog.on_pause(self._pause_fault_timer(offset, action))

    def _pause_fault_timer(self, offset, action):
        """Test-only: carry out `action` `offset` seconds after the pause began (a helper thread)."""
        def start(paused_at):
            delay = max(0.0, paused_at + offset - time.monotonic())
            timer = threading.Timer(delay, fault_action, (action, "pause", self.token, self._clone_pid,
                                                          self._watchdog_pid))
            timer.daemon = True
            timer.start()
        return start

    def _prepare(self):
        monitor = self.monitor
        status = check_source_idle(monitor, self.source.key)
        argv = self.source.argv(monitor)
        self.source_owner = process_owner(self.source.pid(monitor) or 0)
        if self.source_owner is not None and self.source_owner[0] != os.geteuid():
            # Another user's QEMU opens its overlay here: let it traverse, never list.
            os.chmod(self.session.dir, 0o711)
        facts = inspect_argv(argv)
        if facts["refusals"]:
            raise HelperError(VM_NOT_CLONEABLE, "The VM cannot be cloned safely: %s." % "; ".join(facts["refusals"]),
                              detail={"reasons": facts["refusals"]})
        capabilities = {c["capability"]: c["state"] for c in monitor.execute("query-migrate-capabilities")}
        strategy = choose_strategy(self.args["strategy"], capabilities)
        disks = plan_disks(monitor.execute("query-block") or [], facts["disks"], self.session,
                           self.session.clone_id,
                           resolve_overlay=self._resolve_overlay if self.args["allowMultiple"] else None)
        plan = ClonePlan(self.session.dir, "civic-clone-" + self.session.clone_id,
                         {disk["argvKey"]: disk["cloneOverlay"] for disk in disks},
                         host_forwards=self.args["hostForwards"], qga_socket=self.session.qga_socket,
                         qmp_socket=self.session.qmp_socket, pidfile=self.session.pidfile,
                         guest_network=self.args.get("guestNetwork"))
        try:
            self.clone_argv = rewrite_argv(argv, plan)
        except RewriteRefused as error:
            raise HelperError(VM_NOT_CLONEABLE, "The VM cannot be cloned safely: %s." % error,
                              detail={"reasons": error.reasons})
        self.disks = disks
        self.was_running = status == "running"
        parameters = monitor.execute("query-migrate-parameters") or {}
        original_params = {"max-bandwidth": parameters.get("max-bandwidth")} if "max-bandwidth" in parameters else {}
        touched = ("background-snapshot", "pause-before-switchover", "postcopy-ram", "postcopy-blocktime",
                   "late-block-activate")
        original_caps = {name: capabilities[name] for name in touched if name in capabilities}
        self.journal.append("begin", vm=self.source.describe(), strategy=strategy, wasRunning=self.was_running,
                            fdname="civic-" + self.session.clone_id, disks=disks,
                            maxPauseMs=self.args["maxPauseMs"], guestNetwork=self.args.get("guestNetwork"),
                            leaseSeconds=self.args.get("leaseSeconds"))
        self.journal.append("source-caps", capabilities=original_caps, parameters=original_params)
        self._original_settings = {"capabilities": original_caps, "parameters": original_params}
        fallback = None
        try:
            self._set_capabilities(strategy, original_caps)
        except QmpError as error:
            # QEMU refuses background-snapshot for some memory setups (and after a cancelled one).
            if strategy != "background-snapshot" or self.args["strategy"] != "auto" or \
                    "pause-before-switchover" not in capabilities:
                raise HelperError(VM_NOT_CLONEABLE, "QEMU refused the %s migration setup: %s" % (strategy, error.desc),
                                  detail={"strategy": strategy})
            fallback = error.desc
            strategy = "precopy"
            self.journal.append("strategy-fallback", strategy=strategy, reason=fallback)
            self._set_capabilities(strategy, original_caps)
        if original_params:
            monitor.execute("migrate-set-parameters", {"max-bandwidth": FAST_BANDWIDTH})
        self.strategy = strategy
        self.progress("plan", 0.05, "Cloning with %s; pause budget %d ms" % (strategy, self.args["maxPauseMs"]),
                       strategy=strategy, disks=len(disks), maxPauseMs=self.args["maxPauseMs"],
                       cloneId=self.session.clone_id, fallbackReason=fallback)
        return strategy

    def _set_capabilities(self, strategy, original_caps):
        wanted = {name: False for name in original_caps}
        wanted["background-snapshot"] = strategy == "background-snapshot"
        wanted["pause-before-switchover"] = strategy == "precopy"
        # Clear first, then set, so QEMU never sees both strategies enabled at once.
        self.monitor.execute("migrate-set-capabilities", {"capabilities": [
            {"capability": name, "state": False} for name in sorted(wanted)]})
        self.monitor.execute("migrate-set-capabilities", {"capabilities": [
            {"capability": name, "state": True} for name in sorted(wanted) if wanted[name]]})

    def _resolve_overlay(self, node):
        """The file of another live clone's source overlay node (`civic-<hex>-<i>`), or None."""
        parts = node.split("-")
        if len(parts) != 3 or not parts[2].isdigit():
            return None
        try:
            other = Session(self.context.root, "cw-" + parts[1])
        except HelperError:
            return None
        disks = other.journal_view().begin.get("disks") or []
        index = int(parts[2])
        if not other.exists or index >= len(disks) or disks[index].get("snapshotNode") != node:
            return None
        return disks[index].get("sourceOverlay")

    def pass_source_overlays(self):
        """add-fd each source overlay into its own fd set; returns the set ids by disk.

        QEMU opens an fd-set path with the access mode it needs (read-only to probe, read-write to
        write), and only a descriptor of that mode matches: each set gets one of each.
        """
        fdsets = []
        for index, disk in enumerate(self.disks):
            fdset = None
            for mode in (os.O_RDWR, os.O_RDONLY):
                fd = os.open(disk["sourceOverlay"], mode)
                try:
                    arguments = {"opaque": fd_opaque(self.session.clone_id, index)}
                    if fdset is not None:
                        arguments["fdset-id"] = fdset
                    fdset = self.monitor.execute("add-fd", arguments, fds=[fd])["fdset-id"]
                finally:
                    os.close(fd)
            fdsets.append(fdset)
        self.journal.append("source-nodes", nodes=[d["snapshotNode"] for d in self.disks])
        for disk, fdset in zip(self.disks, fdsets):
            self.monitor.execute("blockdev-add", overlay_node(disk, fdset))
        return fdsets

    def restore_settings(self):
        restore_migration_settings(self.monitor, self._original_settings)
        self.journal.append("caps-restored")

    def start_clone(self):
        # The argv is not journaled: it can carry secrets (`-object secret,data=...`).
        self.journal.append("clone-start", pidfile=self.session.pidfile)
        log = open(self.session.path("clone.log"), "wb")
        # Lower CPU and I/O priority set before exec, so every QEMU thread inherits it (clone_priority.py).
        argv, preexec, self.clone_scope = clone_launch(self.session.clone_id, self.args, self.clone_argv)
        try:
            self.clone_process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True,
                start_new_session=True, preexec_fn=preexec)
        finally:
            log.close()
        self.clone_started_at = time.monotonic()
        self.journal.append("clone-started", pid=self.clone_process.pid)
        process = self.clone_process

        def socket_ready():
            if process.poll() is not None:
                raise failed("The clone QEMU exited at start (status %s); see clone.log." % process.returncode,
                             log=self.clone_log_tail())
            return accepts_connections(self.session.qmp_socket)

        if wait_for(socket_ready, 30.0, self.token) is None:
            raise failed("The clone QEMU did not open its QMP socket in 30 s.")
        self.clone_monitor = QmpClient(self.session.qmp_socket, timeout=10.0, token=self.token)

    def clone_log_tail(self):
        try:
            with open(self.session.path("clone.log"), "rb") as handle:
                return handle.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def clone_status(self):
        if self.clone_process.poll() is not None:
            raise failed("The clone QEMU exited (status %s)." % self.clone_process.returncode,
                         log=self.clone_log_tail())
        return self.clone_monitor.execute("query-status").get("status")

    def wait_migration(self, monitor, done, what, timeout, on_poll=None):
        last = {}

        def check():
            if on_poll is not None:
                on_poll()
            info = monitor.execute("query-migrate") or {}
            status = info.get("status")
            last.update(info)
            if status in ("failed", "cancelled"):
                raise failed("%s %s: %s" % (what, status, info.get("error-desc", "")), status=status)
            if self.clone_process is not None and self.clone_process.poll() is not None:
                raise failed("The clone QEMU exited during %s." % what, log=self.clone_log_tail())
            return status in done

        if wait_for(check, timeout, self.token, interval=0.005) is None:
            raise failed("%s did not finish in %.0f s." % (what, timeout))
        return last

    def finish_clone(self, activation_from):
        """Resume the clone if it waits paused, then measure it."""
        wait_for(lambda: self.clone_status() not in ("inmigrate", "finish-migrate"), 60.0, self.token)
        if self.clone_status() != "running":
            self.journal.append("clone-resume")
            self.clone_monitor.execute("cont")
            if wait_for(lambda: self.clone_status() == "running", 30.0, self.token) is None:
                raise failed("The clone did not start running.")
        self.result.update({
            "cloneId": self.session.clone_id,
            "strategy": self.strategy,
            "cloneActivationMs": round((time.monotonic() - activation_from) * 1000.0, 1),
            "cloneRssBytes": rss_bytes(self.clone_process.pid),
            "clonePid": self.clone_process.pid,
            "qmpSocket": self.session.qmp_socket,
            "qgaSocket": self.session.qga_socket if os.path.exists(self.session.qga_socket) else None,
            "sessionDir": self.session.dir,
            "disks": [{"device": d["device"] or d["qdev"], "cloneOverlay": d["cloneOverlay"],
                       "base": d["file"]} for d in self.disks],
        })

    # -- rollback --------------------------------------------------------------------------------

    def _resume_now(self, monitor):
        """Inside a pause, put the source back before any journal write; teardown records and checks it."""
        if monitor is None or self.watchdog is None or not self.watchdog.armed:
            return
        try:
            actions = resume_source(self.session.journal_view(), monitor)
        except BaseException:  # a broken connection: teardown tries again on a fresh one
            return
        if actions:
            self.journal.append("source-resumed", by="rollback", actions=actions)
        self.watchdog.disarm()

    def _rollback(self, error):
        if self.session is None or self.journal is None:
            return
        reason = error.code if isinstance(error, HelperError) else type(error).__name__
        with self.token.shield():
            if self.clone_monitor is not None:
                self.clone_monitor.close()
                self.clone_monitor = None
            monitor = self.monitor
            self.monitor = None
            if self.watchdog is not None:
                self.watchdog.rolling_back()
            self._resume_now(monitor)

            def open_source():
                if monitor is not None:
                    try:
                        monitor.execute("query-status", timeout=5.0)
                        return monitor
                    except BaseException:  # a broken connection: reconnect below
                        monitor.close()
                return self.source.open_monitor(None)

            try:
                summary = teardown(self.session, self.journal, self.session.journal_view(), open_source,
                                   self.emitter, reason=reason,
                                   on_source_settled=self.watchdog.disarm if self.watchdog is not None else None)
                if isinstance(error, HelperError):
                    error.detail.setdefault("rollback", summary["actions"])
            except BaseException as rollback_error:  # report both: the cause and what is left to recover
                if isinstance(error, HelperError):
                    error.detail["rollbackError"] = str(rollback_error)
                    error.detail["recover"] = "run `civic-helper recover` for clone %s" % self.session.clone_id
            finally:
                if self.clone_process is not None:
                    try:
                        self.clone_process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        pass
