/** One kernel taint flag: its bit, its letter in `/proc/modules` and oops banners, and what it means. */
export interface TaintFlag {
  readonly bit: number;
  readonly letter: string;
  readonly meaning: string;
  /** Whether the flag points at code loaded into the kernel that nobody vouched for. */
  readonly suspicious: boolean;
}

// Bit order and letters from the kernel's Documentation/admin-guide/tainted-kernels.rst.
const taintFlags: readonly TaintFlag[] = [
  { bit: 0, letter: 'P', meaning: 'proprietary module loaded', suspicious: false },
  { bit: 1, letter: 'F', meaning: 'module was force loaded', suspicious: true },
  { bit: 2, letter: 'S', meaning: 'kernel running on an out of specification system', suspicious: false },
  { bit: 3, letter: 'R', meaning: 'module was force unloaded', suspicious: true },
  { bit: 4, letter: 'M', meaning: 'processor reported a machine check exception', suspicious: false },
  { bit: 5, letter: 'B', meaning: 'bad page referenced or unexpected page flags', suspicious: false },
  { bit: 6, letter: 'U', meaning: 'taint requested by userspace', suspicious: false },
  { bit: 7, letter: 'D', meaning: 'kernel died recently (oops or bug)', suspicious: false },
  { bit: 8, letter: 'A', meaning: 'ACPI table overridden by user', suspicious: false },
  { bit: 9, letter: 'W', meaning: 'kernel issued a warning', suspicious: false },
  { bit: 10, letter: 'C', meaning: 'staging driver loaded', suspicious: false },
  { bit: 11, letter: 'I', meaning: 'workaround for a platform firmware bug applied', suspicious: false },
  { bit: 12, letter: 'O', meaning: 'externally built (out-of-tree) module loaded', suspicious: true },
  { bit: 13, letter: 'E', meaning: 'unsigned module loaded', suspicious: true },
  { bit: 14, letter: 'L', meaning: 'soft lockup occurred', suspicious: false },
  { bit: 15, letter: 'K', meaning: 'kernel has been live patched', suspicious: false },
  { bit: 16, letter: 'X', meaning: 'auxiliary taint (distribution defined)', suspicious: false },
  { bit: 17, letter: 'T', meaning: 'kernel built with the struct randomization plugin', suspicious: false },
  { bit: 18, letter: 'N', meaning: 'in-kernel test has been run', suspicious: false },
];

/** A taint bit the table does not know, kept so nothing set is hidden. */
export interface UnknownTaintBit {
  readonly bit: number;
}

/**
 * Decodes `/proc/sys/kernel/tainted` into its flags, lowest bit first.
 *
 * Bits past the known table come back as `unknown` rather than being dropped.
 */
export function decodeKernelTaint(value: number): { readonly flags: readonly TaintFlag[]; readonly unknown: readonly UnknownTaintBit[] } {
  const flags: TaintFlag[] = [];
  const unknown: UnknownTaintBit[] = [];
  if (!Number.isSafeInteger(value) || value <= 0) return { flags, unknown };
  // Number bit operators truncate to 32 bits; BigInt keeps every bit of a safe integer.
  const bits = BigInt(value);
  for (let bit = 0; bit < 53; bit += 1) {
    if (((bits >> BigInt(bit)) & 1n) === 0n) continue;
    const known = taintFlags.find((flag) => flag.bit === bit);
    if (known) flags.push(known);
    else unknown.push({ bit });
  }
  return { flags, unknown };
}

/** The meaning of one taint letter as modules list them, or null when the letter is not known. */
export function taintLetterMeaning(letter: string): TaintFlag | null {
  return taintFlags.find((flag) => flag.letter === letter) ?? null;
}
