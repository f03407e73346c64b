import { stat } from 'node:fs/promises';
import type { CaptureOverview, IntegrityReport, SignatureStatus } from '../../../preload/api';
import { CUSTODY_NAME, SIGNATURE_NAME } from '../../bundle/bundle-limits';
import { createCaptureService } from '../../captures/capture-service';
import { safeText } from '../../bundle/guest-text';
import { toWorkbenchError } from '../../errors';
import { parseCaptureArgs } from './capture-args';
import type { CliIo } from './cli-io';
import { describeFailure, formatBytes } from './report-format';

const usage =
  'usage: civic verify <capture>\n\nChecks every artifact hash, the document limits the app applies when opening, the custody chain and the\nworkstation signature of a capture folder or .civic file.\nExit 0 when verified, 1 when not, 2 on usage errors.\n';

function custodyLine(integrity: IntegrityReport): string {
  const broken = integrity.problems.filter((problem) => problem.code === 'BUNDLE_CUSTODY_BROKEN');
  if (broken.length > 0) return `BROKEN (${integrity.custodyEntries} entries intact before the break)`;
  return `${integrity.custodyEntries} entries, chain intact, sealed to this manifest`;
}

/** Who sealed the capture, in one line: the fingerprint is what is proven, the name only what the signer chose. */
export function signatureLine(signature: SignatureStatus | undefined, custodyEntries: number): string {
  if (signature === undefined || signature.state === 'unsigned') return 'unsigned (made before captures were signed, or by a tool that does not sign)';
  const who = (signer: { fingerprint: string; name: string | null }): string => `${signer.fingerprint}${signer.name === null ? '' : ` ("${signer.name}", self-named)`}`;
  if (signature.state === 'invalid') return `FAIL ${signature.code}${signature.signer === null ? '' : `, claims ${who(signature.signer)}`}`;
  const later = custodyEntries - signature.custodyEntriesSigned;
  return `valid, workstation key ${who(signature.signer)}, signed ${signature.signedAt}, covers ${signature.custodyEntriesSigned} custody entries${later > 0 ? ` (${later} appended later, unsigned)` : ''}`;
}

async function formOf(path: string): Promise<string> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : '.civic archive';
  } catch {
    return 'unknown';
  }
}

function report(overview: CaptureOverview, shownPath: string, form: string): string {
  const { provenance, integrity } = overview;
  const failing = new Map(integrity.problems.filter((problem) => problem.subject !== undefined).map((problem) => [problem.subject, problem]));
  const lines = [
    `Capture    ${shownPath}`,
    `VM         ${provenance.vm.name} (${provenance.vm.uuid}) on ${provenance.host.name}`,
    `Host key   ${provenance.host.hostKeySha256}`,
    `Captured   ${provenance.startedAt} .. ${provenance.endedAt}`,
    `Form       ${form}, bundle format v${provenance.schemaVersion}`,
    `Artifacts  ${integrity.artifactsChecked} checked, ${formatBytes(integrity.bytesChecked)}`,
  ];
  for (const artifact of provenance.artifacts) {
    const problem = failing.get(artifact.path);
    lines.push(
      problem
        ? `  FAIL  ${artifact.path}  ${problem.code}: ${problem.message}`
        : `  ok    ${artifact.path}  ${formatBytes(artifact.size)}  ${artifact.role ?? ''}  sha256:${artifact.sha256.slice(0, 16)}`,
    );
  }
  lines.push(`Custody    ${custodyLine(integrity)}`);
  for (const problem of integrity.problems.filter((item) => item.code === 'BUNDLE_CUSTODY_BROKEN')) {
    lines.push(`  FAIL  ${problem.subject ?? CUSTODY_NAME}  ${problem.code}: ${problem.message}`);
  }
  lines.push(`Signature  ${signatureLine(integrity.signature, integrity.custodyEntries)}`);
  for (const problem of integrity.problems.filter((item) => item.subject === SIGNATURE_NAME)) {
    lines.push(`  FAIL  ${SIGNATURE_NAME}  ${problem.code}: ${problem.message}`);
  }
  for (const warning of integrity.warnings ?? []) lines.push(`  WARN  ${warning.subject ?? ''}  ${warning.code}: ${warning.message}`);
  const count = integrity.problems.length;
  lines.push(`Result     ${integrity.verified ? 'VERIFIED' : `NOT VERIFIED (${count} problem${count === 1 ? '' : 's'})`}`);
  return lines.join('\n') + '\n';
}

/**
 * `civic verify <capture>`: a readable integrity, custody and signature report.
 *
 * Opens the capture through the same capture service as the app, so a capture verifies here exactly
 * when the app opens it without problems (hashes, document size and depth caps, schemas, custody,
 * signature). Exit 0 when verified, 1 when not (each failing artifact named), 2 on usage errors.
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
  const service = createCaptureService();
  let overview: CaptureOverview;
  try {
    overview = await service.open(parsed.path);
  } catch (error) {
    io.out(`Capture    ${shownPath}\n`);
    io.out(describeFailure(toWorkbenchError(error)));
    io.out('Result     NOT VERIFIED\n');
    return 1;
  }
  service.close(overview.handle);
  io.out(report(overview, shownPath, await formOf(parsed.path)));
  return overview.integrity.verified ? 0 : 1;
}
