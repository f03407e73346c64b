"""Rollback and teardown, driven only by the journal and by what QEMU reports now.

Shared by error paths, `destroy` and `recover`. Every step checks reality first, so running it twice
(or after a crash half-way) is safe, and it never touches state the journal does not say we caused.
"""

import os
import signal
import time

from .errors import HelperError, VM_BUSY, failed
from .qmp import QmpClient, QmpError, pid_alive, read_cmdline, wait_for

MIGRATION_ACTIVE = ("setup", "active", "pre-switchover", "device", "wait-unplug", "cancelling",
                    "postcopy-active", "postcopy-paused", "postcopy-recover")
PAUSED_STATES = ("paused", "postmigrate", "finish-migrate")
BACKGROUND_FINISH_SECONDS = 300.0


def _status(monitor):
    return monitor.execute("query-status").get("status")


def _settled_status(monitor):
    """The run state, or None while QEMU is still between states (finish-migrate)."""
    status = _status(monitor)
    return None if status == "finish-migrate" else status


def _migration_status(monitor):
    return (monitor.execute("query-migrate") or {}).get("status")


def paused_by_us(view):
    """Whether the journal says we paused the source and did not yet resume it."""
    if not view.begin.get("wasRunning"):
        return False
    if view.has("source-resumed"):
        return False
    return view.has("source-cut") or view.has("migrate-start")


def stop_clone_process(session, token=None, grace=5.0):
    """Stop the clone QEMU of this session: QMP quit, then SIGTERM, then SIGKILL.

    Only processes whose command line names this session's folder are touched.
    """
    stopped = []
    for pid in clone_processes(session):
        try:
            with QmpClient(session.qmp_socket, timeout=1.0) as clone:
                clone.execute("quit", timeout=1.0)
        except (HelperError, QmpError, OSError, ValueError, ConnectionError):
            pass
        if wait_for(lambda: not pid_alive(pid), grace) is None:
            for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    break
                if wait_for(lambda: not pid_alive(pid), wait):
                    break
        stopped.append(pid)
    return stopped


def clone_processes(session):
    """PIDs of live processes whose argv carries this session's pidfile (only our clones)."""
    marker = session.pidfile
    pids = []
    candidates = set()
    pid = session.clone_pid()
    if pid:
        candidates.add(pid)
    for name in os.listdir("/proc"):
        if name.isdigit():
            candidates.add(int(name))
    for pid in sorted(candidates):
        if pid == os.getpid():
            continue
        argv = read_cmdline(pid)
        if argv and marker in argv and pid_alive(pid):
            pids.append(pid)
    return pids


def teardown(session, journal, view, open_source, emitter=None, reason="teardown", token=None,
             on_source_settled=None):
    """Undo or finish everything the journal records; return a summary of what was done.

    `open_source()` returns a connected source monitor or None when the source is gone;
    `on_source_settled()` is called once the source runs again (the clone's watchdog stands down).
    """
    summary = {"cloneId": session.clone_id, "reason": reason, "actions": []}

    def progress(step, value, message):
        if emitter is not None:
            emitter.progress(step, value, message)

    if not view.has("teardown") or view.last_phase != "teardown":
        journal.append("teardown", reason=reason)
    monitor = None
    try:
        monitor = open_source()
    except HelperError as error:
        summary["sourceError"] = error.message
    try:
        if monitor is not None:
            _teardown_source_migration(view, journal, monitor, summary, progress, on_source_settled)
        progress("clone-stop", 0.5, "Stopping the clone")
        if view.has("clone-start") or clone_processes(session):
            journal.append("clone-stop")
            stopped = stop_clone_process(session, token)
            journal.append("clone-stopped", pids=stopped)
            if stopped:
                summary["actions"].append("clone-stopped")
        if monitor is not None:
            progress("source-commit", 0.7, "Folding the source overlay back")
            _fold_source_overlays(session, view, journal, monitor, summary)
        elif view.has("source-overlays"):
            summary["sourceOverlayLeft"] = True
    finally:
        if monitor is not None:
            monitor.close()
    if summary.get("sourceOverlayLeft"):
        raise failed("The source VM is unreachable, so its overlay could not be folded back; run recover again "
                     "when it is reachable.", cloneId=session.clone_id)
    journal.append("files-remove")
    journal.append("done", actions=summary["actions"])
    session.remove_folder()
    summary["removed"] = True
    progress("done", 1.0, "Clone removed")
    return summary


