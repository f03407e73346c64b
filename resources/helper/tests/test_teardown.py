"""Rollback decisions against a fake QMP: act only on what the journal says we caused."""

import os
import shutil
import tempfile
import unittest

from civic_helper.errors import HelperError
from civic_helper.journal import Journal, JournalView
from civic_helper.qmp import QmpError
from civic_helper.session import Session
from civic_helper.teardown import paused_by_us, teardown


class FakeMonitor:
    """Scripted QEMU state; records every command it is given."""

    def __init__(self, status="running", migration=None, nodes=(), tops=(), commit_ready=True, in_use=()):
        self.status = status
        self.migration = migration
        self.nodes = set(nodes)
        self.tops = set(tops)
        self.jobs = {}
        self.commit_ready = commit_ready
        self.in_use = set(in_use)
        self.commands = []
        self.closed = False

    def execute(self, command, arguments=None, timeout=None, fds=None):
        self.commands.append((command, arguments))
        if command == "query-status":
            return {"status": self.status}
        if command == "query-migrate":
            return {"status": self.migration} if self.migration else {}
        if command == "migrate_cancel":
            self.migration = "cancelled"
            if self.status == "paused-pre-switchover":
                self.status = "running"
            return {}
        if command == "cont":
            self.status = "running"
            return {}
        if command == "query-named-block-nodes":
            return [{"node-name": name} for name in sorted(self.nodes)]
        if command == "query-block":
            return [{"device": "virtio0", "inserted": {"node-name": top}} for top in sorted(self.tops)]
        if command == "query-fdsets":
            return [{"fdset-id": 3, "fds": [{"fd": 40, "opaque": "civic-cw-00000000abcd-0"}]},
                    {"fdset-id": 1, "fds": [{"fd": 30, "opaque": "libvirt-owned"}]}]
        if command == "query-block-jobs":
            return list(self.jobs.values())
        if command == "block-commit":
            self.jobs[arguments["job-id"]] = {"device": arguments["job-id"], "ready": self.commit_ready,
                                              "status": "ready", "node": arguments["device"]}
            return {}
        if command == "job-complete":
            # The overlay leaves the chain; blockdev-add's reference keeps the node until blockdev-del.
            job = self.jobs.pop(arguments["id"])
            self.tops.discard(job["node"])
            return {}
        if command == "blockdev-del":
            if arguments["node-name"] in self.in_use:
                raise QmpError(command, {"class": "GenericError", "desc": "Node is in use"})
            self.nodes.discard(arguments["node-name"])
            return {}
        return {}

    def close(self):
        self.closed = True

    def names(self):
        return [command for command, _ in self.commands if not command.startswith("query-")]


class TeardownTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="cwr-")
        self.addCleanup(shutil.rmtree, self.root)
        self.session = Session(self.root, "cw-00000000abcd")
        self.session.create({"vm": {"kind": "qmp", "target": "/nowhere.sock", "id": "qmp:/nowhere.sock"}})
        self.journal = Journal(self.session.dir)
        self.disk = {"node": "#block123", "snapshotNode": "civic-00000000abcd-0",
                     "sourceOverlay": self.session.path("src-0.qcow2"), "file": "/img/src.qcow2"}

    def record(self, *phases, was_running=True):
        self.journal.append("begin", wasRunning=was_running, disks=[self.disk], strategy="background-snapshot",
                            fdname="civic-cw-00000000abcd")
        for phase in phases:
            self.journal.append(phase)
        return self.session.journal_view()

    def run_teardown(self, view, monitor):
        return teardown(self.session, self.journal, view, lambda: monitor)

    def test_a_source_we_stopped_is_resumed(self):
        monitor = FakeMonitor(status="paused")
        self.run_teardown(self.record("source-caps", "source-overlays", "source-cut"), monitor)
        self.assertIn("cont", monitor.names())
        self.assertFalse(os.path.exists(self.session.dir))

    def test_a_source_that_was_paused_before_stays_paused(self):
        monitor = FakeMonitor(status="paused")
        self.run_teardown(self.record("source-cut", was_running=False), monitor)
        self.assertNotIn("cont", monitor.names())

    def test_a_source_resumed_already_is_not_touched_again(self):
        # Someone paused it after we resumed it: not ours to undo.
        monitor = FakeMonitor(status="paused")
        self.run_teardown(self.record("source-cut", "source-resumed"), monitor)
        self.assertNotIn("cont", monitor.names())

    def test_nothing_journaled_means_nothing_touched(self):
        monitor = FakeMonitor(status="paused", migration="active", nodes={"civic-00000000abcd-0"})
        summary = self.run_teardown(JournalView([]), monitor)
        self.assertEqual(summary["actions"], [])
        self.assertEqual([n for n in monitor.names() if n != "closefd"], [])

    def test_precopy_in_flight_is_cancelled_which_resumes_the_source(self):
        monitor = FakeMonitor(status="paused-pre-switchover", migration="pre-switchover")
        summary = self.run_teardown(self.record("source-caps", "clone-start", "migrate-start"), monitor)
        self.assertIn("migrate_cancel", monitor.names())
        self.assertEqual(monitor.status, "running")
        self.assertIn("migration-cancelled", summary["actions"])

    def test_a_migration_we_did_not_start_is_left_alone(self):
        monitor = FakeMonitor(migration="active")
        self.run_teardown(self.record("source-caps", "clone-overlays"), monitor)
        self.assertNotIn("migrate_cancel", monitor.names())
        # Settings are restored only once no migration runs.
        self.assertNotIn("migrate-set-capabilities", monitor.names())

    def test_our_overlay_is_committed_and_its_file_removed(self):
        with open(self.disk["sourceOverlay"], "wb"):
            pass
        node = self.disk["snapshotNode"]
        monitor = FakeMonitor(nodes={node, "#block123"}, tops={node})
        summary = self.run_teardown(self.record("source-overlays", "source-nodes", "source-cut", "source-resumed"),
                                    monitor)
        commits = [args for command, args in monitor.commands if command == "block-commit"]
        self.assertEqual(commits, [{"job-id": "civic-commit-00000000abcd-0", "device": node, "base-node": "#block123"}])
        self.assertIn("job-complete", monitor.names())
        self.assertEqual([args for command, args in monitor.commands if command == "blockdev-del"],
                         [{"node-name": node}])
        self.assertNotIn(node, monitor.nodes)
        self.assertIn("source-committed:" + node, summary["actions"])
        # Only our fd set goes; libvirt's stays.
        self.assertEqual([args for command, args in monitor.commands if command == "remove-fd"], [{"fdset-id": 3}])
        self.assertFalse(os.path.exists(self.session.dir))

    def test_an_overlay_under_a_newer_clone_is_refused(self):
        node = self.disk["snapshotNode"]
        monitor = FakeMonitor(nodes={node, "civic-ffffffffffff-0"}, tops={"civic-ffffffffffff-0"}, in_use={node})
        with self.assertRaises(HelperError) as caught:
            self.run_teardown(self.record("source-overlays", "source-nodes", "source-cut", "source-resumed"), monitor)
        self.assertEqual(caught.exception.code, "VM_BUSY")
        self.assertTrue(os.path.exists(self.session.dir))

    def test_an_overlay_added_but_never_cut_in_is_only_dropped(self):
        node = self.disk["snapshotNode"]
        monitor = FakeMonitor(nodes={node, "#block123"}, tops={"#block123"})
        self.run_teardown(self.record("source-overlays", "source-nodes"), monitor)
        self.assertNotIn("block-commit", monitor.names())
        self.assertEqual([args for command, args in monitor.commands if command == "blockdev-del"],
                         [{"node-name": node}])

    def test_an_unreachable_source_keeps_the_session_for_a_later_recover(self):
        view = self.record("source-overlays", "source-cut", "source-resumed")
        with self.assertRaises(HelperError):
            teardown(self.session, self.journal, view, lambda: None)
        self.assertTrue(os.path.exists(self.session.dir))

    def test_running_it_twice_is_harmless(self):
        monitor = FakeMonitor(status="paused")
        self.run_teardown(self.record("source-cut"), monitor)
        again = Session(self.root, self.session.clone_id)
        self.assertFalse(again.exists)


class PausedByUsTest(unittest.TestCase):
    def view(self, *phases, was_running=True):
        return JournalView([{"phase": "begin", "data": {"wasRunning": was_running}}] +
                           [{"phase": p} for p in phases])

    def test_decisions(self):
        self.assertTrue(paused_by_us(self.view("source-cut")))
        self.assertTrue(paused_by_us(self.view("migrate-start")))
        self.assertFalse(paused_by_us(self.view("source-cut", "source-resumed")))
        self.assertFalse(paused_by_us(self.view("source-cut", was_running=False)))
        self.assertFalse(paused_by_us(self.view("source-caps")))


if __name__ == "__main__":
    unittest.main()
