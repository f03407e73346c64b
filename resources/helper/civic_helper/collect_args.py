"""Arguments of `collect`: checked and normalised before anything touches the clone."""

import re

from .errors import invalid
from .session import check_clone_id

MAX_PID = 4194304  # the kernel's PID_MAX_LIMIT on 64-bit
MAX_PIDS = 64
MAX_FILES = 64
MAX_STEPS = 64
DEFAULT_MAX_ARTIFACT_BYTES = 16 * 1024 ** 3
SAFE_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# Step id -> (needs qga, needs the toolkit). `files` and `kernel-symbols` only read guest files.
STEPS = {
    "processes": (True, True),
    "sockets": (True, True),
    "system": (True, True),
    "backtraces": (True, True),
    "kernel-stacks": (True, True),
    "core-dump": (True, True),
    "syscalls": (True, True),
    "metrics": (True, True),
    "command": (True, True),
    "kernel-symbols": (True, False),
    "files": (True, False),
    "memory-dump": (False, False),
}
_OPTIONS = {
    "processes": (), "sockets": (), "system": (), "kernel-symbols": (),
    "backtraces": ("pids",), "kernel-stacks": ("pids",), "core-dump": ("pids",),
    "syscalls": ("pids", "seconds"), "metrics": ("seconds", "intervalSeconds"),
    "command": ("argv", "seconds", "name"), "files": ("paths",), "memory-dump": ("format",),
}


def _whole_number(step, key, value, low, high):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid("Step %s: `%s` must be a whole number from %d to %d." % (step, key, low, high))
    return value


def _pids(step, value):
    if not isinstance(value, list) or not value or len(value) > MAX_PIDS:
        raise invalid("Step %s: `pids` must list 1 to %d process ids." % (step, MAX_PIDS))
    pids = []
    for pid in value:
        pid = _whole_number(step, "pids", pid, 1, MAX_PID)
        if pid not in pids:
            pids.append(pid)
    return pids


def _guest_path(step, value):
    if not isinstance(value, str) or not value.startswith("/") or "\0" in value or len(value) > 4096:
        raise invalid("Step %s: guest paths must be absolute." % step)
    return value


def parse_step(raw, index):
    """One step `{"id": ..., options}` -> a normalised dict with every default filled in."""
    if not isinstance(raw, dict) or raw.get("id") not in STEPS:
        raise invalid("Step %d: `id` must be one of %s." % (index, ", ".join(sorted(STEPS))))
    step_id = raw["id"]
    unknown = sorted(set(raw) - {"id"} - set(_OPTIONS[step_id]))
    if unknown:
        raise invalid("Step %s does not take %s." % (step_id, ", ".join(unknown)))
    step = {"id": step_id}
    if "pids" in _OPTIONS[step_id]:
        step["pids"] = _pids(step_id, raw.get("pids"))
    if step_id == "syscalls":
        step["seconds"] = _whole_number(step_id, "seconds", raw.get("seconds", 5), 1, 300)
    elif step_id == "metrics":
        step["seconds"] = _whole_number(step_id, "seconds", raw.get("seconds", 10), 1, 3600)
        step["intervalSeconds"] = _whole_number(step_id, "intervalSeconds", raw.get("intervalSeconds", 1),
                                                1, step["seconds"])
    elif step_id == "command":
        argv = raw.get("argv")
        if not isinstance(argv, list) or not argv or len(argv) > 256 or \
                not all(isinstance(item, str) and "\0" not in item for item in argv):
            raise invalid("Step command: `argv` must be a non-empty list of strings.")
        step["argv"] = [_guest_path(step_id, argv[0])] + argv[1:]
        step["seconds"] = _whole_number(step_id, "seconds", raw.get("seconds", 60), 1, 86400)
        name = raw.get("name", "command-%d" % index)
        if not isinstance(name, str) or not SAFE_LABEL.match(name):
            raise invalid("Step command: `name` must be letters, digits, `.`, `_` or `-` (max 64).")
        step["name"] = name
    elif step_id == "files":
        paths = raw.get("paths")
        if not isinstance(paths, list) or not paths or len(paths) > MAX_FILES:
            raise invalid("Step files: `paths` must list 1 to %d guest paths." % MAX_FILES)
        step["paths"] = [_guest_path(step_id, path) for path in paths]
    elif step_id == "memory-dump":
        step["format"] = raw.get("format", "elf")
        if step["format"] not in ("elf", "kdump-zlib"):
            raise invalid("Step memory-dump: `format` must be elf or kdump-zlib.")
    return step


def parse_collect_args(args):
    """The whole argument object of `collect`."""
    clone_id = check_clone_id(args.get("cloneId"))
    access = args.get("access", "auto")
    if access not in ("auto", "qga", "none"):
        raise invalid("`access` must be auto, qga or none.")
    raw_steps = args.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps or len(raw_steps) > MAX_STEPS:
        raise invalid("`steps` must list 1 to %d steps." % MAX_STEPS)
    steps = [parse_step(raw, index) for index, raw in enumerate(raw_steps)]
    names = [step["name"] for step in steps if step["id"] == "command"]
    if len(names) != len(set(names)):
        raise invalid("Step command: every `name` must be different.")
    max_bytes = args.get("maxArtifactBytes", DEFAULT_MAX_ARTIFACT_BYTES)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise invalid("`maxArtifactBytes` must be a positive whole number.")
    toolkit = args.get("toolkit")
    if toolkit is not None and not isinstance(toolkit, str):
        raise invalid("`toolkit` must be an absolute host path.")
    if toolkit is None and access != "none" and any(STEPS[step["id"]][1] for step in steps):
        raise invalid("`toolkit` is needed for the steps asked (only files, kernel-symbols and memory-dump "
                      "run without it).")
    return {"cloneId": clone_id, "access": access, "steps": steps, "maxArtifactBytes": max_bytes,
            "toolkit": toolkit}