def _teardown_source_migration(view, journal, monitor, summary, progress, on_source_settled=None):
    """Cancel our migration, resume the source if we paused it, restore migration settings."""
    fdname = view.data("source-cut").get("fdname") or view.data("begin").get("fdname")
    if fdname:
        # A state-file descriptor passed with getfd but never consumed by `migrate` stays open in QEMU.
        try:
            monitor.execute("closefd", {"fdname": fdname})
        except QmpError:
            pass
    summary["actions"].extend(resume_source(view, monitor, journal, progress))
    if on_source_settled is not None:
        on_source_settled()
    if view.has("source-cut") and _migration_status(monitor) in MIGRATION_ACTIVE:
        # A background snapshot to a local file is let finish, with the source running: QEMU 7.2 leaves
        # write tracking registered after a cancelled one, which refuses every later background snapshot.
        progress("state-wait", 0.4, "Letting the memory state file finish")
        journal.append("state-wait", by="teardown")
        if wait_for(lambda: _migration_status(monitor) not in MIGRATION_ACTIVE, BACKGROUND_FINISH_SECONDS) is None:
            _cancel_migration(journal, monitor, summary, progress)
    if view.has("source-caps") and not view.has("caps-restored"):
        original = view.data("source-caps")
        if _migration_status(monitor) not in MIGRATION_ACTIVE:
            journal.append("caps-restore")
            restore_migration_settings(monitor, original)
            journal.append("caps-restored")
            summary["actions"].append("caps-restored")


def resume_source(view, monitor, journal=None, progress=None, on_running=None):
    """Put a source our clone holds paused back in service; returns what was done.

    Precopy: `migrate_cancel` (it resumes a source paused at pre-switchover); a source we stopped:
    `cont`. With a journal each action is recorded first; the watchdog passes none and records after,
    since it acts inside a pause that is already too long. `on_running()` is called as soon as the
    source is known to run again, before the checks that follow (the watchdog times the pause by it).
    """
    actions = []
    noticed = []

    def running():
        if not noticed and on_running is not None:
            on_running()
        noticed.append(True)

    if view.has("migrate-start"):
        status = _migration_status(monitor)
        if status in MIGRATION_ACTIVE:
            if progress is not None:
                progress("migrate-cancel", 0.2, "Cancelling the migration")
            if journal is not None:
                journal.append("migrate-cancel", status=status)
            monitor.execute("migrate_cancel")
            if wait_for(lambda: _migration_status(monitor) not in MIGRATION_ACTIVE, 30.0, interval=0.002) is None:
                raise failed("The source migration did not stop after migrate_cancel.")
            actions.append("migration-cancelled")
    if paused_by_us(view):
        status = wait_for(lambda: _settled_status(monitor), 10.0, interval=0.002) or _status(monitor)
        if status in PAUSED_STATES:
            if progress is not None:
                progress("source-resume", 0.3, "Resuming the source VM")
            if journal is not None:
                journal.append("source-resume", status=status)
            monitor.execute("cont")
            running()
            if journal is not None:
                journal.append("source-resumed", by="teardown")
            actions.append("source-resumed")
    running()
    return actions


