"""A log-linear latency histogram (HdrHistogram's bucket layout): fixed memory, mergeable.

Values are integer microseconds. Below 2**bits every value has its own bucket; above, each power of two
is cut into 2**(bits-1) equal buckets, so a reported value is within 1 / 2**(bits-1) of the true one
(bits=8: 0.8 %). Memory is one list of ints whose length depends only on `bits` and `max_value`.
"""

MAX_VALUE_US = 3600 * 1000 * 1000  # an hour: anything slower is recorded as an hour (and counted)


class LatencyHistogram:
    """Counts of latencies in log-linear buckets; percentiles by nearest rank."""

    def __init__(self, bits=8, max_value=MAX_VALUE_US):
        self.bits = bits
        self.max_value = max_value
        self._linear = 1 << bits
        self._half = 1 << (bits - 1)
        self.counts = [0] * (self._index(max_value) + 1)
        self.total = 0
        self.min = None
        self.max = 0
        self.clamped = 0

    def _index(self, value):
        if value < self._linear:
            return value
        shift = value.bit_length() - self.bits
        # (value >> shift) is in [2**(bits-1), 2**bits): one of `half` buckets of this octave.
        return self._linear + (shift - 1) * self._half + ((value >> shift) - self._half)

    def _highest_in(self, index):
        """The largest value that falls in bucket `index` (what HdrHistogram calls highest equivalent)."""
        if index < self._linear:
            return index
        octave, offset = divmod(index - self._linear, self._half)
        shift = octave + 1
        return ((self._half + offset + 1) << shift) - 1

    def record(self, value_us):
        """Count one latency in microseconds (negative becomes 0; above max_value is clamped)."""
        value = int(value_us)
        if value < 0:
            value = 0
        if value > self.max_value:
            value = self.max_value
            self.clamped += 1
        self.counts[self._index(value)] += 1
        self.total += 1
        if self.min is None or value < self.min:
            self.min = value
        if value > self.max:
            self.max = value

    def merge(self, other):
        """Add another histogram of the same layout into this one."""
        if other.bits != self.bits or other.max_value != self.max_value:
            raise ValueError("histograms of different layouts cannot be merged")
        counts = self.counts
        for index, count in enumerate(other.counts):
            if count:
                counts[index] += count
        self.total += other.total
        self.clamped += other.clamped
        if other.min is not None and (self.min is None or other.min < self.min):
            self.min = other.min
        self.max = max(self.max, other.max)
        return self

    def percentile(self, percent):
        """The value at nearest rank ceil(percent/100 * total), as its bucket's highest value; None when empty."""
        if self.total == 0:
            return None
        rank = max(1, -(-int(round(percent * 1000)) * self.total // 100000))
        seen = 0
        for index, count in enumerate(self.counts):
            if count:
                seen += count
                if seen >= rank:
                    return min(self._highest_in(index), self.max)
        return self.max

    def summary_ms(self, percents=(50, 90, 95, 99, 99.9)):
        """The report's latency block in milliseconds."""
        block = {"count": self.total}
        for percent in percents:
            value = self.percentile(percent)
            block["p" + ("%g" % percent).replace(".", "_")] = None if value is None else value / 1000.0
        block["min"] = None if self.min is None else self.min / 1000.0
        block["max"] = None if self.total == 0 else self.max / 1000.0
        if self.clamped:
            block["clampedAtMs"] = self.max_value / 1000.0
            block["clamped"] = self.clamped
        return block

    def to_sparse(self):
        """The histogram as JSON: its layout and the non-empty buckets as [index, count] pairs."""
        return {"bits": self.bits, "maxValueUs": self.max_value, "unit": "us",
                "buckets": [[index, count] for index, count in enumerate(self.counts) if count],
                "min": self.min, "max": self.max, "clamped": self.clamped}

    @classmethod
    def from_sparse(cls, value):
        """The histogram `to_sparse` wrote (to merge reports of several runs)."""
        histogram = cls(bits=value["bits"], max_value=value["maxValueUs"])
        for index, count in value["buckets"]:
            histogram.counts[index] += count
            histogram.total += count
        histogram.min = value["min"]
        histogram.max = value["max"]
        histogram.clamped = value.get("clamped", 0)
        return histogram
