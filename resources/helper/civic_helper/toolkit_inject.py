"""Put the in-guest toolkit into a clone and take it out again (a port of resources/toolkit/injection-plan.ts).

The plan needs three guest operations only: write a file, run a program, read a file back. Every shell
step runs through OUR busybox by path, so nothing resolves to a guest binary through PATH; the only guest
program ever started is `chmod`, and the file it touched is read back and hashed on the host right after.
"""

import hashlib
import json
import os
import re
import secrets

from .errors import HelperError, NOT_FOUND, failed, invalid

GUEST_TOOLKIT_DIR = "/run/civic"
GUEST_BUSYBOX = GUEST_TOOLKIT_DIR + "/bin/busybox"
GUEST_COLLECTOR = GUEST_TOOLKIT_DIR + "/bin/civic-collect"
GUEST_OUTPUT_DIR = GUEST_TOOLKIT_DIR + "/out"
GUEST_LOADER = GUEST_TOOLKIT_DIR + "/lib/ld-linux-x86-64.so.2"
GUEST_LIBRARY_DIR = GUEST_TOOLKIT_DIR + "/lib"
GUEST_GDB = GUEST_TOOLKIT_DIR + "/bin/gdb"
GUEST_STRACE = GUEST_TOOLKIT_DIR + "/bin/strace"
GUEST_GDB_DATA_DIR = GUEST_TOOLKIT_DIR + "/share/gdb"
GUEST_PYTHON_HOME = GUEST_TOOLKIT_DIR + "/python"
GUEST_CHMOD = "/bin/chmod"

MANIFEST_NAME = "toolkit-manifest.json"
PAYLOAD_NAME = "toolkit.tar.gz"
BUSYBOX_NAME = "busybox"

MOUNT_SCRIPT_NAME = "civic-toolkit-mount"
REMOVE_SCRIPT_NAME = "civic-toolkit-remove"

# "$1" is our busybox, "$2" the toolkit folder (same scripts as the TypeScript plan).
_IS_MOUNTED = "\"$1\" awk -v dir=\"$2\" '$2 == dir { found = 1 } END { exit !found }' /proc/self/mounts"
MOUNT_SCRIPT = "\n".join([
    "set -e",
    # A toolkit left by an interrupted run: replace it rather than stack a second tmpfs on it.
    "if %s; then \"$1\" umount -l \"$2\"; fi" % _IS_MOUNTED,
    "\"$1\" mkdir -p \"$2\"",
    "\"$1\" mount -t tmpfs -o mode=0700,nosuid,nodev civic-toolkit \"$2\"",
])
# Lazy unmount: a diagnostic still running from the tmpfs keeps it alive until it exits instead of failing
# here. rmdir removes the folder only when empty; the bootstrap busybox removes itself last.
REMOVE_SCRIPT = "\n".join([
    "if %s; then \"$1\" umount -l \"$2\"; fi" % _IS_MOUNTED,
    "\"$1\" rmdir \"$2\" 2>/dev/null || true",
    "\"$1\" rm -f \"$1\"",
])

# Not in the TypeScript plan: before unmounting, kill every process still running a toolkit program (a gdb
# or strace a cancel interrupted, busybox `timeout` watchers). Their exe links name the tmpfs until unmount.
STOP_SCRIPT = "\n".join([
    "for p in /proc/[0-9]*; do",
    "  case \"$(\"$1\" readlink \"$p/exe\" 2>/dev/null)\" in",
    "    \"$2\"/*) \"$1\" kill -KILL \"${p#/proc/}\" 2>/dev/null || true ;;",
    "  esac",
    "done",
])
STOP_SCRIPT_NAME = "civic-toolkit-stop"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_KEY = re.compile(r"^[0-9a-f]{20}$")
_RELATIVE = re.compile(r"^[A-Za-z0-9_.+-]+(?:/[A-Za-z0-9_.+-]+)*$")
UPLOAD_CHUNK = 4 * 1024 * 1024


