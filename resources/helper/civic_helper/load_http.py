"""One keep-alive HTTP/1.1 client connection as an asyncio protocol: send a request, parse its response.

No streams and no per-request task: bytes are parsed as they arrive and a future is resolved once per
response, which is what lets one Python process drive thousands of requests a second. One request at
a time per connection (no pipelining), so any byte beyond a response is a malformed response.
"""

import asyncio

# Error kinds as the report names them.
CONNECT_REFUSED = "connectRefused"
CONNECT_TIMEOUT = "connectTimeout"
CONNECT_ERROR = "connectError"
READ_TIMEOUT = "readTimeout"
RESET = "reset"
MALFORMED = "malformed"
# Not an error: a reused keep-alive connection the server had closed while idle; the request is retried.
CLOSED_IDLE = "closedIdle"

MAX_HEAD = 65536
_HEAD, _BODY_LENGTH, _BODY_CHUNKED, _BODY_UNTIL_CLOSE, _IDLE = range(5)
_CHUNK_SIZE, _CHUNK_DATA, _CHUNK_TRAILER = range(3)


class _Malformed(Exception):
    pass


def request_bytes(target, user_agent="civic-load/1"):
    """The GET request for a target, built once and reused for every send."""
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n\r\n"
            % (target.path, target.host_header, user_agent)).encode("latin-1")


class HttpConnection(asyncio.Protocol):
    """A client connection; `send` returns a future of (error kind or None, status, bytes received)."""

    def __init__(self, loop):
        self.loop = loop
        self.transport = None
        self.closed = False
        self.deadline = None
        self.responses = 0
        self._waiter = None
        self._state = _IDLE
        self._head = b""
        self._remaining = 0
        self._chunk_state = _CHUNK_SIZE
        self._chunk_buffer = b""
        self._received = 0
        self._status = 0
        self._keep_alive = True

    def connection_made(self, transport):
        self.transport = transport

    @property
    def busy(self):
        """Whether a request is outstanding."""
        return self._waiter is not None

    def send(self, data, deadline):
        """Write one request; the future resolves when its response is complete or the request failed."""
        self._state = _HEAD
        self._head = b""
        self._received = 0
        self.deadline = deadline
        waiter = self._waiter = self.loop.create_future()
        self.transport.write(data)
        return waiter

    def time_out(self):
        """Called by the sweeper when the deadline passed: the request fails and the connection is dropped."""
        self._finish(READ_TIMEOUT)
        self.close(abort=True)

    def close(self, abort=False):
        """Close (or abort, sending RST) the connection."""
        self.closed = True
        if self.transport is not None:
            if abort:
                self.transport.abort()
            else:
                self.transport.close()

    def _finish(self, kind):
        waiter, self._waiter = self._waiter, None
        self._state = _IDLE
        self.deadline = None
        if waiter is not None and not waiter.done():
            waiter.set_result((kind, self._status, self._received))

    def _complete(self):
        self.responses += 1
        self._finish(None)
        if not self._keep_alive:
            self.close()

    def data_received(self, data):
        if self._waiter is None:  # bytes nobody asked for: the connection is out of step, drop it
            self.close(abort=True)
            return
        self._received += len(data)
        try:
            self._feed(data)
        except _Malformed:
            self._finish(MALFORMED)
            self.close(abort=True)

    def eof_received(self):
        if self._waiter is not None and self._state == _BODY_UNTIL_CLOSE:
            self._complete()
        return False

    def connection_lost(self, exc):
        self.closed = True
        if self._waiter is None:
            return
        if exc is None and self._state == _BODY_UNTIL_CLOSE:
            self._complete()
        elif exc is None and self._received == 0 and self.responses > 0:
            self._finish(CLOSED_IDLE)
        else:
            self._finish(RESET)

    def _feed(self, data):
        while data:
            state = self._state
            if state == _HEAD:
                buffer = self._head + data if self._head else data
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD:
                        raise _Malformed()
                    self._head = buffer
                    return
                self._head = b""
                data = buffer[end + 4:]
                if self._parse_head(buffer[:end]):
                    self._complete()
                    if data:
                        raise _Malformed()
                    return
            elif state == _BODY_LENGTH:
                size = len(data)
                if size < self._remaining:
                    self._remaining -= size
                    return
                if size > self._remaining:
                    raise _Malformed()
                self._complete()
                return
            elif state == _BODY_CHUNKED:
                self._feed_chunked(data)
                return
            elif state == _BODY_UNTIL_CLOSE:
                return
            else:
                raise _Malformed()

    def _parse_head(self, head):
        """Read the status line and headers; True when the response has no body (done already)."""
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or len(parts[1]) != 3 or not parts[1].isdigit():
            raise _Malformed()
        status = int(parts[1])
        keep_alive = parts[0] == b"HTTP/1.1"
        length = None
        chunked = False
        for line in lines[1:]:
            name, separator, value = line.partition(b":")
            if not separator:
                raise _Malformed()
            name = name.strip().lower()
            if name == b"content-length":
                value = value.strip()
                if not value.isdigit():
                    raise _Malformed()
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                token = value.strip().lower()
                if b"close" in token:
                    keep_alive = False
                elif b"keep-alive" in token:
                    keep_alive = True
        if 100 <= status < 200:  # an interim response: the real one follows
            self._state = _HEAD
            return False
        self._status = status
        self._keep_alive = keep_alive
        if status in (204, 304) or (length == 0 and not chunked):
            return True
        if chunked:
            self._state = _BODY_CHUNKED
            self._chunk_state = _CHUNK_SIZE
            self._chunk_buffer = b""
        elif length is not None:
            self._state = _BODY_LENGTH
            self._remaining = length
        else:
            self._state = _BODY_UNTIL_CLOSE
            self._keep_alive = False
        return False

    def _feed_chunked(self, data):
        buffer = self._chunk_buffer + data if self._chunk_buffer else data
        self._chunk_buffer = b""
        position = 0
        end = len(buffer)
        while position < end:
            if self._chunk_state == _CHUNK_DATA:
                take = min(self._remaining, end - position)
                position += take
                self._remaining -= take
                if self._remaining == 0:
                    self._chunk_state = _CHUNK_SIZE
                continue
            line_end = buffer.find(b"\r\n", position)
            if line_end < 0:
                if end - position > 4096:
                    raise _Malformed()
                self._chunk_buffer = buffer[position:]
                return
            line = buffer[position:line_end]
            position = line_end + 2
            if self._chunk_state == _CHUNK_SIZE:
                size_text = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise _Malformed()
                if size < 0:
                    raise _Malformed()
                if size == 0:
                    self._chunk_state = _CHUNK_TRAILER
                else:
                    self._chunk_state = _CHUNK_DATA
                    self._remaining = size + 2  # the data and its CRLF
            elif line == b"":  # the empty line ending the trailer section: the response is complete
                if position != end:
                    raise _Malformed()
                self._complete()
                return
