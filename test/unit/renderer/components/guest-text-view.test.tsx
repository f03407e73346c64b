import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { GuestTextView } from '../../../../renderer/src/components/guest-text-view';

afterEach(cleanup);

describe('GuestTextView', () => {
  it('renders markup from the guest as text, creating no element', () => {
    const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const { container } = render(<GuestTextView value={{ text: hostile }} />);
    expect(container.textContent).toBe(hostile);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelectorAll('*')).toHaveLength(1);
  });

  it('keeps escaped ANSI and bidi sequences visible as written', () => {
    const escaped = 'evil\\x1b[2J\\u202etxt.exe';
    const { container } = render(<GuestTextView value={{ text: escaped }} />);
    expect(container.textContent).toBe(escaped);
  });

  it('shows raw control and bidi characters only as text, with the span isolating their direction', () => {
    const raw = 'a\u001b[31mred\u202eevil';
    const { container } = render(<GuestTextView value={{ text: raw }} />);
    const span = container.querySelector('.guest-text');
    expect(span?.firstChild?.nodeType).toBe(Node.TEXT_NODE);
    expect(span?.firstChild?.textContent).toBe(raw);
  });

  it('marks truncated text', () => {
    const { getByText, container } = render(<GuestTextView value={{ text: 'long', truncated: true }} />);
    expect(getByText('…truncated')).toBeTruthy();
    expect(container.textContent).toBe('long…truncated');
  });

  it('shows no marker when the text is whole', () => {
    const { container } = render(<GuestTextView value={{ text: 'whole' }} />);
    expect(container.querySelector('.truncated-marker')).toBeNull();
  });
});
