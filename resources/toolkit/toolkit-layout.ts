/** Where the toolkit lives in the guest: a private tmpfs, so nothing touches the clone's disks. */
export const GUEST_TOOLKIT_DIR = '/run/civic';

/** Our static busybox in the guest; every shell step runs through it, never through the guest's tools. */
export const GUEST_BUSYBOX = `${GUEST_TOOLKIT_DIR}/bin/busybox`;

/** The static collector in the guest. */
export const GUEST_COLLECTOR = `${GUEST_TOOLKIT_DIR}/bin/civic-collect`;

/** The toolkit's own dynamic loader: gdb and strace start through it with `--library-path`. */
export const GUEST_LOADER = `${GUEST_TOOLKIT_DIR}/lib/ld-linux-x86-64.so.2`;

/** Libraries of gdb and strace, as `ldd` listed them on the build host. */
export const GUEST_LIBRARY_DIR = `${GUEST_TOOLKIT_DIR}/lib`;

/** gdb itself (a dynamic executable, started through {@link GUEST_LOADER}). */
export const GUEST_GDB = `${GUEST_TOOLKIT_DIR}/bin/gdb`;

/** strace itself (a dynamic executable, started through {@link GUEST_LOADER}). */
export const GUEST_STRACE = `${GUEST_TOOLKIT_DIR}/bin/strace`;

/** gdb's data directory (its Python `gdb` package, syscall tables). */
export const GUEST_GDB_DATA_DIR = `${GUEST_TOOLKIT_DIR}/share/gdb`;

/** PYTHONHOME for gdb's embedded Python: the few stdlib modules gdb imports at start. */
export const GUEST_PYTHON_HOME = `${GUEST_TOOLKIT_DIR}/python`;

/** Where collector documents and diagnostic outputs are written before they are fetched. */
export const GUEST_OUTPUT_DIR = `${GUEST_TOOLKIT_DIR}/out`;

/** Name of the manifest listing every toolkit file with its SHA-256. */
export const TOOLKIT_MANIFEST_NAME = 'toolkit-manifest.json';

/** Name of the compressed payload uploaded to the guest (everything but the bootstrap busybox). */
export const TOOLKIT_PAYLOAD_NAME = 'toolkit.tar.gz';
