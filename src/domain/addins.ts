import { AppError } from './errors.js';
import { LIMITS, codePointLength } from './names.js';

/** Add-in URLs are http(s) only and at most 255 characters (01 §2.4, D1). */
export function normaliseAddinUrl(raw: string): string {
  const text = raw.trim();
  if (codePointLength(text) > LIMITS.addinUrl) {
    throw new AppError('INVALID_URL', `add-in URL is longer than ${LIMITS.addinUrl} characters`);
  }
  return normaliseHttpUrl(text, 'add-in URL');
}

export function normaliseHttpUrl(text: string, what: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError('INVALID_URL', `${what} '${text}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('INVALID_URL', `${what} must use http or https (got '${url.protocol.replace(/:$/, '')}')`);
  }
  if (url.hostname.length === 0) throw new AppError('INVALID_URL', `${what} '${text}' has no host`);
  return text;
}
