import { useMemo, useState } from 'react';
import type { KernelModuleFact, MountConcern, SystemFacts } from '../../../../preload/api';
import { formatKiB, formatTime } from '../../components/format';
import { GuestTextView } from '../../components/guest-text-view';

type ModuleSortKey = 'name' | 'size' | 'state' | 'taints';

const concernLabels: Record<MountConcern, string> = {
  'noexec-missing': 'no noexec on a world-writable folder',
  'unusual-type': 'unusual file system type',
};

function formatUptime(seconds: number | null): string {
  if (seconds === null) return '—';
  const whole = Math.floor(seconds);
  const days = Math.floor(whole / 86_400);
  const hours = Math.floor((whole % 86_400) / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  return days > 0 ? `${days} d ${hours} h ${minutes} min` : hours > 0 ? `${hours} h ${minutes} min` : `${(seconds % 3600).toFixed(0)} s`;
}

function compareModules(a: KernelModuleFact, b: KernelModuleFact, key: ModuleSortKey): number {
  if (key === 'size') return a.size - b.size;
  const left = key === 'name' ? a.name.text : key === 'state' ? a.state.text : a.taints.text;
  const right = key === 'name' ? b.name.text : key === 'state' ? b.state.text : b.taints.text;
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * The capture's system document: kernel and taint, modules, mounts, /etc/ld.so.preload, logins and
 * persistence files.
 *
 * `system` null means still loading; `system.facts` null means the capture did not collect one.
 */
export function SystemView({ system }: { system: { readonly facts: SystemFacts | null } | null }) {
  if (system === null) return <p className="muted">Loading system facts…</p>;
  if (system.facts === null)
    return (
      <p className="muted" data-testid="system-not-collected">
        Not collected: this capture has no system document.
      </p>
    );
  const facts = system.facts;
  return (
    <div className="system-view" data-testid="system-view">
      <KernelSection kernel={facts.kernel} />
      <PreloadSection preload={facts.ldSoPreload} />
      <ModulesSection modules={facts.modules} />
      <MountsSection mounts={facts.mounts} />
      <LoginsSection logins={facts.logins} />
      <PersistenceSection groups={facts.persistence} truncated={facts.persistenceTruncated} />
    </div>
  );
}

function KernelSection({ kernel }: { kernel: SystemFacts['kernel'] }) {
  return (
    <section data-testid="system-kernel">
      <h4 className="subheading">Kernel</h4>
      <dl className="system-facts-list">
        <dt>Banner</dt>
        <dd className="mono">{kernel.banner ? <GuestTextView value={kernel.banner} /> : '—'}</dd>
        <dt>Uptime</dt>
        <dd>
          {formatUptime(kernel.uptimeSeconds)} (booted {formatTime(kernel.bootedAt)})
        </dd>
        <dt>Taint</dt>
        <dd data-testid="system-taint">
          {kernel.tainted === 0 ? (
            'not tainted (0)'
          ) : (
            <>
              {kernel.tainted}
              <ul className="taint-flags">
                {kernel.taintFlags.map((flag) => (
                  <li key={flag.letter} className={flag.suspicious ? 'system-alert' : undefined}>
                    <span className="mono">{flag.letter}</span> {flag.meaning}
                  </li>
                ))}
                {kernel.unknownTaintBits.map((bit) => (
                  <li key={`bit-${bit}`}>bit {bit} (not known to this version)</li>
                ))}
              </ul>
            </>
          )}
        </dd>
      </dl>
    </section>
  );
}

function PreloadSection({ preload }: { preload: SystemFacts['ldSoPreload'] }) {
  return (
    <section data-testid="system-preload" className={preload.loadsSomething ? 'system-alert-box' : undefined}>
      <h4 className="subheading">/etc/ld.so.preload</h4>
      {!preload.present ? (
        <p className="muted">Absent.</p>
      ) : preload.content === null || preload.content.text === '' ? (
        <p className="muted">Empty.</p>
      ) : (
        <pre className="mono system-preload-content">
          <GuestTextView value={preload.content} />
        </pre>
      )}
      {preload.loadsSomething ? <p className="system-alert">Every program on the VM loads these libraries first.</p> : null}
      {preload.truncated ? <p className="muted">The file was longer than what was read.</p> : null}
    </section>
  );
}

function ModulesSection({ modules }: { modules: readonly KernelModuleFact[] }) {
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<{ key: ModuleSortKey; descending: boolean }>({ key: 'name', descending: false });
  const shown = useMemo(() => {
    const needle = search.toLowerCase();
    const kept = needle === '' ? [...modules] : modules.filter((module) => module.name.text.toLowerCase().includes(needle));
    kept.sort((a, b) => compareModules(a, b, sort.key) * (sort.descending ? -1 : 1));
    return kept;
  }, [modules, search, sort]);
  const header = (key: ModuleSortKey, label: string) => (
    <th aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
      <button
        type="button"
        className="link-button"
        data-testid={`module-sort-${key}`}
        onClick={() => setSort((current) => ({ key, descending: current.key === key ? !current.descending : false }))}
      >
        {label}
        {sort.key === key ? (sort.descending ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );
  return (
    <section data-testid="system-modules">
      <h4 className="subheading">Kernel modules ({modules.length})</h4>
      <input type="search" placeholder="Search modules" aria-label="Search modules" value={search} onChange={(event) => setSearch(event.target.value)} />
      <table className="data-table mono">
        <thead>
          <tr>
            {header('name', 'Name')}
            {header('size', 'Size')}
            {header('state', 'State')}
            {header('taints', 'Taints')}
          </tr>
        </thead>
        <tbody>
          {shown.map((module, index) => (
            <tr key={index} data-testid="module-row" className={module.taintFlags.some((flag) => flag.suspicious) ? 'system-alert' : undefined}>
              <td>
                <GuestTextView value={module.name} />
              </td>
              <td>{formatKiB(Math.round(module.size / 1024))}</td>
              <td>
                <GuestTextView value={module.state} />
              </td>
              <td title={module.taintFlags.map((flag) => `${flag.letter}: ${flag.meaning}`).join('\n')}>
                <GuestTextView value={module.taints} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function MountsSection({ mounts }: { mounts: SystemFacts['mounts'] }) {
  return (
    <section data-testid="system-mounts">
      <h4 className="subheading">Mounts ({mounts.length})</h4>
      <table className="data-table mono">
        <thead>
          <tr>
            <th>Device</th>
            <th>Mount point</th>
            <th>Type</th>
            <th>Options</th>
            <th>Look at</th>
          </tr>
        </thead>
        <tbody>
          {mounts.map((mount, index) => (
            <tr key={index} data-testid="mount-row" className={mount.concerns.length > 0 ? 'system-alert' : undefined}>
              <td>
                <GuestTextView value={mount.source} />
              </td>
              <td>
                <GuestTextView value={mount.target} />
              </td>
              <td>
                <GuestTextView value={mount.fsType} />
              </td>
              <td>
                <GuestTextView value={mount.options} />
              </td>
              <td>{mount.concerns.map((concern) => concernLabels[concern]).join('; ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function LoginsSection({ logins }: { logins: SystemFacts['logins'] }) {
  return (
    <section data-testid="system-logins">
      <h4 className="subheading">Logged-in users ({logins.length})</h4>
      {logins.length === 0 ? (
        <p className="muted">Nobody was logged in.</p>
      ) : (
        <table className="data-table mono">
          <thead>
            <tr>
              <th>User</th>
              <th>Line</th>
              <th>From</th>
              <th>Pid</th>
              <th>Since</th>
            </tr>
          </thead>
          <tbody>
            {logins.map((login, index) => (
              <tr key={index}>
                <td>
                  <GuestTextView value={login.user} />
                </td>
                <td>
                  <GuestTextView value={login.line} />
                </td>
                <td>
                  <GuestTextView value={login.host} />
                </td>
                <td>{login.pid}</td>
                <td>{formatTime(login.loginAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function PersistenceSection({ groups, truncated }: { groups: SystemFacts['persistence']; truncated: boolean }) {
  return (
    <section data-testid="system-persistence">
      <h4 className="subheading">Persistence files</h4>
      {groups.length === 0 ? <p className="muted">None found in the cron, systemd and init locations.</p> : null}
      {groups.map((group, index) => (
        <div key={index} className="persistence-group">
          <h5 className="mono">
            <GuestTextView value={group.location} /> ({group.entries.length})
          </h5>
          <table className="data-table mono">
            <thead>
              <tr>
                <th>Path</th>
                <th>Size</th>
                <th>Modified</th>
                <th>SHA-256</th>
              </tr>
            </thead>
            <tbody>
              {group.entries.map((entry, entryIndex) => (
                <tr key={entryIndex} data-testid="persistence-row">
                  <td>
                    <GuestTextView value={entry.path} />
                    {entry.linkTarget ? (
                      <>
                        {' → '}
                        <GuestTextView value={entry.linkTarget} />
                      </>
                    ) : null}
                  </td>
                  <td>{entry.type === 'file' ? `${entry.size} B` : entry.type}</td>
                  <td>{formatTime(entry.mtime)}</td>
                  <td className="system-hash">{entry.sha256 ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      {truncated ? <p className="muted">The collector stopped listing at its cap; there are more files.</p> : null}
    </section>
  );
}
