"""Command line entry: `civic-helper <verb> [--root DIR] [--qmp-dir DIR]... [--json-args JSON]`."""

import json
import os
import sys
import traceback

from .errors import HelperError, failed, invalid
from .journal import FAULT_ENV
from .protocol import CancelToken, Emitter
from .session import default_root, prepare_root
from .vm import DEFAULT_QMP_DIRS, parse_vm

VERBS = ("probe", "list", "clone", "exec", "file-get", "file-put", "dump", "collect", "destroy", "recover", "gc", "load",
         "renew", "forward")
EXIT_OK, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 3


class Context:
    """What every verb gets: the emitter, the cancel token, the root and the QMP folders."""

    def __init__(self, emitter, token, root, qmp_dirs, fault_spec=None):
        self.emitter = emitter
        self.token = token
        self.root = root
        self.qmp_dirs = qmp_dirs
        self.fault_spec = fault_spec


def parse_command_line(argv):
    """Split argv into (verb, options, json args); raise VALIDATION_FAILED on anything else."""
    if not argv or argv[0] not in VERBS:
        raise invalid("The first argument must be a verb: %s." % ", ".join(VERBS))
    verb = argv[0]
    options = {"root": None, "qmp_dirs": []}
    args = {}
    index = 1
    while index < len(argv):
        name = argv[index]
        if index + 1 >= len(argv):
            raise invalid("Option %s needs a value." % name)
        value = argv[index + 1]
        if name == "--root":
            options["root"] = value
        elif name == "--qmp-dir":
            options["qmp_dirs"].append(value)
        elif name == "--json-args":
            try:
                args = json.loads(value)
            except ValueError:
                raise invalid("--json-args is not valid JSON.")
            if not isinstance(args, dict):
                raise invalid("--json-args must be a JSON object.")
        else:
            raise invalid("Unknown option %s." % name)
        index += 2
    return verb, options, args


def run_verb(verb, context, args):
    """Dispatch one verb and return its result payload."""
    if verb == "probe":
        from .probe import probe
        return probe(context, args)
    if verb == "list":
        from .inventory import list_vms
        return list_vms(context, args)
    if verb == "clone":
        from .clone import CloneOperation, parse_clone_args
        clone_args = parse_clone_args(args)
        source = parse_vm(clone_args["vm"], context.qmp_dirs)
        return CloneOperation(context, clone_args, source).run()
    if verb == "collect":
        from .collect import collect
        return collect(context, args)
    if verb in ("exec", "file-get", "file-put", "dump"):
        from . import guest_ops
        return guest_ops.run(verb, context, args)
    if verb == "load":
        from .load_driver import run_load
        return run_load(context, args)
    if verb in ("renew", "forward"):
        from . import twin
        return {"renew": twin.renew, "forward": twin.forward}[verb](context, args)
    from . import lifecycle
    return {"destroy": lifecycle.destroy, "recover": lifecycle.recover, "gc": lifecycle.gc}[verb](context, args)


def main(argv=None, stdout=None, stdin=None, environ=None):
    """Run the helper; returns the process exit status."""
    argv = sys.argv[1:] if argv is None else argv
    environ = os.environ if environ is None else environ
    emitter = Emitter(stdout)
    token = CancelToken()
    token.install_signal_handlers()
    emitter.hello()
    try:
        verb, options, args = parse_command_line(argv)
        token.watch_stdin(stdin)
        root = prepare_root(options["root"] or default_root(environ))
        qmp_dirs = options["qmp_dirs"] or list(DEFAULT_QMP_DIRS)
        context = Context(emitter, token, root, qmp_dirs, fault_spec=environ.get(FAULT_ENV))
        payload = run_verb(verb, context, args)
        emitter.result(payload)
        return EXIT_OK
    except HelperError as error:
        emitter.error(error)
        return EXIT_ERROR
    except Exception as error:  # a bug: report it on the protocol, keep the trace on stderr
        traceback.print_exc(file=sys.stderr)
        emitter.error(failed("Internal helper error: %s: %s" % (type(error).__name__, error)))
        return EXIT_INTERNAL
