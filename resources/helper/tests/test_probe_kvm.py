"""`probe`'s KVM verdict: a /dev/kvm that exists but cannot run guests is reported as such."""

import os
import shutil
import stat
import tempfile
import unittest

from civic_helper import probe


def write_script(folder, body):
    path = os.path.join(folder, "fake-qemu")
    with open(path, "w") as handle:
        handle.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return path


class KvmUsabilityTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="civic-probe-test-")
        self.addCleanup(shutil.rmtree, self.folder, True)

    def test_no_device_means_tcg_without_claiming_kvm(self):
        verdict = probe.kvm_usability(device=os.path.join(self.folder, "kvm"))
        self.assertEqual((verdict["device"], verdict["usable"]), (False, False))
        self.assertNotIn("KVM present", verdict["summary"])

    def test_a_device_path_that_is_no_kvm_device_is_present_but_unusable(self):
        # What the lab's libvirtd sees: an empty file bind-mounted over /dev/kvm.
        stand_in = os.path.join(self.folder, "kvm")
        open(stand_in, "w").close()
        verdict = probe.kvm_usability(device=stand_in)
        self.assertEqual((verdict["device"], verdict["usable"]), (True, False))
        self.assertTrue(verdict["summary"].startswith("KVM present but unusable: guests run under TCG"), verdict)

    def test_a_character_device_that_refuses_the_kvm_ioctl_is_unusable(self):
        # /dev/null opens read-write like /dev/kvm but answers KVM_GET_API_VERSION with ENOTTY.
        verdict = probe.kvm_usability(device="/dev/null")
        self.assertFalse(verdict["usable"])
        self.assertIn("ioctl", verdict["reason"])
        self.assertIn(probe.UNUSABLE, verdict["summary"])

    def test_a_guest_that_never_runs_is_unusable_within_the_bound(self):
        if not os.path.exists("/dev/kvm") or probe._kvm_ioctl_check("/dev/kvm") is not None:
            self.skipTest("needs a /dev/kvm that accepts KVM_CREATE_VM")
        # QEMU that starts and then prints nothing: a vCPU that does not run.
        silent = write_script(self.folder, "exec sleep 30")
        verdict = probe.kvm_usability(qemu=silent, guest_check_seconds=0.5)
        self.assertFalse(verdict["usable"])
        self.assertIn("printed nothing", verdict["reason"])

    def test_qemu_refusing_kvm_is_unusable_with_its_message(self):
        if not os.path.exists("/dev/kvm") or probe._kvm_ioctl_check("/dev/kvm") is not None:
            self.skipTest("needs a /dev/kvm that accepts KVM_CREATE_VM")
        refusing = write_script(self.folder, "echo 'qemu-system-x86_64: failed to initialize kvm: Permission denied' >&2; exit 1")
        verdict = probe.kvm_usability(qemu=refusing)
        self.assertFalse(verdict["usable"])
        self.assertIn("failed to initialize kvm", verdict["reason"])

    def test_real_device_gives_a_verdict_with_real_qemu(self):
        if not os.path.exists("/dev/kvm") or not stat.S_ISCHR(os.stat("/dev/kvm").st_mode):
            self.skipTest("no /dev/kvm here")
        if probe.shutil.which(probe.QEMU) is None:
            self.skipTest("qemu-system-x86_64 is not installed")
        verdict = probe.kvm_usability()
        self.assertTrue(verdict["device"])
        self.assertIsInstance(verdict["usable"], bool)
        self.assertEqual(verdict["usable"], verdict["reason"] is None, verdict)


if __name__ == "__main__":
    unittest.main()
