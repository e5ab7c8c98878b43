/**
 * What the compliance capture records (D2, 01 §5): the six activities of the legacy
 * format, and Stoa's extensions (content operations, administrative changes, searches,
 * exports). Times are kept in Unix milliseconds and written in the three equivalent
 * forms of the legacy XML.
 */

/** The activities of the legacy XML format (01 §5.4), in its spelling. */
export const LEGACY_EVENT_TYPES = ['JOIN', 'PART', 'CHAT', 'BACKCHAT', 'FILEUPLOAD', 'FILEDOWNLOAD'] as const;
export type LegacyEventType = (typeof LEGACY_EVENT_TYPES)[number];

/**
 * Stoa extensions: REPLACE and PURGE of single messages (legacy cmplType 10 and 11),
 * CLEAR of a room's history up to a date, CHANGE for every administrative change (rooms,
 * categories, roles, policies, configuration ...), SEARCH of history, EXPORT of data.
 */
export const EXTENSION_EVENT_TYPES = ['REPLACE', 'PURGE', 'CLEAR', 'CHANGE', 'SEARCH', 'EXPORT', 'IMPORT'] as const;
export type ExtensionEventType = (typeof EXTENSION_EVENT_TYPES)[number];

export type ComplianceEventType = LegacyEventType | ExtensionEventType;

export function isLegacyEventType(type: string): type is LegacyEventType {
  return (LEGACY_EVENT_TYPES as readonly string[]).includes(type);
}

/** A room's channel URI as legacy clients and compliance output name it. */
export function channelUri(poolFqdn: string, roomGuid: string): string {
  return `ma-chan://${poolFqdn}/${roomGuid}`;
}

/** What a channel URI names after its domain (`ma-chan://<domain>/<value>`): a room guid, or a legacy node id. */
export function channelValue(uri: string): string | undefined {
  return /^ma-chan:\/\/[^/]+\/([^/\s]+)$/i.exec(uri.trim())?.[1];
}

/** .NET ticks (100 ns since 0001-01-01T00:00:00Z) at the Unix epoch. */
export const EPOCH_TICKS = 621_355_968_000_000_000n;
/** EPOCH_TICKS in milliseconds. */
const EPOCH_MS = 62_135_596_800_000;

export interface ComplianceTime {
  /** Unix epoch milliseconds. */
  since1970: number;
  /** ISO 8601 UTC with seven fractional digits, as .NET's round-trip format writes it. */
  string: string;
  /** .NET ticks, exact (a bigint written as a decimal string). */
  long: string;
}

/** The last second `complianceTime` formatted, and its ISO text up to the fraction (`yyyy-mm-ddThh:mm:ss.`). */
let lastSecond = Number.NaN;
let lastPrefix = '';
/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: where ISO 8601 keeps four-digit years. */
const FIRST_MS = -62_135_596_800_000;
const LAST_MS = 253_402_300_799_999;

/** The three forms of one instant; `(long − 621355968000000000) / 10000 = since1970` exactly. */
export function complianceTime(ms: number): ComplianceTime {
  let string: string;
  if (Number.isInteger(ms) && ms >= FIRST_MS && ms <= LAST_MS) {
    // A batch's events come in time order room by room, many to a second: the date is
    // formatted once per second (a compliance run makes one of these per event).
    const second = Math.floor(ms / 1000);
    if (second !== lastSecond) {
      lastPrefix = new Date(second * 1000).toISOString().slice(0, 20);
      lastSecond = second;
    }
    const milli = ms - second * 1000;
    string = `${lastPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}0000Z`;
  } else {
    string = `${new Date(ms).toISOString().slice(0, 23)}0000Z`; // yyyy-mm-ddThh:mm:ss.fffZ
  }
  return {
    since1970: ms,
    string,
    // ms + 62,135,596,800,000 is exact in a double for any date; the ticks are that × 10,000.
    long: ms > -EPOCH_MS ? `${ms + EPOCH_MS}0000` : (BigInt(ms) * 10_000n + EPOCH_TICKS).toString(),
  };
}

/** `yyyyMMddTHHmmssZ`, the time part of output file names. */
export function fileTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}
