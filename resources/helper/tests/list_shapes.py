"""Every shape of `list` result the helper can produce, made by the real inventory functions.

Run as a script it prints them as one JSON object (`{"entries": [{"label", "entry"}], "payloads":
[{"label", "payload"}]}`), so the app's tests feed its own schema exactly what the helper writes instead
of hand-copied copies. Only virsh is replaced (by canned answers, some of them failures); bare QEMU VMs
are real unix sockets: a stale one (nothing listens), one that is not QMP, and a small QMP server.
"""

import json
import os
import socket
import sys
import tempfile
import threading
import types
from contextlib import contextmanager

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from civic_helper import inventory  # noqa: E402

DOMAIN_XML = """<domain type='kvm'><name>%s</name><uuid>%s</uuid><memory unit='KiB'>1048576</memory>
<vcpu>1</vcpu><devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='/var/lib/libvirt/images/%s.qcow2'/><target dev='vda' bus='virtio'/></disk>
<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel></devices></domain>"""

GOOD_UUID = "11111111-2222-3333-4444-555555555555"
GONE_UUID = "66666666-7777-8888-9999-aaaaaaaaaaaa"
BAD_XML_UUID = "bbbbbbbb-cccc-dddd-eeee-ffffffffffff"
SHUT_UUID = "00000000-1111-2222-3333-444444444444"


def fake_virsh(args, timeout=15):
    """virsh as a host answers while one domain is undefined mid-list and another's XML is torn."""
    verb, target = args[0], args[-1]
    if verb == "list":
        return "\n".join([GOOD_UUID, GONE_UUID, BAD_XML_UUID, SHUT_UUID]) + "\n"
    if target == GONE_UUID:
        raise RuntimeError("error: failed to get domain '%s'" % GONE_UUID)
    if verb == "domstate":
        return "shut off\n" if target == SHUT_UUID else "running\n"
    if target == BAD_XML_UUID:
        return "<domain><name>torn"
    name = "db01" if target == GOOD_UUID else "old01"
    return DOMAIN_XML % (name, target, name)


class TinyQmpServer:
    """A QMP server on a unix socket answering the queries `list` makes (one client at a time)."""

    def __init__(self, path, replies):
        self.replies = replies
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with client:
                client.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\n')
                buffer = b""
                while True:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    buffer += chunk
                    while b"\n" in buffer:
                        line, _, buffer = buffer.partition(b"\n")
                        request = json.loads(line.decode("utf-8"))
                        answer = self.replies.get(request["execute"], {})
                        reply = dict(answer) if isinstance(answer, dict) and "error" in answer else {"return": answer}
                        reply["id"] = request.get("id")
                        client.sendall(json.dumps(reply).encode("utf-8") + b"\n")

    def close(self):
        self.sock.close()


@contextmanager
def qmp_folder():
    """A folder with a live QMP VM, a stale socket, a socket that is not QMP, and one whose QEMU errs."""
    folder = tempfile.mkdtemp(prefix="civic-list-shapes-")
    servers = []
    good = {"query-name": {"name": "web01"}, "query-uuid": {"UUID": GOOD_UUID}, "query-status": {"status": "running"},
            "query-memory-size-summary": {"base-memory": 536870912}, "query-cpus-fast": [{}], "query-block": []}
    servers.append(TinyQmpServer(os.path.join(folder, "a-web01.qmp"), good))
    erring = dict(good, **{"query-status": {"error": {"class": "GenericError", "desc": "not now"}}})
    servers.append(TinyQmpServer(os.path.join(folder, "b-erring.qmp"), erring))
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(os.path.join(folder, "c-stale.qmp"))
    stale.close()  # the file stays, nothing listens: what a killed QEMU leaves
    mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mute.bind(os.path.join(folder, "d-not-qmp.qmp"))
    mute.listen(1)
    talker = threading.Thread(target=lambda: _say_hello(mute), daemon=True)
    talker.start()
    try:
        yield folder
    finally:
        for server in servers:
            server.close()
        mute.close()
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)


def _say_hello(listener):
    try:
        client, _ = listener.accept()
    except OSError:
        return
    with client:
        client.sendall(b'{"hello": "not qmp"}\n')


def shapes():
    """Each entry shape and whole payloads, labelled."""
    original = inventory._virsh
    inventory._virsh = fake_virsh
    try:
        root = tempfile.mkdtemp(prefix="civic-list-root-")
        with qmp_folder() as folder:
            entries = [{"label": "qmp " + name, "entry": inventory.describe_qmp_vm(os.path.join(folder, name), set())}
                       for name in sorted(os.listdir(folder))]
            entries += [{"label": "libvirt " + uuid, "entry": inventory.describe_libvirt_domain(uuid, set())}
                        for uuid in (GOOD_UUID, GONE_UUID, BAD_XML_UUID, SHUT_UUID)]
            entries.append({"label": "qmp busy", "entry": inventory.describe_qmp_vm(
                os.path.join(folder, "a-web01.qmp"), {"qmp:" + os.path.join(folder, "a-web01.qmp")})})
            context = types.SimpleNamespace(root=root, qmp_dirs=[folder, os.path.join(folder, "missing")])
            virsh_present = inventory.shutil.which
            inventory.shutil.which = lambda name: "/usr/bin/virsh"
            try:
                payloads = [{"label": "libvirt and qmp", "payload": inventory.list_vms(context, {})}]
            finally:
                inventory.shutil.which = virsh_present
            payloads.append({"label": "libvirt not requested", "payload": inventory.list_vms(context, {"libvirt": False})})
        os.rmdir(root)
    finally:
        inventory._virsh = original
    return {"entries": entries, "payloads": payloads}


if __name__ == "__main__":
    json.dump(shapes(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
