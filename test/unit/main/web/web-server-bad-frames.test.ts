import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebServer } from '../../../../main/web/web-server';
import { useTempFolders } from '../../../support/temp-folders';
import { makeServices, openClient, send, signInWith, startTestServer, type TestClient } from './web-test-server';

const tempFolder = useTempFolders('civic-web-frames');

interface FrameParts {
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  readonly opcode: number;
  readonly payload?: Buffer;
  readonly masked?: boolean;
  /** A length to announce instead of the payload's own (the payload is then left out). */
  readonly announce?: number;
}

/** One client frame written by hand (RFC 6455 section 5.2). */
function frame(parts: FrameParts): Buffer {
  const payload = parts.payload ?? Buffer.alloc(0);
  const length = parts.announce ?? payload.length;
  const masked = parts.masked ?? true;
  const first = (parts.fin === false ? 0 : 0x80) | (parts.rsv1 ? 0x40 : 0) | parts.opcode;
  let header: Buffer;
  if (length < 126) header = Buffer.from([first, (masked ? 0x80 : 0) | length]);
  else if (length < 65536) {
    header = Buffer.alloc(4);
    header.writeUInt8(first, 0);
    header.writeUInt8((masked ? 0x80 : 0) | 126, 1);
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header.writeUInt8(first, 0);
    header.writeUInt8((masked ? 0x80 : 0) | 127, 1);
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (parts.announce !== undefined) return masked ? Buffer.concat([header, randomBytes(4)]) : header;
  if (!masked) return Buffer.concat([header, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((byte, index) => byte ^ mask[index % 4]!));
  return Buffer.concat([header, mask, body]);
}

const code = (value: number): Buffer => {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
};
const mebibyte = 1024 * 1024;

/** A raw TCP client after a successful upgrade; what the server sends back is collected. */
async function rawSocket(
  web: WebServer,
  cookie: string,
): Promise<{ socket: Socket; received: () => Buffer; closeFrame: Promise<void>; closed: Promise<void> }> {
  const socket = connect(web.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let sawCloseFrame: () => void = () => undefined;
  const closeFrame = new Promise<void>((resolve) => (sawCloseFrame = resolve));
  const collect = (chunk: Buffer): void => {
    chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    if (bytes.length >= 4 && (bytes[0]! & 0x0f) === 0x8) sawCloseFrame();
  };
  // The server may cut the link while a big frame is still being written: that is expected here.
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    [
      'GET /api HTTP/1.1',
      `Host: 127.0.0.1:${web.port}`,
      `Origin: ${web.origin}`,
      `Cookie: ${cookie}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n'),
  );
  const head = await new Promise<Buffer>((resolve) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.removeListener('data', onData);
      collect(buffered.subarray(end + 4));
      socket.on('data', collect);
      resolve(buffered.subarray(0, end));
    };
    socket.on('data', onData);
  });
  expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
  return { socket, received: () => Buffer.concat(chunks), closeFrame, closed };
}

/** The status code of the first frame the server sent, which must be a close frame. */
function closeCode(bytes: Buffer): number {
  expect(bytes.length).toBeGreaterThanOrEqual(4);
  expect(bytes[0]! & 0x0f).toBe(0x8);
  expect(bytes[1]! & 0x80).toBe(0);
  return bytes.readUInt16BE(2);
}

const corpus: readonly { readonly name: string; readonly bytes: () => Buffer; readonly closeCode: number }[] = [
  { name: 'a text frame of 1 MiB + 1 byte', bytes: () => frame({ opcode: 1, payload: Buffer.alloc(mebibyte + 1, 0x20) }), closeCode: 1009 },
  { name: 'only a header announcing 100 MiB', bytes: () => frame({ opcode: 1, announce: 100 * mebibyte }), closeCode: 1009 },
  { name: 'invalid UTF-8 in a text frame', bytes: () => frame({ opcode: 1, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }), closeCode: 1007 },
  { name: 'an unmasked client frame', bytes: () => frame({ opcode: 1, payload: Buffer.from('{}'), masked: false }), closeCode: 1002 },
  { name: 'RSV1 set without an extension', bytes: () => frame({ opcode: 1, rsv1: true, payload: Buffer.from('{}') }), closeCode: 1002 },
  { name: 'reserved opcode 3', bytes: () => frame({ opcode: 3, payload: Buffer.from('x') }), closeCode: 1002 },
  { name: 'a fragmented ping', bytes: () => frame({ opcode: 9, fin: false, payload: Buffer.from('ping') }), closeCode: 1002 },
  { name: 'a close frame with code 999', bytes: () => frame({ opcode: 8, payload: code(999) }), closeCode: 1002 },
  { name: 'a binary message', bytes: () => frame({ opcode: 2, payload: Buffer.from('{}') }), closeCode: 1003 },
  { name: 'text that is not JSON', bytes: () => frame({ opcode: 1, payload: Buffer.from('not json') }), closeCode: 1008 },
];

describe('the web server against bad WebSocket frames', () => {
  let web: WebServer;
  let cookie: string;
  let bystander: TestClient;
  let uploadsRoot: string;
  let stopServices: () => Promise<void>;
  // Outside a test runner an error thrown here ends `civic serve`; vitest would only report it, so it is counted.
  const uncaught: unknown[] = [];
  const countUncaught = (error: unknown): void => void uncaught.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', countUncaught);
    // The upload folder is made under TMPDIR: a folder of this test's own, so it can be looked at.
    uploadsRoot = tempFolder();
    const previous = process.env['TMPDIR'];
    process.env['TMPDIR'] = uploadsRoot;
    try {
      const { services, staticDir } = makeServices(tempFolder());
      stopServices = () => services.shutdown();
      web = await startTestServer({ services, staticDir, maxUploadBytes: 1024 });
    } finally {
      if (previous === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = previous;
    }
    cookie = await signInWith(web.url);
    bystander = await openClient(web, cookie);
  });

  afterAll(async () => {
    process.removeListener('uncaughtException', countUncaught);
    bystander.close();
    await web.close();
    await stopServices();
  });

  it.each(corpus)('closes the socket for $name with code $closeCode and keeps serving another client', async (entry) => {
    expect((await bystander.ask('getAppInfo')).ok).toBe(true);
    const raw = await rawSocket(web, cookie);
    raw.socket.write(entry.bytes());
    await raw.closeFrame;
    expect(closeCode(raw.received())).toBe(entry.closeCode);
    // A polite client answers the close; the server then ends the link (at once after a protocol error).
    raw.socket.write(frame({ opcode: 8, payload: code(1000) }));
    await raw.closed;
    const answer = await bystander.ask('getAppInfo');
    expect(answer).toMatchObject({ ok: true, value: { transport: 'web' } });
    expect(uncaught).toEqual([]);
  });

  it('still accepts new connections after the whole corpus', async () => {
    const late = await openClient(web, cookie);
    expect((await late.ask('listJobs')).ok).toBe(true);
    late.close();
  });

  it('leaves no upload behind when one is refused as too big or cut off midway', async () => {
    const [uploadDir] = readdirSync(uploadsRoot).filter((name) => name.startsWith('civic-uploads-'));
    expect(uploadDir).toBeDefined();
    const tooBig = await send(`${web.origin}/upload?name=big.civic`, { method: 'POST', headers: { Cookie: cookie, Origin: web.origin }, body: 'x'.repeat(4096) });
    expect(JSON.parse(tooBig.body)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });

    // Half an upload, then the client vanishes.
    const socket = connect(web.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST /upload?name=cut.civic HTTP/1.1\r\nHost: 127.0.0.1:${web.port}\r\nOrigin: ${web.origin}\r\nCookie: ${cookie}\r\nContent-Length: 900\r\n\r\n` + 'y'.repeat(100),
    );
    // The request's data reaches the server before the list below: a served request proves it.
    await bystander.ask('getAppInfo');
    socket.destroy();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // The server answers this only after it has seen the reset and cleaned up (one event loop).
    for (let attempt = 0; attempt < 50 && readdirSync(join(uploadsRoot, uploadDir!)).length > 0; attempt += 1) await bystander.ask('getAppInfo');
    expect(readdirSync(join(uploadsRoot, uploadDir!))).toEqual([]);
  });
});
