"""Derive a clone's QEMU command line from the source's own argv: same devices, the clone's own backends.

Pure functions only (no I/O), so a corpus of real command lines can test them.
"""

import json
import os
import re

from .guest_network import netdev_keys

# QEMU options that take no argument; every other option takes exactly one.
NO_ARG_OPTIONS = frozenset((
    "-S", "-daemonize", "-nodefaults", "-no-user-config", "-nographic", "-enable-kvm", "-no-reboot",
    "-no-shutdown", "-no-hpet", "-no-acpi", "-snapshot", "-s", "-full-screen", "-no-fd-bootchk",
    "-win2k-hack", "-only-migratable", "-enable-fips", "-no-quit", "-no-frame", "-alt-grab", "-ctrl-grab",
    "-usb", "-preconfig", "-mem-prealloc", "-enable-sync-profile", "-semihosting", "-xen-attach",
    "-version", "-help", "-h", "-curses", "-portrait", "-no-kvm", "-old-param",
))

# Options dropped outright: the clone gets its own monitor, pidfile, display and name.
DROPPED_OPTIONS = frozenset((
    "-daemonize", "-pidfile", "-runas", "-chroot", "-S", "-incoming", "-loadvm", "-vnc", "-spice",
    "-display", "-name", "-D", "-mon", "-qmp", "-qmp-pretty", "-monitor", "-add-fd", "-mem-path",
    "-nographic", "-curses", "-full-screen", "-writeconfig", "-preconfig",
))

# Options that name a writable host resource the clone would share with production.
REFUSED_OPTIONS = {
    "-fsdev": "a host folder shared with the guest (9p) would be writable by the clone",
    "-virtfs": "a host folder shared with the guest (9p) would be writable by the clone",
    "-readconfig": "devices come from a config file the helper cannot inspect",
    "-hda": "legacy disk shorthand (-hda); define the disk with -drive or -blockdev",
    "-hdb": "legacy disk shorthand (-hdb); define the disk with -drive or -blockdev",
    "-hdc": "legacy disk shorthand (-hdc); define the disk with -drive or -blockdev",
    "-hdd": "legacy disk shorthand (-hdd); define the disk with -drive or -blockdev",
    "-pflash": "legacy flash shorthand (-pflash); define it with -drive or -blockdev",
    "-mtdblock": "legacy disk shorthand (-mtdblock)",
    "-sd": "legacy disk shorthand (-sd)",
    "-net": "legacy -net networking cannot be isolated safely; use -netdev or -nic",
}

# Device drivers that pass host hardware or shared host state into the guest.
REFUSED_DEVICE_PREFIXES = {
    "vfio-": "VFIO device passthrough (host hardware cannot be in two VMs)",
    "vhost-user-": "a vhost-user backend shared with production",
    "ivshmem": "shared memory with the host or other VMs",
    "vhost-vsock": "a vsock context id that must be unique on the host",
    "vhost-scsi": "a host SCSI target shared with production",
    "pci-assign": "PCI device passthrough",
}

QGA_PORT_NAME = "org.qemu.guest_agent.0"
_GENERIC_NODE_KEYS = ("node-name", "cache", "discard", "read-only", "auto-read-only", "detect-zeroes")
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/+@:-]*$")


class RewriteRefused(Exception):
    """The VM cannot be cloned safely; `reasons` lists why, one sentence each."""

    def __init__(self, reasons):
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


def split_options(argv):
    """Split argv[1:] into (option, value-or-None) pairs; `--opt` is treated as `-opt`."""
    pairs = []
    index = 1
    while index < len(argv):
        option = argv[index]
        if option.startswith("--"):
            option = option[1:]
        if not option.startswith("-"):
            # A bare word is the legacy disk image argument (like -hda).
            pairs.append(("-hda", option))
            index += 1
            continue
        if option in NO_ARG_OPTIONS:
            pairs.append((option, None))
            index += 1
            continue
        if index + 1 >= len(argv):
            raise RewriteRefused(["option %s has no value" % option])
        pairs.append((option, argv[index + 1]))
        index += 2
    return pairs


