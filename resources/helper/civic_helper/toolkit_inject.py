"""Put the in-guest toolkit into a clone and take it out again, by the steps of the toolkit plan.

The steps are data in `toolkit_plan.json` (the app runs the same ones, see docs/toolkit.md); this module
carries them out with three guest operations: write a file, run a program, read a file back. Every shell
step runs through OUR busybox by path, so nothing resolves to a guest binary through PATH; the only guest
program ever started is `chmod`, and the file it touched is read back and hashed on the host right after.
"""

import hashlib
import json
import os
import re
import secrets

from .errors import HelperError, NOT_FOUND, failed, invalid
from .toolkit_plan import PLAN

_LAYOUT = PLAN.layout
GUEST_TOOLKIT_DIR = _LAYOUT["toolkitDir"]
GUEST_BUSYBOX = _LAYOUT["busybox"]
GUEST_OUTPUT_DIR = _LAYOUT["outputDir"]
GUEST_CHMOD = _LAYOUT["guestChmod"]

MANIFEST_NAME = _LAYOUT["manifestName"]
PAYLOAD_NAME = _LAYOUT["payloadName"]
BUSYBOX_NAME = "busybox"  # the bootstrap busybox's name in the host's toolkit folder

MOUNT_SCRIPT = PLAN.scripts["mount"]["text"]
REMOVE_SCRIPT = PLAN.scripts["remove"]["text"]
STOP_SCRIPT = PLAN.scripts["stop"]["text"]

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
    return _LAYOUT["bootstrapPrefix"] + token


def unconfirmed_files(output, expected):
    """Which expected `(guestPath, sha256)` pairs a `sha256sum` output does not confirm."""
    seen = {}
    for line in output.split("\n"):
        match = re.match(r"^([0-9a-f]{64})  (.+)$", line)
        if match:
            seen[match.group(2)] = match.group(1)
    return [path for path, digest in expected if seen.get(path) != digest]


def injection_steps(toolkit, bootstrap):
    """The plan's injection steps, then its output-folder step, for this toolkit and bootstrap path."""
    inputs = {"bootstrap": bootstrap, "busyboxSha256": toolkit.busybox_sha256}
    return PLAN.steps("injection", toolkit.manifest["files"], **inputs) + PLAN.steps("outputFolder", **inputs)


def removal_steps(bootstrap):
    """The plan's stop step (kill what still runs from the toolkit), then its removal step."""
    return PLAN.steps("stop", bootstrap=bootstrap) + PLAN.steps("removal", bootstrap=bootstrap)


def _run_step(guest, toolkit, step):
    kind = step["kind"]
    if kind == "put":
        source = toolkit.busybox_path if step["source"] == "busybox" else toolkit.payload_path
        guest.upload(source, step["guestPath"], UPLOAD_CHUNK)
    elif kind == "exec":
        guest.run_checked(step["argv"], step["timeoutSeconds"], step["purpose"])
    elif kind == "check-file":
        if guest.hash_file(step["guestPath"]) != step["sha256"]:
            raise failed("The busybox uploaded to the clone reads back with another hash: the guest changed it.",
                         guestPath=step["guestPath"])
    elif kind == "check-hashes":
        run = guest.run(step["argv"], step["timeoutSeconds"])
        wrong = unconfirmed_files(run["stdout"].decode("utf-8", "replace"), step["expected"])
        if wrong:
            raise failed("%d toolkit files in the clone do not match the manifest: %s" % (
                len(wrong), ", ".join(wrong[:5])), unconfirmed=wrong[:20])
    else:
        raise ValueError("unknown toolkit step kind %s" % kind)


def inject(guest, toolkit, bootstrap):
    """Mount a tmpfs at /run/civic in the clone, fill it with the toolkit and verify every file by hash.

    `bootstrap` comes from `bootstrap_path()`. On failure nothing is undone here: the caller runs `remove`
    (in its own cleanup, which a cancel cannot interrupt), whatever step the plan reached.
    """
    for step in injection_steps(toolkit, bootstrap):
        _run_step(guest, toolkit, step)


def remove(guest, bootstrap):
    """Stop toolkit processes, unmount the tmpfs, remove /run/civic when empty, delete the bootstrap busybox.

    Never raises: returns whether the removal script ran to its end.
    """
    try:
        outcome = None
        for step in removal_steps(bootstrap):
            outcome = guest.run(step["argv"], step["timeoutSeconds"], step["purpose"])
        return outcome is not None and outcome["exitCode"] == 0
    except Exception:  # cleanup must not hide the error that brought us here; the caller reports it
        return False
