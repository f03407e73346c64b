"""End to end `collect` in a clone of a real Linux guest with qemu-ga (the lab image, compromised variant).

Needs the lab guest image (as test_e2e_guest.py) and the toolkit build (`npx tsx
main/toolkit/build-toolkit.ts`, run here; about 1 s when cached). One clone serves every test; the
last test destroys it.
"""

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import unittest

from civic_helper.qmp import QmpClient

from . import qemu_lab
from .collect_fixture import prepare_toolkit
from .qemu_lab import clone_processes_under, helper_argv, run_helper, wait_until
from .test_e2e_guest import SKIP, GuestVm

BIG_FILE = "/tmp/civic-big.log"
BIG_BYTES = 40 * 1024 * 1024



# The toolkit's folder as a path (/run/civic, /run/civic/...), not a name that starts with it: the lab
# guest's civic-web keeps its pidfile at /run/civic-web.pid.
TOOLKIT_PATH = r"/run/civic(?=[/\s]|$)"

class SourceStatusWatch:
    """Polls the source's QMP status in a thread while a collect runs (QMP takes one client: closed each time)."""

    def __init__(self, qmp_socket):
        self.qmp_socket = qmp_socket
        self.statuses = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)
        return False

    def _run(self):
        while not self._stop.is_set():
            try:
                with QmpClient(self.qmp_socket, timeout=5.0) as client:
                    self.statuses.append(client.execute("query-status")["status"])
            except Exception as error:  # a failed poll is recorded and fails the test's assertion
                self.statuses.append("poll failed: %s" % error)
            self._stop.wait(0.25)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(4 * 1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


@unittest.skipIf(SKIP, "skipping collect end-to-end tests: %s" % SKIP)
class CollectEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base = qemu_lab.make_base_dir()
        cls.root = os.path.join(cls.base, "root")
        cls.toolkit, why = prepare_toolkit(os.path.join(cls.base, "toolkit"))
        if cls.toolkit is None:
            shutil.rmtree(cls.base, ignore_errors=True)
            raise unittest.SkipTest("cannot build the toolkit: %s" % why)
        try:
            cls.vm = GuestVm(cls.base)
        except BaseException:
            shutil.rmtree(cls.base, ignore_errors=True)
            raise
        try:
            run = run_helper("clone", cls.root, [cls.vm.qmp_dir], {"vm": cls.vm.vm_id}, timeout=300)
            if run.result is None:
                raise AssertionError("clone failed: %s" % run.messages)
            cls.clone_id = run.result["cloneId"]
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.vm.stop()
        for pid in clone_processes_under(cls.root):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(cls.base, ignore_errors=True)

    def helper(self, verb, args, timeout=300):
        run = run_helper(verb, self.root, [self.vm.qmp_dir], args, timeout=timeout)
        self.assertIsNotNone(run.result, run.messages)
        return run.result

    def guest_output(self, path, args):
        """stdout of a guest program run through the plain `exec` verb."""
        result = self.helper("exec", {"cloneId": self.clone_id, "path": path, "args": args})
        self.assertEqual(result["exitCode"], 0, result)
        return base64.b64decode(result["stdoutBase64"]).decode("utf-8", "replace")

    def assert_toolkit_gone(self):
        mounts = self.guest_output("/bin/cat", ["/proc/mounts"])
        self.assertNotRegex(mounts, TOOLKIT_PATH)
        self.assertEqual([name for name in self.guest_output("/bin/ls", ["-a", "/run"]).split()
                          if name.startswith("busybox.civic-") or name == "civic"], [])

    def worker_pid(self):
        return int(self.guest_output("/bin/pidof", ["civic-worker"]).split()[0])

    def test_a_collect_everything_with_the_toolkit(self):
        pid = self.worker_pid()
        steps = [
            {"id": "processes"}, {"id": "sockets"}, {"id": "system"},
            {"id": "backtraces", "pids": [pid]}, {"id": "kernel-stacks", "pids": [pid]},
            {"id": "core-dump", "pids": [pid]}, {"id": "syscalls", "pids": [pid], "seconds": 2},
            {"id": "metrics", "seconds": 2, "intervalSeconds": 1},
            {"id": "command", "name": "big-log", "seconds": 120,
             "argv": ["/bin/dd", "if=/dev/urandom", "of=" + BIG_FILE, "bs=1048576", "count=40"]},
            {"id": "files", "paths": [BIG_FILE, "/no/such/file"]},
            {"id": "kernel-symbols"},
            {"id": "memory-dump"},
        ]
        started = time.monotonic()
        with SourceStatusWatch(self.vm.qmp_socket) as watch:
            run = run_helper("collect", self.root, [self.vm.qmp_dir],
                             {"cloneId": self.clone_id, "toolkit": self.toolkit, "steps": steps}, timeout=600)
        elapsed = time.monotonic() - started
        result = run.result
        self.assertIsNotNone(result, run.messages)
        self.assertTrue(watch.statuses)
        self.assertEqual(set(watch.statuses), {"running"})

        self.assertEqual(result["access"], "qga")
        self.assertEqual(result["skipped"], [])
        # The one expected failure: the missing guest file.
        self.assertEqual([(f["step"], f["code"], f.get("path")) for f in result["failed"]],
                         [("files", "NOT_FOUND", "/no/such/file")], result["failed"])
        self.assertTrue(result["guest"]["kernel"].startswith("Linux version"))
        self.assertTrue(result["guest"]["qgaVersion"])
        self.assertTrue(result["toolkit"]["removed"])
        self.assertIn("bin/gdb", [f["path"] for f in result["toolkit"]["files"]])

        by_path = {a["path"]: a for a in result["artifacts"]}
        expected = {
            "artifacts/processes.json": "processes", "artifacts/sockets.json": "sockets",
            "artifacts/system.json": "system", "artifacts/backtraces/%d.txt" % pid: "backtraces",
            "artifacts/kernel-stacks/%d.txt" % pid: "kernel-stacks", "artifacts/cores/core.%d" % pid: "core-dump",
            "artifacts/syscalls/%d.txt" % pid: "syscalls", "artifacts/metrics.jsonl": "metrics",
            "artifacts/commands/big-log.stdout": "command-output",
            "artifacts/commands/big-log.stderr": "command-output",
            "artifacts/files/tmp_civic-big.log": "guest-file", "artifacts/kernel/kallsyms.txt": "kernel-symbols",
            "artifacts/kernel/version.txt": "kernel-symbols", "artifacts/memory.elf": "memory-dump",
        }
        for path, role in expected.items():
            self.assertIn(path, by_path)
            self.assertEqual(by_path[path]["role"], role)
        for artifact in result["artifacts"]:
            local = os.path.join(result["sessionDir"], artifact["path"])
            self.assertEqual(os.path.getsize(local), artifact["size"], artifact["path"])
            self.assertEqual(sha256_of(local), artifact["sha256"], artifact["path"])
        self.assertEqual([name for name in os.listdir(os.path.join(result["sessionDir"], "artifacts"))
                          if name.endswith(".partial")], [])

        def read(path):
            with open(os.path.join(result["sessionDir"], path), "rb") as handle:
                return handle.read()

        processes = json.loads(read("artifacts/processes.json"))
        self.assertIn("civic-worker", json.dumps(processes))
        self.assertIn("Thread", read("artifacts/backtraces/%d.txt" % pid).decode())
        self.assertIn("== thread", read("artifacts/kernel-stacks/%d.txt" % pid).decode())
        self.assertIn("syscall", read("artifacts/syscalls/%d.txt" % pid).decode())
        samples = [json.loads(line) for line in read("artifacts/metrics.jsonl").splitlines()]
        self.assertEqual(len(samples), 2)
        for sample in samples:
            self.assertIn("cpu", sample["cpu"])
            self.assertGreater(sample["memory"]["MemTotal"], 0)
            self.assertIn("vda", sample["disk"])
            self.assertIn("eth0", sample["net"])
        kallsyms = read("artifacts/kernel/kallsyms.txt").decode("ascii", "replace")
        self.assertRegex(kallsyms, r"\n[0-9a-f]{16} T start_kernel\n")
        if "artifacts/kernel/btf-vmlinux" in by_path:
            self.assertEqual(read("artifacts/kernel/btf-vmlinux")[:2], b"\x9f\xeb")  # BTF magic 0xeB9F
        self.assertTrue(read("artifacts/kernel/version.txt").startswith(b"Linux version"))

        # The 40 MB file came whole: same size and hash as in the guest (hashed there by the guest's sha256sum).
        fetched = by_path["artifacts/files/tmp_civic-big.log"]
        self.assertEqual(fetched["size"], BIG_BYTES)
        self.assertEqual(self.guest_output("/bin/sh", ["-c", "sha256sum " + BIG_FILE]).split()[0], fetched["sha256"])

        core = os.path.join(result["sessionDir"], "artifacts/cores/core.%d" % pid)
        header = subprocess.run(["readelf", "-h", core], capture_output=True, check=True).stdout.decode()
        self.assertRegex(header, r"Type:\s+CORE")

        memory = os.path.join(result["sessionDir"], "artifacts/memory.elf")
        program = subprocess.run(["readelf", "-lW", memory], capture_output=True, check=True).stdout.decode()
        loads = [int(line.split()[5], 16) for line in program.splitlines() if line.strip().startswith("LOAD")]
        self.assertGreaterEqual(sum(loads), 256 * 1024 * 1024 - 1024 * 1024)
        notes = subprocess.run(["readelf", "-nW", memory], capture_output=True, check=True).stdout.decode()
        self.assertIn("NT_PRSTATUS", notes)
        self.assertRegex(notes, r"QEMU\s+0x[0-9a-f]+\s+Unknown note type")

        # Progress: every step started, with values that never go down and end at 1.
        progress = [m for m in run.messages if m["type"] == "progress"]
        self.assertEqual([m["step"] for m in progress if "artifact" not in m][:-1],
                         ["collect:" + step["id"] for step in steps])
        values = [m["value"] for m in progress]
        self.assertEqual(values, sorted(values))
        self.assertEqual(values[-1], 1.0)
        self.assertEqual(len([m for m in progress if "artifact" in m]), len(result["artifacts"]))

        argvs = [c["argv"] for c in result["commands"]]
        self.assertIn(["/run/civic/bin/civic-collect", "processes", "-o", "/run/civic/out/processes.json"], argvs)
        for command in result["commands"]:
            self.assertRegex(command["startedAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assert_toolkit_gone()
        self.assertNotRegex(self.guest_output("/bin/ps", []), TOOLKIT_PATH)
        print("\ncollect (12 steps, toolkit injected and removed): %.1f s; %d artifacts, %d MiB" % (
            elapsed, len(result["artifacts"]), sum(a["size"] for a in result["artifacts"]) // 2 ** 20))

    def test_b_agentless_collect_gives_only_the_memory_dump(self):
        steps = [{"id": "processes"}, {"id": "backtraces", "pids": [1]}, {"id": "files", "paths": ["/etc/passwd"]},
                 {"id": "memory-dump", "format": "kdump-zlib"}]
        result = self.helper("collect", {"cloneId": self.clone_id, "access": "none", "steps": steps})
        self.assertEqual(result["access"], "none")
        self.assertEqual([(a["path"], a["role"], a["mediaType"]) for a in result["artifacts"]],
                         [("artifacts/memory.kdump", "memory-dump", "application/x-kdump")])
        self.assertEqual([s["step"] for s in result["skipped"]], ["processes", "backtraces", "files"])
        for skipped in result["skipped"]:
            self.assertTrue(skipped["reason"])
        self.assertEqual(result["failed"], [])
        self.assertEqual(result["commands"], [])
        self.assertIsNone(result["toolkit"])

    def test_c_cancel_in_a_step_removes_the_toolkit(self):
        pid = self.worker_pid()
        # A cancel line while strace runs; SIGTERM while the toolkit tarball is being uploaded.
        for how, marker, written in (("line", "(syscalls of pid %d)" % pid, ["artifacts/processes.json"]),
                                     ("sigterm", "(mount the toolkit tmpfs)", [])):
            with self.subTest(how=how):
                error = self.cancel_collect(pid, how, marker)
                self.assertEqual([a["path"] for a in error["detail"]["artifacts"]], written)
                self.assertTrue(error["detail"]["toolkit"]["removed"])
                argvs = [c["argv"] for c in error["detail"]["commands"]]
                self.assertIn("civic-toolkit-stop", argvs[-2])
                self.assertIn("civic-toolkit-remove", argvs[-1])
                if how == "line":
                    # The interrupted strace was killed before the toolkit was removed.
                    self.assertIn("strace", " ".join(argvs[-4]))
                    self.assertEqual(argvs[-3][1:3], ["kill", "-KILL"])
                self.assert_toolkit_gone()
                processes = self.guest_output("/bin/ps", [])
                self.assertNotIn("strace", processes)
                self.assertNotRegex(processes, TOOLKIT_PATH)

    def cancel_collect(self, pid, how, marker):
        """Start a collect, cancel it when its log shows `marker`; returns its error message."""
        steps = [{"id": "processes"}, {"id": "syscalls", "pids": [pid], "seconds": 300}]
        process = subprocess.Popen(helper_argv("collect", self.root, [self.vm.qmp_dir], {
            "cloneId": self.clone_id, "toolkit": self.toolkit, "steps": steps}),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        reached = threading.Event()
        log = []

        def read_log():
            # The helper logs every guest program it starts, naming what it is for.
            for line in process.stderr:
                log.append(line.decode("utf-8", "replace"))
                if marker in log[-1]:
                    reached.set()

        reader = threading.Thread(target=read_log, daemon=True)
        reader.start()
        with SourceStatusWatch(self.vm.qmp_socket) as watch:
            try:
                wait_until(lambda: reached.is_set() or process.poll() is not None, 300, marker)
                self.assertTrue(reached.is_set(), "".join(log))
                if how == "line":
                    process.stdin.write(b'{"type":"cancel"}\n')
                    process.stdin.flush()
                else:
                    process.send_signal(signal.SIGTERM)
                lines = [json.loads(line) for line in process.stdout]
                process.wait(timeout=120)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                reader.join(timeout=30)
                for stream in (process.stdin, process.stdout, process.stderr):
                    stream.close()
        self.assertEqual(set(watch.statuses), {"running"})
        error = next(m for m in lines if m["type"] == "error")
        self.assertEqual(error["code"], "CANCELLED", lines)
        self.assertEqual(process.returncode, 1)
        return error

    def test_z_destroy_leaves_nothing(self):
        session_dir = os.path.join(self.root, self.clone_id)
        self.assertTrue(os.path.isdir(session_dir))
        self.helper("destroy", {"cloneId": self.clone_id})
        self.assertFalse(os.path.exists(session_dir))
        self.assertEqual(clone_processes_under(self.root), [])
        with QmpClient(self.vm.qmp_socket, timeout=10.0) as client:
            self.assertEqual(client.execute("query-status")["status"], "running")
            nodes = [n["node-name"] for n in client.execute("query-named-block-nodes", {"flat": True})]
        self.assertEqual([n for n in nodes if n.startswith("civic-")], [])


if __name__ == "__main__":
    unittest.main()
