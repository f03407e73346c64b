import type { IntegrityReport } from '../../../preload/api';
import { openBundle } from '../../bundle/bundle-reader';
import { safeText } from '../../captures/guest-text';
import { toWorkbenchError } from '../../errors';
import { parseCaptureArgs } from './capture-args';
import type { CliIo } from './cli-io';
import { describeFailure, formatBytes } from './report-format';

const usage = 'usage: civic verify <capture>\n\nChecks every artifact hash and the custody chain of a capture folder or .civic file.\nExit 0 when verified, 1 when not, 2 on usage errors.\n';

function custodyLine(integrity: IntegrityReport): string {
  const broken = integrity.problems.filter((problem) => problem.code === 'BUNDLE_CUSTODY_BROKEN');
  if (broken.length > 0) return `BROKEN (${integrity.custodyEntries} entries intact before the break)`;
  return `${integrity.custodyEntries} entries, chain intact, sealed to this manifest`;
}

/**
 * `civic verify <capture>`: a readable integrity and custody report.
 *
 * Exit 0 when every artifact and the custody chain verify, 1 when not (each failing artifact named),
 * 2 on usage errors.
 */
export async function verifyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCaptureArgs(args, []);
  if (parsed.kind === 'help') {
    io.out(usage);
    return 0;
  }
  if (parsed.kind === 'usage-error') {
    io.err(`civic verify: ${parsed.reason}\n${usage}`);
    return 2;
  }
  const shownPath = safeText(parsed.path, 1024);
  let bundle;
  try {
    bundle = await openBundle(parsed.path);
  } catch (error) {
    io.out(`Capture    ${shownPath}\n`);
    io.out(describeFailure(toWorkbenchError(error)));
    io.out('Result     NOT VERIFIED\n');
    return 1;
  }
  await bundle.close();
  const { manifest, integrity } = bundle;
  const failing = new Map(integrity.problems.filter((problem) => problem.subject !== undefined).map((problem) => [problem.subject, problem]));
  const lines = [
    `Capture    ${shownPath}`,
    `VM         ${safeText(manifest.vm.name, 256)} (${manifest.vm.uuid}) on ${safeText(manifest.host.name, 256)}`,
    `Host key   ${manifest.host.hostKeySha256}`,
    `Captured   ${manifest.startedAt} .. ${manifest.endedAt}`,
    `Form       ${bundle.form === 'zip' ? '.civic archive' : 'folder'}, bundle format v${manifest.schemaVersion}`,
    `Artifacts  ${integrity.artifactsChecked} checked, ${formatBytes(integrity.bytesChecked)}`,
  ];
  for (const artifact of manifest.artifacts) {
    const problem = failing.get(artifact.path);
    lines.push(
      problem
        ? `  FAIL  ${artifact.path}  ${problem.code}: ${problem.message}`
        : `  ok    ${artifact.path}  ${formatBytes(artifact.size)}  ${artifact.role}  sha256:${artifact.sha256.slice(0, 16)}`,
    );
  }
  lines.push(`Custody    ${custodyLine(integrity)}`);
  for (const problem of integrity.problems.filter((item) => item.code === 'BUNDLE_CUSTODY_BROKEN')) {
    lines.push(`  FAIL  ${problem.subject ?? 'custody.jsonl'}  ${problem.code}: ${problem.message}`);
  }
  lines.push(`Result     ${integrity.verified ? 'VERIFIED' : `NOT VERIFIED (${integrity.problems.length} problem${integrity.problems.length === 1 ? '' : 's'})`}`);
  io.out(lines.join('\n') + '\n');
  return integrity.verified ? 0 : 1;
}
