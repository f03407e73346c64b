"""`probe`: what this host can do (QEMU, libvirt, accelerator, migration features, space, privileges)."""

import errno
import fcntl
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import time

from .clone_priority import probe_priority
from .errors import HelperError
from .twin_lease import probe_lease
from .vm import parse_vm

QEMU = "qemu-system-x86_64"


def _version(argv):
    try:
        completed = subprocess.run(argv, capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", completed.stdout.decode("utf-8", "replace"))
    return match.group(1) if match and completed.returncode == 0 else None


def qemu_features(qemu=QEMU):
    """Run `qemu -machine none -qmp stdio` to read migration capabilities and test background-snapshot."""
    commands = [
        {"execute": "qmp_capabilities"},
        {"execute": "query-version"},
        {"execute": "query-kvm"},
        {"execute": "query-migrate-capabilities"},
        {"execute": "migrate-set-capabilities",
         "arguments": {"capabilities": [{"capability": "background-snapshot", "state": True}]}},
        {"execute": "quit"},
    ]
    stdin = "".join(json.dumps(c) + "\n" for c in commands).encode()
    try:
        completed = subprocess.run([qemu, "-machine", "none", "-accel", "kvm", "-accel", "tcg", "-display",
                                    "none", "-nodefaults", "-qmp", "stdio"], input=stdin, capture_output=True,
                                   timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return {"error": str(error)}
    replies = []
    for line in completed.stdout.decode("utf-8", "replace").splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if "return" in message or "error" in message:
            replies.append(message)
    # Replies arrive in command order: capabilities, version, kvm, caps, set-caps, quit.
    if len(replies) < 5:
        return {"error": "unexpected QMP output", "stderr": completed.stderr.decode("utf-8", "replace")[-500:]}
    kvm = replies[2].get("return") or {}
    caps = [c["capability"] for c in replies[3].get("return") or []]
    background = "return" in replies[4]
    return {
        "accelerator": "kvm" if kvm.get("enabled") else "tcg",
        "kvmPresent": bool(kvm.get("present")),
        "migrationCapabilities": caps,
        "backgroundSnapshot": background,
        "backgroundSnapshotError": None if background else (replies[4].get("error") or {}).get("desc"),
        "pauseBeforeSwitchover": "pause-before-switchover" in caps,
    }


KVM_DEVICE = "/dev/kvm"
_KVM_GET_API_VERSION = 0xAE00
_KVM_CREATE_VM = 0xAE01
_KVM_API_VERSION = 12
# How long a guest may take to print SeaBIOS's banner under KVM: milliseconds where KVM works, so
# a few seconds bound the check and still tell a stuck vCPU from a slow start.
KVM_GUEST_CHECK_SECONDS = 5.0
UNUSABLE = "KVM present but unusable: guests run under TCG"


def _kvm_ioctl_check(device):
    """Open the device and create a VM, as QEMU does first; None when that works, else why not."""
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError as error:
        return "cannot open %s: %s" % (device, os.strerror(error.errno))
    try:
        version = fcntl.ioctl(fd, _KVM_GET_API_VERSION)
        if version != _KVM_API_VERSION:
            return "KVM API version %d, QEMU needs %d" % (version, _KVM_API_VERSION)
        os.close(fcntl.ioctl(fd, _KVM_CREATE_VM, 0))
    except OSError as error:
        return "KVM ioctl failed: %s" % os.strerror(error.errno or errno.EIO)
    finally:
        os.close(fd)
    return None


def _kvm_guest_check(qemu, seconds):
    """Start a diskless guest with `-accel kvm` only; None when SeaBIOS prints its banner in time."""
    with tempfile.TemporaryDirectory(prefix="civic-kvm-") as folder:
        banner = os.path.join(folder, "debugcon")
        try:
            child = subprocess.Popen(
                [qemu, "-accel", "kvm", "-machine", "pc", "-m", "16", "-nodefaults", "-display", "none",
                 "-no-reboot", "-chardev", "file,id=dbg,path=" + banner,
                 "-device", "isa-debugcon,iobase=0x402,chardev=dbg"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as error:
            return "cannot run %s: %s" % (qemu, error)
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                if child.poll() is not None:
                    lines = child.stderr.read().decode("utf-8", "replace").strip().splitlines()
                    return "QEMU -accel kvm exited: %s" % (lines[-1] if lines else "status %d" % child.returncode)
                try:
                    with open(banner, "rb") as handle:
                        if b"SeaBIOS" in handle.read(4096):
                            return None
                except OSError:
                    pass
                time.sleep(0.05)
            return "a guest under -accel kvm printed nothing within %.0f s (its vCPU does not run)" % seconds
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
            child.stderr.close()


def _libvirt_qemu_access(device):
    """Whether libvirt's QEMU user (Debian: libvirt-qemu) may open the device, or None without that user.

    libvirt compares this verdict with the one its capability probe got; where they differ it finds
    its cache stale and probes QEMU again at every domain start (docs/LAB.md).
    """
    try:
        user = pwd.getpwnam("libvirt-qemu")
        info = os.stat(device)
    except (KeyError, OSError):
        return None
    groups = set(os.getgrouplist(user.pw_name, user.pw_gid))
    if info.st_uid == user.pw_uid:
        bits = (info.st_mode >> 6) & 0o6
    elif info.st_gid in groups:
        bits = (info.st_mode >> 3) & 0o6
    else:
        bits = info.st_mode & 0o6
    return bits == 0o6


def kvm_usability(device=KVM_DEVICE, qemu=QEMU, guest_check_seconds=KVM_GUEST_CHECK_SECONDS):
    """Whether KVM can run guests here: the device, a VM created by ioctl, then a guest that runs.

    Bounded: two ioctls and at most `guest_check_seconds` of one QEMU. `summary` is what to show a
    user; it says "KVM present but unusable: guests run under TCG" when /dev/kvm exists but fails.
    """
    result = {"device": False, "usable": False, "reason": None, "summary": None,
              "libvirtQemuAccess": None}
    try:
        mode = os.stat(device).st_mode
    except OSError:
        result.update(reason="no %s" % device, summary="No KVM on this host: guests run under TCG")
        return result
    result["device"] = True
    result["libvirtQemuAccess"] = _libvirt_qemu_access(device)
    reason = None if stat.S_ISCHR(mode) else "%s is not a device node" % device
    reason = reason or _kvm_ioctl_check(device)
    if reason is None and guest_check_seconds > 0:
        reason = _kvm_guest_check(qemu, guest_check_seconds)
    if reason is not None:
        result.update(reason=reason, summary="%s (%s)" % (UNUSABLE, reason))
        return result
    result.update(usable=True, summary="KVM usable")
    if result["libvirtQemuAccess"] is False:
        result["summary"] = ("KVM usable by root, but libvirt's QEMU user cannot open %s: libvirt guests "
                             "of type kvm fail, and libvirtd re-probes QEMU at every domain start" % device)
    return result


def _meminfo():
    values = {}
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                values[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return values


def _privilege():
    if os.geteuid() == 0:
        return {"root": True, "sudo": "not-needed"}
    if shutil.which("sudo") is None:
        return {"root": False, "sudo": "missing"}
    try:
        completed = subprocess.run(["sudo", "-n", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return {"root": False, "sudo": "refused"}
    return {"root": False, "sudo": "usable" if completed.returncode == 0 else "password-required"}


def _uffd():
    info = {"devUserfaultfd": os.path.exists("/dev/userfaultfd")}
    try:
        with open("/proc/sys/vm/unprivileged_userfaultfd") as handle:
            info["unprivileged"] = handle.read().strip() == "1"
    except OSError:
        info["unprivileged"] = None
    return info


def probe(context, args):
    """Collect host facts; with `vm`, that VM's own migration capabilities too."""
    features = qemu_features()
    usage = shutil.disk_usage(context.root)
    memory = _meminfo()
    result = {
        "qemuVersion": _version([QEMU, "--version"]),
        "qemuImgVersion": _version(["qemu-img", "--version"]),
        "libvirtVersion": _version(["virsh", "--version"]) if shutil.which("virsh") else None,
        "qemu": features,
        "kvm": kvm_usability(),
        "userfaultfd": dict(_uffd(), writeProtect=bool(features.get("backgroundSnapshot"))),
        "root": context.root,
        "freeDiskBytes": usage.free,
        "freeMemoryBytes": memory.get("MemAvailable"),
        "totalMemoryBytes": memory.get("MemTotal"),
        "privilege": _privilege(),
        "strategies": [s for s, ok in (("background-snapshot", features.get("backgroundSnapshot")),
                                       ("precopy", features.get("pauseBeforeSwitchover"))) if ok],
        "lease": probe_lease(),
        "clonePriority": probe_priority(),
    }
    if args.get("vm") is not None:
        source = parse_vm(args["vm"], context.qmp_dirs)
        try:
            with source.open_monitor(context.token) as monitor:
                caps = monitor.execute("query-migrate-capabilities")
                result["vm"] = {"id": source.key, "migrationCapabilities": {c["capability"]: c["state"] for c in caps}}
        except HelperError as error:
            result["vm"] = {"id": source.key, "error": error.to_message()}
    return result
