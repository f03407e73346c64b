"""Pure pieces of `list` and `clone`: libvirt XML facts, argument checks, strategy and disk plans."""

import unittest

from civic_helper.clone import choose_strategy, overlay_node, parse_clone_args, plan_disks, snapshot_actions
from civic_helper.errors import HelperError
from civic_helper.inventory import describe_libvirt_xml
from civic_helper.session import Session

DOMAIN_XML = """
<domain type='kvm' id='3'>
  <name>web01</name>
  <uuid>5b0c1a8e-3f7d-4a36-9d0e-5d3c4f6e7a81</uuid>
  <memory unit='KiB'>2097152</memory>
  <vcpu placement='static'>2</vcpu>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/var/lib/libvirt/images/web01.qcow2' index='1'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/seed.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:ab:cd:ef'/>
      <model type='virtio'/>
    </interface>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>
    </channel>
    HOSTDEV
  </devices>
</domain>
"""

HOSTDEV = """<hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source>
    </hostdev>
    <filesystem type='mount'><driver type='virtiofs'/><source dir='/srv'/><target dir='srv'/></filesystem>"""


class LibvirtXmlTest(unittest.TestCase):
    def test_facts(self):
        entry, reasons = describe_libvirt_xml(DOMAIN_XML.replace("HOSTDEV", ""), "running")
        self.assertEqual(entry["id"], "libvirt:web01")
        self.assertEqual(entry["memoryBytes"], 2 * 1024 ** 3)
        self.assertEqual(entry["vcpus"], 2)
        self.assertEqual([(d["device"], d["format"], d["readOnly"]) for d in entry["disks"]],
                         [("vda", "qcow2", False), ("sda", "raw", True)])
        self.assertEqual(entry["nics"], [{"type": "network", "mac": "52:54:00:ab:cd:ef", "model": "virtio"}])
        self.assertTrue(entry["qgaChannel"])
        self.assertEqual(reasons, [])

    def test_passthrough_and_shared_folders_are_reasons(self):
        entry, reasons = describe_libvirt_xml(DOMAIN_XML.replace("HOSTDEV", HOSTDEV), "running")
        self.assertEqual(entry["vfioDevices"][0]["address"]["bus"], "0x03")
        self.assertTrue(any("VFIO" in r for r in reasons))
        self.assertTrue(any("virtiofs" in r for r in reasons))


class CloneArgsTest(unittest.TestCase):
    def test_defaults(self):
        args = parse_clone_args({"vm": "qmp:/x"})
        self.assertEqual((args["strategy"], args["maxPauseMs"], args["allowMultiple"]), ("auto", 300, False))

    def test_refusals(self):
        for bad in ({}, {"vm": 1}, {"vm": "x", "strategy": "postcopy"}, {"vm": "x", "maxPauseMs": 0},
                    {"vm": "x", "maxPauseMs": True}, {"vm": "x", "hostForwards": [{"hostPort": "22"}]},
                    {"vm": "x", "timeoutSeconds": 0}):
            with self.assertRaises(HelperError, msg=bad) as caught:
                parse_clone_args(bad)
            self.assertEqual(caught.exception.code, "VALIDATION_FAILED")


class StrategyTest(unittest.TestCase):
    def test_auto_prefers_background_snapshot(self):
        both = ["background-snapshot", "pause-before-switchover", "postcopy-ram"]
        self.assertEqual(choose_strategy("auto", both), "background-snapshot")
        self.assertEqual(choose_strategy("auto", ["pause-before-switchover"]), "precopy")
        self.assertEqual(choose_strategy("precopy", both), "precopy")

    def test_never_postcopy(self):
        for requested in ("auto", "background-snapshot", "precopy"):
            with self.assertRaises(HelperError) as caught:
                choose_strategy(requested, ["postcopy-ram"])
            self.assertEqual(caught.exception.code, "VM_NOT_CLONEABLE")


