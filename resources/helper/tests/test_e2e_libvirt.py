"""End to end with a libvirt domain: QMP through virsh, argv from libvirt's QEMU, clone and destroy.

Uses a transient domain of its own (never the lab's), and only when libvirtd already answers.
"""

import os
import secrets
import shutil
import signal
import subprocess
import unittest

from . import qemu_lab
from .qemu_lab import clone_processes_under, run_helper, wait_until


def libvirt_reason():
    if qemu_lab.MISSING:
        return qemu_lab.MISSING
    if shutil.which("virsh") is None:
        return "virsh is not installed"
    try:
        completed = subprocess.run(["virsh", "-c", "qemu:///system", "version"], capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "libvirtd did not answer `virsh version` within 120 s"
    if completed.returncode != 0:
        return "libvirtd does not answer on qemu:///system (start it with `virtlogd -d; libvirtd -d`)"
    return None


SKIP = libvirt_reason()

# A cold libvirtd probes QEMU's capabilities under TCG before it answers a create: minutes on two
# busy cores (docs/LAB.md). Every wait names what it waited for.
VIRSH_TIMEOUT = 600
DOMAIN_RUNNING_TIMEOUT = 300

DOMAIN_XML = """<domain type='qemu'>
  <name>{name}</name>
  {metadata}
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <devices>
    <emulator>{qemu}</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{image}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'><mac address='52:54:00:c1:71:77'/><model type='virtio'/></interface>
    <serial type='pty'/>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <graphics type='vnc' listen='127.0.0.1' autoport='yes'/>
  </devices>
  {seclabel}
</domain>
"""


def virsh(*args):
    try:
        completed = subprocess.run(["virsh", "-c", "qemu:///system"] + list(args), capture_output=True,
                                   timeout=VIRSH_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError("virsh %s did not finish within %d s: libvirtd busy or stuck "
                             "(see /var/log/libvirt/libvirtd.log)" % (" ".join(args), VIRSH_TIMEOUT))
    if completed.returncode != 0:
        raise AssertionError("virsh %s: %s" % (args, completed.stderr.decode()))
    return completed.stdout.decode()


def domain_facts(name):
    import json
    status = json.loads(virsh("qemu-monitor-command", name, '{"execute":"query-status"}'))["return"]["status"]
    block = json.loads(virsh("qemu-monitor-command", name, '{"execute":"query-block"}'))["return"]
    chain = []
    for info in block:
        image = (info.get("inserted") or {}).get("image")
        layers = []
        while image:
            layers.append(image["filename"])
            image = image.get("backing-image")
        chain.append(layers)
    return status, chain


@unittest.skipIf(SKIP, "skipping libvirt end-to-end tests: %s" % SKIP)
class LibvirtEndToEndTest(unittest.TestCase):
    """QEMU run by libvirt as root."""

    seclabel = "<seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>"
    strategies = ("background-snapshot", "precopy")

    @classmethod
    def setUpClass(cls):
        cls.base = qemu_lab.make_base_dir()
        # libvirt's own QEMU user must reach the image; the helper root below stays 0700.
        os.chmod(cls.base, 0o755)
        cls.root = os.path.join(cls.base, "root")
        cls.name = qemu_lab.DOMAIN_PREFIX + secrets.token_hex(4)
        cls.image = os.path.join(cls.base, "src.qcow2")
        subprocess.run([qemu_lab.QEMU_IMG, "create", "-q", "-f", "qcow2", cls.image, "64M"], check=True)
        xml = os.path.join(cls.base, "domain.xml")
        with open(xml, "w") as handle:
            handle.write(DOMAIN_XML.format(name=cls.name, qemu=qemu_lab.QEMU, image=cls.image,
                                           seclabel=cls.seclabel, metadata=qemu_lab.domain_metadata_xml()))
        try:
            # Capabilities first: a create must not be what waits behind libvirtd's QEMU probe.
            virsh("domcapabilities", "--virttype", "qemu", "--arch", "x86_64", "--emulatorbin", qemu_lab.QEMU)
            virsh("create", xml)
            wait_until(lambda: domain_facts(cls.name)[0] == "running", DOMAIN_RUNNING_TIMEOUT,
                       "libvirt domain %s to run (its QEMU started, QMP answering)" % cls.name)
            cls.pristine = domain_facts(cls.name)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["virsh", "-c", "qemu:///system", "destroy", cls.name], capture_output=True,
                       timeout=VIRSH_TIMEOUT)
        for pid in clone_processes_under(cls.root):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(cls.base, ignore_errors=True)

    def helper(self, verb, args, fault=None):
        return run_helper(verb, self.root, [], args, fault=fault, timeout=300)

    def test_list_shows_the_domain(self):
        listing = self.helper("list", {}).result
        entry = next(vm for vm in listing["vms"] if vm.get("name") == self.name)
        self.assertEqual(entry["id"], "libvirt:" + self.name)
        self.assertTrue(entry["cloneable"], entry["reasons"])
        self.assertTrue(entry["qgaChannel"])

    def test_clone_and_destroy_with_each_strategy(self):
        for strategy in self.strategies:
            with self.subTest(strategy=strategy):
                run = self.helper("clone", {"vm": "libvirt:" + self.name, "strategy": strategy, "maxPauseMs": 2000})
                self.assertIsNotNone(run.result, run.messages)
                print("\nlibvirt clone %s: source pause %.1f ms, activation %.1f ms" % (
                    strategy, run.result["sourcePauseMs"], run.result["cloneActivationMs"]))
                status, chain = domain_facts(self.name)
                self.assertEqual(status, "running")
                self.assertEqual(chain[0][1:], [self.image])
                destroyed = self.helper("destroy", {"cloneId": run.result["cloneId"]})
                self.assertIsNotNone(destroyed.result, destroyed.messages)
                self.assertEqual(domain_facts(self.name), self.pristine)
                self.assertEqual(clone_processes_under(self.root), [])

    def test_helper_killed_mid_pause_then_recover(self):
        for strategy, phase in (("background-snapshot", "source-snapshot"), ("precopy", "migrate-continue")):
            if strategy not in self.strategies:
                continue
            with self.subTest(strategy=strategy):
                run = self.helper("clone", {"vm": "libvirt:" + self.name, "strategy": strategy, "maxPauseMs": 2000},
                                  fault=phase + ":kill")
                self.assertEqual(run.returncode, -signal.SIGKILL)
                recovered = self.helper("recover", {})
                self.assertEqual([s["outcome"] for s in recovered.result["sessions"]], ["recovered"],
                                 recovered.messages)
                self.assertEqual(domain_facts(self.name), self.pristine)


@unittest.skipIf(SKIP, "skipping libvirt end-to-end tests: %s" % SKIP)
class LibvirtUnprivilegedQemuTest(LibvirtEndToEndTest):
    """QEMU run by libvirt as its own user (Debian's default): overlays reach it as passed descriptors."""

    seclabel = ""
    # An unprivileged QEMU gets no userfaultfd here (vm.unprivileged_userfaultfd=0).
    strategies = ("precopy",)

    def test_qemu_runs_as_another_user(self):
        with open("/run/libvirt/qemu/%s.pid" % self.name) as handle:
            pid = int(handle.read())
        with open("/proc/%d/status" % pid) as handle:
            uid = next(line.split()[1] for line in handle if line.startswith("Uid:"))
        self.assertNotEqual(uid, "0")

    def test_auto_falls_back_to_precopy_when_qemu_refuses_background_snapshot(self):
        run = self.helper("clone", {"vm": "libvirt:" + self.name, "maxPauseMs": 2000})
        self.assertIsNotNone(run.result, run.messages)
        plan = run.progress("plan")[0]
        if plan["fallbackReason"] is None:
            self.assertEqual(plan["strategy"], "background-snapshot")
        else:
            self.assertEqual((plan["strategy"], run.result["strategy"]), ("precopy", "precopy"))
        self.assertIsNotNone(self.helper("destroy", {"cloneId": run.result["cloneId"]}).result)
        self.assertEqual(domain_facts(self.name), self.pristine)


if __name__ == "__main__":
    unittest.main()
