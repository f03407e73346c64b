"""Protocol framing, the emitter, cancel handling and the command line front door."""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from civic_helper import HELPER_VERSION, PROTOCOL_VERSION
from civic_helper.cli import main, parse_command_line
from civic_helper.errors import Cancelled, HelperError
from civic_helper.protocol import CancelToken, Emitter, decode, encode

from .qemu_lab import HELPER


class FramingTest(unittest.TestCase):
    def test_one_ascii_line_per_message_even_for_hostile_text(self):
        line = encode({"type": "progress", "message": "a\nb\u202e\x1b\udcff"})
        self.assertTrue(line.endswith("\n"))
        self.assertEqual(line.count("\n"), 1)
        line.encode("ascii")
        self.assertEqual(decode(line)["message"], "a\nb\u202e\x1b\udcff")

    def test_decode_refuses_non_messages(self):
        for bad in ("[]", "{}", '{"type": 3}', "nope"):
            with self.assertRaises(ValueError, msg=bad):
                decode(bad)


class _Broken(io.StringIO):
    def write(self, _text):
        raise BrokenPipeError()


class EmitterTest(unittest.TestCase):
    def test_hello_progress_result_error(self):
        stream = io.StringIO()
        emitter = Emitter(stream)
        emitter.hello()
        emitter.progress("plan", 1.7, "planning", strategy="precopy")
        emitter.result({"ok": 1})
        emitter.error(HelperError("VM_BUSY", "busy", detail={"cloneId": "cw-1"}))
        messages = [json.loads(line) for line in stream.getvalue().splitlines()]
        self.assertEqual(messages[0]["protocolVersion"], PROTOCOL_VERSION)
        self.assertEqual(messages[0]["helperVersion"], HELPER_VERSION)
        self.assertIn("clone", messages[0]["capabilities"])
        self.assertEqual(messages[1], {"type": "progress", "step": "plan", "value": 1.0, "message": "planning",
                                       "strategy": "precopy"})
        self.assertEqual(messages[2], {"type": "result", "payload": {"ok": 1}})
        self.assertEqual(messages[3]["code"], "VM_BUSY")
        self.assertEqual(messages[3]["detail"], {"cloneId": "cw-1"})
        self.assertTrue(messages[3]["hint"])

    def test_a_lost_reader_does_not_stop_the_work(self):
        emitter = Emitter(_Broken())
        emitter.progress("x", 0.5, "y")
        emitter.result({})
        self.assertTrue(emitter.reader_lost)


class CancelTokenTest(unittest.TestCase):
    def test_check_raises_only_outside_a_shield(self):
        token = CancelToken()
        token.check()
        token.request("test")
        with token.shield():
            token.check()
            self.assertTrue(token.shielded)
        with self.assertRaises(Cancelled) as caught:
            token.check()
        self.assertEqual(caught.exception.code, "CANCELLED")

    def test_a_cancel_line_on_stdin_sets_the_token(self):
        token = CancelToken()
        thread = token.watch_stdin(io.StringIO('not json\n{"type":"other"}\n{"type":"cancel"}\n'), wake_main=False)
        thread.join(5)
        self.assertTrue(token.requested)

    def test_eof_on_stdin_is_not_a_cancel(self):
        token = CancelToken()
        token.watch_stdin(io.StringIO(""), wake_main=False).join(5)
        self.assertFalse(token.requested)


class CommandLineTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="cwp-")
        self.addCleanup(shutil.rmtree, self.root)

    def test_parse(self):
        verb, options, args = parse_command_line(["clone", "--root", "/r", "--qmp-dir", "/a", "--qmp-dir", "/b",
                                                  "--json-args", '{"vm":"qmp:/a/s"}'])
        self.assertEqual((verb, options["root"], options["qmp_dirs"], args), ("clone", "/r", ["/a", "/b"],
                                                                               {"vm": "qmp:/a/s"}))

    def test_bad_command_lines_are_validation_errors(self):
        for argv in ([], ["explode"], ["probe", "--root"], ["probe", "--bogus", "x"], ["gc", "--json-args", "[1]"],
                     ["gc", "--json-args", "{"]):
            stream = io.StringIO()
            status = main(argv, stdout=stream, stdin=io.StringIO(""), environ={"HOME": self.root})
            last = json.loads(stream.getvalue().splitlines()[-1])
            self.assertEqual((status, last["code"]), (1, "VALIDATION_FAILED"), argv)

    def test_vm_references_are_validated(self):
        cases = {"qmp:relative.sock": "VALIDATION_FAILED", "qmp:/etc/../x.sock": "VALIDATION_FAILED",
                 "libvirt:bad name;rm": "VALIDATION_FAILED", "ssh:host": "VALIDATION_FAILED",
                 "qmp:%s/none.sock" % self.root: "NOT_FOUND", "qmp:/elsewhere/x.sock": "VALIDATION_FAILED"}
        for vm, code in cases.items():
            stream = io.StringIO()
            main(["clone", "--root", self.root + "/r", "--qmp-dir", self.root, "--json-args", json.dumps({"vm": vm})],
                 stdout=stream, stdin=io.StringIO(""))
            self.assertEqual(json.loads(stream.getvalue().splitlines()[-1])["code"], code, vm)

    def test_clone_ids_cannot_name_other_paths(self):
        for clone_id in ("../etc", "cw-0123", "cw-0123456789ab/..", 5):
            stream = io.StringIO()
            main(["destroy", "--root", self.root, "--json-args", json.dumps({"cloneId": clone_id})], stdout=stream,
                 stdin=io.StringIO(""))
            self.assertEqual(json.loads(stream.getvalue().splitlines()[-1])["code"], "VALIDATION_FAILED", clone_id)

    def test_an_unknown_clone_is_not_found(self):
        stream = io.StringIO()
        main(["destroy", "--root", self.root, "--json-args", '{"cloneId":"cw-0123456789ab"}'], stdout=stream,
             stdin=io.StringIO(""))
        self.assertEqual(json.loads(stream.getvalue().splitlines()[-1])["code"], "NOT_FOUND")

    def test_the_script_runs_from_anywhere_and_speaks_first(self):
        completed = subprocess.run([sys.executable, HELPER, "gc", "--root", self.root], capture_output=True,
                                   cwd="/", stdin=subprocess.DEVNULL, timeout=60)
        lines = [json.loads(line) for line in completed.stdout.decode().splitlines()]
        self.assertEqual(lines[0]["type"], "hello")
        self.assertEqual(lines[-1], {"type": "result", "payload": {"orphanProcesses": [], "sessions": []}})
        self.assertEqual(completed.returncode, 0)
        self.assertTrue(os.access(HELPER, os.X_OK))


if __name__ == "__main__":
    unittest.main()
