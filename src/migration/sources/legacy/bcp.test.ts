import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { terminatedRecords } from './bcp.js';
import { CsvError, type CsvRecord } from './csv.js';
import { parseFormatFile } from './layouts.js';

async function read(chunks: string[], terminators: string[], maxRecord?: number): Promise<CsvRecord[]> {
  async function* source() {
    yield* chunks;
  }
  const out: CsvRecord[] = [];
  for await (const r of terminatedRecords(source(), { file: 't.dat', terminators, ...(maxRecord === undefined ? {} : { maxRecord }) })) out.push(r);
  return out;
}

describe('bcp terminated records', () => {
  const tabs = ['\t', '\t', '\r\n'];

  it('reads fields up to their own terminators: empty is NULL, NUL the empty string, quotes and line breaks in a middle field are text', async () => {
    expect(await read(['1\t"a"\r\nb\t\r\n2\t\u0000\tx\r\n'], tabs)).toEqual([
      { line: 1, fields: ['1', '"a"\r\nb', null] },
      { line: 3, fields: ['2', '', 'x'] },
    ]);
  });

  it('finds a multi-character terminator split across chunks', async () => {
    const terms = ['|~|', '|~|', '|~~|\r\n'];
    expect(await read(['1|~', '|a\tb|', '~|c|~', '~|\r', '\n2|~|x|~|y|~~|\r\n'], terms)).toEqual([
      { line: 1, fields: ['1', 'a\tb', 'c'] },
      { line: 2, fields: ['2', 'x', 'y'] },
    ]);
  });

  it('gives a line break in the last column back to its record, in the middle and at the end of the file', async () => {
    expect(await read(['1\ta\tone\r\ntwo\r\n2\tb\tthree\r\nfour\nfive\r\n'], tabs)).toEqual([
      { line: 1, fields: ['1', 'a', 'one\r\ntwo'] },
      { line: 3, fields: ['2', 'b', 'three\r\nfour\nfive'] },
    ]);
  });

  it('flags a record whose last field holds a field terminator, and refuses a file cut inside a record', async () => {
    const [r] = await read(['1\ta\tb\tc\r\n'], tabs);
    expect(r!.problem).toMatch(/more fields than the 3 the layout has: a text holds the field terminator '\\t'/);
    await expect(read(['1\ta\tb\r\n2\tx'], tabs)).rejects.toThrow(/t\.dat:2: the file ends inside a record \(1 of 3 fields\)/);
    await expect(read(['1\t' + 'x'.repeat(100)], tabs, 50)).rejects.toThrow(/t\.dat:1: a record longer than 50 characters/);
  });

  it('never throws anything but a CsvError, whatever the text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: fc.constantFrom('1', 'a', '\t', '\r', '\n', '\u0000', '|', '~') }), { maxLength: 6 }), async (chunks) => {
        try {
          const records = await read(chunks, tabs, 64);
          for (const r of records) expect(r.fields).toHaveLength(3);
        } catch (err) {
          expect(err).toBeInstanceOf(CsvError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('bcp format files', () => {
  it('reads a non-XML format file: terminators with escapes, skipped columns, SQLNCHAR as UTF-16', () => {
    const fmt = '14.0\r\n3\r\n1       SQLNCHAR   0   24   "\\t"      1   channelId   ""\r\n2   SQLNCHAR  0  0  "|\\"~"  0  skipped  SQL_Latin1_General_CP1_CI_AS\r\n3 SQLNCHAR 0 0 "\\r\\n" 3 content SQL_Latin1_General_CP1_CI_AS\r\n';
    expect(parseFormatFile('t.fmt', fmt)).toEqual({
      file: 't.fmt',
      unicode: true,
      fields: [
        { terminator: '\t', column: 'channelId' },
        { terminator: '|"~', column: undefined },
        { terminator: '\r\n', column: 'content' },
      ],
    });
  });

  it('reads an XML format file, entities in attributes', () => {
    const xml = `<?xml version="1.0"?>
<BCPFORMAT xmlns="http://schemas.microsoft.com/sqlserver/2004/bulkload/format" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <RECORD>
  <FIELD ID="1" xsi:type="CharTerm" TERMINATOR="&amp;\\t" MAX_LENGTH="12"/>
  <FIELD ID="2" xsi:type="CharTerm" TERMINATOR="\\r\\n" COLLATION="SQL_Latin1_General_CP1_CI_AS"/>
 </RECORD>
 <ROW>
  <COLUMN SOURCE="2" NAME="content" xsi:type="SQLNVARCHAR"/>
 </ROW>
</BCPFORMAT>`;
    expect(parseFormatFile('t.xml', xml)).toEqual({
      file: 't.xml',
      unicode: false,
      fields: [
        { terminator: '&\t', column: undefined },
        { terminator: '\r\n', column: 'content' },
      ],
    });
  });

  it('refuses what it cannot read, with the line and the fix', () => {
    expect(() => parseFormatFile('t.fmt', 'hello')).toThrow(/t\.fmt:1: not a bcp format file: the first line should be its version/);
    expect(() => parseFormatFile('t.fmt', '14.0\n2\n1 SQLCHAR 0 12 "\\t" 1 a ""\n')).toThrow(/t\.fmt:4: field 2 of 2 is not a format file row/);
    expect(() => parseFormatFile('t.fmt', '14.0\n1\n1 SQLINT 1 4 "" 1 a ""\n')).toThrow(/t\.fmt:3: field 1 is SQLINT: a native-format dump/);
    expect(() => parseFormatFile('t.fmt', '14.0\n1\n1 SQLCHAR 0 4 "" 1 a ""\n')).toThrow(/t\.fmt:3: field 1 has no terminator/);
    expect(() => parseFormatFile('t.xml', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><BCPFORMAT/>')).toThrow(/t\.xml:1: a format file with a DOCTYPE or entity declarations is refused/);
    expect(() => parseFormatFile('t.xml', '<BCPFORMAT><RECORD><FIELD ID="1" xsi:type="NativeFixed" LENGTH="4"/></RECORD></BCPFORMAT>')).toThrow(/field 1 is NativeFixed: a native-format dump/);
  });

  it('never throws anything but a CsvError, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => `14.0\n2\n${s}`), fc.string().map((s) => `<BCPFORMAT>${s}<FIELD ID="1" ${s}/>`)), (text) => {
        try {
          const f = parseFormatFile('t.fmt', text);
          expect(f.fields.every((x) => x.terminator.length > 0)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(CsvError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