class DiskPlanTest(unittest.TestCase):
    session = Session("/run/cw", "cw-0123456789ab")
    argv_disks = [{"key": "virtio0", "file": "/img/a.qcow2", "readOnly": False},
                  {"key": None, "file": "/img/b.raw", "readOnly": False}]

    def block(self, device, node, file_name, ro=False):
        return {"device": device, "qdev": "/machine/peripheral-anon/device[0]", "inserted": {
            "node-name": node, "file": file_name, "drv": "qcow2", "ro": ro,
            "image": {"filename": file_name, "virtual-size": 1 << 30}}}

    def test_pairs_runtime_disks_with_argv_slots(self):
        disks = plan_disks([self.block("virtio0", "#block1", "/img/a.qcow2"),
                            self.block("ide0-hd0", "#block2", "/img/b.raw"),
                            self.block("cd0", "#block3", "/img/c.iso", ro=True)],
                           self.argv_disks, self.session, self.session.clone_id)
        self.assertEqual([d["argvKey"] for d in disks], ["virtio0", "/img/b.raw"])
        self.assertEqual(disks[1]["cloneOverlay"], "/run/cw/cw-0123456789ab/disk-1.qcow2")
        self.assertEqual(disks[0]["snapshotNode"], "civic-0123456789ab-0")
        self.assertEqual(snapshot_actions(disks)[1], {"type": "blockdev-snapshot", "data": {
            "node": "#block2", "overlay": "civic-0123456789ab-1"}})
        self.assertEqual(overlay_node(disks[1], 8), {
            "driver": "qcow2", "node-name": "civic-0123456789ab-1", "backing": None,
            "file": {"driver": "file", "filename": "/dev/fdset/8", "locking": "off"}})

    def test_a_chain_already_carrying_a_clone_overlay_is_busy(self):
        with self.assertRaises(HelperError) as caught:
            plan_disks([self.block("virtio0", "civic-ffffffffffff-0", "/run/cw/x/src-0.qcow2")], self.argv_disks,
                       self.session, self.session.clone_id)
        self.assertEqual(caught.exception.code, "VM_BUSY")

    def test_a_disk_missing_from_the_argv_is_not_cloneable(self):
        with self.assertRaises(HelperError) as caught:
            plan_disks([self.block("virtio9", "#block9", "/img/z.qcow2")], self.argv_disks, self.session,
                       self.session.clone_id)
        self.assertEqual(caught.exception.code, "VM_NOT_CLONEABLE")


if __name__ == "__main__":
    unittest.main()


class ListShapesTest(unittest.TestCase):
    """One VM that cannot be read costs its own entry, never the list; every entry has the full shape."""

    # The keys the app's VM schema requires (main/helper-client/helper-payloads.ts).
    REQUIRED = {"id", "kind", "name", "state", "memoryBytes", "vcpus", "qgaChannel", "cloneable", "reasons"}

    @classmethod
    def setUpClass(cls):
        from .list_shapes import shapes
        cls.shapes = shapes()

    def test_every_entry_has_every_required_key(self):
        for item in self.shapes["entries"]:
            with self.subTest(item["label"]):
                self.assertEqual(self.REQUIRED - set(item["entry"]), set())
                self.assertIsInstance(item["entry"]["qgaChannel"], bool)
                self.assertIsInstance(item["entry"]["vcpus"], int)

    def test_unreadable_vms_are_listed_with_their_reason_and_not_cloneable(self):
        by_label = {item["label"]: item["entry"] for item in self.shapes["entries"]}
        stale = by_label["qmp c-stale.qmp"]
        self.assertFalse(stale["cloneable"])
        self.assertIn("c-stale.qmp", stale["error"])
        self.assertIn("Connection refused", stale["reasons"][0])
        gone = by_label["libvirt 66666666-7777-8888-9999-aaaaaaaaaaaa"]
        self.assertIn("disappeared while the list was read", gone["error"])
        self.assertEqual(gone["id"], "libvirt:66666666-7777-8888-9999-aaaaaaaaaaaa")
        self.assertNotIn("error", by_label["libvirt 11111111-2222-3333-4444-555555555555"])

    def test_the_list_keeps_the_readable_vms_beside_the_broken_ones(self):
        payload = self.shapes["payloads"][0]["payload"]
        names = {vm["name"] for vm in payload["vms"] if "error" not in vm}
        self.assertEqual(names, {"db01", "old01", "web01"})
        self.assertEqual(len([vm for vm in payload["vms"] if "error" in vm]), 5)
        cloneable = [vm["id"] for vm in payload["vms"] if vm["cloneable"]]
        self.assertEqual(cloneable, ["libvirt:db01"])
