"""The argv rewrite on a corpus of real command lines: same devices, only the backends replaced."""

import json
import unittest

from civic_helper.argv_rewrite import (ClonePlan, RewriteRefused, format_keyval, inspect_argv, parse_keyval,
                                       rewrite_argv, split_options)

from . import argv_corpus

SESSION = "/run/user/0/civic-workbench/sessions/cw-0123456789ab"


def options(argv, name):
    """Every value given to one option, in order."""
    return [value for option, value in split_options(argv) if option == name]


def blockdevs(argv):
    return {node["node-name"]: node for node in (json.loads(v) for v in options(argv, "-blockdev"))}


class KeyvalTest(unittest.TestCase):
    def test_doubled_commas_round_trip(self):
        pairs = parse_keyval("socket,id=c0,path=/srv/a,,b.sock,server,nowait", implied_key="backend")
        self.assertEqual(pairs, [["backend", "socket"], ["id", "c0"], ["path", "/srv/a,b.sock"], ["server", None],
                                 ["nowait", None]])
        self.assertEqual(format_keyval(pairs, implied_key="backend"), "socket,id=c0,path=/srv/a,,b.sock,server,nowait")

    def test_value_with_equals_sign_is_kept_whole(self):
        self.assertEqual(parse_keyval("a=b=c"), [["a", "b=c"]])


class Libvirt9Test(unittest.TestCase):
    def setUp(self):
        self.source = argv_corpus.LIBVIRT_9_Q35
        self.plan = ClonePlan(SESSION, "civic-clone-cw-0123456789ab", {
            "libvirt-1-format": SESSION + "/disk-0.qcow2",
            "libvirt-pflash1-format": SESSION + "/disk-1.qcow2",
        })
        self.clone = rewrite_argv(self.source, self.plan)

    def test_inspect_finds_disks_nics_and_qga(self):
        facts = inspect_argv(self.source)
        disks = {disk["key"]: disk for disk in facts["disks"]}
        self.assertFalse(disks["libvirt-1-format"]["readOnly"])
        self.assertEqual(disks["libvirt-1-format"]["file"], "/var/lib/libvirt/images/web01.qcow2")
        self.assertTrue(disks["libvirt-3-format"]["readOnly"])
        self.assertFalse(disks["libvirt-pflash1-format"]["readOnly"])
        self.assertTrue(facts["qgaChannel"])
        self.assertEqual(facts["nics"][0]["mac"], "52:54:00:ab:cd:ef")
        self.assertEqual(facts["refusals"], [])

    def test_every_device_is_kept_verbatim_and_in_order(self):
        self.assertEqual(options(self.clone, "-device"), options(self.source, "-device"))
        for name in ("-machine", "-cpu", "-m", "-smp", "-uuid", "-global", "-rtc", "-boot", "-accel", "-overcommit"):
            self.assertEqual(options(self.clone, name), options(self.source, name), name)

    def test_writable_disks_move_to_overlays_and_old_chain_is_dropped(self):
        nodes = blockdevs(self.clone)
        self.assertEqual(nodes["libvirt-1-storage"]["filename"], SESSION + "/disk-0.qcow2")
        self.assertEqual(nodes["libvirt-1-format"]["driver"], "qcow2")
        self.assertNotIn("backing", nodes["libvirt-1-format"])
        self.assertNotIn("libvirt-2-format", nodes)
        self.assertNotIn("libvirt-2-storage", nodes)
        self.assertEqual(nodes["libvirt-pflash1-storage"]["filename"], SESSION + "/disk-1.qcow2")
        # Read-only images (firmware code, the seed ISO) are shared read-only, unchanged.
        source_nodes = blockdevs(self.source)
        for name in ("libvirt-3-format", "libvirt-3-storage", "libvirt-pflash0-format", "libvirt-pflash0-storage"):
            self.assertEqual(nodes[name], source_nodes[name])
        text = " ".join(self.clone)
        self.assertNotIn("/var/lib/libvirt/images/web01.qcow2", text)
        self.assertNotIn("web01_VARS.fd", text)

    def test_backends_are_the_clones_own(self):
        self.assertEqual(options(self.clone, "-netdev"), ["user,id=hostnet0,restrict=on"])
        chardevs = options(self.clone, "-chardev")
        self.assertIn("socket,id=charchannel0,path=%s/qga.sock,server=on,wait=off" % SESSION, chardevs)
        for chardev in chardevs:
            self.assertIn("path=" + SESSION + "/", chardev)
        self.assertNotIn("fd=", " ".join(options(self.clone, "-chardev") + options(self.clone, "-netdev")))
        for dropped in ("-S", "-mon", "-spice", "-vnc"):
            self.assertEqual(options(self.clone, dropped), [], dropped)
        self.assertEqual(options(self.clone, "-audiodev"), ["none,id=audio1"])
        self.assertEqual(options(self.clone, "-qmp"), ["unix:%s/qmp.sock,server=on,wait=off" % SESSION])
        self.assertEqual(options(self.clone, "-pidfile"), [SESSION + "/clone.pid"])
        self.assertEqual(options(self.clone, "-name"), ["guest=civic-clone-cw-0123456789ab"])
        self.assertEqual(options(self.clone, "-incoming"), ["defer"])
        self.assertEqual(options(self.clone, "-display"), ["none"])

    def test_unmapped_writable_disk_is_refused(self):
        plan = ClonePlan(SESSION, "c", {"libvirt-1-format": SESSION + "/disk-0.qcow2"})
        with self.assertRaises(RewriteRefused) as caught:
            rewrite_argv(self.source, plan)
        self.assertIn("libvirt-pflash1-format", str(caught.exception))


