"""The load engine: closed loop (fixed concurrency) or open loop (fixed rate on a timetable).

Open loop handles coordinated omission as wrk2 does: request i is due at start + i / rate, and its
latency is measured from that intended time, so a server that falls behind shows as growing latency
(time spent waiting for a free connection included), never as a quietly lower offered rate. Requests
whose start (intended start, in open loop) falls in the warm-up are counted but kept out of every
statistic; the per-second timeline counts each response in the second it completed. The run stops by
itself: at the end of its duration, at its request cap, or on `should_stop`.
"""

import asyncio
import socket

from . import load_http
from .load_histogram import LatencyHistogram
from .load_http import HttpConnection, request_bytes

SWEEP_SECONDS = 0.05
CLOSED_LOOP_RETRY_PAUSE = 0.01  # after a failed connect, so a refusing target is not hammered in a spin


class LoadPlan:
    """What to run: validated by the verb before it gets here."""

    def __init__(self, targets, mode="closed", concurrency=8, rate=None, warmup_seconds=0.0, duration_seconds=10.0,
                 max_requests=10000000, timeout_seconds=10.0):
        self.targets = targets
        self.mode = mode
        self.concurrency = concurrency
        self.rate = rate
        self.warmup_seconds = warmup_seconds
        self.duration_seconds = duration_seconds
        self.max_requests = max_requests
        self.timeout_seconds = timeout_seconds


class _Second:
    __slots__ = ("requests", "errors", "histogram")

    def __init__(self):
        self.requests = 0
        self.errors = 0
        self.histogram = LatencyHistogram(bits=5)


