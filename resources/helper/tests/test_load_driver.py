"""The load driver against real servers on 127.0.0.1 port 0: counts, error kinds, warm-up, open loop,
the histogram against a sorted list, loopback and port refusals, and the access-log parser."""

import http.server
import json
import math
import os
import random
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

from civic_helper.errors import LOAD_TARGET_REFUSED, VALIDATION_FAILED, HelperError
from civic_helper.load_driver import parse_load_args
from civic_helper.load_engine import LoadPlan, LoadRun
from civic_helper.load_histogram import LatencyHistogram
from civic_helper.load_sources import AccessLogError, parse_access_log, weighted_cycle
from civic_helper.load_targets import parse_target

from .qemu_lab import HELPER


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real web server answers

    def log_message(self, *_args):
        pass

    def do_GET(self):
        server = self.server
        with server.lock:
            server.paths.append(self.path)
            first = server.first_at = server.first_at or time.monotonic()
        status, body = server.answer(self.path, time.monotonic() - first)
        self.send_response(status)
        if self.path.startswith("/chunked"):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (body[:3], body[3:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _HttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.lock = threading.Lock()
        self.paths = []
        self.first_at = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


def start_http(test, answer=lambda path, since_first: (200, b"hello world")):
    """An http.server on 127.0.0.1 port 0 in a thread, stopped when the test ends."""
    server = _HttpServer(answer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    test.addCleanup(server.server_close)
    test.addCleanup(server.shutdown)
    return server


def start_raw(test, on_connection):
    """A TCP server on 127.0.0.1 port 0 that hands each accepted socket to `on_connection`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    stop = threading.Event()

    def serve():
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=on_connection, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    test.addCleanup(listener.close)
    test.addCleanup(stop.set)
    return "http://127.0.0.1:%d" % listener.getsockname()[1]


def reset_at_once(connection):
    connection.recv(4096)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
    connection.close()


def run_plan(url, **options):
    targets = [parse_target(url if isinstance(url, str) else url[0])] if isinstance(url, str) else \
        [parse_target(u) for u in url]
    options.setdefault("warmup_seconds", 0)
    options.setdefault("duration_seconds", 0.5)
    options.setdefault("timeout_seconds", 5)
    return LoadRun(LoadPlan(targets, **options)).run()


class ClosedLoopTest(unittest.TestCase):
    def test_every_request_the_server_saw_is_counted_once_and_latency_has_them_all(self):
        server = start_http(self)
        report = run_plan(server.url + "/index.html", concurrency=4, warmup_seconds=0.3, duration_seconds=0.6)
        self.assertGreater(report["requests"]["sent"], 0)
        self.assertGreater(report["requests"]["warmup"], 0)
        self.assertEqual(report["requests"]["sent"] + report["requests"]["warmup"], len(server.paths))
        self.assertEqual(report["requests"]["ok"], report["requests"]["sent"])
        self.assertEqual(report["errors"], {})
        self.assertEqual(report["latencyMs"]["count"], report["requests"]["ok"])
        self.assertLessEqual(report["connectionsOpened"], 4)  # keep-alive: one connection per worker
        # every response is the same 11-byte body with its head; all of them are counted
        self.assertGreaterEqual(report["bytes"], report["requests"]["sent"] * 11)
        self.assertEqual(sum(second["requests"] for second in report["timeline"]), report["requests"]["sent"])
        self.assertEqual(report["stoppedBy"], "duration")

    def test_the_request_cap_stops_the_run_by_itself(self):
        server = start_http(self)
        report = run_plan(server.url + "/", concurrency=3, duration_seconds=60, max_requests=50)
        self.assertEqual(len(server.paths), 50)
        self.assertEqual(report["requests"]["sent"], 50)
        self.assertEqual(report["stoppedBy"], "maxRequests")

    def test_chunked_responses_are_read_to_their_end(self):
        server = start_http(self)
        report = run_plan(server.url + "/chunked", concurrency=2, max_requests=20)
        self.assertEqual(report["requests"]["ok"], 20)
        self.assertEqual(report["connectionsOpened"], 2)

    def test_warm_up_requests_are_kept_out_of_the_statistics(self):
        # The server answers 500 for its first 0.2 s; the warm-up lasts 1 s, so no 500 may be reported.
        server = start_http(self, lambda path, since: (500, b"cold") if since < 0.2 else (200, b"warm"))
        report = run_plan(server.url + "/", concurrency=2, warmup_seconds=1.0, duration_seconds=0.4)
        with server.lock:
            total = len(server.paths)
        self.assertGreater(report["requests"]["warmup"], 0)
        self.assertEqual(report["errors"], {})
        self.assertEqual(report["requests"]["ok"], report["requests"]["sent"])
        self.assertEqual(report["requests"]["sent"] + report["requests"]["warmup"], total)


class ErrorKindsTest(unittest.TestCase):
    def test_non_2xx_3xx_answers_are_errors_by_status(self):
        server = start_http(self, lambda path, since: (500, b"broken") if path == "/bad" else (302, b""))
        report = run_plan([server.url + "/bad", server.url + "/moved"], concurrency=2, max_requests=40)
        self.assertEqual(report["errors"], {"status": {"500": 20}})
        self.assertEqual(report["requests"]["ok"], 20)
        self.assertEqual(report["latencyMs"]["count"], 20)

    def test_a_server_that_resets_connections(self):
        url = start_raw(self, reset_at_once)
        report = run_plan(url + "/", concurrency=2, max_requests=30)
        self.assertEqual(report["requests"]["ok"], 0)
        self.assertEqual(set(report["errors"]), {"reset"})
        self.assertEqual(report["errors"]["reset"], 30)

    def test_a_port_nobody_listens_on(self):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        report = run_plan("http://127.0.0.1:%d/" % port, concurrency=2, max_requests=10)
        self.assertEqual(report["errors"], {"connectRefused": 10})

    def test_a_server_that_never_answers_times_out(self):
        held = []
        url = start_raw(self, held.append)  # accepted and never answered
        self.addCleanup(lambda: [connection.close() for connection in held])
        report = run_plan(url + "/", concurrency=2, duration_seconds=0.3, timeout_seconds=0.3)
        self.assertEqual(set(report["errors"]), {"readTimeout"})
        self.assertEqual(report["errors"]["readTimeout"], 2)

    def test_a_server_that_speaks_something_else_is_malformed(self):
        def garbage(connection):
            connection.recv(4096)
            connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
            time.sleep(0.2)
            connection.close()

        url = start_raw(self, garbage)
        report = run_plan(url + "/", concurrency=1, max_requests=5)
        self.assertEqual(report["errors"], {"malformed": 5})


class OpenLoopTest(unittest.TestCase):
    def test_offered_rate_holds_on_a_slow_server_and_latency_includes_the_wait(self):
        server = start_http(self, lambda path, since: (time.sleep(0.05), (200, b"slow"))[1])
        report = run_plan(server.url + "/", mode="open", rate=40, concurrency=16, duration_seconds=2)
        self.assertEqual(report["offeredRate"], 40)
        # Enough connections for the rate: the timetable is kept, every due request goes out.
        self.assertGreaterEqual(report["requests"]["sent"], 78)
        self.assertLessEqual(report["requests"]["sent"], 80)
        self.assertGreaterEqual(report["latencyMs"]["p50"], 50)

    def test_a_saturated_server_shows_as_growing_latency_not_a_lower_offered_rate(self):
        # Two connections to a server taking 0.1 s: 20 requests/s at most, 40/s offered.
        slow = lambda path, since: (time.sleep(0.1), (200, b"slow"))[1]
        server = start_http(self, slow)
        report = run_plan(server.url + "/", mode="open", rate=40, concurrency=2, duration_seconds=2)
        self.assertEqual(report["offeredRate"], 40)
        self.assertLess(report["requests"]["sent"], 60)
        self.assertEqual(report["requests"]["unsent"], 80 - report["requests"]["sent"])
        first, second = report["timeline"]
        self.assertGreater(second["p95Ms"], first["p95Ms"])
        closed = run_plan(start_http(self, slow).url + "/", concurrency=2, duration_seconds=1)
        # The closed loop waits for the server and so hides the queue; the open loop measures it.
        self.assertGreater(report["latencyMs"]["p50"], 2 * closed["latencyMs"]["p50"])
        self.assertGreater(report["latencyMs"]["max"], 500)


class HistogramTest(unittest.TestCase):
    def test_percentiles_match_a_sorted_list_within_bucket_precision(self):
        generator = random.Random(13)
        values = [int(math.exp(generator.uniform(0, math.log(3e8)))) for _ in range(20000)] + [0, 1, 255, 256, 257]
        histogram = LatencyHistogram()
        for value in values:
            histogram.record(value)
        ordered = sorted(values)
        for percent in (0.1, 1, 50, 90, 95, 99, 99.9, 100):
            expected = ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]
            got = histogram.percentile(percent)
            self.assertGreaterEqual(got, expected, percent)
            self.assertLessEqual(got, expected * (1 + 1 / 128) + 1, percent)
        self.assertEqual(histogram.max, ordered[-1])
        self.assertEqual(histogram.min, 0)

    def test_merging_halves_gives_the_whole_and_the_sparse_form_round_trips(self):
        generator = random.Random(5)
        values = [generator.randint(0, 10 ** 7) for _ in range(5000)]
        whole, left, right = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
        for index, value in enumerate(values):
            whole.record(value)
            (left if index % 2 else right).record(value)
        merged = LatencyHistogram.from_sparse(json.loads(json.dumps(left.to_sparse()))).merge(right)
        self.assertEqual(merged.counts, whole.counts)
        self.assertEqual(merged.summary_ms(), whole.summary_ms())
        with self.assertRaises(ValueError):
            whole.merge(LatencyHistogram(bits=5))

    def test_memory_is_fixed(self):
        histogram = LatencyHistogram()
        size = len(histogram.counts)
        for value in (1, 10 ** 12, -5):
            histogram.record(value)
        self.assertEqual(len(histogram.counts), size)
        self.assertEqual(histogram.clamped, 1)


class TargetRefusalTest(unittest.TestCase):
    def assertRefused(self, url, reason, allowed_ports=None):
        with self.assertRaises(HelperError) as caught:
            parse_target(url, allowed_ports)
        self.assertEqual(caught.exception.code, LOAD_TARGET_REFUSED, url)
        self.assertEqual(caught.exception.detail["reason"], reason, url)
        return caught.exception

    def test_only_loopback_literals_and_localhost(self):
        for url in ("http://127.0.0.1:8080/", "http://127.1.2.3/x?y=1", "http://[::1]:8080/", "http://localhost:81/"):
            self.assertTrue(parse_target(url).host in ("127.0.0.1", "127.1.2.3", "::1"), url)
        self.assertRefused("http://10.0.0.5:8080/", "not-loopback")
        self.assertRefused("http://192.168.122.10/", "not-loopback")
        self.assertRefused("http://[::2]/", "not-loopback")
        self.assertRefused("http://0.0.0.0:8080/", "not-loopback")
        error = self.assertRefused("http://web01.internal:8080/", "not-a-literal")
        self.assertIn("resolves no names", error.message)
        self.assertRefused("http://localhost.evil.example/", "not-a-literal")
        self.assertRefused("https://127.0.0.1/", "not-http")
        self.assertRefused("http://user:pw@127.0.0.1/", "credentials")
        self.assertRefused("http://127.0.0.1/a b", "bad-path")
        self.assertRefused("http://127.0.0.1/a\r\nX-Injected: 1", "bad-path")

    def test_only_the_allowed_ports(self):
        self.assertEqual(parse_target("http://127.0.0.1:18080/", frozenset([18080])).port, 18080)
        error = self.assertRefused("http://127.0.0.1:22/", "port-not-allowed", frozenset([18080, 18443]))
        self.assertIn("18080, 18443", error.message)
        self.assertRefused("http://127.0.0.1/", "port-not-allowed", frozenset([18080]))

    def test_the_verb_refuses_before_sending_anything(self):
        server = start_http(self)
        port = server.server_address[1]
        lines = run_helper({"targets": [server.url + "/", "http://10.1.1.1:%d/" % port], "durationSeconds": 1})
        self.assertEqual(lines[-1]["type"], "error")
        self.assertEqual(lines[-1]["code"], LOAD_TARGET_REFUSED)
        self.assertIn("10.1.1.1", lines[-1]["message"])
        lines = run_helper({"targets": [server.url + "/"], "allowedPorts": [port + 1], "durationSeconds": 1})
        self.assertEqual(lines[-1]["code"], LOAD_TARGET_REFUSED)
        self.assertEqual(lines[-1]["detail"]["reason"], "port-not-allowed")
        lines = run_helper({"accessLog": {"path": "/nonexistent"}, "baseUrl": "http://web01:80"})
        self.assertEqual(lines[-1]["code"], LOAD_TARGET_REFUSED)
        self.assertEqual(server.paths, [])

    def test_without_a_twin_the_verb_refuses_even_a_loopback_server(self):
        server = start_http(self)
        lines = run_helper({"targets": [server.url + "/"], "durationSeconds": 1}, any_loopback=False)
        self.assertEqual(lines[-1]["code"], VALIDATION_FAILED)
        self.assertIn("cloneId", lines[-1]["message"])
        lines = run_helper({"cloneId": "cw-000000000000", "targets": [server.url + "/"], "durationSeconds": 1},
                           any_loopback=False)
        self.assertEqual(lines[-1]["code"], "NOT_FOUND")
        self.assertEqual(server.paths, [])

    def test_twin_ports_narrow_the_allowed_ports(self):
        good = {"targets": ["http://127.0.0.1:18080/"]}
        parse_load_args(good, frozenset([18080]))
        with self.assertRaises(HelperError) as caught:
            parse_load_args(good, frozenset([18081]))
        self.assertEqual(caught.exception.code, LOAD_TARGET_REFUSED)
        with self.assertRaises(HelperError):
            parse_load_args(dict(good, allowedPorts=[18080]), frozenset([18081]))


def run_helper(args, any_loopback=True):
    with tempfile.TemporaryDirectory() as root:
        output = subprocess.run([HELPER, "load", "--root", root, "--json-args", json.dumps(args)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, timeout=60, check=False,
                                env=dict(os.environ, CIVIC_HELPER_LOAD_ANY_LOOPBACK="1") if any_loopback else None)
    return [json.loads(line) for line in output.stdout.decode().splitlines()]


NGINX = ('127.0.0.1 - - [26/Nov/2026:10:00:01 +0000] "GET /index.html HTTP/1.1" 200 612 "-" "curl/7.88.1"\n'
         '10.0.2.2 - alice [26/Nov/2026:10:00:02 +0000] "POST /login HTTP/1.1" 302 0 "http://x/" "Mozilla/5.0"\n'
         '10.0.2.2 - - [26/Nov/2026:10:00:03 +0000] "GET /search?q=%22a%22 HTTP/1.1" 200 1043 "-" "ua \\"quoted\\""\n'
         '10.0.2.2 - - [26/Nov/2026:10:00:04 +0000] "-" 400 0 "-" "-"\n'
         '\n'
         '10.0.2.2 - - [26/Nov/2026:10:00:05 +0000] "\\x16\\x03\\x01" 400 157 "-" "-"\n'
         '10.0.2.2 - - [26/Nov/2026:10:00:06 +0000] "GET http://proxy.example/abs?x=1 HTTP/1.1" 200 5 "-" "-" 0.001\n')
APACHE_COMMON = '192.168.1.4 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326\n'
LIGHTTPD = '10.0.2.2 web.example - [26/Nov/2026:10:00:07 +0000] "GET /lighttpd.png HTTP/1.1" 304 - "-" "Wget"\n'


class AccessLogTest(unittest.TestCase):
    def test_nginx_apache_and_lighttpd_lines(self):
        paths, skipped, total = parse_access_log((NGINX + APACHE_COMMON + LIGHTTPD).splitlines(True), 100)
        self.assertEqual(paths, ["/index.html", "/search?q=%22a%22", "/abs?x=1", "/apache_pb.gif", "/lighttpd.png"])
        self.assertEqual(skipped, {"nonGet": 1, "noRequestLine": 2, "unusablePath": 0})
        self.assertEqual(total, 8)

    def test_busybox_httpd_verbose_lines(self):
        lines = ["127.0.0.1:50318: url:/file.bin\n", "127.0.0.1:50318: response:200\n",
                 "10.0.2.2:40000: url:/cgi-bin/x?y=1\n", "10.0.2.2:40000: response:404\n"]
        paths, skipped, total = parse_access_log(lines, 10)
        self.assertEqual(paths, ["/file.bin", "/cgi-bin/x?y=1"])
        self.assertEqual(total, 2)
        self.assertEqual(sum(skipped.values()), 0)

    def test_the_last_n_in_order(self):
        paths, _, _ = parse_access_log((NGINX + APACHE_COMMON + LIGHTTPD).splitlines(True), 2)
        self.assertEqual(paths, ["/apache_pb.gif", "/lighttpd.png"])

    def test_a_bad_line_is_named_by_its_number_and_what_is_wrong(self):
        lines = (APACHE_COMMON + APACHE_COMMON + "Nov 26 10:00:00 httpd: started\n" + APACHE_COMMON).splitlines()
        with self.assertRaises(AccessLogError) as caught:
            parse_access_log(lines, 10)
        self.assertEqual(caught.exception.line_number, 3)
        self.assertIn("[time]", caught.exception.reason)
        no_status = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" OK 12\n'
        with self.assertRaises(AccessLogError) as caught:
            parse_access_log([APACHE_COMMON, no_status], 10)
        self.assertEqual(caught.exception.line_number, 2)
        self.assertIn("three-digit status", caught.exception.reason)

    def test_the_verb_names_the_line_of_a_log_it_cannot_parse(self):
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as log:
            log.write(APACHE_COMMON + "garbage\n")
        self.addCleanup(os.unlink, log.name)
        server = start_http(self)
        lines = run_helper({"accessLog": {"path": log.name, "lastN": 5}, "baseUrl": server.url})
        self.assertEqual(lines[-1]["code"], VALIDATION_FAILED)
        self.assertEqual(lines[-1]["detail"]["line"], 2)
        self.assertIn("line 2", lines[-1]["message"])
        self.assertEqual(server.paths, [])

    def test_replay_sends_the_logged_paths_in_order_under_the_base_path(self):
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as log:
            log.write(NGINX + LIGHTTPD)
        self.addCleanup(os.unlink, log.name)
        server = start_http(self)
        lines = run_helper({"accessLog": {"path": log.name, "lastN": 3}, "baseUrl": server.url + "/app/",
                            "concurrency": 1, "warmupSeconds": 0, "durationSeconds": 5, "maxRequests": 4,
                            "allowedPorts": [server.server_address[1]]})
        result = lines[-1]
        self.assertEqual(result["type"], "result", result)
        self.assertEqual(server.paths, ["/app/search?q=%22a%22", "/app/abs?x=1", "/app/lighttpd.png",
                                        "/app/search?q=%22a%22"])
        self.assertEqual(result["payload"]["source"]["replayed"], 3)
        self.assertEqual(result["payload"]["source"]["skipped"]["nonGet"], 1)
        self.assertEqual(result["payload"]["report"]["requests"]["ok"], 4)


class VerbTest(unittest.TestCase):
    def test_progress_each_second_then_a_report(self):
        server = start_http(self)
        lines = run_helper({"targets": [{"url": server.url + "/a", "weight": 3}, server.url + "/b"],
                            "mode": "open", "rate": 100, "warmupSeconds": 1, "durationSeconds": 1.5,
                            "allowedPorts": [server.server_address[1]]})
        progress = [line for line in lines if line["type"] == "progress"]
        self.assertGreaterEqual(len(progress), 2)
        self.assertEqual(progress[0]["phase"], "warmup")
        self.assertEqual(progress[-1]["phase"], "measure")
        report = lines[-1]["payload"]["report"]
        self.assertEqual(report["offeredRate"], 100)
        self.assertEqual(len(report["timeline"]), 2)
        self.assertLessEqual(abs(server.paths.count("/a") - 3 * server.paths.count("/b")), 3)

    def test_arguments_out_of_bounds_are_refused(self):
        good = {"targets": ["http://127.0.0.1:1/"]}
        for extra in ({"durationSeconds": 601}, {"maxRequests": 10 ** 8}, {"concurrency": 0}, {"mode": "open"},
                      {"mode": "burst"}, {"warmupSeconds": -1}, {"rate": 10, "mode": "open", "timeoutSeconds": 0},
                      {"accessLog": {"path": "/x"}}, {"baseUrl": "http://127.0.0.1/"}, {"bogus": 1}):
            with self.assertRaises(HelperError, msg=extra) as caught:
                parse_load_args(dict(good, **extra))
            self.assertEqual(caught.exception.code, VALIDATION_FAILED, extra)

    def test_weighted_round_robin_interleaves(self):
        self.assertEqual(weighted_cycle([("a", 3), ("b", 1)]), ["a", "a", "b", "a"])
        self.assertEqual(sorted(weighted_cycle([("a", 5), ("b", 2), ("c", 1)])), ["a"] * 5 + ["b"] * 2 + ["c"])


if __name__ == "__main__":
    unittest.main()
