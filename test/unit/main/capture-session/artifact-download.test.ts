import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { downloadVerified } from '../../../../main/capture-session/artifact-download';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'civic-download-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const content = Buffer.from('0123456789'.repeat(1000));
const expected = { size: content.length, sha256: createHash('sha256').update(content).digest('hex') };

/** An SFTP stand-in serving `content`; the first `breaks` reads stop with an error after `cut` bytes. */
function fakeSftp(options: { breaks?: number; cut?: number; serve?: Buffer } = {}) {
  const starts: number[] = [];
  let breaks = options.breaks ?? 0;
  const open = async (): Promise<SFTPWrapper> =>
    ({
      createReadStream: (_path: string, { start }: { start: number }) => {
        starts.push(start);
        const bytes = (options.serve ?? content).subarray(start);
        if (breaks > 0) {
          breaks -= 1;
          return Readable.from(
            (async function* () {
              yield bytes.subarray(0, options.cut ?? 100);
              throw new Error('connection lost');
            })(),
          );
        }
        return Readable.from([bytes]);
      },
      end: () => undefined,
    }) as unknown as SFTPWrapper; // only the two members the download uses
  return { open, starts };
}

describe('downloadVerified', () => {
  it('resumes a broken transfer from the bytes already on disk', async () => {
    const sftp = fakeSftp({ breaks: 2, cut: 3000 });
    const target = join(dir, 'a', 'file');
    const result = await downloadVerified(sftp.open, '/remote/file', target, expected);
    expect(result.resumes).toBe(2);
    expect(sftp.starts).toEqual([0, 3000, 6000]);
    expect((await readFile(target)).equals(content)).toBe(true);
  });

  it('resumes from a partial file left by an earlier run', async () => {
    const target = join(dir, 'file');
    await writeFile(target, content.subarray(0, 4096));
    const sftp = fakeSftp();
    await downloadVerified(sftp.open, '/remote/file', target, expected);
    expect(sftp.starts).toEqual([4096]);
  });

  it('refuses bytes whose hash is not what the helper reported', async () => {
    const forged = Buffer.from(content);
    forged[10] = 0x41;
    await expect(downloadVerified(fakeSftp({ serve: forged }).open, '/remote/file', join(dir, 'f'), expected)).rejects.toMatchObject({ code: 'BUNDLE_HASH_MISMATCH' });
  });

  it('refuses a file shorter than reported, and gives up after the attempts', async () => {
    await expect(downloadVerified(fakeSftp({ serve: content.subarray(0, 10) }).open, '/r', join(dir, 'short'), expected)).rejects.toMatchObject({
      code: 'BUNDLE_SIZE_MISMATCH',
    });
    await expect(downloadVerified(fakeSftp({ breaks: 9, cut: 1 }).open, '/r', join(dir, 'broken'), expected, { attempts: 3 })).rejects.toMatchObject({
      code: 'CONNECTION_LOST',
    });
  });
});

describe('an empty artifact', () => {
  it('exists locally after download without any transfer', async () => {
    const empty = { size: 0, sha256: createHash('sha256').update('').digest('hex') };
    const sftp = fakeSftp();
    await downloadVerified(sftp.open, '/remote/empty', join(dir, 'x', 'empty'), empty);
    expect(sftp.starts).toEqual([]);
    expect((await readFile(join(dir, 'x', 'empty'))).length).toBe(0);
  });
});