def _cancel_migration(journal, monitor, summary, progress):
    status = _migration_status(monitor)
    if status not in MIGRATION_ACTIVE:
        return
    progress("migrate-cancel", 0.2, "Cancelling the migration")
    journal.append("migrate-cancel", status=status)
    monitor.execute("migrate_cancel")
    if wait_for(lambda: _migration_status(monitor) not in MIGRATION_ACTIVE, 30.0) is None:
        raise failed("The source migration did not stop after migrate_cancel.")
    summary["actions"].append("migration-cancelled")


def restore_migration_settings(monitor, original):
    """Put back the capability and parameter values we changed."""
    caps = original.get("capabilities") or {}
    if caps:
        monitor.execute("migrate-set-capabilities", {"capabilities": [
            {"capability": name, "state": bool(state)} for name, state in sorted(caps.items())]})
    params = original.get("parameters") or {}
    if params:
        monitor.execute("migrate-set-parameters", params)


def _fold_source_overlays(session, view, journal, monitor, summary):
    """block-commit each of our source overlays back into its base, drop its node, delete the file."""
    if not view.has("source-overlays"):
        return
    disks = view.begin.get("disks") or []
    names = {node.get("node-name") for node in monitor.execute("query-named-block-nodes", {"flat": True}) or []}
    tops = {(info.get("inserted") or {}).get("node-name") for info in monitor.execute("query-block") or []}
    for index, disk in enumerate(disks):
        node = disk["snapshotNode"]
        job_id = "civic-commit-%s-%d" % (session.clone_id[3:], index)
        jobs = {job.get("device"): job for job in monitor.execute("query-block-jobs") or []}
        if node in tops or job_id in jobs:
            journal.append("source-commit", node=node, job=job_id)
            if job_id not in jobs:
                # Only into the node it was cut from: the default base (the bottom of the chain) would also
                # fold an older clone's overlay into a base that clone still reads.
                arguments = {"job-id": job_id, "device": node}
                if disk.get("node") in names:
                    arguments["base-node"] = disk["node"]
                monitor.execute("block-commit", arguments)
            _wait_commit(monitor, job_id)
            journal.append("source-committed", node=node)
            summary["actions"].append("source-committed:" + node)
        if node in names:
            try:
                monitor.execute("blockdev-del", {"node-name": node})
            except QmpError as error:
                # Still in use while not the top of its disk: a newer clone's overlay sits on it.
                raise HelperError(VM_BUSY, "A newer clone's overlay sits on top of this clone's; destroy it first.",
                                  detail={"node": node, "qemu": error.desc})
        overlay = disk.get("sourceOverlay")
        if overlay and os.path.exists(overlay) and overlay.startswith(session.dir + os.sep):
            os.unlink(overlay)
    _remove_our_fdsets(session, monitor, summary)


def _remove_our_fdsets(session, monitor, summary):
    """remove-fd the fd sets holding our overlay descriptors (found by their opaque label)."""
    prefix = "civic-%s-" % session.clone_id
    try:
        fdsets = monitor.execute("query-fdsets") or []
    except QmpError:
        return
    for fdset in fdsets:
        if any(str(fd.get("opaque", "")).startswith(prefix) for fd in fdset.get("fds", [])):
            try:
                monitor.execute("remove-fd", {"fdset-id": fdset["fdset-id"]})
                summary["actions"].append("fdset-removed:%d" % fdset["fdset-id"])
            except QmpError:
                pass


def _wait_commit(monitor, job_id, timeout=600.0):
    deadline = time.monotonic() + timeout
    completed_requested = False
    while time.monotonic() < deadline:
        jobs = {job.get("device"): job for job in monitor.execute("query-block-jobs") or []}
        job = jobs.get(job_id)
        if job is None:
            return
        status = job.get("status")
        if status == "concluded":
            monitor.execute("job-dismiss", {"id": job_id})
            return
        if job.get("ready") and not completed_requested:
            monitor.execute("job-complete", {"id": job_id})
            completed_requested = True
        time.sleep(0.02)
    raise failed("block-commit %s did not finish in time." % job_id)
