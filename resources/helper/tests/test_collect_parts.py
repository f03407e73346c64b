"""`collect` parts that need no guest: arguments, artifacts, metrics parsing, toolkit checks and plan."""

import hashlib
import json
import os
import re
import shutil
import tempfile
import unittest

from civic_helper.collect import backtrace_argv, kernel_stacks_argv, syscalls_argv, to_file
from civic_helper.collect_args import parse_collect_args
from civic_helper.collect_artifacts import ArtifactStore, sanitised_guest_path
from civic_helper.collect_guest import ArtifactTooLarge, CollectGuest
from civic_helper.collect_metrics import jsonl, samples_from_raw
from civic_helper.errors import HelperError
from civic_helper.protocol import CancelToken
from civic_helper import toolkit_inject as tk

from .test_qga import FakeAgent

CLONE = "cw-0123456789ab"


class CollectArgsTest(unittest.TestCase):
    def parse(self, steps, **extra):
        return parse_collect_args(dict({"cloneId": CLONE, "toolkit": "/tk", "steps": steps}, **extra))

    def refused(self, steps, **extra):
        with self.assertRaises(HelperError) as caught:
            self.parse(steps, **extra)
        self.assertEqual(caught.exception.code, "VALIDATION_FAILED")
        return caught.exception.message

    def test_defaults_are_filled_in(self):
        args = self.parse([{"id": "syscalls", "pids": [7, 7, 9]}, {"id": "metrics"}, {"id": "memory-dump"},
                           {"id": "command", "argv": ["/bin/true"]}])
        self.assertEqual(args["access"], "auto")
        self.assertEqual(args["maxArtifactBytes"], 16 * 1024 ** 3)
        self.assertEqual(args["steps"], [
            {"id": "syscalls", "pids": [7, 9], "seconds": 5},
            {"id": "metrics", "seconds": 10, "intervalSeconds": 1},
            {"id": "memory-dump", "format": "elf"},
            {"id": "command", "argv": ["/bin/true"], "seconds": 60, "name": "command-3"},
        ])

    def test_bad_steps_are_refused(self):
        self.refused([{"id": "format-disk"}])
        self.refused([{"id": "backtraces"}])
        self.refused([{"id": "backtraces", "pids": list(range(1, 66))}])
        self.refused([{"id": "backtraces", "pids": [0]}])
        self.refused([{"id": "backtraces", "pids": [True]}])
        self.refused([{"id": "syscalls", "pids": [1], "seconds": 301}])
        self.refused([{"id": "metrics", "seconds": 5, "intervalSeconds": 6}])
        self.refused([{"id": "processes", "pids": [1]}])
        self.refused([{"id": "command", "argv": ["true"]}])
        self.refused([{"id": "command", "argv": ["/bin/true"], "name": "../x"}])
        self.refused([{"id": "command", "argv": ["/bin/a"], "name": "n"},
                      {"id": "command", "argv": ["/bin/b"], "name": "n"}])
        self.refused([{"id": "files", "paths": ["relative"]}])
        self.refused([{"id": "memory-dump", "format": "raw"}])
        self.refused([])
        self.refused([{"id": "processes"}], access="ssh")
        self.refused([{"id": "processes"}], maxArtifactBytes=0)
        self.refused([{"id": "processes"}], cloneId="../../etc")

    def test_the_toolkit_is_needed_only_for_steps_that_run_it(self):
        self.assertIn("toolkit", self.refused([{"id": "processes"}], toolkit=None))
        for steps in ([{"id": "files", "paths": ["/etc/hosts"]}], [{"id": "kernel-symbols"}], [{"id": "memory-dump"}]):
            self.parse(steps, toolkit=None)
        self.parse([{"id": "processes"}], toolkit=None, access="none")


class ArtifactStoreTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.written = []
        self.store = ArtifactStore(self.dir, 10, self.written.append)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_hashed_while_written_and_renamed_when_whole(self):
        writer = self.store.writer("artifacts/x/1.txt", "backtraces", "text/plain", "backtraces", 1)
        writer.write(b"abc")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "artifacts/x/1.txt")))
        writer.write(b"def")
        entry = writer.commit()
        self.assertEqual(entry, {"path": "artifacts/x/1.txt", "role": "backtraces", "mediaType": "text/plain",
                                 "size": 6, "sha256": hashlib.sha256(b"abcdef").hexdigest(), "step": "backtraces",
                                 "pid": 1})
        self.assertEqual(self.written, [entry])
        self.assertEqual(os.listdir(os.path.join(self.dir, "artifacts/x")), ["1.txt"])

    def test_over_the_cap_nothing_is_kept(self):
        with self.assertRaises(ArtifactTooLarge):
            self.store.write_bytes("artifacts/big", "guest-file", "application/octet-stream", "files", b"x" * 11)
        self.assertEqual(os.listdir(os.path.join(self.dir, "artifacts")), [])
        self.assertEqual(self.store.entries, [])

    def test_guest_paths_become_plain_names(self):
        self.assertEqual(sanitised_guest_path("/var/log/app.log"), "var_log_app.log")
        self.assertEqual(sanitised_guest_path("/.."), "file")
        self.assertEqual(sanitised_guest_path("/../../etc/x y\n"), "_.._etc_x_y_")
        self.assertNotIn("/", sanitised_guest_path("/a/" + "b" * 300))


class MetricsTest(unittest.TestCase):
    RAW = b"\n".join([
        b"@@sample 1700000000",
        b"@@file /proc/uptime", b"123.45 100.00",
        b"@@file /proc/stat", b"cpu  10 0 5 100 1 0 0 0 0 0", b"cpu0 10 0 5 100 1 0 0 0 0 0", b"ctxt 999",
        b"intr 55 1 2", b"procs_running 2",
        b"@@file /proc/meminfo", b"MemTotal:       262144 kB", b"HugePages_Total:       0", b"Bogus: x kB",
        b"@@file /proc/diskstats", b" 254       0 vda 10 0 80 5 20 0 160 9 0 12 14 0 0 0 0",
        b"@@file /proc/net/dev",
        b"Inter-|   Receive                                                |  Transmit",
        b" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets",
        b"  eth0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0"
        b"       0          0",
        b"@@sample 1700000001", b"@@file /proc/uptime", b"124.45 101.00", b"@@file /proc/stat", b"cpu \xff 1",
        b"",
    ])

    def test_raw_samples_become_json_lines(self):
        samples = samples_from_raw(self.RAW)
        self.assertEqual(len(samples), 2)
        first = samples[0]
        self.assertEqual(first["time"], 1700000000)
        self.assertEqual(first["uptimeSeconds"], 123.45)
        self.assertEqual(first["cpu"]["cpu"]["user"], 10)
        self.assertEqual(first["cpu"]["cpu0"]["idle"], 100)
        self.assertEqual(first["kernel"], {"ctxt": 999, "intr": 55, "procs_running": 2})
        self.assertEqual(first["memory"], {"MemTotal": 262144 * 1024, "HugePages_Total": 0})
        self.assertEqual(first["disk"]["vda"]["sectorsWritten"], 160)
        self.assertEqual(first["net"]["eth0"]["rxBytes"], 1000)
        self.assertEqual(first["net"]["eth0"]["txBytes"], 2000)
        # Garbage from the guest gives odd values, never an error.
        self.assertEqual(samples[1]["cpu"]["cpu"], {"nice": 1})
        lines = jsonl(samples).decode("ascii").splitlines()
        self.assertEqual([json.loads(line) for line in lines], json.loads(json.dumps(samples)))


class ToolkitTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.busybox = b"\x7fELF busybox"
        with open(os.path.join(self.dir, "busybox"), "wb") as handle:
            handle.write(self.busybox)
        with open(os.path.join(self.dir, "toolkit.tar.gz"), "wb") as handle:
            handle.write(b"tar")
        self.manifest = {"schemaVersion": 1, "key": "0123456789abcdef0123", "guestDir": "/run/civic", "packages": [],
                         "files": [{"path": "bin/busybox", "size": 12, "mode": 493,
                                    "sha256": hashlib.sha256(self.busybox).hexdigest()}], "totalBytes": 12}

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write_manifest(self):
        with open(os.path.join(self.dir, "toolkit-manifest.json"), "w") as handle:
            json.dump(self.manifest, handle)

    def test_a_consistent_folder_loads(self):
        self.write_manifest()
        toolkit = tk.load_toolkit(self.dir)
        self.assertEqual(toolkit.key, "0123456789abcdef0123")
        self.assertEqual(toolkit.files(), [{"path": "bin/busybox", "sha256": hashlib.sha256(self.busybox).hexdigest()}])

    def test_a_changed_busybox_or_a_bad_manifest_is_refused(self):
        self.manifest["files"][0]["sha256"] = "0" * 64
        self.write_manifest()
        with self.assertRaises(HelperError):
            tk.load_toolkit(self.dir)
        self.manifest["files"][0] = {"path": "../escape", "sha256": "0" * 64}
        self.write_manifest()
        with self.assertRaises(HelperError):
            tk.load_toolkit(self.dir)
        os.unlink(os.path.join(self.dir, "toolkit-manifest.json"))
        with self.assertRaises(HelperError) as caught:
            tk.load_toolkit(self.dir)
        self.assertEqual(caught.exception.code, "NOT_FOUND")
        with self.assertRaises(HelperError):
            tk.load_toolkit("relative/path")

    def test_sha256sum_output_is_checked_line_by_line(self):
        good, other = "a" * 64, "b" * 64
        output = "%s  /run/civic/bin/x\n%s  /run/civic/bin/y\nsha256sum: /run/civic/bin/z: No such file\n" % (
            good, other)
        expected = [("/run/civic/bin/x", good), ("/run/civic/bin/y", good), ("/run/civic/bin/z", good)]
        self.assertEqual(tk.unconfirmed_files(output, expected), ["/run/civic/bin/y", "/run/civic/bin/z"])

    def test_scripts_call_applets_only_through_our_busybox(self):
        # The word in every command position is a shell keyword or "$1" (our busybox by path).
        command_word = re.compile(r"(?:^|;|\bthen\b|\bdo\b|\$\(|\|\||&&|\))\s*(\"\$\d\"|[A-Za-z_./][^\s;()]*)", re.M)
        # "$2" opens a case pattern; `true` is a shell builtin.
        keywords = {"set", "if", "fi", "for", "case", "esac", "done", "in", "then", "do", "true", "\"$2\""}
        for script in (tk.MOUNT_SCRIPT, tk.REMOVE_SCRIPT, tk.STOP_SCRIPT):
            words = set(command_word.findall(script))
            self.assertIn("\"$1\"", words)
            self.assertEqual(words - keywords - {"\"$1\""}, set(), script)

    def test_diagnostics_start_with_our_busybox_and_write_to_files(self):
        for argv in (backtrace_argv(7), kernel_stacks_argv(7), syscalls_argv(7, 3)):
            self.assertEqual(argv[0], tk.GUEST_BUSYBOX)
        self.assertEqual(backtrace_argv(7)[1:3], ["env", "-i"])
        wrapped = to_file("/run/civic/out/a.txt", ["/bin/x", "y"])
        self.assertEqual(wrapped[:3], [tk.GUEST_BUSYBOX, "sh", "-c"])
        self.assertEqual(wrapped[-3:], ["/run/civic/out/a.txt", "/bin/x", "y"])
        self.assertRegex(tk.bootstrap_path(), r"^/run/busybox\.civic-[0-9a-f]{12}$")


class CollectGuestTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cwc-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.path = os.path.join(self.dir, "qga.sock")

    def guest(self, **kwargs):
        fake = FakeAgent(self.path, **kwargs)
        self.addCleanup(fake.close)
        guest = CollectGuest(self.path, CancelToken())
        self.addCleanup(guest.close)
        return fake, guest

    def test_no_channel_or_an_agent_without_exec_is_not_usable(self):
        usable, reason, _ = CollectGuest(self.path, CancelToken()).probe()
        self.assertFalse(usable)
        self.assertIn("no guest agent channel", reason)
        # The fake answers guest-info with no enabled commands, as an agent run with --block-rpcs would.
        fake, guest = self.guest()
        usable, reason, _ = guest.probe()
        self.assertFalse(usable)
        self.assertIn("guest-exec", reason)
        self.assertIn("guest-info", fake.commands)

    def test_a_large_file_moves_in_chunks_and_a_cap_stops_it(self):
        content = os.urandom(9 * 1024 * 1024 + 5)
        fake, guest = self.guest(files={"/var/log/big.log": content})
        guest.connect()
        parts = []

        class Sink:
            write = parts.append

        self.assertEqual(guest.read("/var/log/big.log", Sink(), len(content)), len(content))
        self.assertEqual(b"".join(parts), content)
        self.assertEqual(fake.commands.count("guest-file-read"), 3)
        self.assertNotIn("guest-exec", fake.commands)
        with self.assertRaises(ArtifactTooLarge):
            guest.read("/var/log/big.log", Sink(), 5 * 1024 * 1024)
        self.assertEqual(fake.open_handles, {})


if __name__ == "__main__":
    unittest.main()
