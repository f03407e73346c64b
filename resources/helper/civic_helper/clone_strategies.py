"""The two ways to clone a running VM, each a strategy object over one CloneOperation.

Both keep the source's pause to one short window armed with the watchdog: background-snapshot stops the
source, cuts the disks and starts a snapshot of its memory to a local file, then resumes it; precopy copies
memory to the clone while the source runs and pauses only at pre-switchover to cut the disks.
"""

import os
import socket
import time

from .clone_disks import create_clone_overlays, create_source_overlays, snapshot_actions
from .qmp import event_time


class _Strategy:
    """A strategy runs over one CloneOperation: its journal, watchdog, monitors and budget."""

    name = None

    def __init__(self, op):
        self.op = op


class BackgroundSnapshot(_Strategy):
    """Stop, cut the disks, start writing memory to a local file, resume; the clone loads the file."""

    name = "background-snapshot"

    def run(self):
        """Run the strategy to a running clone, or raise for the operation's rollback."""
        op = self.op
        monitor = op.monitor
        fdname = "civic-" + op.session.clone_id
        op.journal.append("source-overlays", disks=op.disks)
        create_source_overlays(op.disks, op.source_owner)
        op.pass_source_overlays()
        state_fd = os.open(op.session.state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            monitor.execute("getfd", {"fdname": fdname}, fds=[state_fd])
        finally:
            os.close(state_fd)
        op.token.check()
        # One record before the pause lists every action in it: fsyncs inside the pause would double it.
        # Rollback checks each action against QEMU's own state, so the record need not say how far it got.
        op.watchdog.arm()
        op.journal.append("source-cut", wasRunning=op.was_running, fdname=fdname,
                            steps=["stop", "snapshot", "state-save", "resume"])
        with op.token.shield():
            # From stop to cont nothing may interrupt us except our own budget checks.
            paused_at = time.monotonic()
            op.watchdog.paused(paused_at)
            if op.was_running:
                op.journal.fault_point("source-stop")
                monitor.execute("stop")
            op.journal.fault_point("source-snapshot")
            monitor.execute("transaction", {"actions": snapshot_actions(op.disks)})
            op.budget_check(paused_at, "disk snapshot")
            op.journal.fault_point("state-save")
            monitor.execute("migrate", {"uri": "fd:" + fdname})
            op.budget_check(paused_at, "state save start")
            if op.was_running:
                op.journal.fault_point("source-resume")
                monitor.execute("cont")
            pause_ms = (time.monotonic() - paused_at) * 1000.0 if op.was_running else 0.0
            op.watchdog.disarm()
        op.journal.append("source-resumed", pauseMs=round(pause_ms, 3))
        op.result["sourcePauseMs"] = round(pause_ms, 1)
        cut_at = paused_at
        op.token.check()
        if op.was_running and pause_ms > op.args["maxPauseMs"]:
            op.budget_enforce(pause_ms, "resume")
        op.progress("state-save", 0.3, "Source resumed after %.1f ms; writing memory state" % pause_ms,
                       sourcePauseMs=round(pause_ms, 1))
        op.journal.append("state-wait")
        info = op.wait_migration(monitor, ("completed",), "background snapshot", op.args["timeoutSeconds"])
        op.result["bytesMoved"] = (info.get("ram") or {}).get("transferred", 0)
        op.result["stateFileBytes"] = os.path.getsize(op.session.state_file)
        op.restore_settings()
        op.progress("clone-start", 0.6, "Starting the clone")
        op.journal.append("clone-overlays", disks=op.disks)
        create_clone_overlays(op.disks)
        op.start_clone()
        op.journal.append("clone-load")
        read_fd = os.open(op.session.state_file, os.O_RDONLY)
        try:
            op.clone_monitor.execute("getfd", {"fdname": "state"}, fds=[read_fd])
        finally:
            os.close(read_fd)
        op.clone_monitor.execute("migrate-incoming", {"uri": "fd:state"})
        op.wait_migration(op.clone_monitor, ("completed",), "clone state load", op.args["timeoutSeconds"])
        op.finish_clone(cut_at)
        os.unlink(op.session.state_file)



class Precopy(_Strategy):
    """Copy memory while the source runs; at pre-switchover cut the disks and switch over, then resume."""

    name = "precopy"

    def run(self):
        """Run the strategy to a running clone, or raise for the operation's rollback."""
        op = self.op
        monitor = op.monitor
        op.progress("clone-start", 0.1, "Starting the clone")
        op.journal.append("clone-overlays", disks=op.disks)
        create_clone_overlays(op.disks)
        op.start_clone()
        op.journal.append("source-overlays", disks=op.disks)
        create_source_overlays(op.disks, op.source_owner)
        op.pass_source_overlays()
        # A socket pair carries the migration: no socket file whose permissions the source's user needs,
        # and the helper holds no end of it once both QEMUs have theirs.
        fdname = "civic-" + op.session.clone_id
        outgoing, incoming = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            op.clone_monitor.execute("getfd", {"fdname": "incoming"}, fds=[incoming.fileno()])
            op.clone_monitor.execute("migrate-incoming", {"uri": "fd:incoming"})
            op.progress("migrate", 0.2, "Copying memory to the clone")
            monitor.execute("getfd", {"fdname": fdname}, fds=[outgoing.fileno()])
            op.journal.append("migrate-start", wasRunning=op.was_running)
            # The migration pauses the source by itself at pre-switchover: the watchdog wants our polls.
            op.watchdog.arm(beat_within_ms=op.args["maxPauseMs"])
            monitor.execute("migrate", {"uri": "fd:" + fdname})
        finally:
            outgoing.close()
            incoming.close()
        op.journal.fault_point("migrate-running")
        info = op.wait_migration(monitor, ("pre-switchover",), "precopy migration", op.args["timeoutSeconds"],
                                    on_poll=op.watchdog.beat)
        seen_at = time.monotonic()
        stop_event = monitor.find_event("STOP")
        # The pause began at QEMU's STOP event; without events (virsh) we count from seeing it.
        paused_at = seen_at - max(0.0, time.time() - event_time(stop_event)) if stop_event else seen_at
        with op.token.shield():
            op.watchdog.paused(paused_at)
            op.budget_check(paused_at, "pre-switchover")
            op.journal.append("switchover", steps=["snapshot", "migrate-continue", "resume"])
            op.journal.fault_point("source-snapshot")
            monitor.execute("transaction", {"actions": snapshot_actions(op.disks)})
            op.budget_check(paused_at, "disk snapshot")
            op.journal.fault_point("migrate-continue")
            monitor.execute("migrate-continue", {"state": "pre-switchover"})
            info = op.wait_migration(monitor, ("completed",), "switchover", 30.0)
            if op.was_running:
                op.journal.fault_point("source-resume")
                monitor.execute("cont")
            pause_ms = (time.monotonic() - paused_at) * 1000.0 if op.was_running else 0.0
            op.watchdog.disarm()
        op.journal.append("source-resumed", pauseMs=round(pause_ms, 3))
        op.result["sourcePauseMs"] = round(pause_ms, 1)
        if stop_event is not None:
            resume = monitor.wait_event(("RESUME",), 1.0)
            if resume is not None:
                op.result["sourcePauseQemuMs"] = round((event_time(resume) - event_time(stop_event)) * 1000.0, 1)
        op.token.check()
        if op.was_running and pause_ms > op.args["maxPauseMs"]:
            op.budget_enforce(pause_ms, "resume")
        op.progress("switchover", 0.8, "Source resumed after %.1f ms" % pause_ms, sourcePauseMs=round(pause_ms, 1))
        op.result["bytesMoved"] = (info.get("ram") or {}).get("transferred", 0)
        downtime = (monitor.execute("query-migrate") or {}).get("downtime")
        if downtime is not None:
            op.result["qemuDowntimeMs"] = downtime
        op.restore_settings()
        op.finish_clone(paused_at)



STRATEGY_CLASSES = {cls.name: cls for cls in (BackgroundSnapshot, Precopy)}
