"""The libvirt QMP path: one long-lived virsh shell, parsed as virsh prints it."""

import os
import shutil
import stat
import sys
import tempfile
import unittest

from civic_helper.errors import HelperError
from civic_helper.qmp import QmpError, VirshMonitor

# Behaves like `virsh` reading commands from a pipe: a prompt, the echoed line, the output.
FAKE_VIRSH = r'''#!PYTHON
import json, shlex, sys
log = open(sys.argv[-1] if sys.argv[-1].endswith(".log") else "/dev/null", "a")
if "qemu-monitor-command" in sys.argv:
    message = json.loads(sys.argv[-1])
    print(json.dumps({"return": {"fds": sys.argv[sys.argv.index("--pass-fds") + 1]}, "id": "libvirt-9"}))
    sys.exit(0)
sys.stdout.write("virsh # "); sys.stdout.flush()
for line in sys.stdin:
    sys.stdout.write(line)
    words = shlex.split(line)
    if words[:1] == ["qemu-monitor-command"]:
        message = json.loads(words[2])
        if message["execute"] == "boom":
            reply = {"id": "libvirt-7", "error": {"class": "GenericError", "desc": "no way"}}
        elif message["execute"] == "vanish":
            sys.stdout.write("error: Requested operation is not valid: domain is not running\n")
            reply = None
        else:
            reply = {"return": {"domain": words[1], "echo": message}, "id": "libvirt-7"}
        if reply is not None:
            sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.write("virsh # "); sys.stdout.flush()
'''


class VirshMonitorTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cwv-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.virsh = os.path.join(self.dir, "virsh")
        with open(self.virsh, "w") as handle:
            handle.write(FAKE_VIRSH.replace("PYTHON", sys.executable))
        os.chmod(self.virsh, stat.S_IRWXU)

    def monitor(self):
        monitor = VirshMonitor("web01", virsh=self.virsh)
        self.addCleanup(monitor.close)
        return monitor

    def test_commands_share_one_shell_and_quotes_survive(self):
        monitor = self.monitor()
        first = monitor.execute("query-status")
        second = monitor.execute("human-monitor-command", {"command-line": "echo it's"})
        self.assertEqual(first, {"domain": "web01", "echo": {"execute": "query-status"}})
        self.assertEqual(second["echo"]["arguments"]["command-line"], "echo it's")
        self.assertIsNotNone(monitor._shell)

    def test_qmp_errors_and_virsh_errors_are_told_apart(self):
        monitor = self.monitor()
        with self.assertRaises(QmpError) as caught:
            monitor.execute("boom")
        self.assertEqual(caught.exception.desc, "no way")
        with self.assertRaises(HelperError) as failed:
            monitor.execute("vanish")
        self.assertIn("domain is not running", failed.exception.message)
        self.assertEqual(monitor.execute("query-status")["echo"], {"execute": "query-status"})

    def test_descriptors_go_through_a_one_off_pass_fds_run(self):
        read_end, write_end = os.pipe()
        self.addCleanup(os.close, read_end)
        self.addCleanup(os.close, write_end)
        reply = self.monitor().execute("getfd", {"fdname": "x"}, fds=[write_end])
        self.assertEqual(reply, {"fds": str(write_end)})

    def test_close_ends_the_shell(self):
        monitor = VirshMonitor("web01", virsh=self.virsh)
        monitor.execute("query-status")
        shell = monitor._shell
        monitor.close()
        self.assertIsNotNone(shell.returncode)
        monitor.close()


if __name__ == "__main__":
    unittest.main()
