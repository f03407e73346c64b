import { describe, expect, it } from 'vitest';
import { captureFromArgv } from '../../../../main/review/capture-argv';

describe('captureFromArgv', () => {
  it('finds a .civic argument after the executable and switches', () => {
    expect(captureFromArgv(['/opt/civic/civic-workbench', '--no-sandbox', '/cases/web.civic'])).toBe('/cases/web.civic');
    expect(captureFromArgv(['electron', '.', '/cases/WEB.CIVIC'])).toBe('/cases/WEB.CIVIC');
  });

  it('takes --capture for folders, in both spellings', () => {
    expect(captureFromArgv(['app', '--capture=/cases/folder'])).toBe('/cases/folder');
    expect(captureFromArgv(['app', '--capture', '/cases/folder'])).toBe('/cases/folder');
  });

  it('returns null without a capture, and for an empty --capture', () => {
    expect(captureFromArgv(['app'])).toBeNull();
    expect(captureFromArgv(['app', '.', '--inspect'])).toBeNull();
    expect(captureFromArgv(['app', '--capture='])).toBeNull();
    expect(captureFromArgv(['/path/to/x.civic'])).toBeNull();
  });
});
