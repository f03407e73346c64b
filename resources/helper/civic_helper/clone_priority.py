"""The clone QEMU's lower CPU and I/O priority, so production keeps its share while a twin runs.

Set in the child between fork and exec (`preexec_fn`), so the QEMU process and every thread it makes
inherit it, and its argv stays exactly the clone's (teardown finds clones by the pidfile in argv).

Why `ioprio_set` by syscall through ctypes rather than wrapping the argv in `ionice -c3`: it needs no
util-linux binary on the host, costs no extra exec, and keeps argv[0] the QEMU the source runs; the
syscall is resolved before the fork, so the child only calls into an already loaded libc.
"""

import ctypes
import ctypes.util
import os
import platform

CLONE_NICE = 10
# linux/ioprio.h: class in the top 3 bits of a 16-bit value, level below. Best-effort at its lowest level
# (7), not the idle class: idle gets disk time only when nobody else wants it, and on a busy host a clone
# writing its memory dump would starve until its capture timed out. WHO_PROCESS acts on one thread id;
# 0 means the calling thread.
IOPRIO_CLASS_SHIFT = 13
IOPRIO_CLASS_BEST_EFFORT = 2
IOPRIO_LOWEST_LEVEL = 7
IOPRIO_WHO_PROCESS = 1
IO_CLASS_NAMES = {0: "none", 1: "realtime", 2: "best-effort", 3: "idle"}
# x86-64 syscall numbers; other architectures keep the nice value only.
SYSCALLS = {"x86_64": {"ioprio_set": 251, "ioprio_get": 252}}
CGROUP_ROOT = "/sys/fs/cgroup"


def _libc_syscall():
    numbers = SYSCALLS.get(platform.machine())
    if numbers is None:
        return None, None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None, None
    syscall = libc.syscall
    syscall.restype = ctypes.c_long
    return syscall, numbers


_SYSCALL, _NUMBERS = _libc_syscall()


def lower_priority():
    """Called in the child before exec: nice 10 and best-effort I/O at its lowest level; a refusal leaves the default."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, max(CLONE_NICE, os.getpriority(os.PRIO_PROCESS, 0)))
    except OSError:
        pass
    if _SYSCALL is not None:
        _SYSCALL(_NUMBERS["ioprio_set"], IOPRIO_WHO_PROCESS, 0,
                 (IOPRIO_CLASS_BEST_EFFORT << IOPRIO_CLASS_SHIFT) | IOPRIO_LOWEST_LEVEL)


def read_priority(pid):
    """{"nice", "ioClass"} of a running process (from /proc/PID/stat field 19 and ioprio_get), or None."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # Fields after the command: state is field 3, so nice (field 19) is index 16 here.
    result = {"nice": int(fields[16]), "ioClass": None}
    if _SYSCALL is not None:
        value = _SYSCALL(_NUMBERS["ioprio_get"], IOPRIO_WHO_PROCESS, pid)
        if value >= 0:
            result["ioClass"] = IO_CLASS_NAMES.get(value >> IOPRIO_CLASS_SHIFT, str(value >> IOPRIO_CLASS_SHIFT))
    return result


def cgroup_v2_status(root=CGROUP_ROOT):
    """Whether a cgroup v2 hierarchy with the cpu controller is here and writable by us (never changed)."""
    controllers = os.path.join(root, "cgroup.controllers")
    if not os.path.isfile(controllers):
        return {"available": False, "writable": False, "reason": "no cgroup v2 hierarchy at %s" % root}
    try:
        with open(controllers) as handle:
            names = handle.read().split()
    except OSError as error:
        return {"available": False, "writable": False, "reason": str(error)}
    if "cpu" not in names:
        return {"available": True, "writable": False, "reason": "the cpu controller is not enabled at %s" % root}
    writable = os.access(root, os.W_OK) and os.access(os.path.join(root, "cgroup.procs"), os.W_OK)
    return {"available": True, "writable": writable,
            "reason": None if writable else "%s is not writable by the helper's user" % root}


def probe_priority():
    """What `probe` says under `clonePriority`: {nice, ioClass, cgroupV2}."""
    io_class = "best-effort" if _SYSCALL is not None else None
    return {"nice": CLONE_NICE, "ioClass": io_class, "cgroupV2": cgroup_v2_status()}
