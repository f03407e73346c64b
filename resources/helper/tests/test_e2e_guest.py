"""End to end with a real Linux guest and qemu-ga: exec, files, dump and the network in the clone.

Boots the lab's guest image (kernel + initramfs built by `npx tsx test/lab/cli.ts up`) in a private
bare QEMU, so the shared lab VMs are never touched.
"""

import base64
import glob
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import unittest
import urllib.request

from civic_helper.errors import HelperError
from civic_helper.qga import GuestAgent, QgaError

from . import qemu_lab
from .qemu_lab import clone_processes_under, run_helper, source_facts, wait_until

REPO = os.path.dirname(os.path.dirname(qemu_lab.HELPER_DIR))


def find_image():
    """The newest lab guest image, or None."""
    explicit = os.environ.get("CIVIC_LAB_IMAGE_DIR")
    candidates = [explicit] if explicit else sorted(
        glob.glob(os.path.join(REPO, ".cache", "lab", "images", "*")), key=os.path.getmtime, reverse=True)
    for folder in candidates:
        if folder and os.path.isfile(os.path.join(folder, "vmlinuz")) and \
                os.path.isfile(os.path.join(folder, "initramfs.cpio")):
            return folder
    return None


IMAGE = find_image()
SKIP = qemu_lab.MISSING or (None if IMAGE else "no lab guest image (run `npx tsx test/lab/cli.ts up` once)")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GuestVm(qemu_lab.SourceVm):
    """The lab guest (compromised variant, qemu-ga), started like the lab starts lab-web."""

    def __init__(self, base_dir):
        self.base_dir = base_dir
        self.qmp_dir = os.path.join(base_dir, "qmp")
        self.image_dir = os.path.join(base_dir, "img")
        os.makedirs(self.qmp_dir)
        os.makedirs(self.image_dir)
        self.qmp_socket = os.path.join(self.qmp_dir, "guest.sock")
        self.qga_socket = os.path.join(base_dir, "guest.qga")
        self.image = os.path.join(self.image_dir, "src.qcow2")
        subprocess.run([qemu_lab.QEMU_IMG, "create", "-q", "-f", "qcow2", self.image, "64M"], check=True)
        # A private copy: the shared image cache may be rebuilt while the test runs.
        boot = os.path.join(base_dir, "boot")
        os.makedirs(boot)
        for name in ("vmlinuz", "initramfs.cpio"):
            shutil.copyfile(os.path.join(IMAGE, name), os.path.join(boot, name))
        self.argv = [
            qemu_lab.QEMU, "-name", "lab-helper-guest,debug-threads=on", "-machine", "pc-q35-7.2,accel=tcg",
            "-cpu", "qemu64", "-m", "256", "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
            "-no-reboot", "-kernel", os.path.join(boot, "vmlinuz"), "-initrd", os.path.join(boot, "initramfs.cpio"),
            "-append", "console=ttyS0 panic=-1 quiet civic.variant=compromised civic.agent=qga",
            "-serial", "file:" + os.path.join(base_dir, "console.log"),
            "-qmp", "unix:%s,server=on,wait=off" % self.qmp_socket,
            "-blockdev", "driver=file,filename=%s,node-name=data-file" % self.image,
            "-blockdev", "driver=qcow2,file=data-file,node-name=data-disk",
            "-device", "virtio-blk-pci,drive=data-disk,id=data-disk-device,bus=pcie.0,addr=0x4",
            "-netdev", "user,id=net0", "-device",
            "virtio-net-pci,netdev=net0,id=net0-device,mac=52:54:00:c1:71:09,bus=pcie.0,addr=0x3",
            "-chardev", "socket,id=qga0,path=%s,server=on,wait=off" % self.qga_socket,
            "-device", "virtio-serial-pci,id=virtio-serial0,bus=pcie.0,addr=0x5",
            "-device", "virtserialport,bus=virtio-serial0.0,chardev=qga0,name=org.qemu.guest_agent.0",
        ]
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, start_new_session=True)
        self.vm_id = "qmp:" + self.qmp_socket
        try:
            wait_until(lambda: self.agent_answers() or self.process.poll() is not None, 120, "guest agent")
        except BaseException:
            self.stop()
            raise
        if self.process.poll() is not None:
            raise AssertionError("guest QEMU failed: " + self.process.stderr.read().decode())

    def agent_answers(self):
        try:
            with GuestAgent(self.qga_socket, timeout=1.0) as agent:
                agent.execute("guest-ping")
            return True
        except (HelperError, QgaError, OSError):
            return False


