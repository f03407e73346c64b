import { describe, expect, it } from 'vitest';
import { checkHello, helperErrorToFailure, parseHelperLine } from '../../../../main/helper-client/helper-messages';
import { createLineReader } from '../../../../main/helper-client/helper-line-reader';

describe('helper line protocol', () => {
  it('reads progress and ignores fields it does not know', () => {
    const message = parseHelperLine('{"type":"progress","step":"plan","value":0.05,"message":"Cloning","strategy":"precopy","future":1}', 'h');
    expect(message).toEqual({ type: 'progress', step: 'plan', value: 0.05, message: 'Cloning' });
  });

  it('refuses lines that are not JSON or not protocol, naming the host', () => {
    expect(() => parseHelperLine('Traceback (most recent call last):', 'root@h:22')).toThrow(/root@h:22.*not JSON/);
    expect(() => parseHelperLine('{"type":"progress","step":"x","value":2,"message":""}', 'h')).toThrow(/outside its protocol.*value/);
    expect(() => parseHelperLine('{"type":"surprise"}', 'h')).toThrow(/outside its protocol/);
  });

  it('checks the protocol version of the hello line', () => {
    const hello = parseHelperLine('{"type":"hello","protocolVersion":2,"helperVersion":"9","capabilities":[]}', 'h');
    expect(() => checkHello(hello, 'h')).toThrow(expect.objectContaining({ code: 'HELPER_VERSION_MISMATCH' }));
    expect(() => checkHello(parseHelperLine('{"type":"result","payload":{}}', 'h'), 'h')).toThrow(expect.objectContaining({ code: 'HELPER_FAILED' }));
  });

  it('keeps codes the app knows and folds others into HELPER_FAILED', () => {
    const busy = parseHelperLine('{"type":"error","code":"VM_BUSY","message":"A clone exists."}', 'h');
    const odd = parseHelperLine('{"type":"error","code":"SOMETHING_NEW","message":"Odd."}', 'h');
    if (busy.type !== 'error' || odd.type !== 'error') throw new Error('expected error lines');
    expect(helperErrorToFailure(busy, 'h').error).toMatchObject({ code: 'VM_BUSY', message: 'A clone exists.', subject: 'h' });
    expect(helperErrorToFailure(odd, 'h').error).toMatchObject({ code: 'HELPER_FAILED', message: 'Odd. (helper code SOMETHING_NEW)' });
  });
});

describe('line reader', () => {
  it('returns only complete lines and counts their bytes from the start offset', () => {
    const reader = createLineReader(100);
    expect(reader.push(Buffer.from('{"a":1}\n{"b"'))).toEqual(['{"a":1}']);
    expect(reader.offset).toBe(108);
    expect(reader.push(Buffer.from(':2}\n'))).toEqual(['{"b":2}']);
    expect(reader.offset).toBe(116);
  });

  it('counts bytes, not characters, for non-ASCII text', () => {
    const reader = createLineReader(0);
    reader.push(Buffer.from('é\n'));
    expect(reader.offset).toBe(3);
  });
});
