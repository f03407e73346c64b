import { TOOLKIT_PLAN } from './toolkit-plan';

// Every path comes from the toolkit plan (resources/helper/civic_helper/toolkit_plan.json), which the helper reads too.

/** Where the toolkit lives in the guest: a private tmpfs, so nothing touches the clone's disks. */
export const GUEST_TOOLKIT_DIR = TOOLKIT_PLAN.path('toolkitDir');

/** Our static busybox in the guest; every shell step runs through it, never through the guest's tools. */
export const GUEST_BUSYBOX = TOOLKIT_PLAN.path('busybox');

/** The static collector in the guest. */
export const GUEST_COLLECTOR = TOOLKIT_PLAN.path('collector');

/** The toolkit's own dynamic loader: gdb and strace start through it with `--library-path`. */
export const GUEST_LOADER = TOOLKIT_PLAN.path('loader');

/** Libraries of gdb and strace, as `ldd` listed them on the build host. */
export const GUEST_LIBRARY_DIR = TOOLKIT_PLAN.path('libraryDir');

/** gdb itself (a dynamic executable, started through {@link GUEST_LOADER}). */
export const GUEST_GDB = TOOLKIT_PLAN.path('gdb');

/** strace itself (a dynamic executable, started through {@link GUEST_LOADER}). */
export const GUEST_STRACE = TOOLKIT_PLAN.path('strace');

/** gdb's data directory (its Python `gdb` package, syscall tables). */
export const GUEST_GDB_DATA_DIR = TOOLKIT_PLAN.path('gdbDataDir');

/** PYTHONHOME for gdb's embedded Python: the few stdlib modules gdb imports at start. */
export const GUEST_PYTHON_HOME = TOOLKIT_PLAN.path('pythonHome');

/** Where collector documents and diagnostic outputs are written before they are fetched. */
export const GUEST_OUTPUT_DIR = TOOLKIT_PLAN.path('outputDir');

/** Name of the manifest listing every toolkit file with its SHA-256. */
export const TOOLKIT_MANIFEST_NAME = TOOLKIT_PLAN.path('manifestName');

/** Name of the compressed payload uploaded to the guest (everything but the bootstrap busybox). */
export const TOOLKIT_PAYLOAD_NAME = TOOLKIT_PLAN.path('payloadName');
