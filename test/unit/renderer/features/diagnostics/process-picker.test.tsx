import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessRow } from '../../../../../preload/api';
import { ProcessPicker } from '../../../../../renderer/src/features/diagnostics/process-picker';
import { pidsInText, withPidToggled } from '../../../../../renderer/src/store/logic/quick-listing';
import { sampleProcesses } from '../../support/sample-capture';

afterEach(cleanup);

const hostile: ProcessRow = {
  ...sampleProcesses[0]!,
  pid: 4000,
  name: { text: '<img src=x onerror=alert(1)>\\u202e' },
  argv: [{ text: '<script>boom()</script>' }],
};

/** The picker with the panel's own wiring: the targets field is the one source of the picked pids. */
function Harness({ processes }: { processes: readonly ProcessRow[] }) {
  const [pids, setPids] = useState('412');
  const [search, setSearch] = useState('');
  return (
    <>
      <output data-testid="pids">{pids}</output>
      <ProcessPicker
        processes={processes}
        search={search}
        picked={new Set(pidsInText(pids))}
        listedAt="2026-11-26T10:00:00Z"
        disabled={false}
        onSearch={setSearch}
        onToggle={(pid) => setPids((text) => withPidToggled(text, pid))}
      />
    </>
  );
}

const rowPids = () => screen.queryAllByTestId('process-picker-row').map((row) => Number(row.getAttribute('data-pid')));

describe('ProcessPicker', () => {
  it('searches, moves with the keyboard and turns picked processes into target pids', () => {
    render(<Harness processes={sampleProcesses} />);
    expect(rowPids()).toEqual([1, 410, 800, 801, 802, 1022, 1337]);
    expect(screen.getByTestId('process-picker-note').textContent).toMatch(/keep their pids/);

    const search = screen.getByTestId('process-picker-search');
    fireEvent.change(search, { target: { value: 'nginx worker' } });
    expect(rowPids()).toEqual([801, 802]);
    expect(screen.getByTestId('process-picker-count').textContent).toContain('2 of 7 processes');

    // ArrowDown leaves the search for the first process, again for the next; a click on the focused box picks it.
    fireEvent.keyDown(search, { key: 'ArrowDown' });
    const checks = screen.getAllByTestId('process-picker-check');
    expect(document.activeElement).toBe(checks[0]);
    fireEvent.keyDown(checks[0]!, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(checks[1]);
    fireEvent.click(document.activeElement!);
    expect(screen.getByTestId('pids').textContent).toBe('412, 802');
    expect((checks[1] as HTMLInputElement).checked).toBe(true);
    fireEvent.keyDown(checks[1]!, { key: 'Home' });
    expect(document.activeElement).toBe(checks[0]);
    fireEvent.click(checks[0]!);
    expect(screen.getByTestId('pids').textContent).toBe('412, 802, 801');

    // Unpicking removes only that pid; a pid typed by hand stays.
    fireEvent.click(checks[1]!);
    expect(screen.getByTestId('pids').textContent).toBe('412, 801');
    expect(screen.getByTestId('process-picker-count').textContent).toContain('2 picked');
  });

  it('shows hostile names and arguments only as text', () => {
    const { container } = render(<Harness processes={[hostile]} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    const row = screen.getByTestId('process-picker-row');
    expect(row.textContent).toContain('<img src=x onerror=alert(1)>\\u202e');
    expect(row.textContent).toContain('<script>boom()</script>');
  });
});
