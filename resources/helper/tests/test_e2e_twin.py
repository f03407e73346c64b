"""End to end against real QEMU: twins under a lease the host enforces, renew, runtime forwards, priority.

The source is the SeaBIOS-only bare QEMU VM of qemu_lab (no guest OS), so a forward is checked on the
host side: slirp lists it in `info usernet` and its 127.0.0.1 port accepts a TCP connection. A
connection that reaches a service in a static-address guest belongs to the lab's static-address VM.
Leases are a few seconds through the test-only CIVIC_HELPER_MIN_LEASE_SECONDS.
"""

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import unittest

from civic_helper import lease_keeper
from civic_helper.guest_network import netdev_keys
from civic_helper.qmp import QmpClient, pid_alive

from . import qemu_lab
from .qemu_lab import SourceVm, clone_processes_under, helper_argv, run_helper, source_facts

LEASE = 4
# The bound: the twin is gone within its lease + 30 s.
GONE_WITHIN = 30
GUEST_NETWORK = {"address": "192.168.77.10", "prefix": 24}
MEASURED = []


def wait_for(predicate, timeout):
    """Poll the outside world until predicate() is true; the last value either way."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.2)


def nice_of(pid):
    """Field 19 of /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[16])


def thread_nices(pid):
    return {nice_of(int(tid)) for tid in os.listdir("/proc/%d/task" % pid)}


def io_class(pid):
    """`ionice -p PID`'s class word (none, best-effort, idle, realtime)."""
    return io_priority(pid)[0]


def io_priority(pid):
    """`ionice -p PID` as (class word, level): `best-effort: prio 7` -> ("best-effort", 7)."""
    out = subprocess.run(["ionice", "-p", str(pid)], capture_output=True, text=True, check=True).stdout
    word, _, rest = out.partition(":")
    level = rest.strip().split()[-1] if rest.strip() else ""
    return word.strip(), int(level) if level.isdigit() else None


def accepts(port):
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.settimeout(5)
    try:
        probe.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        probe.close()


