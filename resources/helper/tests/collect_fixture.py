"""The toolkit for `collect` tests: built (or reused) by the TypeScript build, copied into a private folder."""

import os
import re
import shutil
import subprocess

from . import qemu_lab

REPO = os.path.dirname(os.path.dirname(qemu_lab.HELPER_DIR))


def prepare_toolkit(destination):
    """Build (or reuse) the toolkit and copy busybox, tarball and manifest into `destination`.

    Returns (folder, None), or (None, why) when it cannot be built.
    """
    npx = shutil.which("npx")
    if not npx:
        return None, "npx is not installed"
    try:
        built = subprocess.run([npx, "tsx", "main/toolkit/build-toolkit.ts"], cwd=REPO, capture_output=True,
                               timeout=600)
    except subprocess.TimeoutExpired:
        return None, "the toolkit build did not finish in 600 s"
    match = re.search(r"^toolkit: (.+)$", built.stdout.decode("utf-8", "replace"), re.M)
    if built.returncode != 0 or not match:
        return None, "the toolkit build failed: %s" % built.stderr.decode("utf-8", "replace")[-500:]
    source = match.group(1).strip()
    os.makedirs(destination, exist_ok=True)
    # A private copy: the shared cache may be rebuilt (and the old key removed) while the test runs.
    try:
        shutil.copyfile(os.path.join(source, "tree", "bin", "busybox"), os.path.join(destination, "busybox"))
        for name in ("toolkit.tar.gz", "toolkit-manifest.json"):
            shutil.copyfile(os.path.join(source, name), os.path.join(destination, name))
    except OSError as error:
        return None, "the built toolkit vanished while it was copied: %s" % error
    return destination, None