class Toolkit:
    """A toolkit folder on the host: its manifest, bootstrap busybox and payload, checked against each other."""

    def __init__(self, folder, manifest, busybox_sha256):
        self.folder = folder
        self.manifest = manifest
        self.key = manifest["key"]
        self.busybox_sha256 = busybox_sha256
        self.busybox_path = os.path.join(folder, BUSYBOX_NAME)
        self.payload_path = os.path.join(folder, PAYLOAD_NAME)

    def files(self):
        """Every toolkit file as `{"path", "sha256"}` (for the result and the capture manifest)."""
        return [{"path": item["path"], "sha256": item["sha256"]} for item in self.manifest["files"]]


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def load_toolkit(folder):
    """Read and check a toolkit folder (`toolkit.tar.gz`, `toolkit-manifest.json`, `busybox`)."""
    if not isinstance(folder, str) or not os.path.isabs(folder) or "\0" in folder:
        raise invalid("`toolkit` must be an absolute host path.")
    for name in (MANIFEST_NAME, PAYLOAD_NAME, BUSYBOX_NAME):
        if not os.path.isfile(os.path.join(folder, name)):
            raise HelperError(NOT_FOUND, "The toolkit folder %s has no %s." % (folder, name),
                              detail={"toolkit": folder, "missing": name})
    try:
        with open(os.path.join(folder, MANIFEST_NAME)) as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as error:
        raise invalid("The toolkit manifest cannot be read: %s" % error, toolkit=folder)
    if not isinstance(manifest, dict) or manifest.get("schemaVersion") != 1 or \
            not isinstance(manifest.get("key"), str) or not _KEY.match(manifest["key"]) or \
            not isinstance(manifest.get("files"), list) or not manifest["files"]:
        raise invalid("The toolkit manifest is not a version 1 manifest.", toolkit=folder)
    for item in manifest["files"]:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or \
                not _RELATIVE.match(item["path"]) or ".." in item["path"].split("/") or \
                not isinstance(item.get("sha256"), str) or not _SHA256.match(item["sha256"]):
            raise invalid("The toolkit manifest lists a file it should not.", toolkit=folder)
    expected = next((item["sha256"] for item in manifest["files"] if item["path"] == "bin/busybox"), None)
    if expected is None:
        raise invalid("The toolkit manifest lists no bin/busybox.", toolkit=folder)
    actual = _sha256_file(os.path.join(folder, BUSYBOX_NAME))
    if actual != expected:
        raise invalid("The toolkit's busybox does not match its manifest.", toolkit=folder)
    return Toolkit(folder, manifest, expected)


def bootstrap_path(token=None):
    """Where the bootstrap busybox goes: /run, never the clone's disks (busybox* names pick argv[1])."""
    token = token or secrets.token_hex(6)
    if not re.match(r"^[0-9a-f]{8,32}$", token):
        raise ValueError("bootstrap token must be hex")
    return "/run/busybox.civic-" + token


def unconfirmed_files(output, expected):
    """Which expected `(guestPath, sha256)` pairs a `sha256sum` output does not confirm."""
    seen = {}
    for line in output.split("\n"):
        match = re.match(r"^([0-9a-f]{64})  (.+)$", line)
        if match:
            seen[match.group(2)] = match.group(1)
    return [path for path, digest in expected if seen.get(path) != digest]


def inject(guest, toolkit, bootstrap):
    """Mount a tmpfs at /run/civic in the clone, fill it with the toolkit and verify every file by hash.

    `bootstrap` comes from `bootstrap_path()`. On failure nothing is undone here: the caller runs `remove`
    (in its own cleanup, which a cancel cannot interrupt), whatever step the plan reached.
    """
    guest.upload(toolkit.busybox_path, bootstrap, UPLOAD_CHUNK)
    guest.run_checked([GUEST_CHMOD, "0700", bootstrap], 30, "make the uploaded busybox executable")
    if guest.hash_file(bootstrap) != toolkit.busybox_sha256:
        raise failed("The busybox uploaded to the clone reads back with another hash: the guest changed it.",
                     guestPath=bootstrap)
    guest.run_checked([bootstrap, "sh", "-c", MOUNT_SCRIPT, MOUNT_SCRIPT_NAME, bootstrap, GUEST_TOOLKIT_DIR],
                      30, "mount the toolkit tmpfs")
    payload = GUEST_TOOLKIT_DIR + "/" + PAYLOAD_NAME
    guest.upload(toolkit.payload_path, payload, UPLOAD_CHUNK)
    guest.run_checked([bootstrap, "tar", "-xzf", payload, "-C", GUEST_TOOLKIT_DIR], 300, "unpack the toolkit")
    guest.run_checked([bootstrap, "rm", "-f", payload], 30, "delete the tarball")
    expected = [(GUEST_TOOLKIT_DIR + "/" + item["path"], item["sha256"]) for item in toolkit.manifest["files"]]
    run = guest.run([GUEST_BUSYBOX, "sha256sum"] + [path for path, _ in expected], 300)
    wrong = unconfirmed_files(run["stdout"].decode("utf-8", "replace"), expected)
    if wrong:
        raise failed("%d toolkit files in the clone do not match the manifest: %s" % (
            len(wrong), ", ".join(wrong[:5])), unconfirmed=wrong[:20])
    guest.run_checked([GUEST_BUSYBOX, "mkdir", "-p", GUEST_OUTPUT_DIR], 30, "make the output folder")


def remove(guest, bootstrap):
    """Stop toolkit processes, unmount the tmpfs, remove /run/civic when empty, delete the bootstrap busybox.

    Never raises: returns whether the removal script ran to its end.
    """
    try:
        guest.run([bootstrap, "sh", "-c", STOP_SCRIPT, STOP_SCRIPT_NAME, bootstrap, GUEST_TOOLKIT_DIR], 60,
                  "stop toolkit processes")
        outcome = guest.run([bootstrap, "sh", "-c", REMOVE_SCRIPT, REMOVE_SCRIPT_NAME, bootstrap, GUEST_TOOLKIT_DIR],
                            60, "remove the toolkit")
        return outcome["exitCode"] == 0
    except Exception:  # cleanup must not hide the error that brought us here; the caller reports it
        return False
