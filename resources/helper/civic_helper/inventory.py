"""`list`: libvirt domains (through virsh) and bare QEMU VMs found by QMP sockets, with cloneability."""

import os
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

from .argv_rewrite import inspect_argv
from .errors import HelperError
from .qmp import QmpClient, is_socket, read_cmdline
from .session import list_sessions
from .vm import LIBVIRT_NAME, VmSource

QGA = "org.qemu.guest_agent.0"


def _busy_vm_ids(root):
    ids = set()
    for session in list_sessions(root):
        if session.journal_view().state != "destroyed":
            vm = (session.marker() or {}).get("vm") or {}
            ids.add(vm.get("id"))
    return ids


def describe_qmp_vm(path, busy_ids):
    """One bare QEMU VM, read through its QMP socket and /proc/PID/cmdline."""
    entry = {"id": "qmp:" + path, "kind": "qmp", "qmpSocket": path}
    reasons = []
    try:
        with QmpClient(path, timeout=2.0) as monitor:
            entry["name"] = (monitor.execute("query-name") or {}).get("name")
            entry["uuid"] = (monitor.execute("query-uuid") or {}).get("UUID")
            entry["state"] = monitor.execute("query-status").get("status")
            entry["memoryBytes"] = (monitor.execute("query-memory-size-summary") or {}).get("base-memory")
            entry["vcpus"] = len(monitor.execute("query-cpus-fast") or [])
            blocks = monitor.execute("query-block") or []
            pid = monitor.peer_pid()
    except HelperError as error:
        entry.update({"state": "unknown", "cloneable": False, "reasons": [error.message]})
        return entry
    entry["pid"] = pid
    facts = inspect_argv(read_cmdline(pid) or ["qemu"])
    entry["disks"] = []
    for info in blocks:
        inserted = info.get("inserted")
        if not inserted:
            continue
        if str(inserted.get("node-name", "")).startswith("civic-"):
            reasons.append("a clone overlay is on the disk chain (destroy that clone or run recover)")
        entry["disks"].append({"device": info.get("device") or info.get("qdev"), "file": inserted.get("file"),
                               "format": inserted.get("drv"), "readOnly": bool(inserted.get("ro"))})
    _finish_entry(entry, facts, reasons, busy_ids)
    return entry


def _finish_entry(entry, facts, reasons, busy_ids):
    entry["nics"] = facts["nics"]
    entry["qgaChannel"] = facts["qgaChannel"]
    entry["vfioDevices"] = facts["vfio"]
    reasons.extend(facts["refusals"])
    if entry.get("state") == "paused":
        reasons.append("the VM is paused (copying its memory would start it)")
    elif entry.get("state") != "running":
        reasons.append("the VM is %s" % entry.get("state"))
    if entry["id"] in busy_ids:
        reasons.append("a clone of this VM already exists")
    entry["cloneable"] = not reasons
    entry["reasons"] = reasons


def _virsh(args, timeout=15):
    completed = subprocess.run(["virsh", "-c", "qemu:///system"] + args, capture_output=True, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr.decode("utf-8", "replace").strip())
    return completed.stdout.decode("utf-8", "replace")


