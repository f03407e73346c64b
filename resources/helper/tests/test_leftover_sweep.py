"""The helper tier removes what an interrupted earlier run left, and only that run's things."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from . import qemu_lab


def ended_owner():
    """The owner record of a process that has exited (its PID and start time, now stale)."""
    child = subprocess.Popen(["sleep", "30"])
    record = {"pid": child.pid, "start": qemu_lab.process_start_time(child.pid)}
    child.kill()
    child.wait()
    return record


class LeftoverFolderSweepTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="civic-sweep-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.lines = []

    def folder(self, name, owner):
        path = os.path.join(self.tmp, name)
        os.mkdir(path)
        if owner is not None:
            with open(os.path.join(path, qemu_lab.OWNER_MARKER), "w") as handle:
                json.dump(owner, handle)
        return path

    def test_removes_only_marked_folders_of_ended_runs_and_says_so(self):
        stale = self.folder("cwt-stale", ended_owner())
        live = self.folder("cwt-live", qemu_lab.owner_record())
        unmarked = self.folder("cwt-unmarked", None)
        other = self.folder("other-stale", ended_owner())
        removed = qemu_lab.sweep_leftover_folders(self.tmp, log=self.lines.append)
        self.assertEqual(removed, [stale])
        self.assertFalse(os.path.exists(stale))
        for kept in (live, unmarked, other):
            self.assertTrue(os.path.isdir(kept), kept)
        self.assertEqual(len(self.lines), 1)
        self.assertIn(stale, self.lines[0])

    def test_a_reused_pid_with_another_start_time_counts_as_ended(self):
        me = qemu_lab.owner_record()
        self.assertFalse(qemu_lab.owner_gone(me))
        self.assertTrue(qemu_lab.owner_gone({"pid": me["pid"], "start": "1"}))

    def test_make_base_dir_marks_the_folder_as_this_run(self):
        path = qemu_lab.make_base_dir()
        self.addCleanup(shutil.rmtree, path, True)
        with open(os.path.join(path, qemu_lab.OWNER_MARKER)) as handle:
            self.assertEqual(json.load(handle), qemu_lab.owner_record())

    def test_domain_metadata_names_this_run(self):
        xml = qemu_lab.domain_metadata_xml()
        self.assertIn(qemu_lab.DOMAIN_METADATA_NS, xml)
        self.assertIn("pid='%d'" % os.getpid(), xml)


if __name__ == "__main__":
    unittest.main()