class LoadRun:
    """One run of a plan; `run()` returns the report."""

    def __init__(self, plan, on_second=None, should_stop=None):
        self.plan = plan
        self.on_second = on_second
        self.should_stop = should_stop
        self.histogram = LatencyHistogram()
        self.timeline = [_Second() for _ in range(max(1, int(-(-plan.duration_seconds // 1))))]
        self.errors = {}
        self.statuses = {}
        self.ok = 0
        self.completed = 0
        self.warmup_requests = 0
        self.bytes = 0
        self.claimed = 0
        self.connections_opened = 0
        self.stopped_by = "duration"
        self.stopping = False
        self.live = set()
        # Distinct paths share one request object, so a long replayed log costs little memory.
        by_key = {}
        self.requests = [by_key.setdefault((t.host, t.port, t.path), request_bytes(t)) for t in plan.targets]
        self.endpoints = [(t.host, t.port, t.family) for t in plan.targets]

    # -- the timetable -------------------------------------------------------------------------------

    def _claim(self, now):
        """The next request to send as (intended start or None, index), or None when the run is over."""
        if self.stopping:
            return None
        if self.claimed >= self.plan.max_requests:
            self.stopped_by = "maxRequests"
            return None
        if now >= self.end:
            return None
        index = self.claimed
        if self.plan.mode == "open":
            intended = self.start + index / self.plan.rate
            if intended >= self.end:
                return None
            self.claimed += 1
            return intended, index
        self.claimed += 1
        return None, index

    # -- connections ---------------------------------------------------------------------------------

    async def _connect(self, endpoint):
        host, port, family = endpoint
        connection = HttpConnection(self.loop)
        try:
            await asyncio.wait_for(
                self.loop.create_connection(lambda: connection, host, port,
                                            family=socket.AF_INET6 if family == 6 else socket.AF_INET),
                self.plan.timeout_seconds)
        except asyncio.TimeoutError:
            return None, load_http.CONNECT_TIMEOUT
        except ConnectionRefusedError:
            return None, load_http.CONNECT_REFUSED
        except OSError:
            return None, load_http.CONNECT_ERROR
        self.connections_opened += 1
        self.live.add(connection)
        return connection, None

    async def _exchange(self, connections, index):
        """Send request `index` on this worker's connection to its endpoint: (kind, status, bytes)."""
        index %= len(self.requests)  # a short list (or replayed log) is cycled
        endpoint = self.endpoints[index]
        for attempt in (0, 1):
            connection = connections.get(endpoint)
            if connection is None or connection.closed:
                if connection is not None:
                    self.live.discard(connection)
                connection, kind = await self._connect(endpoint)
                if connection is None:
                    return kind, 0, 0
                connections[endpoint] = connection
            result = await connection.send(self.requests[index], self.loop.time() + self.plan.timeout_seconds)
            if result[0] != load_http.CLOSED_IDLE:
                return result
            # The server closed an idle keep-alive connection as we reused it: once more, on a new one.
        return load_http.RESET, 0, 0

    # -- workers ---------------------------------------------------------------------------------------

    async def _worker(self):
        loop = self.loop
        connections = {}
        try:
            while True:
                slot = self._claim(loop.time())
                if slot is None:
                    return
                intended, index = slot
                if intended is not None:
                    delay = intended - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    started = intended
                else:
                    started = loop.time()
                kind, status, received = await self._exchange(connections, index)
                self._record(started, loop.time(), kind, status, received)
                if kind in (load_http.CONNECT_REFUSED, load_http.CONNECT_ERROR) and intended is None:
                    await asyncio.sleep(CLOSED_LOOP_RETRY_PAUSE)
        finally:
            for connection in connections.values():
                self.live.discard(connection)
                connection.close()

    def _record(self, started, finished, kind, status, received):
        if started < self.warm_end:
            self.warmup_requests += 1
            return
        # Seconds of the timeline are by completion, so a chart shows what the server delivered when.
        second = self.timeline[min(int(finished - self.warm_end), len(self.timeline) - 1)]
        second.requests += 1
        self.completed += 1
        self.bytes += received
        if kind is None and 200 <= status < 400:
            latency_us = (finished - started) * 1000000.0
            self.histogram.record(latency_us)
            second.histogram.record(latency_us)
            self.ok += 1
            return
        second.errors += 1
        if kind is None:
            self.statuses[status] = self.statuses.get(status, 0) + 1
        else:
            self.errors[kind] = self.errors.get(kind, 0) + 1

    async def _sweep(self):
        """Time out overdue requests, report each finished second, and notice a stop request."""
        loop = self.loop
        reported = 0
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now = loop.time()
            for connection in list(self.live):
                if connection.closed and not connection.busy:
                    self.live.discard(connection)
                elif connection.deadline is not None and now > connection.deadline:
                    connection.time_out()
            if self.should_stop is not None and not self.stopping and self.should_stop():
                self.stopping = True
                self.stopped_by = "cancel"
            elapsed = int(now - self.start)
            while reported < elapsed and self.on_second is not None:
                reported += 1
                self.on_second(self, reported, now)

    async def _run(self):
        self.loop = asyncio.get_running_loop()
        self.start = self.loop.time()
        self.warm_end = self.start + self.plan.warmup_seconds
        self.end = self.warm_end + self.plan.duration_seconds
        sweeper = self.loop.create_task(self._sweep())
        try:
            await asyncio.gather(*(self._worker() for _ in range(self.plan.concurrency)))
        finally:
            sweeper.cancel()
            try:
                await sweeper
            except asyncio.CancelledError:
                pass
        self.finished = self.loop.time()

    def run(self):
        """Run to the end and return the report."""
        asyncio.run(self._run())
        return self.report()

    # -- the report ------------------------------------------------------------------------------------

    def measured_seconds(self):
        """The length of the measured window: the duration, or less when the run stopped early."""
        if self.stopped_by == "duration":
            return self.plan.duration_seconds
        return max(0.001, min(self.plan.duration_seconds, getattr(self, "finished", self.end) - self.warm_end))

    def report(self):
        """The report: rates, counts, errors by kind, bytes, latency percentiles and the per-second timeline."""
        plan = self.plan
        seconds = self.measured_seconds()
        sent = self.completed
        errors = dict(self.errors)
        if self.statuses:
            errors["status"] = {str(code): count for code, count in sorted(self.statuses.items())}
        report = {
            "mode": plan.mode,
            "concurrency": plan.concurrency,
            "warmupSeconds": plan.warmup_seconds,
            "durationSeconds": plan.duration_seconds,
            "measuredSeconds": round(seconds, 3),
            "stoppedBy": self.stopped_by,
            "requests": {"sent": sent, "ok": self.ok, "errors": sent - self.ok, "warmup": self.warmup_requests},
            "achievedRate": round(self.ok / seconds, 2),
            "responseRate": round(sent / seconds, 2),
            "errors": errors,
            "bytes": self.bytes,
            "connectionsOpened": self.connections_opened,
            "latencyMs": self.histogram.summary_ms(),
            "histogram": self.histogram.to_sparse(),
            "timeline": [self._second_entry(number, second) for number, second in enumerate(self.timeline)],
        }
        if plan.mode == "open":
            scheduled = self._scheduled_in_window()
            report["rate"] = plan.rate
            report["offeredRate"] = round(scheduled / seconds, 2)
            # Due in the window but never sent because every connection was busy until the end.
            report["requests"]["unsent"] = max(0, scheduled - sent)
        else:
            report["offeredRate"] = report["responseRate"]
        return report

    def _scheduled_in_window(self):
        rate = self.plan.rate
        window_end = self.warm_end + self.measured_seconds()
        due_before = lambda moment: max(0, int(-(-(moment - self.start) * rate // 1)))  # slots with t < moment
        return min(due_before(window_end), self.plan.max_requests) - min(due_before(self.warm_end), self.plan.max_requests)

    @staticmethod
    def _second_entry(number, second):
        p95 = second.histogram.percentile(95)
        return {"second": number, "requests": second.requests, "errors": second.errors,
                "p95Ms": None if p95 is None else p95 / 1000.0}