def parse_keyval(text, implied_key=None):
    """Parse QEMU `a=b,c=d` (`,,` escapes a comma) into an ordered list of [key, value] pairs.

    A first element without `=` is given `implied_key` (e.g. the netdev type).
    """
    items = []
    current = []
    index = 0
    while index <= len(text):
        char = text[index] if index < len(text) else None
        if char == ",":
            if index + 1 < len(text) and text[index + 1] == ",":
                current.append(",")
                index += 2
                continue
            items.append("".join(current))
            current = []
        elif char is None:
            items.append("".join(current))
        else:
            current.append(char)
        index += 1
    pairs = []
    for position, item in enumerate(items):
        if item == "" and position == len(items) - 1 and position > 0:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            if position == 0 and implied_key is not None:
                pairs.append([implied_key, item])
                continue
            pairs.append([key, None])
            continue
        pairs.append([key, value])
    return pairs


def format_keyval(pairs, implied_key=None):
    """The inverse of parse_keyval: the implied key (if first) is written bare; commas are doubled."""
    parts = []
    for position, (key, value) in enumerate(pairs):
        if value is None:
            parts.append(key)
        elif position == 0 and key == implied_key:
            parts.append(value.replace(",", ",,"))
        else:
            parts.append("%s=%s" % (key, str(value).replace(",", ",,")))
    return ",".join(parts)


def kv_get(pairs, key, default=None):
    """The last value of a key in keyval pairs."""
    found = default
    for pair_key, value in pairs:
        if pair_key == key:
            found = value
    return found


def kv_set(pairs, key, value):
    """Replace every occurrence of key (keeping the first position) or append it."""
    result = []
    placed = False
    for pair_key, old in pairs:
        if pair_key == key:
            if not placed:
                result.append([key, value])
                placed = True
            continue
        result.append([pair_key, old])
    if not placed:
        result.append([key, value])
    return result


def _is_json(value):
    return value is not None and value.lstrip().startswith("{")


def _truthy(value):
    return value in (True, "on", "true", "yes", "1", 1)


def _device_props(value):
    """A -device value as a dict (JSON or keyval form)."""
    if _is_json(value):
        return json.loads(value)
    props = {}
    for key, item in parse_keyval(value, implied_key="driver"):
        props[key] = item
    return props


def _driver_refusal(driver):
    for prefix, reason in REFUSED_DEVICE_PREFIXES.items():
        if driver.startswith(prefix):
            return reason
    return None


class _BlockGraph:
    """The -blockdev nodes of a command line, by node-name."""

    def __init__(self):
        self.nodes = {}
        self.order = []

    def add(self, node):
        name = node.get("node-name")
        if not isinstance(name, str) or not name:
            raise RewriteRefused(["a -blockdev node has no node-name"])
        self.nodes[name] = node
        self.order.append(name)

    def children(self, name):
        node = self.nodes.get(name) or {}
        refs = []
        for key in ("file", "backing", "data-file", "image"):
            value = node.get(key)
            if isinstance(value, str):
                refs.append(value)
        return refs

    def storage_file(self, name):
        """The host filename at the bottom of a format node's `file` chain."""
        seen = set()
        current = name
        while current in self.nodes and current not in seen:
            seen.add(current)
            node = self.nodes[current]
            if isinstance(node.get("filename"), str):
                return node["filename"]
            nxt = node.get("file")
            if not isinstance(nxt, str):
                return None
            current = nxt
        return None

    def read_only(self, name):
        node = self.nodes.get(name) or {}
        return _truthy(node.get("read-only"))


