"""`destroy`, `recover` and `gc`: ending clones and cleaning up after killed helpers."""

import os
import signal

from .errors import HelperError, VM_BUSY, invalid
from .journal import Journal, make_fault_hook
from .qmp import pid_alive, read_cmdline
from .session import MARKER_NAME, check_clone_id, list_sessions, open_session
from .teardown import clone_processes, teardown
from .twin import lease_verdict, restart_dead_keeper, twin_facts
from .vm import VmSource


def _source_opener(session, view):
    vm = view.begin.get("vm") or (session.marker() or {}).get("vm") or {}
    kind, target = vm.get("kind"), vm.get("target")

    def open_source():
        if kind not in ("qmp", "libvirt") or not target:
            return None
        if kind == "qmp" and not os.path.exists(target):
            return None
        return VmSource(kind, target).open_monitor(None)

    return open_source


def destroy(context, args):
    """Stop a clone, remove its files and fold the source overlay back."""
    session = open_session(context.root, check_clone_id(args.get("cloneId")))
    if not session.try_lock():
        raise HelperError(VM_BUSY, "Another helper is working on clone %s." % session.clone_id,
                          detail={"cloneId": session.clone_id})
    try:
        _check_newest(session, session.journal_view())
        with context.token.shield():
            view = session.journal_view()
            journal = Journal(session.dir, fault_hook=make_fault_hook(context.fault_spec, context.token, lambda: None))
            return teardown(session, journal, view, _source_opener(session, view), context.emitter,
                            reason="destroy", token=context.token)
    finally:
        session.unlock()


def _check_newest(session, view):
    """Refuse to destroy a clone whose source overlay lies under a newer clone's (before stopping it)."""
    if not (view.has("source-cut") or view.has("switchover")):
        return
    try:
        monitor = _source_opener(session, view)()
    except HelperError:
        return
    if monitor is None:
        return
    try:
        names = {n.get("node-name") for n in monitor.execute("query-named-block-nodes", {"flat": True}) or []}
        tops = {(i.get("inserted") or {}).get("node-name") for i in monitor.execute("query-block") or []}
    finally:
        monitor.close()
    for disk in view.begin.get("disks") or []:
        if disk["snapshotNode"] in names and disk["snapshotNode"] not in tops:
            raise HelperError(VM_BUSY, "A newer clone of this VM sits on this one's overlay; destroy it first.",
                              detail={"cloneId": session.clone_id, "node": disk["snapshotNode"]})


def recover(context, args):
    """Finish the rollback or teardown of every session a killed helper left (idempotent)."""
    wanted = args.get("cloneId")
    if wanted is not None:
        check_clone_id(wanted)
    report = []
    for session in list_sessions(context.root):
        if wanted is not None and session.clone_id != wanted:
            continue
        entry = {"cloneId": session.clone_id}
        if not session.try_lock():
            entry["outcome"] = "busy"
            report.append(entry)
            continue
        try:
            view = session.journal_view()
            entry["state"] = view.state
            pid = session.clone_pid()
            # A twin past its lease is destroyed even with its QEMU running: nothing runs past a lease.
            verdict = lease_verdict(session, view) if view.state == "ready" else None
            if view.state == "ready" and verdict != "expired" and pid and pid_alive(pid) and clone_processes(session):
                entry["outcome"] = "live"
                if verdict == "live":
                    entry.update(restart_dead_keeper(session))
                report.append(entry)
                continue
            with context.token.shield():
                journal = Journal(session.dir, fault_hook=make_fault_hook(context.fault_spec, context.token,
                                                                          lambda: None))
                summary = teardown(session, journal, view, _source_opener(session, view),
                                   context.emitter, reason="lease-expired" if verdict == "expired" else "recover",
                                   token=context.token)
            entry["outcome"] = "recovered"
            entry["actions"] = summary["actions"]
        except HelperError as error:
            entry["outcome"] = "failed"
            entry["error"] = error.to_message()
        finally:
            session.unlock()
        report.append(entry)
    return {"sessions": report}


def orphan_processes(root):
    """Clone QEMUs whose pidfile is under the root but whose session folder is gone."""
    orphans = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        argv = read_cmdline(int(name))
        if not argv or "-pidfile" not in argv:
            continue
        index = argv.index("-pidfile")
        if index + 1 >= len(argv):
            continue
        pidfile = argv[index + 1]
        folder = os.path.dirname(pidfile)
        if os.path.dirname(folder) == os.path.normpath(root) and os.path.basename(pidfile) == "clone.pid" and \
                not os.path.isfile(os.path.join(folder, MARKER_NAME)) and any(
                    a.startswith("guest=civic-clone-") for a in argv):
            orphans.append({"pid": int(name), "sessionDir": folder})
    return orphans


def gc(context, args):
    """List sessions and orphans carrying the helper's marker; with `remove`, delete the finished ones."""
    remove = args.get("remove", False)
    if not isinstance(remove, bool):
        raise invalid("`remove` must be a boolean.")
    sessions = []
    for session in list_sessions(context.root):
        view = session.journal_view()
        locked = session.try_lock()
        pid = session.clone_pid()
        entry = {"cloneId": session.clone_id, "state": view.state, "helperActive": not locked,
                 "clonePid": pid, "cloneAlive": bool(pid and pid_alive(pid)),
                 "vm": (session.marker() or {}).get("vm"), "createdAt": session.created_at()}
        entry.update(twin_facts(session, view))
        lease = entry.get("lease")
        if locked:
            if view.state == "destroyed":
                entry["action"] = "removed" if remove else "removable"
                if remove:
                    session.remove_folder()
            elif view.state != "ready" or not entry["cloneAlive"]:
                entry["action"] = "needs-recover"
            elif lease is not None and (lease["expired"] or not lease["keeperAlive"]):
                # Past its lease with no keeper tearing it down, or a live twin without a keeper.
                entry["action"] = "needs-recover"
            session.unlock()
        sessions.append(entry)
    orphans = orphan_processes(context.root)
    if remove:
        for orphan in orphans:
            try:
                os.kill(orphan["pid"], signal.SIGKILL)
                orphan["action"] = "killed"
            except ProcessLookupError:
                orphan["action"] = "gone"
    return {"sessions": sessions, "orphanProcesses": orphans}
