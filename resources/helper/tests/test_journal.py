"""The journal: durable records, torn tails, replay questions and the test-only fault spec."""

import os
import shutil
import tempfile
import unittest

from civic_helper.journal import Journal, JournalView, parse_fault, read_records


class JournalTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cwj-")
        self.addCleanup(shutil.rmtree, self.dir)

    def test_records_are_numbered_and_read_back_in_order(self):
        journal = Journal(self.dir)
        journal.append("begin", wasRunning=True)
        journal.append("source-caps", capabilities={})
        records = read_records(journal.path)
        self.assertEqual([(r["seq"], r["phase"]) for r in records], [(1, "begin"), (2, "source-caps")])
        self.assertEqual(records[0]["data"], {"wasRunning": True})
        self.assertEqual(records[0]["pid"], os.getpid())

    def test_a_reopened_journal_continues_the_sequence(self):
        Journal(self.dir).append("begin")
        record = Journal(self.dir).append("teardown")
        self.assertEqual(record["seq"], 2)

    def test_a_torn_last_line_is_ignored(self):
        journal = Journal(self.dir)
        journal.append("begin")
        with open(journal.path, "ab") as handle:
            handle.write(b'{"seq":2,"phase":"source-c')
        self.assertEqual([r["phase"] for r in read_records(journal.path)], ["begin"])

    def test_the_fault_hook_runs_after_the_record_is_written(self):
        seen = []
        journal = Journal(self.dir, fault_hook=lambda phase: seen.append(
            (phase, [r["phase"] for r in read_records(os.path.join(self.dir, "journal.jsonl"))])))
        journal.append("begin")
        journal.fault_point("source-stop")
        self.assertEqual(seen, [("begin", ["begin"]), ("source-stop", ["begin"])])


class JournalViewTest(unittest.TestCase):
    def view(self, *phases):
        return JournalView([{"phase": p, "data": {"n": i}} for i, p in enumerate(phases)])

    def test_states(self):
        self.assertEqual(self.view().state, "creating")
        self.assertEqual(self.view("begin", "source-cut").state, "creating")
        self.assertEqual(self.view("begin", "ready").state, "ready")
        self.assertEqual(self.view("begin", "ready", "teardown").state, "tearing-down")
        self.assertEqual(self.view("begin", "teardown", "done").state, "destroyed")

    def test_data_is_from_the_newest_record(self):
        view = self.view("teardown", "begin", "teardown")
        self.assertEqual(view.data("teardown"), {"n": 2})
        self.assertEqual(view.data("missing"), {})
        self.assertEqual(view.all_data("teardown"), [{"n": 0}, {"n": 2}])

    def test_after_last(self):
        view = self.view("source-cut", "source-resumed", "migrate-start")
        self.assertTrue(view.after_last("source-cut", "source-resumed"))
        self.assertFalse(view.after_last("source-resumed", "source-cut"))


class FaultSpecTest(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(parse_fault("state-wait:kill,ready:kill-clone,x:explode,:kill"),
                         {"state-wait": "kill", "ready": "kill-clone"})
        self.assertEqual(parse_fault(None), {})


if __name__ == "__main__":
    unittest.main()
