"""The in-guest toolkit plan, read from `toolkit_plan.json`: the toolkit's guest layout, every diagnostic's argv
and the steps that inject and remove it.

The JSON is the one definition; the app reads the same file (main/toolkit/toolkit-plan.ts), and both
sides' tests compare what they make of it with resources/helper/tests/toolkit_plan_expected.json. This
module only fills in placeholders; it decides nothing itself.
"""

import json
import os
import re

PLAN_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toolkit_plan.json")
_PLACEHOLDER = re.compile(r"\{\{(?:(script|scriptName):)?([A-Za-z][A-Za-z0-9]*)\}\}")


class PlanError(ValueError):
    """The plan names a placeholder it does not define (a mistake in toolkit_plan.json or in a caller)."""


def _fill(text, values, scripts):
    def one(match):
        kind, name = match.group(1), match.group(2)
        if kind is None:
            if name not in values:
                raise PlanError("the toolkit plan has no value for {{%s}}" % name)
            return values[name]
        if name not in scripts:
            raise PlanError("the toolkit plan has no script %s" % name)
        return scripts[name]["name"] if kind == "scriptName" else scripts[name]["text"]

    return _PLACEHOLDER.sub(one, text)


class ToolkitPlan:
    """A loaded plan: `layout` (placeholders filled), `scripts` (name and text), argv and step builders."""

    def __init__(self, document):
        if not isinstance(document, dict) or document.get("schemaVersion") != 1:
            raise PlanError("not a version 1 toolkit plan")
        self.document = document
        self.layout = {}
        for key, value in document["layout"].items():
            self.layout[key] = _fill(value, self.layout, {})
        self.scripts = {}
        for key, script in document["scripts"].items():
            self.scripts[key] = {"name": script["name"],
                                 "text": "\n".join(_fill(line, self.layout, {}) for line in script["lines"])}

    def _values(self, inputs):
        values = dict(self.layout)
        for key, value in inputs.items():
            if key in self.layout:
                raise PlanError("input %s would hide a layout entry" % key)
            values[key] = str(value)
        return values

    def _fill_all(self, strings, values):
        return [_fill(item, values, self.scripts) for item in strings]

    def diagnostic_argv(self, name, **inputs):
        """The argv of one diagnostic (`backtrace`, `coreDump`, ...) for these inputs (every one it names)."""
        diagnostic = self.document["diagnostics"][name]
        if sorted(inputs) != sorted(diagnostic["inputs"]):
            raise PlanError("%s takes %s, not %s" % (name, ", ".join(diagnostic["inputs"]), ", ".join(sorted(inputs))))
        return self._fill_all(diagnostic["argv"], self._values(inputs))

    def steps(self, section, manifest_files=(), **inputs):
        """The steps of one section (`injection`, `outputFolder`, `stop`, `removal`) with placeholders filled.

        Each step is a dict: `put` {source, guestPath}, `exec` {purpose, argv, timeoutSeconds}, `check-file`
        {guestPath, sha256}, `check-hashes` {argv, timeoutSeconds, expected: [(guestPath, sha256)]}, its argv
        followed by every manifest file's guest path.
        """
        values = self._values(inputs)
        filled = []
        for step in self.document["steps"][section]:
            out = {"kind": step["kind"]}
            for key, value in step.items():
                if key == "kind":
                    continue
                if key == "argv":
                    out[key] = self._fill_all(value, values)
                elif isinstance(value, str):
                    out[key] = _fill(value, values, self.scripts)
                else:
                    out[key] = value
            if step["kind"] == "check-hashes":
                expected = [(self.layout["toolkitDir"] + "/" + item["path"], item["sha256"]) for item in manifest_files]
                out["expected"] = expected
                out["argv"] = out["argv"] + [path for path, _ in expected]
            filled.append(out)
        return filled


def load_plan(path=PLAN_PATH):
    """Read a toolkit plan (by default the one shipped next to this module)."""
    with open(path) as handle:
        return ToolkitPlan(json.load(handle))


PLAN = load_plan()
