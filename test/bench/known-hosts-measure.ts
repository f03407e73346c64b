import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

// Measures one connect's host-key work on a large known_hosts, in a fresh process so peak RSS is
// this work's alone: `tsx test/bench/known-hosts-measure.ts FILE [make LINES | check HOST PORT KEYBASE64]`.
// `make` writes a file of plain ed25519 lines; `check` runs the verifier as a connect does (the
// algorithms, then the key) and prints seconds and peak RSS. Speed is measured here, never in tests.

function ed25519Blob(): Buffer {
  const name = Buffer.from('ssh-ed25519');
  return Buffer.concat([Buffer.from([0, 0, 0, name.length]), name, Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
}

async function make(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  for (let index = 0; index < count; index += 1) {
    const host = `host-${createHash('sha1').update(String(index)).digest('hex').slice(0, 12)}.example.net`;
    if (!out.write(`${host} ssh-ed25519 ${ed25519Blob().toString('base64')} ops@bastion\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function check(file: string, host: string, port: number, keyBase64: string): Promise<void> {
  // Imported late so `make` does not pay for it; the path is relative to the checkout this runs in.
  const { createHostKeyVerifier } = await import(`${process.cwd()}/main/ssh/host-key-verifier.ts`);
  const verifier = createHostKeyVerifier({
    userKnownHostsFiles: [file],
    globalKnownHostsFiles: [],
    appKnownHostsFile: '/nonexistent/known_hosts',
    confirmUnknownHost: async () => false,
  });
  const key = Buffer.from(keyBase64, 'base64');
  const started = process.hrtime.bigint();
  let outcome = 'accepted';
  try {
    if (typeof verifier.prepare === 'function') {
      const prepared = await verifier.prepare({ host, port, policy: { globalKnownHostsFiles: [] } });
      await prepared.verify(key);
    } else {
      // The code before one-read-per-connect: ssh-connect asked for algorithms, then verified.
      await verifier.preferredAlgorithms(host, port);
      await verifier.verify(host, port, key);
    }
  } catch (error) {
    outcome = (error as { error?: { code?: string } }).error?.code ?? String(error);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${outcome} in ${seconds.toFixed(2)} s, peak RSS ${peakMiB.toFixed(0)} MiB\n`);
}

const [file, mode, ...rest] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: known-hosts-measure.ts FILE make LINES | check HOST PORT KEY');
void (mode === 'make' ? make(file, Number(rest[0] ?? 300_000)) : check(file, rest[0] ?? '127.0.0.1', Number(rest[1] ?? 22), rest[2] ?? ''));
