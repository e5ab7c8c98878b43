/**
 * Legacy time stamps (D3): `bigint` columns hold .NET ticks — 100-ns units since
 * 0001-01-01T00:00:00Z — converted exactly (no floating point) into Stoa's milliseconds
 * since 1970 plus the ticks within the millisecond. An ISO 8601 value (up to seven
 * fractional digits, as SQL Server's datetime2 prints) is accepted too.
 */

import { EPOCH_TICKS } from '../../../domain/compliance.js';

/** Ticks at 1970-01-01T00:00:00Z. */
export const UNIX_EPOCH_TICKS = EPOCH_TICKS;
const TICKS_PER_MS = 10000n;
/** 9999-12-31T23:59:59.9999999Z, the last .NET tick. */
const MAX_TICKS = 3155378975999999999n;

export interface LegacyTime {
  /** Milliseconds since 1970 (UTC). */
  ms: number;
  /** 100-ns ticks within the millisecond, 0–9999. */
  ticks: number;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function fromTicks(ticks: bigint): LegacyTime {
  const since = ticks - UNIX_EPOCH_TICKS;
  let ms = since / TICKS_PER_MS;
  let rest = since % TICKS_PER_MS;
  if (rest < 0n) {
    ms -= 1n;
    rest += TICKS_PER_MS;
  }
  return { ms: Number(ms), ticks: Number(rest) };
}

export const toTicks = (time: LegacyTime): bigint => UNIX_EPOCH_TICKS + BigInt(time.ms) * TICKS_PER_MS + BigInt(time.ticks);

/**
 * Parses a legacy time stamp: decimal .NET ticks, or ISO 8601 (no zone = UTC). Returns
 * undefined for anything else, or a time outside 1970–9999 (Stoa keeps no earlier time).
 */
export function parseLegacyTime(raw: string): LegacyTime | undefined {
  const text = raw.trim();
  if (/^\d{1,19}$/.test(text)) {
    const ticks = BigInt(text);
    if (ticks < UNIX_EPOCH_TICKS || ticks > MAX_TICKS) return undefined;
    return fromTicks(ticks);
  }
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const base = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  if (Number.isNaN(base) || base < 0) return undefined;
  // Date.parse rolls 2010-02-30 over into March: a day the calendar lacks is refused.
  if (zone === 'Z' && new Date(base).getUTCDate() !== Number(d)) return undefined;
  const digits = frac.padEnd(7, '0');
  return { ms: base + Number(digits.slice(0, 3)), ticks: Number(digits.slice(3)) };
}
