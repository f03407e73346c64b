"""The disks of a clone: which writable disks to cut, their overlays on both sides, the snapshot actions."""

import os
import subprocess

from .errors import HelperError, VM_BUSY, VM_NOT_CLONEABLE, failed


def qdev_id(qdev):
    """The device id in a query-block `qdev` (`data0`, or `/machine/peripheral/data0/virtio-backend`)."""
    qdev = qdev or ""
    if qdev.startswith("/machine/peripheral/"):
        return qdev.split("/")[3]
    return qdev if "/" not in qdev else None


def plan_disks(block_info, argv_disks, session, clone_id, resolve_overlay=None):
    """Pair each writable runtime disk with its argv slot; name the overlays and snapshot nodes.

    A disk already topped by another clone's overlay is refused unless `resolve_overlay` (given with
    allowMultiple) turns that overlay's node name into its file, so the new overlays can sit on it.
    """
    disks = []
    for info in block_info:
        inserted = info.get("inserted")
        if not inserted or inserted.get("ro"):
            continue
        node = inserted.get("node-name")
        image = inserted.get("image") or {}
        base_file = image.get("filename") or inserted.get("file")
        if str(node).startswith("civic-"):
            base_file = resolve_overlay(node) if resolve_overlay is not None else None
            if base_file is None:
                raise HelperError(VM_BUSY, "The VM's disk already carries a clone overlay (%s): destroy that clone, "
                                           "run recover, or ask for allowMultiple." % node, detail={"node": node})
        device = info.get("device") or ""
        slot = None
        for candidate in argv_disks:
            if candidate["key"] and candidate["key"] in (device, node):
                slot = candidate
                break
        if slot is None and qdev_id(info.get("qdev")):
            slot = next((c for c in argv_disks if c.get("deviceId") == qdev_id(info.get("qdev"))), None)
        if slot is None:
            slot = next((c for c in argv_disks if c["file"] and c["file"] == inserted.get("file")), None)
        if slot is None:
            raise HelperError(VM_NOT_CLONEABLE, "The disk %s is not found in the VM's command line (its chain "
                                                "changed since start?)." % (device or node),
                              detail={"device": device, "node": node})
        index = len(disks)
        disks.append({
            "argvKey": slot["key"] or slot["file"], "device": device, "qdev": info.get("qdev"), "node": node,
            "file": base_file, "format": inserted.get("drv"),
            "virtualSize": image.get("virtual-size"),
            "snapshotNode": "civic-%s-%d" % (clone_id[3:], index),
            "sourceOverlay": session.path("src-%d.qcow2" % index),
            "cloneOverlay": session.path("disk-%d.qcow2" % index),
        })
    return disks


def overlay_node(disk, fdset):
    """The `blockdev-add` of a source overlay reached through its fd set.

    Locking is off on this one file: only this QEMU ever opens it, and OFD locks taken through one
    dup of an fd-set descriptor would outlive it and refuse the reopen after a migration.
    """
    return {"driver": "qcow2", "node-name": disk["snapshotNode"], "backing": None,
            "file": {"driver": "file", "filename": "/dev/fdset/%d" % fdset, "locking": "off"}}


def snapshot_actions(disks):
    """The `transaction` actions that cut every writable disk at the same instant."""
    return [{"type": "blockdev-snapshot", "data": {"node": disk["node"], "overlay": disk["snapshotNode"]}}
            for disk in disks]


def fd_opaque(clone_id, index):
    """The label of the descriptor we pass for a source overlay (teardown finds its fd set by it)."""
    return "civic-%s-%d" % (clone_id, index)


def _create_overlay(disk, path):
    """A qcow2 overlay at `path` on the disk's current image (`-u`: production holds the lock)."""
    argv = ["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", disk["file"], "-F", disk["format"], path]
    if disk.get("virtualSize"):
        argv.append(str(int(disk["virtualSize"])))
    completed = subprocess.run(argv, capture_output=True, timeout=60)
    if completed.returncode != 0:
        raise failed("qemu-img create failed: %s" % completed.stderr.decode("utf-8", "replace").strip(), overlay=path)


def create_source_overlays(disks, owner):
    """Pre-create the source's overlays, owned by the source QEMU's user.

    QEMU gets them as passed descriptors (`add-fd`, `/dev/fdset/N`, `mode: existing`), so a QEMU
    running as another user (libvirt's libvirt-qemu) needs no access to the session folder at all.
    """
    for disk in disks:
        _create_overlay(disk, disk["sourceOverlay"])
        os.chmod(disk["sourceOverlay"], 0o600)
        if owner is not None and owner != (os.geteuid(), os.getegid()):
            os.chown(disk["sourceOverlay"], owner[0], owner[1])


def process_owner(pid):
    """The (uid, gid) a process runs as, or None."""
    try:
        with open("/proc/%d/status" % pid) as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        return int(fields["Uid"].split()[1]), int(fields["Gid"].split()[1])
    except (OSError, KeyError, ValueError, IndexError):
        return None


def create_clone_overlays(disks):
    """qemu-img overlays for the clone on each disk's frozen base."""
    for disk in disks:
        _create_overlay(disk, disk["cloneOverlay"])
