"""Twin parts that need no QEMU: guest network validation and the netdev rewrite, lease rules, the keeper's
expiry decision against renew, systemd's scope argv and detection, `info usernet` parsing."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from civic_helper.argv_rewrite import ClonePlan, parse_keyval, rewrite_argv, split_options
from civic_helper.clone import parse_clone_args
from civic_helper.errors import HelperError
from civic_helper.guest_network import parse_guest_network, slirp_layout
from civic_helper import lease_keeper
from civic_helper.session import Session
from civic_helper.twin import first_user_netdev, hostfwd_rule, parse_forward_args, usernet_forwards
from civic_helper.twin_lease import (LeaseLock, MIN_LEASE_ENV, extend_scope, is_expired, new_lease,
                                     parse_lease_seconds, read_lease, scope_argv, systemd_status, write_lease)

SESSION = "/run/user/0/civic-workbench/sessions/cw-0123456789ab"
SOURCE = ["/usr/bin/qemu-system-x86_64", "-machine", "q35", "-m", "256",
          "-drive", "file=/var/lib/vm/web.qcow2,if=virtio,format=qcow2",
          "-netdev", "tap,id=hostnet0,ifname=vnet3,script=no", "-device", "virtio-net-pci,netdev=hostnet0,id=net0",
          "-netdev", "bridge,id=hostnet1,br=br1", "-device", "e1000,netdev=hostnet1,id=net1"]


def netdevs(argv):
    return [parse_keyval(v, implied_key="type") for o, v in split_options(argv) if o == "-netdev"]


class GuestNetworkTest(unittest.TestCase):
    def test_valid_network_is_normalised(self):
        self.assertEqual(parse_guest_network({"address": "192.168.77.10", "prefix": 24}),
                         {"address": "192.168.77.10", "prefix": 24})
        self.assertIsNone(parse_guest_network(None))

    def test_bad_addresses_and_prefixes_are_refused(self):
        for bad in ({"address": "192.168.77.010", "prefix": 24}, {"address": "192.168.77", "prefix": 24},
                    {"address": "0x7f.0.0.1", "prefix": 8}, {"address": "web01", "prefix": 24},
                    {"address": "192.168.77.10 ", "prefix": 24}, {"address": "::1", "prefix": 64},
                    {"address": "192.168.77.0", "prefix": 24}, {"address": "192.168.77.255", "prefix": 24},
                    {"address": "127.0.0.5", "prefix": 8}, {"address": "169.254.1.1", "prefix": 16},
                    {"address": "192.168.77.10", "prefix": 30}, {"address": "192.168.77.10", "prefix": 7},
                    {"address": "192.168.77.10", "prefix": True}, {"address": "192.168.77.10", "prefix": "24"},
                    {"address": "192.168.77.10", "prefix": 24, "gateway": "192.168.77.1"},
                    {"address": "１92.168.77.10", "prefix": 24}, "192.168.77.10/24"):
            with self.subTest(bad=bad):
                with self.assertRaises(HelperError) as caught:
                    parse_guest_network(bad)
                self.assertEqual(caught.exception.code, "VALIDATION_FAILED")

    def test_slirp_addresses_avoid_the_guest(self):
        self.assertEqual(slirp_layout({"address": "192.168.77.10", "prefix": 24}),
                         {"net": "192.168.77.0/24", "host": "192.168.77.2", "dns": "192.168.77.3",
                          "dhcpstart": "192.168.77.15", "guest": "192.168.77.10"})
        layout = slirp_layout({"address": "10.9.8.2", "prefix": 24})
        self.assertEqual((layout["host"], layout["dns"]), ("10.9.8.3", "10.9.8.4"))
        # The smallest subnet still has room for all four, each distinct and inside it.
        layout = slirp_layout({"address": "172.16.5.3", "prefix": 29})
        picked = [layout[k] for k in ("host", "dns", "dhcpstart", "guest")]
        self.assertEqual(len(set(picked)), 4)
        self.assertTrue(all(p.startswith("172.16.5.") and 0 < int(p.rsplit(".", 1)[1]) < 7 for p in picked), picked)


class GuestNetworkRewriteTest(unittest.TestCase):
    def rewrite(self, guest_network, forwards=({"hostPort": 8080, "guestPort": 80},)):
        plan = ClonePlan(SESSION, "civic-clone-cw-0123456789ab", {"virtio0": SESSION + "/disk-0.qcow2"},
                         host_forwards=list(forwards), guest_network=guest_network)
        return rewrite_argv(SOURCE, plan)

    def test_first_nic_lives_on_the_guest_subnet_and_forwards_to_its_address(self):
        argv = self.rewrite({"address": "192.168.77.10", "prefix": 24})
        first, second = netdevs(argv)
        self.assertEqual(first, [["type", "user"], ["id", "hostnet0"], ["restrict", "on"],
                                 ["net", "192.168.77.0/24"], ["host", "192.168.77.2"], ["dns", "192.168.77.3"],
                                 ["dhcpstart", "192.168.77.15"], ["hostfwd", "tcp:127.0.0.1:8080-192.168.77.10:80"]])
        # Other NICs stay on isolated default user networking; nothing keeps a route out.
        self.assertEqual(second, [["type", "user"], ["id", "hostnet1"], ["restrict", "on"]])
        self.assertNotIn("tap", " ".join(argv))

    def test_without_guest_network_the_rewrite_is_as_before(self):
        first, _ = netdevs(self.rewrite(None))
        self.assertEqual(first, [["type", "user"], ["id", "hostnet0"], ["restrict", "on"],
                                 ["hostfwd", "tcp:127.0.0.1:8080-:80"]])

    def test_nic_form_gets_the_subnet_too(self):
        source = ["/usr/bin/qemu-system-x86_64", "-m", "128", "-nic", "bridge,br=br0,model=virtio-net-pci,mac=52:54:00:aa:bb:cc"]
        plan = ClonePlan(SESSION, "civic-clone-cw-0123456789ab", {}, host_forwards=[{"hostPort": 0, "guestPort": 22}],
                         guest_network={"address": "10.20.0.7", "prefix": 16})
        nic = [parse_keyval(v, implied_key="type") for o, v in split_options(rewrite_argv(source, plan)) if o == "-nic"]
        self.assertEqual(nic, [[["type", "user"], ["restrict", "on"], ["model", "virtio-net-pci"],
                                ["mac", "52:54:00:aa:bb:cc"], ["net", "10.20.0.0/16"], ["host", "10.20.0.2"],
                                ["dns", "10.20.0.3"], ["dhcpstart", "10.20.0.15"],
                                ["hostfwd", "tcp:127.0.0.1:0-10.20.0.7:22"]]])

    def test_clone_args_take_lease_and_network(self):
        parsed = parse_clone_args({"vm": "qmp:/run/x.sock", "leaseSeconds": 600,
                                   "guestNetwork": {"address": "192.168.77.10", "prefix": 24}})
        self.assertEqual((parsed["leaseSeconds"], parsed["guestNetwork"]["address"]), (600, "192.168.77.10"))
        self.assertIsNone(parse_clone_args({"vm": "qmp:/run/x.sock"})["leaseSeconds"])


class LeaseRulesTest(unittest.TestCase):
    def test_lease_bounds(self):
        self.assertEqual(parse_lease_seconds(30, environ={}), 30)
        self.assertEqual(parse_lease_seconds(86400, environ={}), 86400)
        for bad in (29, 86401, 0, -5, 30.5, "60", True, None):
            with self.subTest(bad=bad):
                with self.assertRaises(HelperError):
                    parse_lease_seconds(bad, environ={})

    def test_test_only_minimum_lowers_but_never_raises_the_floor(self):
        self.assertEqual(parse_lease_seconds(3, environ={MIN_LEASE_ENV: "2"}), 3)
        with self.assertRaises(HelperError):
            parse_lease_seconds(1, environ={MIN_LEASE_ENV: "2"})
        self.assertEqual(parse_lease_seconds(30, environ={MIN_LEASE_ENV: "300"}), 30)

    def test_expiry(self):
        lease = new_lease(60, now=1000.0)
        self.assertFalse(is_expired(lease, now=1059.9))
        self.assertTrue(is_expired(lease, now=1060.0))
        self.assertTrue(is_expired(dict(lease, expired=True), now=1001.0))

    def test_forward_args(self):
        self.assertEqual(parse_forward_args({"guestPort": 80}), {"guestPort": 80, "hostPort": 0, "guestAddress": None})
        for bad in ({"guestPort": 0}, {"guestPort": 70000}, {"guestPort": 80, "hostPort": -1},
                    {"guestPort": 80, "guestAddress": "10.0.2.015"}, {"guestPort": "80"}):
            with self.subTest(bad=bad):
                with self.assertRaises(HelperError):
                    parse_forward_args(bad)
        self.assertEqual(hostfwd_rule(5555, "192.168.77.10", 80), "tcp:127.0.0.1:5555-192.168.77.10:80")
        self.assertEqual(hostfwd_rule(5555, "", 80), "tcp:127.0.0.1:5555-:80")


class UsernetTest(unittest.TestCase):
    def test_info_usernet_rows(self):
        text = ("Hub -1 (n0):\r\n  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n"
                "  TCP[HOST_FORWARD]  13       127.0.0.1 45917   192.168.77.10    22     0     0\r\n"
                "  TCP[HOST_FORWARD]  12       127.0.0.1 36485   192.168.77.10    80     0     0\r\n"
                "  UDP[236 sec]       15        10.0.2.15 33000        10.0.2.3    53     0     0\r\n")
        self.assertEqual(usernet_forwards(text), [
            {"protocol": "tcp", "hostAddress": "127.0.0.1", "hostPort": 45917, "guestAddress": "192.168.77.10",
             "guestPort": 22},
            {"protocol": "tcp", "hostAddress": "127.0.0.1", "hostPort": 36485, "guestAddress": "192.168.77.10",
             "guestPort": 80}])

    def test_first_user_netdev(self):
        self.assertEqual(first_user_netdev(["qemu", "-netdev", "user,id=n0,restrict=on", "-netdev", "user,id=n1"]), "n0")
        self.assertIsNone(first_user_netdev(["qemu", "-nic", "user,restrict=on,model=e1000"]))
        self.assertEqual(first_user_netdev(["qemu", "-nic", "none", "-nic", "user,id=x1"]), "x1")


class SystemdTest(unittest.TestCase):
    def test_scope_argv_execs_the_clone_argv_unchanged(self):
        argv = scope_argv("cw-0123456789ab", 600, ["qemu", "-pidfile", SESSION + "/clone.pid"])
        self.assertEqual(argv[:3], ["systemd-run", "--scope", "--quiet"])
        self.assertIn("--unit=civic-clone-cw-0123456789ab.scope", argv)
        self.assertIn("--property=RuntimeMaxSec=660s", argv)
        self.assertIn("--slice=machine.slice", argv)
        self.assertIn("--property=CPUWeight=20", argv)
        self.assertEqual(argv[argv.index("--") + 1:], ["qemu", "-pidfile", SESSION + "/clone.pid"])

    def test_detection(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        comm = os.path.join(folder, "comm")
        with open(comm, "w") as handle:
            handle.write("process_api\n")
        self.assertFalse(systemd_status(comm, which=lambda name: "/usr/bin/" + name)["usable"])
        with open(comm, "w") as handle:
            handle.write("systemd\n")
        status = systemd_status(comm, which=lambda name: None)
        self.assertEqual(status, {"usable": False, "reason": "systemd-run or systemctl is missing"})

    def test_extend_scope_reports_systemctl_refusal(self):
        calls = []

        def run(argv, **_):
            calls.append(argv)
            return subprocess.CompletedProcess(argv, 1, b"", b"Failed to set unit properties: not supported\n")

        outcome = extend_scope("cw-0123456789ab", 1000.0, 1600.0, run=run)
        self.assertEqual(calls[0][:4], ["systemctl", "set-property", "--runtime", "civic-clone-cw-0123456789ab.scope"])
        self.assertEqual(calls[0][4], "RuntimeMaxSec=661s")
        self.assertEqual(outcome["renewed"], False)
        self.assertIn("not supported", outcome["error"])


class KeeperDecisionTest(unittest.TestCase):
    """The keeper's expiry against renew, on a real session folder with fake clocks."""

    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root, True)
        self.session = Session(self.root, "cw-0123456789ab")
        self.session.create({"vm": {}, "helperPid": os.getpid(), "createdAt": 0})

    def test_waits_until_expiry_following_renewals(self):
        write_lease(self.session, new_lease(10, now=100.0))
        now = [100.0]

        def sleep(seconds):
            now[0] += seconds
            if 104.0 <= now[0] < 105.0:  # a renew lands while the keeper waits
                write_lease(self.session, new_lease(10, now=now[0]))

        self.assertTrue(lease_keeper.wait_for_expiry(self.session, clock=lambda: now[0], sleep=sleep))
        self.assertGreaterEqual(now[0], 114.0)

    def test_stops_waiting_when_the_folder_is_gone(self):
        write_lease(self.session, new_lease(10, now=100.0))
        now = [100.0]

        def sleep(seconds):
            now[0] += seconds
            shutil.rmtree(self.session.dir)

        self.assertFalse(lease_keeper.wait_for_expiry(self.session, clock=lambda: now[0], sleep=sleep))

    def test_a_renewal_before_the_mark_wins_and_a_mark_is_final(self):
        write_lease(self.session, new_lease(10, now=100.0))
        self.assertFalse(lease_keeper.mark_expired(self.session, clock=lambda: 105.0))
        self.assertTrue(lease_keeper.mark_expired(self.session, clock=lambda: 111.0))
        lease = read_lease(self.session)
        self.assertTrue(lease["expired"])
        self.assertTrue(is_expired(lease, now=50.0))

    def test_lease_file_is_replaced_whole(self):
        write_lease(self.session, new_lease(10, now=100.0))
        with LeaseLock(self.session):
            write_lease(self.session, dict(new_lease(20, now=100.0), keeperPid=123))
        with open(self.session.path("lease.json")) as handle:
            self.assertEqual(json.load(handle)["keeperPid"], 123)
        self.assertFalse(os.path.exists(self.session.path("lease.json.tmp")))

    def test_lock_patience_stops_the_clone_then_waits_for_the_lock(self):
        holder = Session(self.root, "cw-0123456789ab")
        self.assertTrue(holder.try_lock())
        now = [0.0]
        stopped = []
        original = lease_keeper.stop_clone_process

        def fake_stop(session):
            stopped.append(now[0])
            holder.unlock()  # the other helper's work ends once its clone is gone

        lease_keeper.stop_clone_process = fake_stop
        self.addCleanup(setattr, lease_keeper, "stop_clone_process", original)

        def sleep(seconds):
            now[0] += seconds

        self.assertTrue(lease_keeper.take_session_lock(self.session, patience=30.0, clock=lambda: now[0], sleep=sleep))
        self.session.unlock()
        self.assertEqual(len(stopped), 1)
        self.assertGreaterEqual(stopped[0], 30.0)


if __name__ == "__main__":
    unittest.main()