@unittest.skipIf(qemu_lab.MISSING, "skipping twin end-to-end tests: %s" % qemu_lab.MISSING)
class TwinEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.saved_min = os.environ.get("CIVIC_HELPER_MIN_LEASE_SECONDS")
        os.environ["CIVIC_HELPER_MIN_LEASE_SECONDS"] = "2"
        cls.base = qemu_lab.make_base_dir()
        cls.root = os.path.join(cls.base, "root")
        cls.vm = SourceVm(cls.base)
        cls.pristine = source_facts(cls.vm)

    @classmethod
    def tearDownClass(cls):
        run_helper("recover", cls.root, [cls.vm.qmp_dir], {})
        cls.vm.stop()
        for pid in clone_processes_under(cls.root):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(cls.base, ignore_errors=True)
        if MEASURED:
            print("\ntwins gone after their lease ran out (test, seconds after expiresAt):")
            for row in MEASURED:
                print("  %-60s %5.1f s" % row)
        if cls.saved_min is None:
            os.environ.pop("CIVIC_HELPER_MIN_LEASE_SECONDS", None)
        else:
            os.environ["CIVIC_HELPER_MIN_LEASE_SECONDS"] = cls.saved_min

    def helper(self, verb, args=None):
        return run_helper(verb, self.root, [self.vm.qmp_dir], args)

    def twin(self, lease=LEASE, **extra):
        args = {"vm": self.vm.vm_id, "leaseSeconds": lease}
        args.update(extra)
        run = self.helper("clone", args)
        self.assertIsNotNone(run.result, run.messages)
        return run.result

    def destroy_all(self):
        for session in (self.helper("gc").result or {}).get("sessions", []):
            self.helper("destroy", {"cloneId": session["cloneId"]})

    def tearDown(self):
        self.destroy_all()

    def assert_gone(self, clone_id, clone_pid, keeper_pid, within, expires_at=None):
        folder = os.path.join(self.root, clone_id)
        gone = wait_for(lambda: not os.path.exists(folder) and not pid_alive(clone_pid), within)
        if gone and expires_at is not None:
            MEASURED.append((self._testMethodName[5:65], time.time() - expires_at))
        self.assertTrue(gone, "twin %s still there after %s s: %s" % (
            clone_id, within, os.listdir(folder) if os.path.exists(folder) else "folder gone, QEMU alive"))
        self.assertFalse(pid_alive(clone_pid))
        self.assertEqual(clone_processes_under(self.root), [])
        self.assertTrue(wait_for(lambda: not pid_alive(keeper_pid), 5), "keeper %d still running" % keeper_pid)
        self.assertEqual(sorted(os.listdir(self.vm.image_dir)), ["src.qcow2"])
        facts = source_facts(self.vm)
        self.assertEqual(facts["status"], "running")
        self.assertEqual(facts, self.pristine)

    # -- the lease ------------------------------------------------------------------------------

    def test_twin_outlives_a_helper_killed_after_ready_then_its_keeper_destroys_it(self):
        env = dict(os.environ)
        helper = subprocess.Popen(helper_argv("clone", self.root, [self.vm.qmp_dir],
                                              {"vm": self.vm.vm_id, "leaseSeconds": LEASE}),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        clone_id = None
        for line in helper.stdout:
            message = json.loads(line)
            if message.get("step") == "plan":
                clone_id = message["cloneId"]
            if message.get("step") == "ready":
                helper.send_signal(signal.SIGKILL)
                break
        helper.wait()
        helper.stdout.close()
        helper.stdin.close()
        self.assertEqual(helper.returncode, -signal.SIGKILL)
        folder = os.path.join(self.root, clone_id)
        with open(os.path.join(folder, "lease.json")) as handle:
            lease = json.load(handle)
        with open(os.path.join(folder, "clone.pid")) as handle:
            clone_pid = int(handle.read())
        overlays = [os.path.join(folder, name) for name in ("disk-0.qcow2", "src-0.qcow2")]
        self.assertTrue(all(os.path.exists(path) for path in overlays))
        self.assertTrue(pid_alive(clone_pid) and pid_alive(lease["keeperPid"]))
        # The twin is live within its lease even though the helper that made it is gone.
        self.assertEqual(self.helper("recover", {"cloneId": clone_id}).result["sessions"][0]["outcome"], "live")
        self.assert_gone(clone_id, clone_pid, lease["keeperPid"], lease["expiresAt"] - time.time() + GONE_WITHIN,
                         lease["expiresAt"])
        self.assertFalse(any(os.path.exists(path) for path in overlays))

    def test_renewed_twin_outlives_its_first_expiry(self):
        result = self.twin()
        first_expiry = result["lease"]["expiresAt"]
        renewed = self.helper("renew", {"cloneId": result["cloneId"], "leaseSeconds": 10})
        self.assertIsNotNone(renewed.result, renewed.messages)
        self.assertGreater(renewed.result["lease"]["expiresAt"], first_expiry + 5)
        self.assertFalse(renewed.result["keeperRestarted"])
        # Past the first expiry (and the keeper's one-second tick) the twin still runs.
        time.sleep(max(0.0, first_expiry - time.time()) + 2.5)
        self.assertTrue(pid_alive(result["clonePid"]))
        session = self.helper("gc").result["sessions"][0]
        self.assertEqual((session["twin"], session["lease"]["expired"], session["lease"]["keeperAlive"]),
                         (True, False, True))
        self.assertGreater(session["lease"]["secondsLeft"], 0)
        self.assert_gone(result["cloneId"], result["clonePid"], result["lease"]["keeperPid"],
                         renewed.result["lease"]["expiresAt"] - time.time() + GONE_WITHIN,
                         renewed.result["lease"]["expiresAt"])

    def test_keeper_stops_the_clone_when_another_helper_holds_the_session_then_tears_down(self):
        result = self.twin(lease=2)
        folder = result["sessionDir"]
        # Stand in for a helper busy on the twin (a collect): hold its session lock past the expiry.
        lock = os.open(os.path.join(folder, "lock"), os.O_RDWR)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            stopped = wait_for(lambda: not pid_alive(result["clonePid"]),
                               result["lease"]["expiresAt"] - time.time() + lease_keeper.LOCK_PATIENCE_SECONDS + 15)
            self.assertTrue(stopped, "the keeper did not stop the clone QEMU while the lock was held")
            # It could not tear down yet: the folder is there, the source still on our overlay.
            self.assertTrue(os.path.isfile(os.path.join(folder, ".civic-helper-session")))
        finally:
            os.close(lock)
        self.assert_gone(result["cloneId"], result["clonePid"], result["lease"]["keeperPid"], 15)

    def test_renew_refusals(self):
        missing = self.helper("renew", {"cloneId": "cw-000000000000", "leaseSeconds": 60})
        self.assertEqual(missing.error["code"], "NOT_FOUND", missing.messages)
        plain = self.helper("clone", {"vm": self.vm.vm_id})
        self.assertIsNotNone(plain.result, plain.messages)
        self.assertNotIn("lease", plain.result)
        refused = self.helper("renew", {"cloneId": plain.result["cloneId"], "leaseSeconds": 60})
        self.assertEqual(refused.error["code"], "VALIDATION_FAILED")
        self.assertIn("not a twin", refused.error["message"])
        bad = self.helper("renew", {"cloneId": plain.result["cloneId"], "leaseSeconds": 100000})
        self.assertEqual(bad.error["code"], "VALIDATION_FAILED")
        self.helper("destroy", {"cloneId": plain.result["cloneId"]})

    def test_expired_twin_without_keeper_is_refused_renewal_and_recover_destroys_it(self):
        result = self.twin(lease=3)
        keeper = result["lease"]["keeperPid"]
        os.kill(keeper, signal.SIGKILL)
        wait_for(lambda: not pid_alive(keeper), 5)
        time.sleep(max(0.0, result["lease"]["expiresAt"] - time.time()) + 0.5)
        self.assertTrue(pid_alive(result["clonePid"]))
        entry = self.helper("gc").result["sessions"][0]
        self.assertEqual((entry["lease"]["expired"], entry["lease"]["keeperAlive"], entry["action"]),
                         (True, False, "needs-recover"))
        refused = self.helper("renew", {"cloneId": result["cloneId"], "leaseSeconds": 60})
        self.assertEqual(refused.error["code"], "VALIDATION_FAILED")
        self.assertTrue(refused.error["detail"]["expired"])
        recovered = self.helper("recover", {"cloneId": result["cloneId"]}).result["sessions"][0]
        self.assertEqual(recovered["outcome"], "recovered", recovered)
        self.assertIn("clone-stopped", recovered["actions"])
        self.assert_gone(result["cloneId"], result["clonePid"], keeper, 5)

    def test_recover_and_renew_restart_a_dead_keeper_of_a_live_twin(self):
        result = self.twin(lease=120)
        os.kill(result["lease"]["keeperPid"], signal.SIGKILL)
        wait_for(lambda: not pid_alive(result["lease"]["keeperPid"]), 5)
        entry = self.helper("gc").result["sessions"][0]
        self.assertEqual((entry["lease"]["keeperAlive"], entry["action"]), (False, "needs-recover"))
        recovered = self.helper("recover", {"cloneId": result["cloneId"]}).result["sessions"][0]
        self.assertEqual((recovered["outcome"], recovered["keeperRestarted"]), ("live", True))
        new_keeper = recovered["lease"]["keeperPid"]
        self.assertTrue(pid_alive(new_keeper))
        os.kill(new_keeper, signal.SIGKILL)
        wait_for(lambda: not pid_alive(new_keeper), 5)
        renewed = self.helper("renew", {"cloneId": result["cloneId"], "leaseSeconds": 120})
        self.assertTrue(renewed.result["keeperRestarted"], renewed.messages)
        third = renewed.result["lease"]["keeperPid"]
        # destroy removes the folder; a keeper sees that and leaves.
        self.assertIsNotNone(self.helper("destroy", {"cloneId": result["cloneId"]}).result)
        self.assertTrue(wait_for(lambda: not pid_alive(third), 5), "keeper outlived destroy")
        self.assertEqual(source_facts(self.vm), self.pristine)

    # -- forwards -------------------------------------------------------------------------------

    def test_runtime_forward_at_the_guest_address_bound_to_loopback(self):
        result = self.twin(lease=120, guestNetwork=GUEST_NETWORK, hostForwards=[{"hostPort": 0, "guestPort": 80}])
        self.assertEqual([(f["guestAddress"], f["guestPort"]) for f in result["forwards"]], [("192.168.77.10", 80)])
        self.assertGreater(result["forwards"][0]["hostPort"], 0)
        added = self.helper("forward", {"cloneId": result["cloneId"], "guestPort": 22})
        self.assertIsNotNone(added.result, added.messages)
        forward = added.result["forward"]
        port = forward["hostPort"]
        self.assertEqual((forward["hostAddress"], forward["guestAddress"], forward["guestPort"]),
                         ("127.0.0.1", "192.168.77.10", 22))
        # Read back from slirp itself, on the clone's own QMP.
        with QmpClient(result["qmpSocket"]) as clone:
            usernet = clone.execute("human-monitor-command", {"command-line": "info usernet"})
        self.assertRegex(usernet, r"TCP\[HOST_FORWARD\]\s+\d+\s+127\.0\.0\.1\s+%d\s+192\.168\.77\.10\s+22\s" % port)
        self.assertTrue(accepts(port))
        listed = self.helper("gc").result["sessions"][0]["forwards"]
        self.assertIn(forward, listed)
        explicit = self.helper("forward", {"cloneId": result["cloneId"], "guestPort": 443,
                                           "guestAddress": "192.168.77.11", "hostPort": 0})
        self.assertEqual(explicit.result["forward"]["guestAddress"], "192.168.77.11")
        self.assertIsNotNone(self.helper("destroy", {"cloneId": result["cloneId"]}).result)
        self.assertFalse(accepts(port))
        self.assertEqual(source_facts(self.vm), self.pristine)

    def test_load_aims_only_at_this_twins_forwards(self):
        result = self.twin(lease=120, hostForwards=[{"hostPort": 0, "guestPort": 80}])
        port = result["forwards"][0]["hostPort"]
        bystander = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(bystander.close)
        bystander.bind(("127.0.0.1", 0))
        bystander.listen(1)
        other = bystander.getsockname()[1]
        run = self.helper("load", {"cloneId": result["cloneId"], "targets": ["http://127.0.0.1:%d/" % other],
                                   "durationSeconds": 1})
        self.assertEqual(run.error["code"], "LOAD_TARGET_REFUSED", run.messages)
        self.assertIn("not one of the twin's forwards (%d)" % port, run.error["message"])
        run = self.helper("load", {"cloneId": result["cloneId"], "targets": ["http://10.0.2.15:80/"],
                                   "durationSeconds": 1})
        self.assertEqual(run.error["code"], "LOAD_TARGET_REFUSED", run.messages)
        bystander.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            bystander.accept()
        self.assertIsNotNone(self.helper("destroy", {"cloneId": result["cloneId"]}).result)
        run = self.helper("load", {"cloneId": result["cloneId"], "targets": ["http://127.0.0.1:%d/" % port],
                                   "durationSeconds": 1})
        self.assertEqual(run.error["code"], "NOT_FOUND", run.messages)

    def test_forward_to_a_taken_port_fails_with_its_reason(self):
        result = self.twin(lease=120)
        taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        run = self.helper("forward", {"cloneId": result["cloneId"], "guestPort": 80,
                                      "hostPort": taken.getsockname()[1]})
        self.assertEqual(run.error["code"], "HELPER_FAILED", run.messages)
        self.assertIn("could not bind", run.error["message"])
        self.assertEqual(self.helper("forward", {"cloneId": result["cloneId"], "guestPort": 0}).error["code"],
                         "VALIDATION_FAILED")

    # -- priority -------------------------------------------------------------------------------

    @unittest.skipIf(shutil.which("ionice") is None, "ionice (util-linux) is not installed")
    def test_clone_runs_at_lower_cpu_and_io_priority_than_the_source(self):
        result = self.twin(lease=120)
        clone_pid, source_pid = result["clonePid"], self.vm.process.pid
        self.assertEqual(result["priority"], {"nice": 10, "ioClass": "best-effort"})
        self.assertGreater(nice_of(clone_pid), nice_of(source_pid))
        # Every QEMU thread inherited it: it was set before exec.
        self.assertEqual(thread_nices(clone_pid), {10})
        self.assertEqual(io_priority(clone_pid), ("best-effort", 7))
        # The source's "none" is best-effort at the level its nice value gives (4 at nice 0): above 7.
        self.assertIn(io_class(source_pid), ("none", "best-effort"))
        self.assertLess(io_priority(source_pid)[1] if io_class(source_pid) == "best-effort" else 4, 7)
        probe = self.helper("probe").result
        self.assertEqual(probe["clonePriority"]["nice"], 10)
        self.assertIn("keeper", probe["lease"]["mechanisms"])


@unittest.skipIf(qemu_lab.MISSING, "skipping twin end-to-end tests: %s" % qemu_lab.MISSING)
class GuestNetworkInQemuTest(unittest.TestCase):
    """QEMU's slirp takes every address layout the helper writes, and forwards to the guest's address."""

    def test_slirp_accepts_the_layouts(self):
        for network in ({"address": "192.168.77.10", "prefix": 24}, {"address": "192.168.77.2", "prefix": 24},
                        {"address": "10.20.0.7", "prefix": 16}, {"address": "172.16.5.3", "prefix": 29},
                        {"address": "10.1.2.6", "prefix": 29}, {"address": "10.1.2.1", "prefix": 29}):
            with self.subTest(network=network):
                keys = ",".join("%s=%s" % (k, v) for k, v in netdev_keys(network))
                netdev = "user,id=n0,restrict=on,%s,hostfwd=tcp:127.0.0.1:0-%s:80" % (keys, network["address"])
                commands = [{"execute": "qmp_capabilities"},
                            {"execute": "human-monitor-command", "arguments": {"command-line": "info usernet"}},
                            {"execute": "quit"}]
                completed = subprocess.run(
                    [qemu_lab.QEMU, "-machine", "none", "-display", "none", "-nodefaults", "-netdev", netdev,
                     "-qmp", "stdio"], input="".join(json.dumps(c) + "\n" for c in commands),
                    capture_output=True, text=True, timeout=60)
                replies = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
                usernet = next((r["return"] for r in replies if isinstance(r.get("return"), str)), None)
                self.assertIsNotNone(usernet, completed.stderr)
                self.assertRegex(usernet, r"TCP\[HOST_FORWARD\]\s+\d+\s+127\.0\.0\.1\s+\d+\s+%s\s+80\s"
                                 % network["address"].replace(".", "\\."))


if __name__ == "__main__":
    unittest.main()