def _default_drive_ids(pairs):
    """QEMU's automatic -drive ids for if=virtio (virtio0, virtio1, ...); others need an explicit id."""
    ids = {}
    virtio_index = 0
    for position, (option, value) in enumerate(pairs):
        if option != "-drive":
            continue
        kv = parse_keyval(value)
        explicit = kv_get(kv, "id")
        interface = kv_get(kv, "if", "ide")
        if explicit:
            ids[position] = explicit
        elif interface == "virtio":
            index = kv_get(kv, "index")
            ids[position] = "virtio%s" % (index if index is not None else virtio_index)
            virtio_index = int(index) + 1 if index is not None else virtio_index + 1
        else:
            ids[position] = None
    return ids


def inspect_argv(argv):
    """Facts about a QEMU command line: disks, NICs, qga channel, VFIO devices, refusal reasons."""
    pairs = split_options(argv)
    reasons = []
    disks = []
    nics = []
    vfio = []
    qga = False
    machine = None
    graph = _BlockGraph()
    device_drives = []
    drive_devices = {}
    drive_ids = _default_drive_ids(pairs)
    for position, (option, value) in enumerate(pairs):
        if option in REFUSED_OPTIONS:
            reasons.append(REFUSED_OPTIONS[option])
        elif option == "-machine" or option == "-M":
            kv = parse_keyval(value, implied_key="type")
            machine = kv_get(kv, "type")
            for key, item in kv:
                if key.startswith("pflash") and item:
                    device_drives.append(item)
        elif option == "-blockdev":
            node = json.loads(value) if _is_json(value) else dict(parse_keyval(value))
            graph.add(node)
        elif option == "-device":
            props = _device_props(value)
            driver = str(props.get("driver", ""))
            refusal = _driver_refusal(driver)
            if refusal:
                reasons.append("%s: %s" % (driver, refusal))
                if driver.startswith("vfio-"):
                    vfio.append({"driver": driver, "host": props.get("host"), "id": props.get("id")})
            if props.get("drive"):
                device_drives.append(str(props["drive"]))
                if props.get("id"):
                    drive_devices[str(props["drive"])] = str(props["id"])
            if props.get("name") == QGA_PORT_NAME:
                qga = True
            if props.get("netdev"):
                nics.append({"model": driver, "netdev": props.get("netdev"), "mac": props.get("mac"),
                             "id": props.get("id")})
        elif option == "-drive":
            kv = parse_keyval(value)
            media = kv_get(kv, "media", "disk")
            read_only = _truthy(kv_get(kv, "readonly")) or _truthy(kv_get(kv, "read-only")) or media == "cdrom"
            disks.append({
                "key": drive_ids.get(position), "file": kv_get(kv, "file"), "format": kv_get(kv, "format"),
                "readOnly": read_only, "interface": kv_get(kv, "if", "ide"), "media": media, "syntax": "drive",
            })
        elif option == "-nic":
            kv = parse_keyval(value, implied_key="type")
            nics.append({"model": kv_get(kv, "model", "default"), "netdev": None, "mac": kv_get(kv, "mac"),
                         "id": kv_get(kv, "id"), "type": kv_get(kv, "type")})
    for name in dict.fromkeys(device_drives):
        if name in graph.nodes:
            node = graph.nodes[name]
            disks.append({
                "key": name, "file": graph.storage_file(name), "format": node.get("driver"),
                "readOnly": graph.read_only(name), "interface": None, "media": "disk", "syntax": "blockdev",
            })
    for disk in disks:
        disk["deviceId"] = drive_devices.get(disk["key"]) if disk["key"] else None
        if not disk["readOnly"] and not disk["key"] and disk["syntax"] == "drive":
            # Matched to the runtime by file name instead; only refuse when there is no file either.
            if not disk["file"]:
                reasons.append("a writable -drive has neither id nor file")
    return {"machine": machine, "disks": disks, "nics": nics, "vfio": vfio, "qgaChannel": qga,
            "refusals": reasons}