class Libvirt6DriveTest(unittest.TestCase):
    def setUp(self):
        self.source = argv_corpus.LIBVIRT_6_PC_DRIVE
        self.plan = ClonePlan(SESSION, "civic-clone-x", {
            "drive-virtio-disk0": SESSION + "/disk-0.qcow2",
            "drive-virtio-disk1": SESSION + "/disk-1.qcow2",
        }, host_forwards=[{"hostPort": 0, "guestPort": 22}])
        self.clone = rewrite_argv(self.source, self.plan)

    def test_drive_files_become_qcow2_overlays_keeping_cache_options(self):
        drives = options(self.clone, "-drive")
        self.assertEqual(drives[0], "file=%s/disk-0.qcow2,format=qcow2,if=none,id=drive-virtio-disk0,cache=none,"
                                    "aio=native" % SESSION)
        self.assertEqual(drives[1], "file=%s/disk-1.qcow2,format=qcow2,if=none,id=drive-virtio-disk1,cache=none,"
                                    "aio=native,discard=unmap" % SESSION)
        self.assertEqual(drives[2], "if=none,id=drive-ide0-0-0,readonly=on")

    def test_shared_memory_and_passed_fds_are_not_inherited(self):
        self.assertEqual(options(self.clone, "-object"), ["memory-backend-ram,id=ram-node0,size=4294967296"])
        self.assertEqual(options(self.clone, "-add-fd"), [])
        self.assertEqual(options(self.clone, "-numa"), options(self.source, "-numa"))

    def test_network_is_isolated_with_only_loopback_forwards(self):
        self.assertEqual(options(self.clone, "-netdev"),
                         ["user,id=hostnet0,restrict=on,hostfwd=tcp:127.0.0.1:0-:22"])
        self.assertEqual(options(self.clone, "-device"), options(self.source, "-device"))

    def test_qga_socket_moves_into_the_session(self):
        self.assertIn("socket,id=charchannel0,path=%s/qga.sock,server=on,wait=off" % SESSION,
                      options(self.clone, "-chardev"))
        self.assertNotIn("/var/lib/libvirt/qemu/channel", " ".join(self.clone))


class BareQemuTest(unittest.TestCase):
    def setUp(self):
        self.source = argv_corpus.BARE_HAND_RUN

    def test_automatic_virtio_ids_and_escaped_commas(self):
        disks = inspect_argv(self.source)["disks"]
        self.assertEqual([(d["key"], d["file"]) for d in disks],
                         [("virtio0", "/srv/vms/vm1,prod.qcow2"), ("virtio1", "/srv/vms/data.raw")])

    def test_rewrite_of_a_hand_run_vm(self):
        plan = ClonePlan(SESSION, "civic-clone-y", {"virtio0": SESSION + "/disk-0.qcow2",
                                                    "/srv/vms/data.raw": SESSION + "/disk-1.qcow2"},
                         host_forwards=[{"hostPort": 8080, "guestPort": 80}])
        clone = rewrite_argv(self.source, plan)
        self.assertEqual(options(clone, "-drive"), [
            "file=%s/disk-0.qcow2,if=virtio,cache=none,format=qcow2" % SESSION,
            "file=%s/disk-1.qcow2,format=qcow2,if=virtio" % SESSION])
        self.assertEqual(options(clone, "-nic"), [
            "user,restrict=on,model=virtio-net-pci,mac=52:54:00:aa:bb:cc,hostfwd=tcp:127.0.0.1:8080-:80"])
        self.assertEqual(options(clone, "-serial"), ["null"])
        self.assertEqual(options(clone, "-incoming"), ["defer"])
        self.assertEqual(options(clone, "-pidfile"), [SESSION + "/clone.pid"])
        for dropped in ("-daemonize", "-monitor", "-vnc"):
            self.assertEqual(options(clone, dropped), [], dropped)
        self.assertEqual(options(clone, "-qmp"), ["unix:%s/qmp.sock,server=on,wait=off" % SESSION])

    def test_unsafe_session_paths_are_refused(self):
        for bad in ("/tmp/a,b", "relative/dir", "/tmp/../etc", "/tmp/with space"):
            with self.assertRaises(RewriteRefused, msg=bad):
                rewrite_argv(self.source, ClonePlan(bad, "c", {}))

    def test_forwards_must_be_ports(self):
        plan = ClonePlan(SESSION, "c", {"virtio0": SESSION + "/a.qcow2", "virtio1": SESSION + "/b.qcow2"},
                         host_forwards=[{"hostPort": 70000, "guestPort": 22}])
        with self.assertRaises(RewriteRefused):
            rewrite_argv(self.source, plan)


class RefusalTest(unittest.TestCase):
    def test_passthrough_shared_folders_and_legacy_net_are_refused(self):
        facts = inspect_argv(argv_corpus.REFUSED_VFIO)
        text = " | ".join(facts["refusals"])
        self.assertIn("VFIO", text)
        self.assertIn("9p", text)
        self.assertIn("-net", text)
        self.assertEqual(facts["vfio"][0]["host"], "0000:03:00.0")
        with self.assertRaises(RewriteRefused) as caught:
            rewrite_argv(argv_corpus.REFUSED_VFIO, ClonePlan(SESSION, "c", {"virtio0": SESSION + "/d.qcow2"}))
        self.assertGreaterEqual(len(caught.exception.reasons), 3)

    def test_an_option_without_its_value_is_refused(self):
        with self.assertRaises(RewriteRefused):
            split_options(["qemu", "-m"])


if __name__ == "__main__":
    unittest.main()
