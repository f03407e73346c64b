"""The helper's side of the toolkit plan agreement: its argv and steps are the ones in toolkit_plan_expected.json.

The app's side (test/unit/main/toolkit/toolkit-plan-agreement.test.ts) checks its own against the same file and
runs tests/toolkit_plan_dump.py to compare the two directly.
"""

import copy
import json
import os
import shutil
import tempfile
import unittest

from civic_helper import toolkit_plan
from civic_helper.toolkit_plan import PlanError, ToolkitPlan

from tests.toolkit_plan_dump import EXPECTED_PATH, dump

with open(EXPECTED_PATH) as _handle:
    EXPECTED = json.load(_handle)


def _steps(dumped):
    return json.loads(json.dumps(dumped, sort_keys=True))


class ToolkitPlanAgreementTest(unittest.TestCase):
    def setUp(self):
        self.helper = dump(EXPECTED["inputs"])

    def test_every_diagnostic_argv_is_the_expected_one(self):
        self.assertEqual(sorted(self.helper["diagnostics"]), sorted(EXPECTED["diagnostics"]))
        for name, argv in EXPECTED["diagnostics"].items():
            self.assertEqual(self.helper["diagnostics"][name], argv, name)

    def test_inject_and_remove_run_the_expected_steps_in_order(self):
        steps = EXPECTED["steps"]
        self.assertEqual(_steps(self.helper["inject"]), _steps(steps["injection"] + steps["outputFolder"]))
        self.assertEqual(_steps(self.helper["remove"]), _steps(steps["stop"] + steps["removal"]))
        self.assertTrue(self.helper["removed"])

    def test_a_changed_argv_in_the_plan_is_caught(self):
        # The same check against a changed copy of the plan: one gdb flag and one removal word differ.
        with open(toolkit_plan.PLAN_PATH) as handle:
            document = json.load(handle)
        changed = copy.deepcopy(document)
        changed["diagnostics"]["backtrace"]["argv"][10] = "-batchx"
        changed["steps"]["removal"][0]["argv"][1] = "ash"
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        path = os.path.join(folder, "plan.json")
        with open(path, "w") as handle:
            json.dump(changed, handle)
        helper = dump(EXPECTED["inputs"], toolkit_plan.load_plan(path))
        self.assertNotEqual(helper["diagnostics"]["backtrace"], EXPECTED["diagnostics"]["backtrace"])
        self.assertIn("-batchx", helper["diagnostics"]["backtrace"])
        self.assertEqual(helper["diagnostics"]["kernelStacks"], EXPECTED["diagnostics"]["kernelStacks"])
        self.assertNotEqual(_steps(helper["remove"]), _steps(EXPECTED["steps"]["stop"] + EXPECTED["steps"]["removal"]))
        # And the shipped plan is back in place afterwards.
        self.assertEqual(dump(EXPECTED["inputs"])["diagnostics"], EXPECTED["diagnostics"])

    def test_placeholders_it_does_not_know_are_refused(self):
        with open(toolkit_plan.PLAN_PATH) as handle:
            document = json.load(handle)
        broken = copy.deepcopy(document)
        broken["diagnostics"]["backtrace"]["argv"].append("{{nothing}}")
        with self.assertRaises(PlanError):
            ToolkitPlan(broken).diagnostic_argv("backtrace", pid=1)
        with self.assertRaises(PlanError):
            toolkit_plan.PLAN.diagnostic_argv("backtrace", pid=1, seconds=2)
        with self.assertRaises(PlanError):
            toolkit_plan.PLAN.diagnostic_argv("collector", document="processes", output="/x", busybox="/y")

    def test_the_plan_sits_in_the_helper_package_that_is_deployed(self):
        # The deploy uploads the helper folder without tests/ and __pycache__/: the plan must be in civic_helper.
        self.assertEqual(os.path.dirname(toolkit_plan.PLAN_PATH), os.path.dirname(os.path.abspath(toolkit_plan.__file__)))
        self.assertEqual(os.path.basename(os.path.dirname(toolkit_plan.PLAN_PATH)), "civic_helper")


if __name__ == "__main__":
    unittest.main()
