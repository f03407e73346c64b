"""The guest agent client against a fake qemu-ga on a unix socket."""

import base64
import io
import json
import os
import shutil
import socket
import tempfile
import threading
import unittest

from civic_helper.errors import HelperError
from civic_helper.qga import GuestAgent, QgaError


class FakeAgent:
    """Speaks enough of qemu-ga: sync-delimited, exec, exec-status and file commands."""

    def __init__(self, path, files=None, stale=b'{"return": {"stale": true}}\n', fail=None):
        self.path = path
        self.files = dict(files or {})
        self.written = {}
        self.stale = stale
        self.fail = fail or {}
        self.commands = []
        self.open_handles = {}
        self.disconnects = 0
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(path)
        self._server.listen(1)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self):
        self._server.close()

    def _serve(self):
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(self.stale)
                buffer = b""
                status_calls = 0
                while True:
                    try:
                        chunk = conn.recv(65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    buffer += chunk
                    while b"\n" in buffer:
                        line, _, buffer = buffer.partition(b"\n")
                        line = line.lstrip(b"\xff")
                        if not line.strip():
                            continue
                        request = json.loads(line)
                        command = request["execute"]
                        args = request.get("arguments", {})
                        self.commands.append(command)
                        if command in self.fail:
                            reply = {"error": {"class": "GenericError", "desc": self.fail[command]}}
                        elif command == "guest-sync-delimited":
                            conn.sendall(b"\xff" + json.dumps({"return": args["id"]}).encode() + b"\n")
                            continue
                        elif command == "guest-exec":
                            reply = {"return": {"pid": 42}}
                        elif command == "guest-exec-status":
                            status_calls += 1
                            reply = {"return": {"exited": False}} if status_calls == 1 else {"return": {
                                "exited": True, "exitcode": 3, "out-data": base64.b64encode(b"out\x00\x1b").decode(),
                                "err-data": base64.b64encode(b"err").decode()}}
                        elif command == "guest-file-open":
                            if args["mode"] == "r" and args["path"] not in self.files:
                                reply = {"error": {"class": "GenericError",
                                                   "desc": "failed to open file: No such file or directory"}}
                            else:
                                handle = 1000 + len(self.open_handles)
                                self.open_handles[handle] = {"path": args["path"], "offset": 0}
                                if args["mode"] == "w":
                                    self.written[args["path"]] = b""
                                reply = {"return": handle}
                        elif command == "guest-file-read":
                            state = self.open_handles[args["handle"]]
                            data = self.files[state["path"]][state["offset"]:state["offset"] + args["count"]]
                            state["offset"] += len(data)
                            reply = {"return": {"count": len(data), "buf-b64": base64.b64encode(data).decode(),
                                                "eof": state["offset"] >= len(self.files[state["path"]])}}
                        elif command == "guest-file-write":
                            data = base64.b64decode(args["buf-b64"])
                            self.written[self.open_handles[args["handle"]]["path"]] += data
                            reply = {"return": {"count": len(data), "eof": False}}
                        elif command == "guest-file-close":
                            self.open_handles.pop(args["handle"], None)
                            reply = {"return": {}}
                        else:
                            reply = {"return": {}}
                        conn.sendall(json.dumps(reply).encode() + b"\n")
            self.disconnects += 1


class GuestAgentTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cwq-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.path = os.path.join(self.dir, "qga.sock")

    def agent(self, **kwargs):
        fake = FakeAgent(self.path, **kwargs)
        self.addCleanup(fake.close)
        return fake

    def test_sync_skips_stale_replies_left_by_an_earlier_client(self):
        fake = self.agent()
        with GuestAgent(self.path, timeout=5) as agent:
            self.assertEqual(agent.execute("guest-ping"), {})
        self.assertEqual(fake.commands, ["guest-sync-delimited", "guest-ping"])

    def test_exec_waits_for_exit_and_returns_raw_bytes(self):
        self.agent()
        with GuestAgent(self.path, timeout=5) as agent:
            outcome = agent.run("/bin/ps", ["-e"], poll=0.001)
        self.assertEqual((outcome["pid"], outcome["exitCode"]), (42, 3))
        self.assertEqual(outcome["stdout"], b"out\x00\x1b")
        self.assertEqual(outcome["stderr"], b"err")

    def test_file_read_in_chunks_and_the_handle_is_closed(self):
        content = os.urandom(3000)
        fake = self.agent(files={"/etc/hostname": content})
        sink = io.BytesIO()
        with GuestAgent(self.path, timeout=5) as agent:
            size, truncated = agent.read_file("/etc/hostname", sink, max_bytes=10_000, chunk=1024)
        self.assertEqual((size, truncated, sink.getvalue()), (3000, False, content))
        self.assertEqual(fake.commands.count("guest-file-read"), 3)
        self.assertEqual(fake.open_handles, {})

    def test_file_read_stops_at_the_cap(self):
        fake = self.agent(files={"/big": b"x" * 5000})
        sink = io.BytesIO()
        with GuestAgent(self.path, timeout=5) as agent:
            size, truncated = agent.read_file("/big", sink, max_bytes=1500, chunk=1024)
        self.assertEqual((size, truncated, len(sink.getvalue())), (1500, True, 1500))
        self.assertEqual(fake.open_handles, {})

    def test_file_write_in_chunks(self):
        fake = self.agent()
        data = os.urandom(100_000)
        with GuestAgent(self.path, timeout=5) as agent:
            self.assertEqual(agent.write_file("/tmp/tool", io.BytesIO(data)), len(data))
        self.assertEqual(fake.written["/tmp/tool"], data)
        self.assertIn("guest-file-flush", fake.commands)
        self.assertEqual(fake.open_handles, {})

    def test_errors_close_the_handle_and_the_socket(self):
        fake = self.agent(files={"/f": b"abc"}, fail={"guest-file-read": "I/O error"})
        with self.assertRaises(QgaError):
            with GuestAgent(self.path, timeout=5) as agent:
                agent.read_file("/f", io.BytesIO(), max_bytes=10)
        self.assertEqual(fake.open_handles, {})
        # A second client can connect: the first one did not leak its connection.
        with GuestAgent(self.path, timeout=5) as agent:
            agent.execute("guest-ping")
        self.assertEqual(fake.commands.count("guest-sync-delimited"), 2)

    def test_missing_file_is_an_agent_error(self):
        self.agent()
        with GuestAgent(self.path, timeout=5) as agent:
            with self.assertRaises(QgaError) as caught:
                agent.read_file("/nope", io.BytesIO(), max_bytes=10)
        self.assertIn("No such file", caught.exception.desc)

    def test_a_silent_agent_times_out_with_a_clear_error(self):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(self.path)
        server.listen(1)
        self.addCleanup(server.close)
        with self.assertRaises(HelperError) as caught:
            GuestAgent(self.path, timeout=0.3)
        self.assertEqual(caught.exception.code, "HELPER_FAILED")


if __name__ == "__main__":
    unittest.main()
