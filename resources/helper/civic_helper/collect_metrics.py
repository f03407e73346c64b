"""The `metrics` step: /proc counters sampled in the clone by our busybox, turned into JSON lines on the host.

The guest side only copies /proc files (busybox `cat`, by path) into one raw file in the toolkit tmpfs;
all parsing happens here, where a hostile guest can at worst produce odd numbers, never run code.
"""

import json

# "$1" our busybox, "$2" samples, "$3" seconds between samples, "$4" the raw output file.
SAMPLE_SCRIPT = "\n".join([
    "exec >\"$4\"",
    "i=0",
    "while :; do",
    "  echo \"@@sample $(\"$1\" date -u +%s)\"",
    "  for f in /proc/uptime /proc/stat /proc/meminfo /proc/diskstats /proc/net/dev; do",
    "    echo \"@@file $f\"",
    "    \"$1\" cat \"$f\"",
    "  done",
    "  i=$((i + 1))",
    "  if [ \"$i\" -ge \"$2\" ]; then break; fi",
    "  \"$1\" sleep \"$3\"",
    "done",
])
SAMPLE_SCRIPT_NAME = "civic-metrics"

_CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guestNice")
_DISK_FIELDS = ("readsCompleted", "readsMerged", "sectorsRead", "readMs", "writesCompleted", "writesMerged",
                "sectorsWritten", "writeMs", "ioInProgress", "ioMs", "weightedIoMs")
_NET_FIELDS = ("rxBytes", "rxPackets", "rxErrors", "rxDropped", "rxFifo", "rxFrame", "rxCompressed",
               "rxMulticast", "txBytes", "txPackets", "txErrors", "txDropped", "txFifo", "txCollisions",
               "txCarrier", "txCompressed")
MAX_NAMES = 1024  # entries per table: a guest cannot make one sample unbounded


def _numbers(words, names):
    values = {}
    for name, word in zip(names, words):
        try:
            values[name] = int(word)
        except ValueError:
            continue
    return values


def _parse_stat(lines, sample):
    cpu = {}
    for line in lines:
        words = line.split()
        if not words:
            continue
        if words[0].startswith("cpu") and len(cpu) < MAX_NAMES:
            cpu[words[0]] = _numbers(words[1:], _CPU_FIELDS)
        elif words[0] in ("ctxt", "processes", "procs_running", "procs_blocked", "intr") and len(words) > 1:
            counts = _numbers(words[1:2], ("value",))
            if counts:
                sample.setdefault("kernel", {})[words[0]] = counts["value"]
    sample["cpu"] = cpu


def _parse_meminfo(lines, sample):
    memory = {}
    for line in lines:
        name, _, rest = line.partition(":")
        words = rest.split()
        if not words or len(memory) >= MAX_NAMES:
            continue
        try:
            value = int(words[0])
        except ValueError:
            continue
        memory[name.strip()] = value * 1024 if words[1:2] == ["kB"] else value
    sample["memory"] = memory


def _parse_diskstats(lines, sample):
    disks = {}
    for line in lines:
        words = line.split()
        if len(words) >= 14 and len(disks) < MAX_NAMES:
            disks[words[2]] = _numbers(words[3:], _DISK_FIELDS)
    sample["disk"] = disks


def _parse_net(lines, sample):
    net = {}
    for line in lines:
        name, colon, rest = line.partition(":")
        if colon and "|" not in line and len(net) < MAX_NAMES:
            net[name.strip()] = _numbers(rest.split(), _NET_FIELDS)
    sample["net"] = net


_PARSERS = {"/proc/stat": _parse_stat, "/proc/meminfo": _parse_meminfo, "/proc/diskstats": _parse_diskstats,
            "/proc/net/dev": _parse_net}


def _finish(sample, files):
    for path, lines in files.items():
        if path == "/proc/uptime":
            words = " ".join(lines).split()
            try:
                sample["uptimeSeconds"] = float(words[0])
            except (IndexError, ValueError):
                sample["uptimeSeconds"] = None
        elif path in _PARSERS:
            _PARSERS[path](lines, sample)
    return sample


def samples_from_raw(raw):
    """The raw sampler output -> one dict per sample: time, uptime, cpu, memory, disk, net, kernel counters."""
    samples = []
    sample, files, current = None, {}, None
    for line in raw.decode("utf-8", "replace").split("\n"):
        if line.startswith("@@sample "):
            if sample is not None:
                samples.append(_finish(sample, files))
            try:
                at = int(line.split()[1])
            except (IndexError, ValueError):
                at = None
            sample, files, current = {"time": at}, {}, None
        elif line.startswith("@@file ") and sample is not None:
            current = line[len("@@file "):]
            files[current] = []
        elif current is not None:
            files[current].append(line)
    if sample is not None:
        samples.append(_finish(sample, files))
    return samples


def jsonl(samples):
    """JSON lines (ASCII, one object per sample)."""
    return b"".join(json.dumps(sample, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode() + b"\n"
                    for sample in samples)
