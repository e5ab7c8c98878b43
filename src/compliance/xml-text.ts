/**
 * XML text for compliance output. Attribute values keep tabs and line breaks (as
 * character references: a parser would otherwise normalise them to spaces); characters
 * XML 1.0 cannot carry at all (other C0 controls, U+FFFE/U+FFFF, lone surrogates) become
 * U+FFFD — the JSON Lines adapter keeps such text exactly.
 */
const SPECIAL = /[&<>"\t\n\r]/g;
/** Anything xmlAttr would change (most text has nothing: it is returned as it is). */
// eslint-disable-next-line no-control-regex -- the characters escaped or refused below
const ATTR_CHANGES = /[&<>"\t\n\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff\ud800-\udfff]/;
// eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 refuses
const INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const REPLACEMENTS: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

export function xmlAttr(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  if (!ATTR_CHANGES.test(value)) return value;
  return value.replace(INVALID, '\ufffd').replace(SPECIAL, (ch) => REPLACEMENTS[ch] as string);
}

/** Element text: line breaks and tabs stay as they are. */
export function xmlText(value: string): string {
  return value.replace(INVALID, '\ufffd').replace(/[&<>]/g, (ch) => REPLACEMENTS[ch] as string);
}

/** ` name="value"` for each defined entry, in order. */
export function attrs(entries: readonly (readonly [string, string | number | boolean | null | undefined])[]): string {
  let out = '';
  for (const [name, value] of entries) if (value !== undefined) out += ` ${name}="${xmlAttr(value)}"`;
  return out;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n';
