import type { CaptureOverview, Finding, Severity, SignatureStatus } from '../../../preload/api';
import { createCaptureService } from '../../captures/capture-service';
import type { SocketRow } from '../../captures/capture-rows';
import { toWorkbenchError } from '../../errors';
import { parseCaptureArgs } from './capture-args';
import type { CliIo } from './cli-io';
import { describeFailure } from './report-format';
import { signatureLine } from './verify';

const usage = 'usage: civic summary <capture> [--json]\n\nProvenance, counts and top findings of a capture folder or .civic file.\nExit 0 when it opens and verifies, 1 when not, 2 on usage errors.\n';

const severityOrder: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const TOP_FINDINGS = 10;

/** What `civic summary --json` prints. */
export interface CaptureSummary {
  readonly title: string;
  readonly captureId: string;
  readonly vm: { readonly name: string; readonly uuid: string };
  readonly host: { readonly name: string; readonly hostKeySha256: string };
  readonly cloneId: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly toolVersion: string;
  readonly helperVersion: string;
  readonly verified: boolean;
  readonly problems: readonly { readonly code: string; readonly subject?: string; readonly message: string }[];
  /** Oddities that do not fail verification (duplicate pids, custody times out of order). */
  readonly warnings: readonly { readonly code: string; readonly subject?: string; readonly message: string }[];
  /** Who sealed it: the workstation key's fingerprint (and self-chosen name) when signed. */
  readonly signature: SignatureStatus;
  readonly counts: {
    readonly processes: number;
    readonly sockets: number;
    readonly listening: number;
    readonly findings: number;
    readonly findingsBySeverity: Readonly<Record<Severity, number>>;
    readonly commands: number;
    readonly artifacts: number;
    readonly custodyEntries: number;
  };
  readonly topFindings: readonly { readonly id: string; readonly rule: string; readonly severity: Severity; readonly title: string; readonly pids: readonly number[] }[];
}

function summarise(overview: CaptureOverview, findings: readonly Finding[], sockets: readonly SocketRow[]): CaptureSummary {
  const { provenance, integrity } = overview;
  const bySeverity = Object.fromEntries(severityOrder.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const finding of findings) bySeverity[finding.severity] += 1;
  const ranked = [...findings].sort((left, right) => severityOrder.indexOf(left.severity) - severityOrder.indexOf(right.severity));
  return {
    title: overview.title,
    captureId: provenance.captureId,
    vm: provenance.vm,
    host: provenance.host,
    cloneId: provenance.cloneId,
    startedAt: provenance.startedAt,
    endedAt: provenance.endedAt,
    toolVersion: provenance.toolVersion,
    helperVersion: provenance.helperVersion,
    verified: integrity.verified,
    problems: integrity.problems.map((problem) => ({
      code: problem.code,
      message: problem.message,
      ...(problem.subject === undefined ? {} : { subject: problem.subject }),
    })),
    warnings: (integrity.warnings ?? []).map((warning) => ({
      code: warning.code,
      message: warning.message,
      ...(warning.subject === undefined ? {} : { subject: warning.subject }),
    })),
    signature: integrity.signature ?? { state: 'unsigned' },
    counts: {
      processes: overview.processCount,
      sockets: sockets.length,
      listening: sockets.filter((socket) => socket.state === 'LISTEN').length,
      findings: overview.findingCount,
      findingsBySeverity: bySeverity,
      commands: provenance.commands.length,
      artifacts: provenance.artifacts.length,
      custodyEntries: provenance.custody.length,
    },
    topFindings: ranked.slice(0, TOP_FINDINGS).map((finding) => ({
      id: finding.id,
      rule: finding.rule,
      severity: finding.severity,
      title: finding.title,
      pids: finding.pids,
    })),
  };
}

function formatSummary(summary: CaptureSummary): string {
  const severities = severityOrder
    .filter((severity) => summary.counts.findingsBySeverity[severity] > 0)
    .map((severity) => `${summary.counts.findingsBySeverity[severity]} ${severity}`)
    .join(', ');
  const lines = [
    summary.title,
    `  Capture    ${summary.captureId} (clone ${summary.cloneId})`,
    `  VM         ${summary.vm.name} (${summary.vm.uuid})`,
    `  Host       ${summary.host.name}, host key ${summary.host.hostKeySha256}`,
    `  Captured   ${summary.startedAt} .. ${summary.endedAt}`,
    `  Tools      civic-workbench ${summary.toolVersion}, helper ${summary.helperVersion}`,
    `  Integrity  ${summary.verified ? 'verified' : `NOT VERIFIED (${summary.problems.length} problems)`}, ${summary.counts.artifacts} artifacts, ${summary.counts.custodyEntries} custody entries`,
    ...summary.problems.map((problem) => `    FAIL ${problem.subject ?? ''} ${problem.code}: ${problem.message}`),
    ...summary.warnings.map((warning) => `    WARN ${warning.subject ?? ''} ${warning.code}: ${warning.message}`),
    `  Signature  ${signatureLine(summary.signature, summary.counts.custodyEntries)}`,
    '',
    `Processes  ${summary.counts.processes}`,
    `Sockets    ${summary.counts.sockets} (${summary.counts.listening} listening)`,
    `Commands   ${summary.counts.commands}`,
    `Findings   ${summary.counts.findings}${severities ? ` (${severities})` : ''}`,
  ];
  if (summary.topFindings.length > 0) {
    lines.push('', 'Top findings');
    for (const finding of summary.topFindings) {
      lines.push(`  ${finding.severity.toUpperCase().padEnd(8)}  ${finding.rule.padEnd(26)}  ${finding.title}  (pid ${finding.pids.join(', ')})`);
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * `civic summary <capture> [--json]`: provenance, counts and top findings.
 *
 * Exit 0 when the capture opens and verifies, 1 when it does not (a capture with failing artifacts is
 * still summarised), 2 on usage errors.
 */
export async function summaryCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCaptureArgs(args, ['--json']);
  if (parsed.kind === 'help') {
    io.out(usage);
    return 0;
  }
  if (parsed.kind === 'usage-error') {
    io.err(`civic summary: ${parsed.reason}\n${usage}`);
    return 2;
  }
  const json = parsed.flags.has('--json');
  const service = createCaptureService();
  let overview: CaptureOverview;
  try {
    overview = await service.open(parsed.path);
  } catch (error) {
    const failure = toWorkbenchError(error);
    if (json) io.out(JSON.stringify({ error: failure }, null, 2) + '\n');
    else io.err(describeFailure(failure));
    return 1;
  }
  const summary = summarise(overview, service.findings(overview.handle), service.sockets(overview.handle));
  service.close(overview.handle);
  io.out(json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
  return summary.verified ? 0 : 1;
}