class ClonePlan:
    """What the rewrite needs: the clone's folder, sockets, disk overlays and host forwards."""

    def __init__(self, session_dir, clone_name, disk_overlays, host_forwards=(), qga_socket=None,
                 qmp_socket=None, pidfile=None, guest_network=None):
        self.session_dir = session_dir
        self.clone_name = clone_name
        # Map of disk key (drive id or blockdev node-name, or source file path) -> overlay path.
        self.disk_overlays = dict(disk_overlays)
        self.host_forwards = list(host_forwards)
        self.qga_socket = qga_socket or os.path.join(session_dir, "qga.sock")
        self.qmp_socket = qmp_socket or os.path.join(session_dir, "qmp.sock")
        self.pidfile = pidfile or os.path.join(session_dir, "clone.pid")
        # {"address", "prefix"} (validated by guest_network.parse_guest_network): the first NIC's slirp then
        # lives on the guest's own subnet and forwards go to that address, so a static-address guest works.
        self.guest_network = guest_network


def check_safe_path(path):
    """Refuse paths that QEMU option syntax or the shell-free argv cannot carry unambiguously."""
    if not isinstance(path, str) or not _SAFE_PATH.match(path) or "/../" in path + "/" or "//" in path:
        raise RewriteRefused(["unsafe path %r (only absolute paths of [A-Za-z0-9._/+@:-] are handled)" % (path,)])
    return path


def _forward_specs(forwards, guest_address=""):
    # An empty guest address is slirp's default: its first DHCP lease, which only a DHCP guest takes.
    specs = []
    for forward in forwards:
        host_port = int(forward["hostPort"])
        guest_port = int(forward["guestPort"])
        protocol = forward.get("protocol", "tcp")
        if protocol not in ("tcp", "udp") or not (0 <= host_port <= 65535) or not (1 <= guest_port <= 65535):
            raise RewriteRefused(["invalid host forward %r" % (forward,)])
        specs.append("%s:127.0.0.1:%d-%s:%d" % (protocol, host_port, guest_address, guest_port))
    return specs


class _Rewrite:
    """What the per-option rewriters share for one argv: the plan, the disks, the block graph, counters."""

    def __init__(self, argv, plan):
        self.plan = plan
        self.pairs = split_options(argv)
        self.drive_ids = _default_drive_ids(self.pairs)
        self.qga_chardevs = set()
        self.graph = _BlockGraph()
        for option, value in self.pairs:
            if option == "-device":
                props = _device_props(value)
                if props.get("name") == QGA_PORT_NAME and props.get("chardev"):
                    self.qga_chardevs.add(str(props["chardev"]))
            elif option == "-blockdev":
                self.graph.add(_blockdev_node(value))
        guest_address = plan.guest_network["address"] if plan.guest_network else ""
        self.forwards = _forward_specs(plan.host_forwards, guest_address)
        self.nic_forwarded = False
        self.chardev_index = 0
        self.mapped_nodes = {}
        self.replaced_storage = {}
        self.keep = set()

    def map_disks(self, disks):
        """Pair each writable disk with its overlay; returns the reasons a disk cannot be mapped."""
        reasons = []
        for disk in disks:
            overlay = self.plan.disk_overlays.get(disk["key"]) if disk["key"] else None
            if overlay is None and disk["file"]:
                overlay = self.plan.disk_overlays.get(disk["file"])
            if disk["readOnly"]:
                continue
            if overlay is None:
                reasons.append("writable disk %s (%s) has no clone overlay" % (disk["key"] or "?", disk["file"]))
            elif disk["syntax"] == "blockdev":
                self.mapped_nodes[disk["key"]] = overlay
        return reasons

    def plan_block_graph(self):
        """Nodes that only the replaced format nodes used (their old backing chains) are dropped."""
        graph = self.graph
        for name in self.mapped_nodes:
            storage = graph.nodes[name].get("file")
            if not isinstance(storage, str) or storage not in graph.nodes:
                raise RewriteRefused(["blockdev node %s has no separate storage node" % name])
            self.replaced_storage[storage] = self.mapped_nodes[name]
        roots = set(n for n in graph.order if n not in set(c for m in graph.order for c in graph.children(m)))
        stack = list(roots)
        while stack:
            name = stack.pop()
            if name in self.keep or name not in graph.nodes:
                continue
            self.keep.add(name)
            children = graph.children(name)
            if name in self.mapped_nodes:
                children = [graph.nodes[name].get("file")]
            stack.extend(child for child in children if isinstance(child, str))

    def take_forwards(self):
        """The host forwards, on the first NIC only (with the guest's own subnet when one is given)."""
        if self.nic_forwarded:
            return []
        self.nic_forwarded = True
        return netdev_keys(self.plan.guest_network) + [["hostfwd", spec] for spec in self.forwards]