@unittest.skipIf(SKIP, "skipping guest end-to-end tests: %s" % SKIP)
class GuestEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base = qemu_lab.make_base_dir()
        cls.root = os.path.join(cls.base, "root")
        try:
            cls.vm = GuestVm(cls.base)
        except BaseException:
            shutil.rmtree(cls.base, ignore_errors=True)
            raise
        try:
            cls.pristine = source_facts(cls.vm)
        except BaseException:
            cls.vm.stop()
            shutil.rmtree(cls.base, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.vm.stop()
        for pid in clone_processes_under(cls.root):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(cls.base, ignore_errors=True)

    def helper(self, verb, args):
        run = run_helper(verb, self.root, [self.vm.qmp_dir], args, timeout=300)
        self.assertIsNotNone(run.result, run.messages)
        return run.result

    def test_clone_a_running_guest_and_work_inside_it(self):
        for strategy in ("background-snapshot", "precopy"):
            with self.subTest(strategy=strategy):
                port = free_port()
                clone = self.helper("clone", {"vm": self.vm.vm_id, "strategy": strategy,
                                              "hostForwards": [{"hostPort": port, "guestPort": 80}]})
                print("\nguest clone %s: source pause %.1f ms, activation %.1f ms, RSS %d MiB, bytes %d" % (
                    strategy, clone["sourcePauseMs"], clone["cloneActivationMs"],
                    (clone["cloneRssBytes"] or 0) // 2 ** 20, clone["bytesMoved"]))
                clone_id = clone["cloneId"]
                self.assertIsNotNone(clone["qgaSocket"])

                # The clone is a live copy: the source's workload runs in it.
                ps = self.helper("exec", {"cloneId": clone_id, "path": "/bin/ps"})
                self.assertEqual(ps["exitCode"], 0)
                self.assertIn(b"civic-worker", base64.b64decode(ps["stdoutBase64"]))

                # Its web server answers on the loopback forward, proving the isolated network works.
                with urllib.request.urlopen("http://127.0.0.1:%d/cgi-bin/status.cgi" % port, timeout=30) as reply:
                    self.assertEqual(reply.status, 200)

                content = os.urandom(70_000)
                put = self.helper("file-put", {"cloneId": clone_id, "path": "/tmp/civic-probe.bin",
                                               "contentBase64": base64.b64encode(content).decode()})
                self.assertEqual(put["sha256"], hashlib.sha256(content).hexdigest())
                got = self.helper("file-get", {"cloneId": clone_id, "path": "/tmp/civic-probe.bin"})
                with open(got["localPath"], "rb") as handle:
                    self.assertEqual(handle.read(), content)
                self.assertEqual((got["size"], got["sha256"]), (len(content), put["sha256"]))

                missing = run_helper("file-get", self.root, [self.vm.qmp_dir],
                                     {"cloneId": clone_id, "path": "/no/such/file"})
                self.assertEqual(missing.error["code"], "NOT_FOUND", missing.messages)

                # Nothing written in the clone reaches production.
                with GuestAgent(self.vm.qga_socket, timeout=10) as agent:
                    with self.assertRaises(QgaError):
                        agent.execute("guest-file-open", {"path": "/tmp/civic-probe.bin", "mode": "r"})

                if strategy == "background-snapshot":
                    dump = self.helper("dump", {"cloneId": clone_id})
                    self.assertGreater(dump["size"], 256 * 2 ** 20)
                    with open(dump["localPath"], "rb") as handle:
                        self.assertEqual(handle.read(4), b"\x7fELF")
                    print("guest dump: %d MiB in %.0f ms" % (dump["size"] // 2 ** 20, dump["dumpMs"]))
                else:
                    dump = self.helper("dump", {"cloneId": clone_id, "format": "kdump-zlib"})
                    with open(dump["localPath"], "rb") as handle:
                        # QEMU writes kdump formats in makedumpfile's flattened form (`makedumpfile -R` rebuilds).
                        self.assertEqual(handle.read(12), b"makedumpfile")
                    print("guest kdump-zlib dump: %d MiB in %.0f ms" % (dump["size"] // 2 ** 20, dump["dumpMs"]))

                self.helper("destroy", {"cloneId": clone_id})
                facts = source_facts(self.vm)
                self.assertEqual(facts, self.pristine)
                self.assertEqual(clone_processes_under(self.root), [])
                self.assertTrue(self.vm.agent_answers())


if __name__ == "__main__":
    unittest.main()
