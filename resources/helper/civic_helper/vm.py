"""Source VMs: bare QEMU found by its QMP socket, or a libvirt domain; how to reach each."""

import os
import re

from .errors import HelperError, NOT_FOUND, VM_NOT_CLONEABLE, invalid
from .qmp import QmpClient, VirshMonitor, is_socket, read_cmdline

DEFAULT_QMP_DIRS = ("/run/civic-workbench/qmp", "/var/run/qemu")
LIBVIRT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
LIBVIRT_PID_DIR = "/run/libvirt/qemu"


class VmSource:
    """A VM the helper may clone, named `qmp:<socket path>` or `libvirt:<domain name>`."""

    def __init__(self, kind, target):
        self.kind = kind
        self.target = target

    @property
    def key(self):
        """The stable identifier used in journals and the busy check."""
        return "%s:%s" % (self.kind, self.target)

    def describe(self):
        """The journal form."""
        return {"kind": self.kind, "target": self.target, "id": self.key}

    def open_monitor(self, token=None, timeout=5.0):
        """A connected QMP client (close it in `finally`)."""
        if self.kind == "qmp":
            return QmpClient(self.target, timeout=timeout, token=token)
        return VirshMonitor(self.target, token=token)

    def pid(self, monitor=None):
        """The source QEMU's PID: the QMP socket's peer, or libvirt's pid file."""
        if self.kind == "qmp":
            if monitor is not None and hasattr(monitor, "peer_pid"):
                return monitor.peer_pid()
            return None
        try:
            with open(os.path.join(LIBVIRT_PID_DIR, self.target + ".pid")) as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def argv(self, monitor=None):
        """The source QEMU's argv from /proc/PID/cmdline."""
        pid = self.pid(monitor)
        argv = read_cmdline(pid) if pid else None
        if not argv:
            raise HelperError(VM_NOT_CLONEABLE, "Cannot read the command line of %s." % self.key,
                              detail={"vm": self.key, "pid": pid})
        return argv


def parse_vm(value, qmp_dirs):
    """Validate a VM reference: refuse anything the helper cannot handle safely."""
    if not isinstance(value, str) or "\0" in value or "\n" in value:
        raise invalid("`vm` must be `qmp:<socket path>` or `libvirt:<name>`.")
    kind, _, target = value.partition(":")
    if kind == "libvirt":
        if not LIBVIRT_NAME.match(target):
            raise invalid("Unsupported libvirt domain name (letters, digits and ._+- only).", vm=value[:100])
        return VmSource("libvirt", target)
    if kind == "qmp":
        path = os.path.normpath(target)
        if not os.path.isabs(path) or path != target:
            raise invalid("The QMP socket path must be absolute and normalized.", vm=value[:200])
        real_dirs = [os.path.realpath(d) for d in qmp_dirs]
        if os.path.realpath(os.path.dirname(path)) not in real_dirs:
            raise invalid("The QMP socket must be directly inside a configured --qmp-dir.", vm=value[:200],
                          qmpDirs=list(qmp_dirs))
        if not is_socket(path):
            raise HelperError(NOT_FOUND, "No QMP socket at %s." % path, detail={"vm": value})
        return VmSource("qmp", path)
    raise invalid("`vm` must be `qmp:<socket path>` or `libvirt:<name>`.", vm=value[:100])