def _blockdev_node(value):
    return json.loads(value) if _is_json(value) else dict(parse_keyval(value))


def _compact_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _rewrite_blockdev(rewrite, value, position):
    """Keep the device's format node, pointed at the overlay; drop the old chain below it."""
    node = _blockdev_node(value)
    name = node["node-name"]
    if name not in rewrite.keep:
        return []
    if name in rewrite.mapped_nodes:
        node = {key: node[key] for key in _GENERIC_NODE_KEYS if key in node}
        node.update({"driver": "qcow2", "node-name": name, "file": rewrite.graph.nodes[name]["file"],
                     "read-only": False})
    elif name in rewrite.replaced_storage:
        kept = {key: node[key] for key in _GENERIC_NODE_KEYS if key in node}
        kept.update({"driver": "file", "filename": rewrite.replaced_storage[name], "node-name": name,
                     "read-only": False})
        node = kept
    return ["-blockdev", _compact_json(node)]


def _rewrite_drive(rewrite, value, position):
    """A writable -drive reads its clone overlay (qcow2) instead of production's file."""
    kv = parse_keyval(value)
    key = rewrite.drive_ids.get(position)
    overlay = rewrite.plan.disk_overlays.get(key) if key else None
    if overlay is None:
        overlay = rewrite.plan.disk_overlays.get(kv_get(kv, "file"))
    read_only = _truthy(kv_get(kv, "readonly")) or kv_get(kv, "media") == "cdrom"
    if overlay is not None and not read_only:
        kv = [pair for pair in kv if not pair[0].startswith(("file.", "backing."))]
        kv = kv_set(kv, "file", overlay)
        kv = kv_set(kv, "format", "qcow2")
    return ["-drive", format_keyval(kv)]


def _rewrite_netdev(rewrite, value, position):
    """Every network backend becomes isolated user networking with the same id."""
    props = json.loads(value) if _is_json(value) else dict(parse_keyval(value, implied_key="type"))
    kv = [["type", "user"], ["id", str(props.get("id"))], ["restrict", "on"]] + rewrite.take_forwards()
    return ["-netdev", format_keyval(kv, implied_key="type")]


def _rewrite_nic(rewrite, value, position):
    """-nic keeps its model, MAC and id on isolated user networking."""
    kv = parse_keyval(value, implied_key="type")
    if kv_get(kv, "type") == "none":
        return ["-nic", value]
    kept = [["type", "user"], ["restrict", "on"]]
    kept += [[k, v] for k, v in kv if k in ("model", "mac", "id")]
    kept += rewrite.take_forwards()
    return ["-nic", format_keyval(kept, implied_key="type")]


def _rewrite_chardev(rewrite, value, position):
    """Every character device becomes a socket in the clone's folder; the guest agent's gets its name."""
    kv = parse_keyval(value, implied_key="backend")
    chardev_id = kv_get(kv, "id")
    if chardev_id in rewrite.qga_chardevs:
        path = rewrite.plan.qga_socket
    else:
        rewrite.chardev_index += 1
        path = os.path.join(rewrite.plan.session_dir, "c%d.sock" % rewrite.chardev_index)
    spec = [["backend", "socket"], ["id", chardev_id], ["path", path], ["server", "on"], ["wait", "off"]]
    return ["-chardev", format_keyval(spec, implied_key="backend")]


