import type { CaptureOverview, ExportFormat, Finding, FindingTriage, ProcessRow, SocketRecord } from '../../preload/api';
import { redactArgv } from './secret-redaction';
import { csvLine, escapeHtml } from './report-text';

/** Everything a report shows. */
export interface ReportInput {
  readonly overview: CaptureOverview;
  readonly processes: readonly ProcessRow[];
  readonly findings: readonly Finding[];
  readonly sockets: readonly SocketRecord[];
  readonly triage: readonly FindingTriage[];
  readonly generatedAt: string;
}

/** A rendered report. */
export interface RenderedReport {
  readonly fileName: string;
  readonly mediaType: string;
  readonly content: string;
}

/** Most process rows the HTML report lists (flagged processes always come first); JSON and CSV hold all. */
export const HTML_MAX_PROCESSES = 5000;

function argvText(process: ProcessRow): string {
  return redactArgv(process.argv.map((argument) => argument.text)).join(' ');
}

function triageOf(input: ReportInput): Map<string, FindingTriage> {
  return new Map(input.triage.map((entry) => [entry.findingId, entry]));
}

function baseName(overview: CaptureOverview): string {
  const id = overview.provenance.captureId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return `civic-report-${id || 'capture'}`;
}

/** Renders a report in one format, redaction applied (secret options in argv hidden; no environment). */
export function renderReport(input: ReportInput, format: ExportFormat): RenderedReport {
  const name = baseName(input.overview);
  switch (format) {
    case 'html':
      return { fileName: `${name}.html`, mediaType: 'text/html', content: renderHtml(input) };
    case 'json':
      return { fileName: `${name}.json`, mediaType: 'application/json', content: renderJson(input) };
    case 'csv':
      return { fileName: `${name}.csv`, mediaType: 'text/csv', content: renderCsv(input) };
  }
}

function renderJson(input: ReportInput): string {
  const triage = triageOf(input);
  return JSON.stringify(
    {
      format: 'civic-review-report',
      version: 1,
      generatedAt: input.generatedAt,
      provenance: input.overview.provenance,
      integrity: input.overview.integrity,
      findings: input.findings.map((finding) => ({ ...finding, triage: triage.get(finding.id) ?? null })),
      processes: input.processes.map((process) => ({ ...process, argv: redactArgv(process.argv.map((argument) => argument.text)) })),
      sockets: input.sockets,
    },
    null,
    2,
  );
}

function renderCsv(input: ReportInput): string {
  const triage = triageOf(input);
  let text = csvLine(['kind', 'pid', 'ppid', 'name', 'user', 'state', 'threads', 'rss_kib', 'cpu_seconds', 'started_at', 'exe', 'argv', 'flags', 'severity', 'rule', 'title', 'detail', 'triage', 'note']);
  for (const finding of input.findings) {
    const entry = triage.get(finding.id);
    text += csvLine(['finding', finding.pids.join(' '), '', '', '', '', '', '', '', '', '', '', '', finding.severity, finding.rule, finding.title, finding.detail.text, entry?.state ?? 'new', entry?.note ?? '']);
  }
  for (const process of input.processes) {
    text += csvLine([
      'process',
      process.pid,
      process.ppid,
      process.name.text,
      process.user,
      process.state,
      process.threads,
      process.rssKiB,
      process.cpuSeconds,
      process.startedAt ?? '',
      process.exe.text,
      argvText(process),
      process.flags.join(' '),
    ]);
  }
  return text;
}

const style = `
body{font:13px/1.45 system-ui,sans-serif;color:#111;margin:24px;max-width:1200px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;table-layout:fixed}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f2f2f2}.mono{font-family:ui-monospace,monospace;font-size:12px}.muted{color:#666}
.ok{color:#0a6b2d;font-weight:600}.bad{color:#b00020;font-weight:600}
.sev{display:inline-block;padding:0 6px;border-radius:8px;font-size:11px;font-weight:600;color:#fff}
.sev-critical{background:#7a0019}.sev-high{background:#c0392b}.sev-medium{background:#d68910}.sev-low{background:#2e86c1}.sev-info{background:#7f8c8d}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}}
`;

function row(cells: readonly string[], className = ''): string {
  return `<tr>${cells.map((cell) => `<td${className ? ` class="${className}"` : ''}>${cell}</td>`).join('')}</tr>`;
}

