"""A throwaway source VM (SeaBIOS only, no guest OS) and helpers to run the real helper against it."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from civic_helper.qmp import QmpClient, pid_alive, read_cmdline

HELPER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELPER = os.path.join(HELPER_DIR, "civic-helper")
QEMU = shutil.which("qemu-system-x86_64")
QEMU_IMG = shutil.which("qemu-img")
MISSING = None if QEMU and QEMU_IMG else "qemu-system-x86_64 or qemu-img is not installed"


def wait_until(predicate, timeout, what):
    """Poll a condition of the outside world (a socket appearing); fail the test after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


class SourceVm:
    """A bare QEMU VM with a qcow2 disk, QMP in a folder the helper is told about."""

    def __init__(self, base_dir, name="src", memory_mb=128, extra_disks=False):
        self.base_dir = base_dir
        self.qmp_dir = os.path.join(base_dir, "qmp")
        self.image_dir = os.path.join(base_dir, "img")
        os.makedirs(self.qmp_dir, exist_ok=True)
        os.makedirs(self.image_dir, exist_ok=True)
        self.qmp_socket = os.path.join(self.qmp_dir, name + ".sock")
        self.image = os.path.join(self.image_dir, name + ".qcow2")
        subprocess.run([QEMU_IMG, "create", "-q", "-f", "qcow2", self.image, "64M"], check=True)
        extra = []
        if extra_disks:
            # A raw data disk by -blockdev, and a read-only ISO-like image the clone may share.
            raw = os.path.join(self.image_dir, name + "-data.raw")
            seed = os.path.join(self.image_dir, name + "-seed.img")
            subprocess.run([QEMU_IMG, "create", "-q", "-f", "raw", raw, "16M"], check=True)
            subprocess.run([QEMU_IMG, "create", "-q", "-f", "raw", seed, "1M"], check=True)
            extra = [
                "-blockdev", json.dumps({"driver": "file", "filename": raw, "node-name": "data-storage"}),
                "-blockdev", json.dumps({"node-name": "data-format", "driver": "raw", "file": "data-storage"}),
                "-device", "virtio-blk-pci,drive=data-format,id=data0",
                "-drive", "file=%s,format=raw,if=none,id=seed0,readonly=on" % seed,
                "-device", "virtio-blk-pci,drive=seed0,id=seed-disk",
            ]
        self.argv = [
            QEMU, "-accel", "tcg", "-machine", "pc-q35-7.2", "-m", str(memory_mb), "-display", "none",
            "-nodefaults", "-name", "guest=lab-" + name,
            "-qmp", "unix:%s,server=on,wait=off" % self.qmp_socket,
            "-drive", "file=%s,if=virtio,format=qcow2,cache=writeback" % self.image,
            "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56",
            "-chardev", "socket,id=serial0,path=%s,server=on,wait=off" % os.path.join(base_dir, name + "-serial.sock"),
            "-device", "isa-serial,chardev=serial0",
        ] + extra
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, start_new_session=True)
        try:
            wait_until(lambda: self._listening() or self.process.poll() is not None, 30, "source QMP")
        except BaseException:
            self.stop()
            raise
        if self.process.poll() is not None:
            raise AssertionError("source QEMU failed: " + self.process.stderr.read().decode())
        self.vm_id = "qmp:" + self.qmp_socket

    def _listening(self):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(self.qmp_socket)
            return True
        except OSError:
            return False
        finally:
            probe.close()

    def qmp(self, command, arguments=None):
        """One QMP command on a fresh connection (the helper needs the socket free otherwise)."""
        with QmpClient(self.qmp_socket, timeout=10.0) as client:
            return client.execute(command, arguments)

    def stop(self):
        """Kill the source VM and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        if self.process.stderr:
            self.process.stderr.close()


class HelperRun:
    """The parsed output of one helper run."""

    def __init__(self, returncode, lines, stderr):
        self.returncode = returncode
        self.messages = []
        for line in lines:
            line = line.strip()
            if line:
                self.messages.append(json.loads(line))
        self.stderr = stderr

    @property
    def result(self):
        return next((m["payload"] for m in self.messages if m["type"] == "result"), None)

    @property
    def error(self):
        return next((m for m in self.messages if m["type"] == "error"), None)

    def progress(self, step):
        return [m for m in self.messages if m["type"] == "progress" and m["step"] == step]


def helper_argv(verb, root, qmp_dirs=(), args=None):
    """The argv of one helper run."""
    argv = [sys.executable, HELPER, verb, "--root", root]
    for folder in qmp_dirs:
        argv += ["--qmp-dir", folder]
    if args is not None:
        argv += ["--json-args", json.dumps(args)]
    return argv


def run_helper(verb, root, qmp_dirs=(), args=None, fault=None, timeout=120):
    """Run the helper to its end and parse its lines."""
    env = dict(os.environ)
    env.pop("CIVIC_HELPER_FAULT", None)
    if fault:
        env["CIVIC_HELPER_FAULT"] = fault
    completed = subprocess.run(helper_argv(verb, root, qmp_dirs, args), stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=timeout, env=env)
    return HelperRun(completed.returncode, completed.stdout.decode().splitlines(), completed.stderr.decode())


def clone_processes_under(root):
    """Live processes whose argv has a pidfile under the root (the helper's clones)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        argv = read_cmdline(int(name))
        if argv and "-pidfile" in argv:
            index = argv.index("-pidfile")
            if index + 1 < len(argv) and argv[index + 1].startswith(root + "/") and pid_alive(int(name)):
                found.append(int(name))
    return found


def source_facts(vm):
    """What the tests compare before and after: run state, disk chain, migration state and settings."""
    with QmpClient(vm.qmp_socket, timeout=10.0) as client:
        status = client.execute("query-status")["status"]
        blocks = client.execute("query-block")
        nodes = sorted(n["node-name"] for n in client.execute("query-named-block-nodes", {"flat": True})
                       if not n["node-name"].startswith("#"))
        migration = client.execute("query-migrate").get("status")
        caps = {c["capability"]: c["state"] for c in client.execute("query-migrate-capabilities")}
        params = client.execute("query-migrate-parameters")
        jobs = client.execute("query-block-jobs")
        fdsets = client.execute("query-fdsets")
    chain = []
    for info in blocks:
        inserted = info.get("inserted")
        if inserted:
            image = inserted["image"]
            layers = []
            while image:
                layers.append(image["filename"])
                image = image.get("backing-image")
            chain.append((info["device"], inserted["ro"], layers))
    # A finished migration stays "completed" or "cancelled" in query-migrate; only an active one matters.
    active = migration not in (None, "none", "completed", "cancelled", "failed")
    return {"status": status, "chain": chain, "namedNodes": nodes, "migrationActive": active,
            "caps": {k: caps.get(k) for k in ("background-snapshot", "pause-before-switchover", "postcopy-ram")},
            "maxBandwidth": params.get("max-bandwidth"), "jobs": jobs, "fdsets": fdsets}


BASE_DIR_PREFIX = "cwt-"
# The mark a test run leaves in what it makes (folder file, domain metadata): its PID and kernel
# start time, so a later run removes only leftovers of runs that are gone, never a live run's.
OWNER_MARKER = ".civic-test-owner"
DOMAIN_PREFIX = "civic-helper-e2e-"
DOMAIN_METADATA_NS = "https://civic-workbench.invalid/test/helper-e2e"
_swept = False


def process_start_time(pid):
    """Field 22 of /proc/PID/stat (clock ticks since boot), or None when the process is gone."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            stat = handle.read()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()[19]


def owner_record():
    """This process as a leftover's owner: {"pid": ..., "start": ...}."""
    return {"pid": os.getpid(), "start": process_start_time(os.getpid())}


def owner_gone(record):
    """True when the run that wrote the record has ended (a reused PID has another start time)."""
    try:
        pid = int(record["pid"])
    except (KeyError, TypeError, ValueError):
        return False
    return process_start_time(pid) != str(record.get("start"))


def domain_metadata_xml():
    """The <metadata> element marking a test domain as this run's."""
    record = owner_record()
    return "<metadata><civic:owner xmlns:civic='%s' pid='%d' start='%s'/></metadata>" % (
        DOMAIN_METADATA_NS, record["pid"], record["start"])


def make_base_dir():
    """A short temp folder (unix socket paths are limited to 107 bytes), marked as this run's.

    The first call in a process first removes the leftovers of earlier, interrupted runs.
    """
    global _swept
    if not _swept:
        _swept = True
        sweep_leftovers()
    path = tempfile.mkdtemp(prefix=BASE_DIR_PREFIX, dir="/tmp")
    with open(os.path.join(path, OWNER_MARKER), "w") as handle:
        json.dump(owner_record(), handle)
    return path


def _qemu_pids_mentioning(path):
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            argv = read_cmdline(int(entry)) or []
            if argv and os.path.basename(argv[0]).startswith("qemu-system") and any(path + "/" in arg for arg in argv):
                pids.append(int(entry))
    return pids


def sweep_leftover_folders(tmp_dir="/tmp", log=print):
    """Removes /tmp/cwt-* folders whose marker names a run that is gone, with the QEMUs they ran.

    A folder without the marker is not provably a test's and stays. Returns the removed paths.
    """
    removed = []
    for name in sorted(os.listdir(tmp_dir)):
        path = os.path.join(tmp_dir, name)
        if not name.startswith(BASE_DIR_PREFIX) or not os.path.isdir(path):
            continue
        try:
            with open(os.path.join(path, OWNER_MARKER)) as handle:
                record = json.load(handle)
        except (OSError, ValueError):
            continue
        if not owner_gone(record):
            continue
        killed = _qemu_pids_mentioning(path)
        for pid in killed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(path, ignore_errors=True)
        log("helper tests: removed leftover %s of ended run pid %s%s" % (
            path, record.get("pid"), ", killed QEMU %s" % killed if killed else ""))
        removed.append(path)
    return removed


def sweep_leftover_domains(log=print):
    """Destroys and undefines libvirt domains civic-helper-e2e-* whose owner metadata names an ended run.

    Returns the removed names; does nothing when virsh or libvirtd is not there.
    """
    import re
    if shutil.which("virsh") is None:
        return []
    try:
        listed = subprocess.run(["virsh", "-c", "qemu:///system", "list", "--all", "--name"],
                                capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        log("helper tests: libvirtd did not list its domains within 120 s; no leftover domains removed")
        return []
    if listed.returncode != 0:
        return []
    removed = []
    pattern = re.compile(r"<civic:owner xmlns:civic=['\"]%s['\"] pid=['\"](\d+)['\"] start=['\"](\w+)['\"]"
                         % re.escape(DOMAIN_METADATA_NS))
    for name in listed.stdout.split():
        if not name.startswith(DOMAIN_PREFIX):
            continue
        xml = subprocess.run(["virsh", "-c", "qemu:///system", "dumpxml", name],
                             capture_output=True, text=True, timeout=120).stdout
        match = pattern.search(xml)
        if not match or not owner_gone({"pid": match.group(1), "start": match.group(2)}):
            continue
        for verb in ("destroy", "undefine"):
            subprocess.run(["virsh", "-c", "qemu:///system", verb, name], capture_output=True, timeout=600)
        log("helper tests: removed leftover libvirt domain %s of ended run pid %s" % (name, match.group(1)))
        removed.append(name)
    return removed


def sweep_leftovers(log=print):
    """Removes what interrupted earlier helper test runs left (marked folders and domains)."""
    return sweep_leftover_domains(log) + sweep_leftover_folders(log=log)


def start_source(case, make_vm=None):
    """Set up a test class's source VM: `case.base`, `case.root`, `case.vm`, `case.pristine`."""
    case.base = make_base_dir()
    case.root = os.path.join(case.base, "root")
    case.vm = (make_vm or SourceVm)(case.base)
    try:
        case.pristine = source_facts(case.vm)
    except BaseException:
        case.vm.stop()
        shutil.rmtree(case.base, ignore_errors=True)
        raise


def stop_source(case, extra_pids=()):
    """Stop the class's source VM, SIGKILL its clones (and any extra pids), remove its folder."""
    case.vm.stop()
    for pid in clone_processes_under(case.root) + list(extra_pids):
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(case.base, ignore_errors=True)