def _rewrite_port(option):
    def rewrite_port(rewrite, value, position):
        """Serial, parallel and debug ports lead nowhere in the clone."""
        return [option, "none" if value == "none" else "null"]
    return rewrite_port


def _rewrite_audiodev(rewrite, value, position):
    """Audio goes nowhere, under the same id."""
    props = json.loads(value) if _is_json(value) else dict(parse_keyval(value, implied_key="driver"))
    return ["-audiodev", "none,id=%s" % str(props.get("id")).replace(",", ",,")]


_FILE_MEMORY_KEYS = ("mem-path", "share", "align", "pmem", "discard-data", "readonly", "rom")


def _rewrite_object(rewrite, value, position):
    """The clone must never map production's memory file: a file backend becomes private RAM of the same size."""
    props = json.loads(value) if _is_json(value) else None
    qom_type = props.get("qom-type") if props else kv_get(parse_keyval(value, implied_key="qom-type"), "qom-type")
    if qom_type != "memory-backend-file":
        return ["-object", value]
    if props is not None:
        props = {k: v for k, v in props.items() if k not in _FILE_MEMORY_KEYS}
        props["qom-type"] = "memory-backend-ram"
        return ["-object", _compact_json(props)]
    kv = parse_keyval(value, implied_key="qom-type")
    kv = [[k, v] for k, v in kv if k not in _FILE_MEMORY_KEYS]
    kv = kv_set(kv, "qom-type", "memory-backend-ram")
    kv = [kv[-1]] + kv[:-1] if kv[-1][0] == "qom-type" else kv
    return ["-object", format_keyval(kv, implied_key="qom-type")]


def _drop(rewrite, value, position):
    return []


# One rewriter per option that names a backend; every other option is copied as it is.
_REWRITERS = {option: _drop for option in DROPPED_OPTIONS}
_REWRITERS.update({
    "-blockdev": _rewrite_blockdev,
    "-drive": _rewrite_drive,
    "-netdev": _rewrite_netdev,
    "-nic": _rewrite_nic,
    "-chardev": _rewrite_chardev,
    "-serial": _rewrite_port("-serial"),
    "-parallel": _rewrite_port("-parallel"),
    "-debugcon": _rewrite_port("-debugcon"),
    "-audiodev": _rewrite_audiodev,
    "-object": _rewrite_object,
})


def rewrite_argv(argv, plan):
    """The clone's argv: every device option kept, only backends replaced, plus `-incoming defer`.

    Raises RewriteRefused with every reason the VM cannot be cloned safely.
    """
    for path in (plan.session_dir, plan.qga_socket, plan.qmp_socket, plan.pidfile):
        check_safe_path(path)
    for path in plan.disk_overlays.values():
        check_safe_path(path)
    facts = inspect_argv(argv)
    rewrite = _Rewrite(argv, plan)
    reasons = list(facts["refusals"]) + rewrite.map_disks(facts["disks"])
    if reasons:
        raise RewriteRefused(reasons)
    rewrite.plan_block_graph()
    out = [argv[0]]
    for position, (option, value) in enumerate(rewrite.pairs):
        rewriter = _REWRITERS.get(option)
        if rewriter is not None:
            out += rewriter(rewrite, value, position)
        else:
            out.append(option)
            if value is not None:
                out.append(value)
    out += [
        "-name", "guest=%s" % plan.clone_name,
        "-pidfile", plan.pidfile,
        "-qmp", "unix:%s,server=on,wait=off" % plan.qmp_socket,
        "-display", "none",
        "-incoming", "defer",
    ]
    return out
