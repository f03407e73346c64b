"""`clone`: a live clone of a running VM with a pause of milliseconds, journaled before every action."""

import os
import socket
import subprocess
import threading
import time

from .argv_rewrite import ClonePlan, RewriteRefused, inspect_argv, rewrite_argv
from .errors import HelperError, IMPACT_BUDGET_EXCEEDED, VM_BUSY, VM_NOT_CLONEABLE, failed, invalid
from .journal import Journal, fault_action, make_fault_hook, pause_offset_faults
from .qmp import QmpClient, QmpError, accepts_connections, event_time, rss_bytes, wait_for
from .session import RootLock, Session, list_sessions, new_clone_id
from .teardown import MIGRATION_ACTIVE, restore_migration_settings, teardown
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
    return {"vm": args["vm"], "strategy": strategy, "maxPauseMs": max_pause, "hostForwards": forwards,
            "allowMultiple": bool(args.get("allowMultiple", False)), "timeoutSeconds": float(timeout)}


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


def qdev_id(qdev):
    """The device id in a query-block `qdev` (`data0`, or `/machine/peripheral/data0/virtio-backend`)."""
    qdev = qdev or ""
    if qdev.startswith("/machine/peripheral/"):
        return qdev.split("/")[3]
    return qdev if "/" not in qdev else None


def plan_disks(block_info, argv_disks, session, clone_id, resolve_overlay=None):
    """Pair each writable runtime disk with its argv slot; name the overlays and snapshot nodes.

    A disk already topped by another clone's overlay is refused unless `resolve_overlay` (given with
    allowMultiple) turns that overlay's node name into its file, so the new overlays can sit on it.
    """
    disks = []
    for info in block_info:
        inserted = info.get("inserted")
        if not inserted or inserted.get("ro"):
            continue
        node = inserted.get("node-name")
        image = inserted.get("image") or {}
        base_file = image.get("filename") or inserted.get("file")
        if str(node).startswith("civic-"):
            base_file = resolve_overlay(node) if resolve_overlay is not None else None
            if base_file is None:
                raise HelperError(VM_BUSY, "The VM's disk already carries a clone overlay (%s): destroy that clone, "
                                           "run recover, or ask for allowMultiple." % node, detail={"node": node})
        device = info.get("device") or ""
        slot = None
        for candidate in argv_disks:
            if candidate["key"] and candidate["key"] in (device, node):
                slot = candidate
                break
        if slot is None and qdev_id(info.get("qdev")):
            slot = next((c for c in argv_disks if c.get("deviceId") == qdev_id(info.get("qdev"))), None)
        if slot is None:
            slot = next((c for c in argv_disks if c["file"] and c["file"] == inserted.get("file")), None)
        if slot is None:
            raise HelperError(VM_NOT_CLONEABLE, "The disk %s is not found in the VM's command line (its chain "
                                                "changed since start?)." % (device or node),
                              detail={"device": device, "node": node})
        index = len(disks)
        disks.append({
            "argvKey": slot["key"] or slot["file"], "device": device, "qdev": info.get("qdev"), "node": node,
            "file": base_file, "format": inserted.get("drv"),
            "virtualSize": image.get("virtual-size"),
            "snapshotNode": "civic-%s-%d" % (clone_id[3:], index),
            "sourceOverlay": session.path("src-%d.qcow2" % index),
            "cloneOverlay": session.path("disk-%d.qcow2" % index),
        })
    return disks


def overlay_node(disk, fdset):
    """The `blockdev-add` of a source overlay reached through its fd set.

    Locking is off on this one file: only this QEMU ever opens it, and OFD locks taken through one
    dup of an fd-set descriptor would outlive it and refuse the reopen after a migration.
    """
    return {"driver": "qcow2", "node-name": disk["snapshotNode"], "backing": None,
            "file": {"driver": "file", "filename": "/dev/fdset/%d" % fdset, "locking": "off"}}


def snapshot_actions(disks):
    """The `transaction` actions that cut every writable disk at the same instant."""
    return [{"type": "blockdev-snapshot", "data": {"node": disk["node"], "overlay": disk["snapshotNode"]}}
            for disk in disks]


