import { describe, expect, it } from 'vitest';
import { esc, find, findAll, parseXccos, reply, XccosError } from './xccos.js';

describe('XCCOS', () => {
  it('reads an envelope, its commands and their data', () => {
    const env = parseXccos('<xccos ver="1" envid="507687278" xmlns="urn:parlano:xml:ns:xccos"><cmd id="cmd:join" seqid="1"><data><chanid key="0" domain="example.com" value="6f2b"/></data></cmd><grpchat id="grpchat" seqid="1" chanUri="ma-chan://example.com/6f2b" author="sip:alice@example.com" ts="2026-11-24T05:46:27Z"><chat>a &amp; b &lt;3</chat></grpchat></xccos>');
    expect(env.envid).toBe('507687278');
    expect(env.items.map((i) => i.attrs.id)).toEqual(['cmd:join', 'grpchat']);
    expect(find(env.items[0]!, 'chanid')!.attrs).toEqual({ key: '0', domain: 'example.com', value: '6f2b' });
    expect(find(env.items[1]!, 'chat')!.text).toBe('a & b <3');
    expect(findAll(env.items[0]!, 'data')).toHaveLength(1);
  });

  it('writes replies with the command ids echoed and everything escaped', () => {
    const env = parseXccos('<xccos envid="9"><cmd id="cmd:chansrch" seqid="3"><data/></cmd></xccos>');
    expect(reply(env.items[0]!, env.envid, 'ok', `<chanib name="${esc('A "B" & <C>')}"/>`)).toBe(
      '<rpl id="rpl:chansrch" seqid="3"><commandid seqid="3" envid="9"/><resp code="200">SUCCESS_OK</resp><data><chanib name="A &quot;B&quot; &amp; &lt;C&gt;"/></data></rpl>',
    );
    expect(esc('bell\u0007 tab\t')).toBe('bell tab\t');
  });

  it('refuses a DOCTYPE, malformed XML, another root, and absurd nesting', () => {
    expect(() => parseXccos('<!DOCTYPE x [<!ENTITY a "b">]><xccos>&a;</xccos>')).toThrow(XccosError);
    expect(() => parseXccos('<xccos><cmd></xccos>')).toThrow(XccosError);
    expect(() => parseXccos('<other/>')).toThrow(/<other> where <xccos> was expected/);
    expect(() => parseXccos(`<xccos>${'<a>'.repeat(40)}${'</a>'.repeat(40)}</xccos>`)).toThrow(/nested deeper/);
    expect(() => parseXccos('')).toThrow(XccosError);
  });
});
