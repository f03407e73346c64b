"""The QMP client against a fake QEMU monitor: greeting, ids, events, errors, a held socket."""

import json
import os
import shutil
import socket
import tempfile
import threading
import unittest

from civic_helper.errors import HelperError
from civic_helper.qmp import QmpClient, QmpError, event_time

GREETING = {"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 22}}, "capabilities": []}}


class FakeQemu:
    """Greets, answers with the request id, and sends a stale reply and an event before each answer."""

    def __init__(self, path, greet=True):
        self.requests = []
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(path)
        self._server.listen(1)
        self._greet = greet
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self):
        self._server.close()

    def _serve(self):
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        with conn:
            if not self._greet:
                conn.recv(1)
                return
            conn.sendall(json.dumps(GREETING).encode() + b"\r\n")
            buffer = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, _, buffer = buffer.partition(b"\n")
                    request = json.loads(line)
                    self.requests.append(request)
                    out = [{"return": {"stale": True}, "id": "civic-0"},
                           {"event": "STOP", "timestamp": {"seconds": 10, "microseconds": 500000}}]
                    if request["execute"] == "bad":
                        out.append({"error": {"class": "GenericError", "desc": "nope"}, "id": request["id"]})
                    else:
                        out.append({"return": {"echo": request["execute"]}, "id": request["id"]})
                    conn.sendall(b"".join(json.dumps(m).encode() + b"\r\n" for m in out))


class QmpClientTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cwm-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.path = os.path.join(self.dir, "qmp.sock")

    def test_replies_are_matched_by_id_and_events_are_kept(self):
        fake = FakeQemu(self.path)
        self.addCleanup(fake.close)
        with QmpClient(self.path, timeout=5) as client:
            self.assertEqual(client.execute("query-status"), {"echo": "query-status"})
            self.assertEqual(fake.requests[0]["execute"], "qmp_capabilities")
            self.assertNotEqual(fake.requests[0]["id"], fake.requests[1]["id"])
            stop = client.find_event("STOP")
            self.assertEqual(event_time(stop), 10.5)
            self.assertEqual(len(client.events), 2)
            self.assertEqual(client.wait_event(("STOP",), 0.1)["event"], "STOP")
            self.assertEqual(len(client.events), 1)
            self.assertIsNone(client.wait_event(("RESUME",), 0.05))

    def test_error_replies_raise(self):
        fake = FakeQemu(self.path)
        self.addCleanup(fake.close)
        with QmpClient(self.path, timeout=5) as client:
            with self.assertRaises(QmpError) as caught:
                client.execute("bad")
        self.assertEqual((caught.exception.error_class, caught.exception.desc), ("GenericError", "nope"))

    def test_a_socket_held_by_another_client_is_vm_busy(self):
        fake = FakeQemu(self.path, greet=False)
        self.addCleanup(fake.close)
        with self.assertRaises(HelperError) as caught:
            QmpClient(self.path, timeout=0.3)
        self.assertEqual(caught.exception.code, "VM_BUSY")

    def test_no_socket_is_a_clear_failure(self):
        with self.assertRaises(HelperError) as caught:
            QmpClient(self.path, timeout=0.3)
        self.assertEqual(caught.exception.code, "HELPER_FAILED")


if __name__ == "__main__":
    unittest.main()
