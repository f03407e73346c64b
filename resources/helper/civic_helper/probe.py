"""`probe`: what this host can do (QEMU, libvirt, accelerator, migration features, space, privileges)."""

import json
import os
import re
import shutil
import subprocess

from .errors import HelperError
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
        "userfaultfd": dict(_uffd(), writeProtect=bool(features.get("backgroundSnapshot"))),
        "root": context.root,
        "freeDiskBytes": usage.free,
        "freeMemoryBytes": memory.get("MemAvailable"),
        "totalMemoryBytes": memory.get("MemTotal"),
        "privilege": _privilege(),
        "strategies": [s for s, ok in (("background-snapshot", features.get("backgroundSnapshot")),
                                       ("precopy", features.get("pauseBeforeSwitchover"))) if ok],
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
