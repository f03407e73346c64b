"""Civic Workbench host helper: live clones of running QEMU VMs, driven over SSH."""

HELPER_VERSION = "0.1.0"
PROTOCOL_VERSION = 1
