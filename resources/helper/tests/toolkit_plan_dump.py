"""What the helper makes of the toolkit plan, as JSON: every diagnostic's argv and every injection and removal step.

The argv come from collect.py's own builders; the steps are what toolkit_inject.inject() and remove() do to a
recording guest. Used by tests/test_toolkit_plan.py and, as a program, by the app's agreement test
(test/unit/main/toolkit/toolkit-plan-agreement.test.ts):

    python3 tests/toolkit_plan_dump.py INPUTS_JSON [PLAN_JSON]

INPUTS_JSON holds the inputs (tests/toolkit_plan_expected.json has them under "inputs"); PLAN_JSON, when given,
replaces the shipped plan (the agreement test passes a changed copy to see the difference caught).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if os.environ.get("CIVIC_HELPER_DIR"):
    sys.path.insert(0, os.environ["CIVIC_HELPER_DIR"])
else:
    sys.path.insert(0, os.path.dirname(HERE))

from civic_helper import collect, toolkit_inject as tk, toolkit_plan  # noqa: E402

EXPECTED_PATH = os.path.join(HERE, "toolkit_plan_expected.json")


class RecordingGuest:
    """Stands for a clone: records every write, run and read-back as a plan step, and says yes to each."""

    def __init__(self, toolkit, hashes):
        self.toolkit = toolkit
        self.hashes = hashes  # guest path -> the hash its sha256sum line prints
        self.steps = []

    def upload(self, host_path, guest_path, chunk):
        source = {self.toolkit.busybox_path: "busybox", self.toolkit.payload_path: "payload"}[host_path]
        self.steps.append({"kind": "put", "source": source, "guestPath": guest_path})

    def run_checked(self, argv, timeout, purpose):
        self.steps.append({"kind": "exec", "purpose": purpose, "argv": list(argv), "timeoutSeconds": timeout})
        return {"exitCode": 0, "signal": None, "stdout": b"", "stderr": b""}

    def hash_file(self, guest_path):
        self.steps.append({"kind": "check-file", "guestPath": guest_path, "sha256": self.toolkit.busybox_sha256})
        return self.toolkit.busybox_sha256

    def run(self, argv, timeout, label=None):
        if label is None:  # inject() runs sha256sum without a label; everything else is a labelled exec
            paths = [item for item in argv[1:] if item in self.hashes]
            self.steps.append({"kind": "check-hashes", "argv": list(argv), "timeoutSeconds": timeout,
                               "expected": [{"guestPath": path, "sha256": self.hashes[path]} for path in paths]})
            lines = ["%s  %s" % (self.hashes[path], path) for path in paths]
            return {"exitCode": 0, "signal": None, "stdout": ("\n".join(lines) + "\n").encode(), "stderr": b""}
        self.steps.append({"kind": "exec", "purpose": label, "argv": list(argv), "timeoutSeconds": timeout})
        return {"exitCode": 0, "signal": None, "stdout": b"", "stderr": b""}


def dump(inputs, plan=None):
    """The helper's argv and steps for these inputs, with `plan` (a ToolkitPlan) in place of the shipped one."""
    if plan is not None:
        collect.PLAN = tk.PLAN = plan
    try:
        pid, seconds = inputs["pid"], inputs["seconds"]
        diagnostics = {
            "backtrace": collect.backtrace_argv(pid),
            "coreDump": collect.core_dump_argv(pid, collect.core_path(pid)),
            "kernelStacks": collect.kernel_stacks_argv(pid),
            "syscallSummary": collect.syscalls_argv(pid, seconds),
            "collector": collect.collector_argv(inputs["document"], collect.collector_output(inputs["document"])),
        }
        manifest = {"schemaVersion": 1, "key": "0" * 20, "files": inputs["manifestFiles"]}
        toolkit = tk.Toolkit("/host/toolkit", manifest, inputs["busyboxSha256"])
        hashes = {tk.GUEST_TOOLKIT_DIR + "/" + item["path"]: item["sha256"] for item in inputs["manifestFiles"]}
        injecting = RecordingGuest(toolkit, hashes)
        tk.inject(injecting, toolkit, inputs["bootstrap"])
        removing = RecordingGuest(toolkit, hashes)
        removed = tk.remove(removing, inputs["bootstrap"])
        return {"diagnostics": diagnostics, "inject": injecting.steps, "remove": removing.steps, "removed": removed,
                "planPath": os.path.abspath(toolkit_plan.PLAN_PATH) if plan is None else None}
    finally:
        collect.PLAN = tk.PLAN = toolkit_plan.PLAN


def main(argv):
    with open(argv[1]) as handle:
        inputs = json.load(handle)
    inputs = inputs.get("inputs", inputs)
    plan = toolkit_plan.load_plan(argv[2]) if len(argv) > 2 else None
    json.dump(dump(inputs, plan), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
