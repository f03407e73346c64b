"""`list`: libvirt domains (through virsh) and bare QEMU VMs found by QMP sockets, with cloneability."""

import os
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

from .argv_rewrite import inspect_argv
from .errors import HelperError
from .qmp import QmpClient, QmpError, is_socket, read_cmdline
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


# What one VM that cannot be read costs the list: one entry of its own (these exceptions), never the
# whole list. A QMP socket left by a dead QEMU refuses; a domain undefined mid-list makes virsh fail.
UNREADABLE = (HelperError, QmpError, RuntimeError, OSError, subprocess.TimeoutExpired, ElementTree.ParseError,
              IndexError, KeyError, TypeError, ValueError, AttributeError)


def _reason_of(error):
    return error.message if isinstance(error, HelperError) else (str(error) or type(error).__name__)


def unreadable_entry(kind, vm_id, reason, name=None, uuid=None, **extra):
    """A VM the helper found but could not read: the full `list` entry shape, not cloneable, with the reason.

    `error` holds the reason too, so the app can tell "could not be read" from "read, not cloneable".
    """
    entry = {"id": vm_id, "kind": kind, "name": name, "uuid": uuid, "state": "unknown", "memoryBytes": None,
             "vcpus": 0, "qgaChannel": False, "cloneable": False, "reasons": [reason], "error": reason}
    entry.update(extra)
    return entry


def describe_qmp_vm(path, busy_ids):
    """One bare QEMU VM, read through its QMP socket and /proc/PID/cmdline; never raises for one VM."""
    try:
        return _describe_qmp_vm(path, busy_ids)
    except UNREADABLE as error:
        reason = "the QMP socket %s could not be read: %s" % (path, _reason_of(error))
        return unreadable_entry("qmp", "qmp:" + path, reason, qmpSocket=path)


def _describe_qmp_vm(path, busy_ids):
    entry = {"id": "qmp:" + path, "kind": "qmp", "qmpSocket": path}
    reasons = []
    with QmpClient(path, timeout=2.0) as monitor:
        entry["name"] = (monitor.execute("query-name") or {}).get("name")
        entry["uuid"] = (monitor.execute("query-uuid") or {}).get("UUID")
        entry["state"] = (monitor.execute("query-status") or {}).get("status") or "unknown"
        entry["memoryBytes"] = (monitor.execute("query-memory-size-summary") or {}).get("base-memory")
        entry["vcpus"] = len(monitor.execute("query-cpus-fast") or [])
        blocks = monitor.execute("query-block") or []
        pid = monitor.peer_pid()
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
    return [describe_libvirt_domain(uuid, busy_ids) for uuid in uuids], {"available": True}


def describe_libvirt_domain(uuid, busy_ids):
    """One libvirt domain by UUID; never raises for one domain (it may be undefined while the list is read)."""
    try:
        return _describe_libvirt_domain(uuid, busy_ids)
    except UNREADABLE as error:
        reason = _reason_of(error)
        if "failed to get domain" in reason or "Domain not found" in reason:
            reason = "the domain %s disappeared while the list was read (%s)" % (uuid, reason)
        else:
            reason = "the domain %s could not be read: %s" % (uuid, reason)
        return unreadable_entry("libvirt", "libvirt:" + uuid, reason, uuid=uuid)


def _describe_libvirt_domain(uuid, busy_ids):
    state = _virsh(["domstate", uuid]).strip().splitlines()[0]
    entry, reasons = describe_libvirt_xml(_virsh(["dumpxml", uuid]), state.replace("shut off", "shutoff"))
    argv = None
    if entry["state"] in ("running", "paused") and LIBVIRT_NAME.match(entry["name"] or ""):
        pid = VmSource("libvirt", entry["name"]).pid()
        argv = read_cmdline(pid) if pid else None
    facts = inspect_argv(argv) if argv else {"nics": entry["nics"], "qgaChannel": entry["qgaChannel"],
                                             "vfio": entry["vfioDevices"], "refusals": []}
    if argv:
        facts["nics"] = entry["nics"]
    _finish_entry(entry, facts, reasons, busy_ids)
    return entry


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