def fd_opaque(clone_id, index):
    """The label of the descriptor we pass for a source overlay (teardown finds its fd set by it)."""
    return "civic-%s-%d" % (clone_id, index)


def create_source_overlays(disks, owner):
    """Pre-create the source's overlays, owned by the source QEMU's user.

    QEMU gets them as passed descriptors (`add-fd`, `/dev/fdset/N`, `mode: existing`), so a QEMU
    running as another user (libvirt's libvirt-qemu) needs no access to the session folder at all.
    """
    for disk in disks:
        argv = ["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", disk["file"], "-F", disk["format"],
                disk["sourceOverlay"]]
        if disk.get("virtualSize"):
            argv.append(str(int(disk["virtualSize"])))
        completed = subprocess.run(argv, capture_output=True, timeout=60)
        if completed.returncode != 0:
            raise failed("qemu-img create failed: %s" % completed.stderr.decode("utf-8", "replace").strip(),
                         overlay=disk["sourceOverlay"])
        os.chmod(disk["sourceOverlay"], 0o600)
        if owner is not None and owner != (os.geteuid(), os.getegid()):
            os.chown(disk["sourceOverlay"], owner[0], owner[1])


def process_owner(pid):
    """The (uid, gid) a process runs as, or None."""
    try:
        with open("/proc/%d/status" % pid) as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        return int(fields["Uid"].split()[1]), int(fields["Gid"].split()[1])
    except (OSError, KeyError, ValueError, IndexError):
        return None


