"""End to end against real QEMU: clone, destroy, faults at every journal phase, cancel, recover."""

import json
import os
import random
import shutil
import signal
import subprocess
import unittest

from civic_helper.journal import CLONE_PHASES_BACKGROUND, CLONE_PHASES_PRECOPY
from civic_helper.qmp import QmpClient

from . import qemu_lab
from .qemu_lab import SourceVm, clone_processes_under, helper_argv, run_helper, source_facts

PAUSE_POINTS = {
    "background-snapshot": ("source-stop", "source-snapshot", "state-save", "source-resume"),
    "precopy": ("source-snapshot", "migrate-continue", "source-resume"),
}
PHASES = {"background-snapshot": CLONE_PHASES_BACKGROUND, "precopy": CLONE_PHASES_PRECOPY}
TEARDOWN_FAULTS = ("teardown", "clone-stop", "clone-stopped", "source-commit", "source-committed", "files-remove",
                   "done")
MEASURED = []


@unittest.skipIf(qemu_lab.MISSING, "skipping QEMU end-to-end tests: %s" % qemu_lab.MISSING)
class CloneEndToEndTest(unittest.TestCase):
    """One source VM per test class; every test must leave it exactly as it found it."""

    @classmethod
    def setUpClass(cls):
        qemu_lab.start_source(cls)

    @classmethod
    def tearDownClass(cls):
        qemu_lab.stop_source(cls)
        if MEASURED:
            print("\nmeasured clones (strategy, source pause ms, clone activation ms, bytes moved):")
            for row in MEASURED:
                print("  %-20s pause %6.1f ms  activation %7.1f ms  bytes %d" % row)

    # -- helpers --------------------------------------------------------------------------------

    def helper(self, verb, args=None, fault=None):
        return run_helper(verb, self.root, [self.vm.qmp_dir], args, fault=fault)

    def clone(self, strategy, fault=None, **extra):
        args = {"vm": self.vm.vm_id, "strategy": strategy}
        args.update(extra)
        return self.helper("clone", args, fault=fault)

    def assert_pristine(self, context=""):
        """The source runs with its original chain and settings; nothing of ours remains."""
        facts = source_facts(self.vm)
        self.assertEqual(facts, self.pristine, context)
        self.assertEqual(facts["status"], "running", context)
        self.assertEqual(clone_processes_under(self.root), [], context)
        leftovers = [name for name in os.listdir(self.root) if name != ".root.lock"] if os.path.isdir(self.root) else []
        self.assertEqual(leftovers, [], context)
        self.assertEqual(sorted(os.listdir(self.vm.image_dir)), ["src.qcow2"], context)

    def reset(self):
        """After a failed subtest: recover and destroy whatever is left, so later subtests stand alone."""
        recovered = self.helper("recover", {})
        for session in (recovered.result or {}).get("sessions", []):
            if session["outcome"] == "live":
                self.helper("destroy", {"cloneId": session["cloneId"]})

    def setUp(self):
        self.reset()

    def destroy(self, clone_id):
        run = self.helper("destroy", {"cloneId": clone_id})
        self.assertIsNotNone(run.result, run.messages)
        return run

    # -- the happy path -------------------------------------------------------------------------

    def test_clone_and_destroy_with_each_strategy(self):
        for strategy in ("background-snapshot", "precopy"):
            with self.subTest(strategy=strategy):
                run = self.clone(strategy)
                result = run.result
                self.assertIsNotNone(result, run.messages)
                plan = run.progress("plan")
                self.assertEqual(plan[0]["strategy"], strategy)
                self.assertEqual(result["strategy"], strategy)
                self.assertLess(result["sourcePauseMs"], 300)
                MEASURED.append((strategy, result["sourcePauseMs"], result["cloneActivationMs"],
                                 result["bytesMoved"]))
                # The source runs on a new overlay in the session; the clone on its own overlay.
                facts = source_facts(self.vm)
                self.assertEqual(facts["status"], "running")
                self.assertEqual(facts["chain"][0][2][1:], [self.vm.image])
                with QmpClient(result["qmpSocket"]) as clone:
                    self.assertEqual(clone.execute("query-status")["status"], "running")
                    clone_chain = clone.execute("query-block")[0]["inserted"]["image"]
                    self.assertEqual(clone_chain["filename"], result["disks"][0]["cloneOverlay"])
                    self.assertEqual(clone_chain["backing-image"]["filename"], self.vm.image)
                    # A write in the clone must never reach production.
                    clone.execute("human-monitor-command",
                                  {"command-line": 'qemu-io virtio0 "write -P 0xab 0 64k"'})
                check = self.vm.qmp("human-monitor-command", {"command-line": 'qemu-io virtio0 "read -P 0 0 64k"'})
                self.assertNotIn("Pattern verification failed", check)
                self.destroy(result["cloneId"])
                self.assert_pristine(strategy)

    def test_second_clone_of_the_same_vm_is_refused(self):
        first = self.clone("background-snapshot")
        self.assertIsNotNone(first.result, first.messages)
        second = self.clone("precopy")
        self.assertEqual(second.error["code"], "VM_BUSY", second.messages)
        self.destroy(first.result["cloneId"])
        self.assert_pristine()

    def test_allow_multiple_stacks_clones_that_are_destroyed_newest_first(self):
        first = self.clone("background-snapshot")
        second = self.clone("precopy", allowMultiple=True)
        self.assertIsNotNone(second.result, second.messages)
        with QmpClient(second.result["qmpSocket"]) as clone:
            image = clone.execute("query-block")[0]["inserted"]["image"]
        self.assertEqual(image["backing-image"]["filename"],
                         os.path.join(self.root, first.result["cloneId"], "src-0.qcow2"))
        refused = self.helper("destroy", {"cloneId": first.result["cloneId"]})
        self.assertEqual(refused.error["code"], "VM_BUSY", refused.messages)
        with QmpClient(first.result["qmpSocket"]) as clone:
            self.assertEqual(clone.execute("query-status")["status"], "running")
        self.destroy(second.result["cloneId"])
        self.destroy(first.result["cloneId"])
        self.assert_pristine()

    def test_pause_budget_exceeded_resumes_the_source(self):
        for strategy in ("background-snapshot", "precopy"):
            with self.subTest(strategy=strategy):
                run = self.clone(strategy, maxPauseMs=1)
                self.assertEqual(run.error["code"], "IMPACT_BUDGET_EXCEEDED", run.messages)
                self.assert_pristine(strategy)

    def test_a_paused_vm_is_refused_and_stays_paused(self):
        self.vm.qmp("stop")
        try:
            for strategy in ("auto", "background-snapshot", "precopy"):
                with self.subTest(strategy=strategy):
                    run = self.clone(strategy)
                    self.assertEqual(run.error["code"], "VM_NOT_CLONEABLE", run.messages)
                    self.assertEqual(self.vm.qmp("query-status")["status"], "paused")
            listing = self.helper("list", {"libvirt": False}).result["vms"]
            self.assertFalse(listing[0]["cloneable"])
        finally:
            self.vm.qmp("cont")
        self.assert_pristine()

    def test_probe_and_list(self):
        probe = self.helper("probe", {"vm": self.vm.vm_id}).result
        self.assertTrue(probe["qemuVersion"])
        self.assertIn("precopy", probe["strategies"])
        self.assertIn("pause-before-switchover", probe["vm"]["migrationCapabilities"])
        self.assertGreater(probe["freeDiskBytes"], 0)
        listing = self.helper("list", {"libvirt": False}).result
        self.assertEqual(len(listing["vms"]), 1)
        entry = listing["vms"][0]
        self.assertEqual((entry["id"], entry["state"], entry["cloneable"]), (self.vm.vm_id, "running", True))
        self.assertEqual(entry["disks"][0]["file"], self.vm.image)
        self.assertEqual(entry["nics"][0]["mac"], "52:54:00:12:34:56")
        self.assertEqual(entry["memoryBytes"], 128 * 2 ** 20)

    def test_recover_is_idempotent_and_leaves_live_clones(self):
        run = self.clone("precopy")
        first = self.helper("recover", {})
        self.assertEqual([s["outcome"] for s in first.result["sessions"]], ["live"])
        self.destroy(run.result["cloneId"])
        again = self.helper("recover", {})
        self.assertEqual(again.result["sessions"], [])
        missing = self.helper("destroy", {"cloneId": run.result["cloneId"]})
        self.assertEqual(missing.error["code"], "NOT_FOUND")
        self.assert_pristine()

    def test_gc_lists_and_removes_only_what_carries_our_marker(self):
        # A destroy killed after its last record leaves a finished folder behind.
        first = self.clone("precopy")
        killed = self.helper("destroy", {"cloneId": first.result["cloneId"]}, fault="done:kill")
        self.assertEqual(killed.returncode, -signal.SIGKILL)
        foreign = os.path.join(self.root, "not-ours")
        os.mkdir(foreign)
        listing = self.helper("gc", {})
        self.assertEqual([(s["cloneId"], s["state"], s["action"]) for s in listing.result["sessions"]],
                         [(first.result["cloneId"], "destroyed", "removable")])
        removed = self.helper("gc", {"remove": True})
        self.assertEqual(removed.result["sessions"][0]["action"], "removed")
        self.assertTrue(os.path.isdir(foreign))
        os.rmdir(foreign)
        # A clone whose session folder vanished is an orphan process: gc kills it.
        second = self.clone("precopy")
        folder = os.path.join(self.root, second.result["cloneId"])
        aside = folder + ".aside"
        os.rename(folder, aside)
        orphans = self.helper("gc", {"remove": True}).result["orphanProcesses"]
        self.assertEqual([(o["pid"], o["action"]) for o in orphans], [(second.result["clonePid"], "killed")])
        self.assertEqual(clone_processes_under(self.root), [])
        os.rename(aside, folder)
        recovered = self.helper("recover", {})
        self.assertEqual([s["outcome"] for s in recovered.result["sessions"]], ["recovered"])
        self.assert_pristine()

    # -- faults ---------------------------------------------------------------------------------

    def test_helper_killed_at_every_phase_then_recover(self):
        tried = 0
        for strategy, phases in PHASES.items():
            for phase in phases + PAUSE_POINTS[strategy]:
                with self.subTest(strategy=strategy, phase=phase):
                    self.reset()
                    run = self.clone(strategy, fault=phase + ":kill")
                    if phase == "clone-resume" and run.result is not None:
                        # The clone may start running by itself: then this phase never comes.
                        self.destroy(run.result["cloneId"])
                        self.assert_pristine("%s %s" % (strategy, phase))
                        continue
                    self.assertEqual(run.returncode, -signal.SIGKILL, (phase, run.messages, run.stderr))
                    recovered = self.helper("recover", {})
                    self.assertIsNotNone(recovered.result, recovered.messages)
                    outcomes = [s["outcome"] for s in recovered.result["sessions"]]
                    if phase == "ready":
                        self.assertEqual(outcomes, ["live"])
                        self.destroy(recovered.result["sessions"][0]["cloneId"])
                    else:
                        self.assertEqual(outcomes, ["recovered"], recovered.messages)
                    self.assert_pristine("%s %s" % (strategy, phase))
                    tried += 1
        print("\nhelper SIGKILLed and recovered at %d phases" % tried)

    def test_helper_killed_during_destroy_then_recover(self):
        for phase in TEARDOWN_FAULTS:
            with self.subTest(phase=phase):
                self.reset()
                run = self.clone("background-snapshot")
                killed = self.helper("destroy", {"cloneId": run.result["cloneId"]}, fault=phase + ":kill")
                self.assertEqual(killed.returncode, -signal.SIGKILL)
                recovered = self.helper("recover", {})
                self.assertIsNotNone(recovered.result, recovered.messages)
                self.assert_pristine(phase)

    def test_cancel_at_every_phase(self):
        for strategy, phases in PHASES.items():
            for phase in phases[:-1] + PAUSE_POINTS[strategy]:
                with self.subTest(strategy=strategy, phase=phase):
                    self.reset()
                    run = self.clone(strategy, fault=phase + ":cancel")
                    if phase == "clone-resume" and run.result is not None:
                        self.destroy(run.result["cloneId"])
                        self.assert_pristine("%s %s" % (strategy, phase))
                        continue
                    self.assertEqual(run.error["code"], "CANCELLED", (phase, run.messages, run.stderr))
                    self.assertEqual(run.returncode, 1)
                    self.assert_pristine("%s %s" % (strategy, phase))

    def test_clone_killed_at_every_phase(self):
        for strategy, phases in PHASES.items():
            start = phases.index("clone-started")
            for phase in phases[start:-1]:
                with self.subTest(strategy=strategy, phase=phase):
                    self.reset()
                    run = self.clone(strategy, fault=phase + ":kill-clone")
                    if run.result is not None:
                        # Either the phase was not reached (the clone ran on by itself) or the kill came too
                        # late to notice: recover keeps a live clone and folds a dead one away.
                        recovered = self.helper("recover", {})
                        outcome = [s["outcome"] for s in recovered.result["sessions"]]
                        if outcome == ["live"]:
                            self.destroy(run.result["cloneId"])
                        else:
                            self.assertEqual(outcome, ["recovered"], recovered.messages)
                    else:
                        self.assertEqual(run.error["code"], "HELPER_FAILED", (phase, run.messages))
                    self.assert_pristine("%s %s" % (strategy, phase))

    def test_cancel_line_and_sigterm_roll_back(self):
        for how in ("stdin", "sigterm"):
            with self.subTest(how=how):
                process = subprocess.Popen(helper_argv("clone", self.root, [self.vm.qmp_dir],
                                                       {"vm": self.vm.vm_id, "strategy": "precopy"}),
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                lines = []
                for line in process.stdout:
                    lines.append(json.loads(line))
                    if lines[-1].get("step") == "plan":
                        break
                if how == "stdin":
                    process.stdin.write(b'{"type":"cancel"}\n')
                    process.stdin.flush()
                else:
                    process.send_signal(signal.SIGTERM)
                rest, _ = process.communicate(timeout=60)
                lines += [json.loads(line) for line in rest.decode().splitlines() if line.strip()]
                outcome = lines[-1]
                # The cancel may land after the clone is ready; then the clone is kept and destroyed here.
                if outcome["type"] == "result":
                    self.destroy(outcome["payload"]["cloneId"])
                else:
                    self.assertEqual(outcome["code"], "CANCELLED", lines)
                self.assert_pristine(how)

    @unittest.skipUnless(os.environ.get("CIVIC_FAULTS_LONG") == "1", "long fault loop: set CIVIC_FAULTS_LONG=1")
    def test_long_random_fault_loop(self):
        rng = random.Random(int(os.environ.get("CIVIC_FAULTS_SEED", "7")))
        count = int(os.environ.get("CIVIC_FAULTS_COUNT", "300"))
        tried = 0
        for _ in range(count):
            strategy = rng.choice(sorted(PHASES))
            phase = rng.choice(PHASES[strategy] + PAUSE_POINTS[strategy])
            action = rng.choice(("kill", "cancel", "kill-clone"))
            with self.subTest(n=tried, strategy=strategy, phase=phase, action=action):
                run = self.clone(strategy, fault="%s:%s" % (phase, action))
                recovered = self.helper("recover", {})
                for session in recovered.result["sessions"]:
                    if session["outcome"] == "live":
                        self.destroy(session["cloneId"])
                if run.result is not None and run.result["cloneId"] in os.listdir(self.root):
                    self.destroy(run.result["cloneId"])
                self.assert_pristine("%s %s %s" % (strategy, phase, action))
            tried += 1
        print("\nlong fault loop: %d faults tried" % tried)


@unittest.skipIf(qemu_lab.MISSING, "skipping QEMU end-to-end tests: %s" % qemu_lab.MISSING)
class MultiDiskEndToEndTest(unittest.TestCase):
    """A qcow2 disk by -drive, a raw disk by -blockdev and a read-only image: cut together, folded back."""

    @classmethod
    def setUpClass(cls):
        cls.base = qemu_lab.make_base_dir()
        cls.root = os.path.join(cls.base, "root")
        cls.vm = SourceVm(cls.base, extra_disks=True)
        cls.pristine = source_facts(cls.vm)

    @classmethod
    def tearDownClass(cls):
        cls.vm.stop()
        for pid in clone_processes_under(cls.root):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(cls.base, ignore_errors=True)

    def test_every_writable_disk_is_cut_and_folded_back(self):
        for strategy in ("background-snapshot", "precopy"):
            for fault in (None, "state-wait:kill" if strategy == "background-snapshot" else "switchover:kill"):
                with self.subTest(strategy=strategy, fault=fault):
                    run = run_helper("clone", self.root, [self.vm.qmp_dir], {"vm": self.vm.vm_id, "strategy": strategy},
                                     fault=fault)
                    if fault is None:
                        try:
                            self.assertIsNotNone(run.result, run.messages)
                            self.assertEqual(len(run.result["disks"]), 2)
                            facts = source_facts(self.vm)
                            self.assertEqual(sorted(len(layers) for _, _, layers in facts["chain"]), [1, 2, 2])
                            seed = [layers[0] for _, read_only, layers in facts["chain"] if read_only]
                            with QmpClient(run.result["qmpSocket"]) as clone:
                                names = {info["inserted"]["image"]["filename"] for info in clone.execute("query-block")}
                            self.assertEqual(names, {d["cloneOverlay"] for d in run.result["disks"]} | set(seed))
                        finally:
                            done = run_helper("destroy", self.root, [], {"cloneId": run.result["cloneId"]})
                    else:
                        done = run_helper("recover", self.root, [], {})
                    self.assertIsNotNone(done.result, done.messages)
                    self.assertEqual(source_facts(self.vm), self.pristine)
                    self.assertEqual(clone_processes_under(self.root), [])


if __name__ == "__main__":
    unittest.main()