function renderHtml(input: ReportInput): string {
  const { overview } = input;
  const { provenance, integrity } = overview;
  const triage = triageOf(input);
  const e = escapeHtml;
  const flaggedFirst = [...input.processes.filter((process) => process.flags.length > 0), ...input.processes.filter((process) => process.flags.length === 0)];
  const shown = flaggedFirst.slice(0, HTML_MAX_PROCESSES);
  const parts: string[] = [];
  parts.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">`);
  // The report is inert: no scripts, no external loads, even if opened from disk in a browser.
  parts.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  parts.push(`<title>${e(overview.title)}</title><style>${style}</style></head><body>`);
  parts.push(`<h1>${e(overview.title)}</h1><p class="muted">Civic Workbench review report, generated ${e(input.generatedAt)}</p>`);
  parts.push(`<h2>Integrity</h2>`);
  parts.push(
    integrity.verified
      ? `<p class="ok" id="integrity">Verified: ${integrity.artifactsChecked} artifacts, ${integrity.bytesChecked} bytes, ${integrity.custodyEntries} custody entries.</p>`
      : `<p class="bad" id="integrity">Not verified.</p><ul>${integrity.problems.map((problem) => `<li>${e(problem.code)}: ${e(problem.message)}${problem.subject ? ` <span class="mono">${e(problem.subject)}</span>` : ''}</li>`).join('')}</ul>`,
  );
  parts.push(`<h2>Provenance</h2><table><tbody>`);
  const facts: [string, string][] = [
    ['Capture id', provenance.captureId],
    ['Host', provenance.host.name],
    ['Host key', provenance.host.hostKeySha256],
    ['VM', `${provenance.vm.name} (${provenance.vm.uuid})`],
    ['Clone', provenance.cloneId],
    ['Captured', `${provenance.startedAt} to ${provenance.endedAt}`],
    ['Helper / tool', `${provenance.helperVersion} / ${provenance.toolVersion}`],
  ];
  for (const [label, value] of facts) parts.push(`<tr><th style="width:160px">${e(label)}</th><td class="mono">${e(value)}</td></tr>`);
  parts.push(`</tbody></table>`);
  parts.push(`<h2>Commands run (${provenance.commands.length})</h2><table><thead><tr><th>argv</th><th style="width:60px">exit</th><th style="width:200px">started</th><th style="width:200px">ended</th></tr></thead><tbody>`);
  for (const command of provenance.commands) {
    parts.push(row([e(redactArgv(command.argv).join(' ')), e(String(command.exitCode ?? '—')), e(command.startedAt), e(command.endedAt)], 'mono'));
  }
  parts.push(`</tbody></table>`);
  parts.push(`<h2>Findings (${input.findings.length})</h2><table><thead><tr><th style="width:90px">severity</th><th>finding</th><th style="width:120px">pids</th><th style="width:160px">triage</th></tr></thead><tbody>`);
  for (const finding of input.findings) {
    const entry = triage.get(finding.id);
    parts.push(
      `<tr class="finding"><td><span class="sev sev-${e(finding.severity)}">${e(finding.severity)}</span></td>` +
        `<td><strong>${e(finding.title)}</strong> <span class="mono muted">${e(finding.rule)}</span><pre class="mono">${e(finding.detail.text)}</pre>` +
        `<p><em>False positives:</em> ${e(finding.falsePositives)}</p><p><em>Next step:</em> ${e(finding.nextStep)}</p></td>` +
        `<td class="mono">${e(finding.pids.join(', '))}</td><td>${e(entry?.state ?? 'new')}${entry?.note ? `<br><span class="muted">${e(entry.note)}</span>` : ''}</td></tr>`,
    );
  }
  parts.push(`</tbody></table>`);
  parts.push(`<h2>Processes (${input.processes.length}${shown.length < input.processes.length ? `, first ${shown.length} shown, flagged first` : ''})</h2>`);
  parts.push(`<table><thead><tr><th style="width:70px">pid</th><th style="width:70px">ppid</th><th style="width:160px">name</th><th style="width:90px">user</th><th>executable and arguments</th><th style="width:140px">flags</th></tr></thead><tbody>`);
  for (const process of shown) {
    parts.push(
      `<tr class="process">${[String(process.pid), String(process.ppid), process.name.text, process.user, `${process.exe.text}${process.exeDeleted ? ' (deleted)' : ''}\n${argvText(process)}`, process.flags.join(', ')]
        .map((cell) => `<td class="mono"><pre>${e(cell)}</pre></td>`)
        .join('')}</tr>`,
    );
  }
  parts.push(`</tbody></table>`);
  parts.push(`<h2>Sockets (${input.sockets.length})</h2><table><thead><tr><th style="width:60px">proto</th><th style="width:110px">state</th><th>local</th><th>remote</th><th style="width:70px">pid</th></tr></thead><tbody>`);
  for (const socket of input.sockets.slice(0, HTML_MAX_PROCESSES)) {
    parts.push(
      row(
        [
          e(socket.protocol),
          e(socket.state),
          e(`${socket.localAddress.text}${socket.localPort === null ? '' : `:${socket.localPort}`}`),
          e(socket.remoteAddress ? `${socket.remoteAddress.text}${socket.remotePort === null ? '' : `:${socket.remotePort}`}` : '—'),
          e(socket.pid === null ? '—' : String(socket.pid)),
        ],
        'mono',
      ),
    );
  }
  parts.push(`</tbody></table>`);
  parts.push(`<h2>Custody (${provenance.custody.length})</h2><table><thead><tr><th style="width:40px">#</th><th style="width:200px">at</th><th style="width:120px">actor</th><th style="width:120px">action</th><th>subject</th></tr></thead><tbody>`);
  for (const entry of provenance.custody) parts.push(row([e(String(entry.seq)), e(entry.at), e(entry.actor), e(entry.action), e(entry.subject)], 'mono'));
  parts.push(`</tbody></table></body></html>\n`);
  return parts.join('\n');
}