def create_clone_overlays(disks):
    """qemu-img overlays for the clone on each disk's frozen base (`-u`: production holds the lock)."""
    for disk in disks:
        argv = ["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", disk["file"], "-F", disk["format"],
                disk["cloneOverlay"]]
        if disk.get("virtualSize"):
            argv.append(str(int(disk["virtualSize"])))
        completed = subprocess.run(argv, capture_output=True, timeout=60)
        if completed.returncode != 0:
            raise failed("qemu-img create failed: %s" % completed.stderr.decode("utf-8", "replace").strip(),
                         overlay=disk["cloneOverlay"])


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

    def _progress(self, step, value, message, **extra):
        self.emitter.progress(step, value, message, **extra)

    def _budget_check(self, paused_at, where):
        return self._budget_enforce((time.monotonic() - paused_at) * 1000.0, where)

    def _budget_enforce(self, elapsed_ms, where):
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
            if strategy == "background-snapshot":
                self._run_background_snapshot()
            else:
                self._run_precopy()
            self.journal.append("ready", result=self.result)
            self._progress("ready", 1.0, "Clone %s is running" % self.session.clone_id)
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
                         qmp_socket=self.session.qmp_socket, pidfile=self.session.pidfile)
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
                            maxPauseMs=self.args["maxPauseMs"])
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
        self._progress("plan", 0.05, "Cloning with %s; pause budget %d ms" % (strategy, self.args["maxPauseMs"]),
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

    def _pass_source_overlays(self):
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

    def _restore_settings(self):
        restore_migration_settings(self.monitor, self._original_settings)
        self.journal.append("caps-restored")

    def _start_clone(self):
        # The argv is not journaled: it can carry secrets (`-object secret,data=...`).
        self.journal.append("clone-start", pidfile=self.session.pidfile)
        log = open(self.session.path("clone.log"), "wb")
        try:
            self.clone_process = subprocess.Popen(
                self.clone_argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True,
                start_new_session=True)
        finally:
            log.close()
        self.clone_started_at = time.monotonic()
        self.journal.append("clone-started", pid=self.clone_process.pid)
        process = self.clone_process

        def socket_ready():
            if process.poll() is not None:
                raise failed("The clone QEMU exited at start (status %s); see clone.log." % process.returncode,
                             log=self._clone_log_tail())
            return accepts_connections(self.session.qmp_socket)

        if wait_for(socket_ready, 30.0, self.token) is None:
            raise failed("The clone QEMU did not open its QMP socket in 30 s.")
        self.clone_monitor = QmpClient(self.session.qmp_socket, timeout=10.0, token=self.token)

    def _clone_log_tail(self):
        try:
            with open(self.session.path("clone.log"), "rb") as handle:
                return handle.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def _clone_status(self):
        if self.clone_process.poll() is not None:
            raise failed("The clone QEMU exited (status %s)." % self.clone_process.returncode,
                         log=self._clone_log_tail())
        return self.clone_monitor.execute("query-status").get("status")

    def _wait_migration(self, monitor, done, what, timeout, on_poll=None):
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
                raise failed("The clone QEMU exited during %s." % what, log=self._clone_log_tail())
            return status in done

        if wait_for(check, timeout, self.token, interval=0.005) is None:
            raise failed("%s did not finish in %.0f s." % (what, timeout))
        return last

    def _finish_clone(self, activation_from):
        """Resume the clone if it waits paused, then measure it."""
        wait_for(lambda: self._clone_status() not in ("inmigrate", "finish-migrate"), 60.0, self.token)
        if self._clone_status() != "running":
            self.journal.append("clone-resume")
            self.clone_monitor.execute("cont")
            if wait_for(lambda: self._clone_status() == "running", 30.0, self.token) is None:
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

    # -- strategy A: background snapshot to a local file -----------------------------------------

    def _run_background_snapshot(self):
        monitor = self.monitor
        fdname = "civic-" + self.session.clone_id
        self.journal.append("source-overlays", disks=self.disks)
        create_source_overlays(self.disks, self.source_owner)
        self._pass_source_overlays()
        state_fd = os.open(self.session.state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            monitor.execute("getfd", {"fdname": fdname}, fds=[state_fd])
        finally:
            os.close(state_fd)
        self.token.check()
        # One record before the pause lists every action in it: fsyncs inside the pause would double it.
        # Rollback checks each action against QEMU's own state, so the record need not say how far it got.
        self.watchdog.arm()
        self.journal.append("source-cut", wasRunning=self.was_running, fdname=fdname,
                            steps=["stop", "snapshot", "state-save", "resume"])
        with self.token.shield():
            # From stop to cont nothing may interrupt us except our own budget checks.
            paused_at = time.monotonic()
            self.watchdog.paused(paused_at)
            if self.was_running:
                self.journal.fault_point("source-stop")
                monitor.execute("stop")
            self.journal.fault_point("source-snapshot")
            monitor.execute("transaction", {"actions": snapshot_actions(self.disks)})
            self._budget_check(paused_at, "disk snapshot")
            self.journal.fault_point("state-save")
            monitor.execute("migrate", {"uri": "fd:" + fdname})
            self._budget_check(paused_at, "state save start")
            if self.was_running:
                self.journal.fault_point("source-resume")
                monitor.execute("cont")
            pause_ms = (time.monotonic() - paused_at) * 1000.0 if self.was_running else 0.0
            self.watchdog.disarm()
        self.journal.append("source-resumed", pauseMs=round(pause_ms, 3))
        self.result["sourcePauseMs"] = round(pause_ms, 1)
        cut_at = paused_at
        self.token.check()
        if self.was_running and pause_ms > self.args["maxPauseMs"]:
            self._budget_enforce(pause_ms, "resume")
        self._progress("state-save", 0.3, "Source resumed after %.1f ms; writing memory state" % pause_ms,
                       sourcePauseMs=round(pause_ms, 1))
        self.journal.append("state-wait")
        info = self._wait_migration(monitor, ("completed",), "background snapshot", self.args["timeoutSeconds"])
        self.result["bytesMoved"] = (info.get("ram") or {}).get("transferred", 0)
        self.result["stateFileBytes"] = os.path.getsize(self.session.state_file)
        self._restore_settings()
        self._progress("clone-start", 0.6, "Starting the clone")
        self.journal.append("clone-overlays", disks=self.disks)
        create_clone_overlays(self.disks)
        self._start_clone()
        self.journal.append("clone-load")
        read_fd = os.open(self.session.state_file, os.O_RDONLY)
        try:
            self.clone_monitor.execute("getfd", {"fdname": "state"}, fds=[read_fd])
        finally:
            os.close(read_fd)
        self.clone_monitor.execute("migrate-incoming", {"uri": "fd:state"})
        self._wait_migration(self.clone_monitor, ("completed",), "clone state load", self.args["timeoutSeconds"])
        self._finish_clone(cut_at)
        os.unlink(self.session.state_file)

    # -- strategy B: precopy with pause-before-switchover ----------------------------------------

    def _run_precopy(self):
        monitor = self.monitor
        self._progress("clone-start", 0.1, "Starting the clone")
        self.journal.append("clone-overlays", disks=self.disks)
        create_clone_overlays(self.disks)
        self._start_clone()
        self.journal.append("source-overlays", disks=self.disks)
        create_source_overlays(self.disks, self.source_owner)
        self._pass_source_overlays()
        # A socket pair carries the migration: no socket file whose permissions the source's user needs,
        # and the helper holds no end of it once both QEMUs have theirs.
        fdname = "civic-" + self.session.clone_id
        outgoing, incoming = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.clone_monitor.execute("getfd", {"fdname": "incoming"}, fds=[incoming.fileno()])
            self.clone_monitor.execute("migrate-incoming", {"uri": "fd:incoming"})
            self._progress("migrate", 0.2, "Copying memory to the clone")
            monitor.execute("getfd", {"fdname": fdname}, fds=[outgoing.fileno()])
            self.journal.append("migrate-start", wasRunning=self.was_running)
            # The migration pauses the source by itself at pre-switchover: the watchdog wants our polls.
            self.watchdog.arm(beat_within_ms=self.args["maxPauseMs"])
            monitor.execute("migrate", {"uri": "fd:" + fdname})
        finally:
            outgoing.close()
            incoming.close()
        self.journal.fault_point("migrate-running")
        info = self._wait_migration(monitor, ("pre-switchover",), "precopy migration", self.args["timeoutSeconds"],
                                    on_poll=self.watchdog.beat)
        seen_at = time.monotonic()
        stop_event = monitor.find_event("STOP")
        # The pause began at QEMU's STOP event; without events (virsh) we count from seeing it.
        paused_at = seen_at - max(0.0, time.time() - event_time(stop_event)) if stop_event else seen_at
        with self.token.shield():
            self.watchdog.paused(paused_at)
            self._budget_check(paused_at, "pre-switchover")
            self.journal.append("switchover", steps=["snapshot", "migrate-continue", "resume"])
            self.journal.fault_point("source-snapshot")
            monitor.execute("transaction", {"actions": snapshot_actions(self.disks)})
            self._budget_check(paused_at, "disk snapshot")
            self.journal.fault_point("migrate-continue")
            monitor.execute("migrate-continue", {"state": "pre-switchover"})
            info = self._wait_migration(monitor, ("completed",), "switchover", 30.0)
            if self.was_running:
                self.journal.fault_point("source-resume")
                monitor.execute("cont")
            pause_ms = (time.monotonic() - paused_at) * 1000.0 if self.was_running else 0.0
            self.watchdog.disarm()
        self.journal.append("source-resumed", pauseMs=round(pause_ms, 3))
        self.result["sourcePauseMs"] = round(pause_ms, 1)
        if stop_event is not None:
            resume = monitor.wait_event(("RESUME",), 1.0)
            if resume is not None:
                self.result["sourcePauseQemuMs"] = round((event_time(resume) - event_time(stop_event)) * 1000.0, 1)
        self.token.check()
        if self.was_running and pause_ms > self.args["maxPauseMs"]:
            self._budget_enforce(pause_ms, "resume")
        self._progress("switchover", 0.8, "Source resumed after %.1f ms" % pause_ms, sourcePauseMs=round(pause_ms, 1))
        self.result["bytesMoved"] = (info.get("ram") or {}).get("transferred", 0)
        downtime = (monitor.execute("query-migrate") or {}).get("downtime")
        if downtime is not None:
            self.result["qemuDowntimeMs"] = downtime
        self._restore_settings()
        self._finish_clone(paused_at)

    # -- rollback --------------------------------------------------------------------------------

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
