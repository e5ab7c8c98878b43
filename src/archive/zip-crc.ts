/**
 * The CRC-32 of every entry yazl writes comes from buffer-crc32, a JavaScript loop over
 * each byte: 6.5 % of a legacy migration's CPU (its temporary archive is CRC'd whole) and a
 * share of every `stoa data export`. Node's `zlib.crc32` (zlib's own, Node ≥ 20.15) gives
 * the same values; this puts it behind the function yazl calls, on yazl's own copy of the
 * module. Older Node keeps the JavaScript loop. `zip-crc.test.ts` holds the values equal,
 * chained as yazl chains them, and an archive's entries to their contents.
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

interface BufferCrc32 {
  unsigned(buf: Buffer | string, previous?: number): number;
}

const require = createRequire(import.meta.url);
/** The buffer-crc32 yazl loads (its own, wherever npm placed it). */
export const yazlCrc32 = createRequire(require.resolve('yazl'))('buffer-crc32') as BufferCrc32;

const native = (zlib as { crc32?: (data: Buffer | string, value?: number) => number }).crc32;
if (typeof native === 'function') {
  yazlCrc32.unsigned = (buf, previous = 0) => native(buf, previous >>> 0);
}
