import { describe, expect, it } from 'vitest';
import { viewForShortcut } from '../../../../renderer/src/app/view-shortcut';

const key = (value: string, modifiers: { altKey?: boolean; ctrlKey?: boolean; shiftKey?: boolean; metaKey?: boolean }) => ({
  key: value,
  altKey: false,
  ctrlKey: false,
  shiftKey: false,
  metaKey: false,
  ...modifiers,
});

describe('viewForShortcut', () => {
  it('maps Alt+1..6 and Ctrl+1..6 to the views in navigation order', () => {
    expect(viewForShortcut(key('1', { altKey: true }))).toBe('hosts');
    expect(viewForShortcut(key('2', { ctrlKey: true }))).toBe('jobs');
    expect(viewForShortcut(key('3', { altKey: true }))).toBe('review');
    expect(viewForShortcut(key('4', { ctrlKey: true }))).toBe('experiments');
    expect(viewForShortcut(key('5', { ctrlKey: true }))).toBe('wizards');
    expect(viewForShortcut(key('6', { altKey: true }))).toBe('settings');
  });

  it('ignores plain digits, other digits and other chords', () => {
    expect(viewForShortcut(key('1', {}))).toBeNull();
    expect(viewForShortcut(key('7', { altKey: true }))).toBeNull();
    expect(viewForShortcut(key('0', { altKey: true }))).toBeNull();
    expect(viewForShortcut(key('1', { altKey: true, ctrlKey: true }))).toBeNull();
    expect(viewForShortcut(key('1', { ctrlKey: true, shiftKey: true }))).toBeNull();
  });
});