def describe_libvirt_xml(xml_text, state):
    """Facts from `virsh dumpxml` (pure, so it can be tested on sample XML)."""
    root = ElementTree.fromstring(xml_text)
    memory = root.find("memory")
    unit = memory.get("unit", "KiB") if memory is not None else "KiB"
    scale = {"KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "b": 1, "bytes": 1}.get(unit, 1024)
    entry = {
        "kind": "libvirt", "name": root.findtext("name"), "uuid": root.findtext("uuid"), "state": state,
        "memoryBytes": int(memory.text) * scale if memory is not None and memory.text else None,
        "vcpus": int(root.findtext("vcpu") or 0), "disks": [], "nics": [], "vfioDevices": [],
    }
    reasons = []
    for disk in root.iter("disk"):
        source = disk.find("source")
        driver = disk.find("driver")
        target = disk.find("target")
        entry["disks"].append({
            "device": target.get("dev") if target is not None else None,
            "file": (source.get("file") or source.get("dev") or source.get("name")) if source is not None else None,
            "format": driver.get("type") if driver is not None else None,
            "readOnly": disk.find("readonly") is not None or disk.get("device") == "cdrom",
        })
        if disk.find("shareable") is not None:
            reasons.append("disk %s is shareable (written by other VMs)" % entry["disks"][-1]["device"])
    for interface in root.iter("interface"):
        mac = interface.find("mac")
        model = interface.find("model")
        entry["nics"].append({"type": interface.get("type"), "mac": mac.get("address") if mac is not None else None,
                              "model": model.get("type") if model is not None else None})
        if interface.get("type") in ("hostdev", "vhostuser"):
            reasons.append("interface of type %s cannot be cloned" % interface.get("type"))
    for hostdev in root.iter("hostdev"):
        address = hostdev.find("source/address")
        entry["vfioDevices"].append({"type": hostdev.get("type"),
                                     "address": dict(address.attrib) if address is not None else None})
        reasons.append("host device passthrough (VFIO)")
    for filesystem in root.iter("filesystem"):
        reasons.append("a host folder is shared with the guest (%s)" % (filesystem.find("driver").get("type")
                                                                         if filesystem.find("driver") is not None
                                                                         else "filesystem"))
    entry["qgaChannel"] = any(t.get("name") == QGA for t in root.iter("target"))
    if entry["name"] and not LIBVIRT_NAME.match(entry["name"]):
        reasons.append("the domain name has characters the helper does not handle")
    entry["id"] = "libvirt:%s" % entry["name"]
    return entry, reasons


def list_libvirt(busy_ids):
    """Every libvirt domain, or the reason libvirt could not be asked."""
    if shutil.which("virsh") is None:
        return [], {"available": False, "reason": "virsh is not installed"}
    try:
        uuids = [line.strip() for line in _virsh(["list", "--all", "--uuid"]).splitlines() if line.strip()]
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        return [], {"available": False, "reason": str(error)}
    entries = []
    for uuid in uuids:
        try:
            state = _virsh(["domstate", uuid]).strip().splitlines()[0]
            entry, reasons = describe_libvirt_xml(_virsh(["dumpxml", uuid]), state.replace("shut off", "shutoff"))
        except (RuntimeError, OSError, subprocess.TimeoutExpired, ElementTree.ParseError, IndexError) as error:
            entries.append({"kind": "libvirt", "uuid": uuid, "state": "unknown", "cloneable": False,
                            "reasons": [str(error)]})
            continue
        argv = None
        if entry["state"] in ("running", "paused") and LIBVIRT_NAME.match(entry["name"] or ""):
            pid = VmSource("libvirt", entry["name"]).pid()
            argv = read_cmdline(pid) if pid else None
        facts = inspect_argv(argv) if argv else {"nics": entry["nics"], "qgaChannel": entry["qgaChannel"],
                                                 "vfio": entry["vfioDevices"], "refusals": []}
        if argv:
            facts["nics"] = entry["nics"]
        _finish_entry(entry, facts, reasons, busy_ids)
        entries.append(entry)
    return entries, {"available": True}


def list_vms(context, args):
    """libvirt domains and bare QEMU VMs, each with cloneable and the reasons when not."""
    busy = _busy_vm_ids(context.root)
    vms, libvirt = list_libvirt(busy) if args.get("libvirt", True) else ([], {"available": False,
                                                                            "reason": "not requested"})
    for folder in context.qmp_dirs:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            if is_socket(path):
                vms.append(describe_qmp_vm(path, busy))
    return {"vms": vms, "libvirt": libvirt, "qmpDirs": list(context.qmp_dirs)}
