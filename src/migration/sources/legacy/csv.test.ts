import { describe, expect, it } from 'vitest';
import { csvRecords, sniffDelimiter, type CsvRecord } from './csv.js';

async function read(text: string | Buffer, delimiter: ',' | ';' | '\t' | 'auto' = ',', chunk = 3, encoding?: string): Promise<CsvRecord[]> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  // Small chunks so that quotes, CRLF and multi-byte characters straddle chunk edges.
  async function* source() {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  }
  const out: CsvRecord[] = [];
  for await (const r of csvRecords(source(), { file: 't.csv', delimiter, maxRecord: 200, ...(encoding === undefined ? {} : { encoding }) })) out.push(r);
  return out;
}

describe('legacy CSV reader', () => {
  it('reads RFC 4180 quoting, CRLF, embedded line breaks, NULL and empty fields, with record lines', async () => {
    const records = await read('"a","b","c"\r\n"x, y","he said ""hi""","line1\r\nline2"\r\nplain,NULL,\r\n\r\n"NULL",,"é中🚀"\r\n');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'he said "hi"', 'line1\r\nline2'] },
      { line: 4, fields: ['plain', null, null], bareNull: [1] },
      { line: 6, fields: ['NULL', null, 'é中🚀'] },
    ]);
  });

  it('marks the fields that were the bare word NULL, which a NOT NULL text column reads as text', async () => {
    expect(await read('a,b,c\nNULL,"NULL",\nx,NULL,NULL\nNULL\n')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: [null, 'NULL', null], bareNull: [0] },
      { line: 3, fields: ['x', null, null], bareNull: [1, 2] },
      { line: 4, fields: [null], bareNull: [0] },
    ]);
  });

  it('reads UTF-16 without a byte order mark (bcp -w), and a code page when asked', async () => {
    const text = 'a\tb\r\nGrüße\t中文\r\n';
    const expected = [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['Grüße', '中文'] },
    ];
    expect(await read(Buffer.from(text, 'utf16le'), 'auto')).toEqual(expected);
    expect(await read(Buffer.from(text, 'utf16le').swap16(), 'auto')).toEqual(expected);
    const cp1252 = Buffer.from([0x61, 0x2c, 0x62, 0x0d, 0x0a, 0x47, 0x72, 0xfc, 0xdf, 0x65, 0x2c, 0x80, 0x0d, 0x0a]);
    expect(await read(cp1252, 'auto', 3, 'windows-1252')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['Grüße', '€'] },
    ]);
    await expect(read(cp1252, 'auto')).rejects.toThrow(/t\.csv:2: the file is not valid utf-8 text — .*--encoding windows-1252/);
  });

  it("reads bcp's NUL byte as an empty string, an empty field as NULL", async () => {
    expect(await read('a\tb\tc\n\u0000\t\tx\n', 'auto')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['', null, 'x'] },
    ]);
  });

  it('reads tab-separated .txt/.dat as bcp writes them: no quoting, the word NULL as text', async () => {
    const bcp = async (text: string) => {
      const out: CsvRecord[] = [];
      async function* one() {
        yield Buffer.from(text);
      }
      for await (const r of csvRecords(one(), { file: 't.dat', delimiter: 'auto', quotes: 'unless-tab' })) out.push(r);
      return out;
    };
    expect(await bcp('a\tb\tc\n"quoted" first\tNULL\t\n')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['"quoted" first', 'NULL', null] },
    ]);
    // Comma-separated .txt (the wizard's) keeps RFC 4180 quoting.
    expect(await bcp('a,b\n"x, y",NULL\n')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', null], bareNull: [1] },
    ]);
  });

  it('tells comma, semicolon and tab headers apart, quoted or not', () => {
    expect(sniffDelimiter('"prinID","prinUri","prinName"')).toBe(',');
    expect(sniffDelimiter('"prinID";"prinUri";"prinName"')).toBe(';');
    expect(sniffDelimiter('prinID\tprinUri\tprinName')).toBe('\t');
    expect(sniffDelimiter('"a;b","c;d",e')).toBe(',');
    expect(sniffDelimiter('onlyone')).toBe(',');
  });

  it('reads a #TYPE line and the semicolons of Export-Csv -UseCulture, deciding on the header line', async () => {
    expect(await read('#TYPE System.Data.DataRow\r\n"a";"b,c"\r\n"1";"2"\r\n', 'auto', 2)).toEqual([
      { line: 1, fields: ['#TYPE System.Data.DataRow'] },
      { line: 2, fields: ['a', 'b,c'] },
      { line: 3, fields: ['1', '2'] },
    ]);
  });

  it('takes the delimiter of .txt and .dat files from their first line, whole even in tiny chunks', async () => {
    expect(await read('a\tb,c\n1\t2,3\n', 'auto', 1)).toEqual([{ line: 1, fields: ['a', 'b,c'] }, { line: 2, fields: ['1', '2,3'] }]);
    expect(await read('a,b\n1\t2,3\n', 'auto', 1)).toEqual([{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['1\t2', '3'] }]);
    expect(await read('\ufeffa\tb', 'auto', 2)).toEqual([{ line: 1, fields: ['a', 'b'] }]);
    expect(await read('', 'auto')).toEqual([]);
  });

  it('reads a byte order mark, LF or CR line ends, a last line without an end, and TSV', async () => {
    expect(await read('\ufeffa,b\nc,d')).toEqual([{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['c', 'd'] }]);
    expect(await read('a,b\rc,d\r')).toEqual([{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['c', 'd'] }]);
    expect(await read('a\tb,c\n"x\ty"\t\n', '\t')).toEqual([{ line: 1, fields: ['a', 'b,c'] }, { line: 2, fields: ['x\ty', null] }]);
  });

  it('decodes UTF-16 with a byte order mark', async () => {
    const text = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\r\n"ü",2\r\n', 'utf16le')]);
    expect(await read(text)).toEqual([{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['ü', '2'] }]);
  });

  it('refuses bytes that are not UTF-8, an unclosed quote, junk after a closing quote and an oversized record', async () => {
    await expect(read(Buffer.concat([Buffer.from('a,b\r\nx,'), Buffer.from([0xc3, 0x28]), Buffer.from('\r\n')]))).rejects.toThrow(/t\.csv:2: the file is not valid utf-8 text/);
    await expect(read('a,b\r\n"open,b\r\n')).rejects.toThrow(/t\.csv:2: a quoted field is never closed/);
    await expect(read('a,b\r\n"x"y,b\r\n')).rejects.toThrow(/t\.csv:2: unexpected 'y' after a closing quote/);
    await expect(read(`a,b\r\n${'x'.repeat(300)},b\r\n`)).rejects.toThrow(/t\.csv:2: a record longer than 200 characters/);
  });
});
