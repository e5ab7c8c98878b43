import { describe, expect, it } from 'vitest';
import { parseNameAddr, responseTo, serialise, SipFramer, SipParseError, type SipMessage, type SipRequest } from './message.js';

const REGISTER = [
  'REGISTER sip:example.com SIP/2.0',
  'Via: SIP/2.0/tcp 127.0.0.1:55428;branch=z9hG4bK8E33',
  'From: <sip:alice@example.com>;tag=184068933;epid=cf0b98dadeb9',
  'To: <sip:alice@example.com>',
  'CSeq: 1 REGISTER',
  'Call-ID: 63FAg0F5',
  'Supported: gruu-10, adhoclist',
  'Supported: msrtc-event-categories',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

const INFO = (body: string) => [`INFO sip:127.0.0.1:15061;transport=tcp SIP/2.0`, 'Via: SIP/2.0/tcp 127.0.0.1:55428', 'f: <sip:alice@example.com>;tag=1', 't: <sip:gcserver@example.com>;tag=2', 'i: abc', 'CSeq: 2 INFO', 'c: text/plain', `l: ${Buffer.byteLength(body)}`, '', body].join('\r\n');

describe('SIP messages', () => {
  it('frames messages split anywhere and back to back, skipping keep-alives, reading compact headers and bodies', () => {
    const body = '<xccos ver="1" envid="5"><cmd id="cmd:requri" seqid="1"><data/></cmd></xccos> — é';
    const bytes = Buffer.from(`\r\n\r\n${REGISTER}${INFO(body)}\r\n`);
    for (const step of [1, 7, bytes.length]) {
      const framer = new SipFramer();
      const out: (SipMessage | SipParseError)[] = [];
      for (let i = 0; i < bytes.length; i += step) out.push(...framer.push(bytes.subarray(i, i + step)));
      expect(out).toHaveLength(2);
      const [register, info] = out as SipRequest[];
      expect(register).toMatchObject({ kind: 'request', method: 'REGISTER', uri: 'sip:example.com' });
      expect(register!.headers.getAll('supported')).toEqual(['gruu-10, adhoclist', 'msrtc-event-categories']);
      expect(info!.headers.get('From')).toBe('<sip:alice@example.com>;tag=1');
      expect(info!.headers.get('call-id')).toBe('abc');
      expect(info!.body.toString()).toBe(body);
    }
  });

  it('answers with the request headers copied and a To tag added once; serialises with the right length', () => {
    const [register] = new SipFramer().push(Buffer.from(REGISTER)) as SipRequest[];
    const ok = responseTo(register!, 200, 'OK', 'e910cc4a');
    ok.headers.add('Expires', '3600');
    const text = serialise(ok).toString();
    expect(text).toMatch(/^SIP\/2\.0 200 OK\r\nVia: SIP\/2\.0\/tcp 127\.0\.0\.1:55428;branch=z9hG4bK8E33\r\nFrom: <sip:alice@example\.com>;tag=184068933;epid=cf0b98dadeb9\r\nTo: <sip:alice@example\.com>;tag=e910cc4a\r\nCall-ID: 63FAg0F5\r\nCSeq: 1 REGISTER\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n$/);
    const [again] = new SipFramer().push(serialise(ok)) as SipMessage[];
    expect(again).toMatchObject({ kind: 'response', status: 200, reason: 'OK' });
    expect(parseNameAddr('<sip:alice@example.com>;tag=5093;epid=cf0b')).toEqual({ uri: 'sip:alice@example.com', params: { tag: '5093', epid: 'cf0b' } });
    expect(parseNameAddr('sip:bob@example.com;tag=1')).toEqual({ uri: 'sip:bob@example.com', params: { tag: '1' } });
  });

  it('reports a bad start line and goes on; refuses huge headers, huge bodies and a bad length, and stops reading', () => {
    const framer = new SipFramer();
    const out = framer.push(Buffer.from(`HELLO THERE\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n${REGISTER}`));
    expect(out[0]).toBeInstanceOf(SipParseError);
    expect((out[0] as SipParseError).framed).toBe(true);
    expect(out[1]).toMatchObject({ method: 'REGISTER' });
    const huge = new SipFramer({ maxHeaderBytes: 1024, maxBodyBytes: 100 });
    expect(huge.push(Buffer.from(`INFO sip:x SIP/2.0\r\nX-Pad: ${'a'.repeat(2000)}`))[0]).toMatchObject({ message: 'headers longer than 1024 bytes', framed: false });
    expect(huge.push(Buffer.from(REGISTER))).toEqual([]);
    const body = new SipFramer({ maxHeaderBytes: 1024, maxBodyBytes: 100 });
    expect((body.push(Buffer.from(INFO('x'.repeat(200))))[0] as SipParseError).message).toBe('a body of 200 bytes (limit 100)');
    expect((new SipFramer().push(Buffer.from('INFO sip:x SIP/2.0\r\nContent-Length: lots\r\n\r\n'))[0] as SipParseError).message).toMatch(/Content-Length 'lots'/);
    expect((new SipFramer().push(Buffer.from('INFO sip:x SIP/2.0\r\nno colon here\r\n\r\n'))[0] as SipParseError).message).toMatch(/malformed header line/);
  });
});
