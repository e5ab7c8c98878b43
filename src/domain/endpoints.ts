import { AppError } from './errors.js';
import { normaliseSipUri } from './principals.js';

/** Endpoint SIP addresses must be written with their `sip:` scheme (New-CsPersistentChatEndpoint). */
export function normaliseEndpointUri(raw: string): string {
  if (!/^sip:/i.test(raw.trim())) {
    throw new AppError('INVALID_VALUE', `endpoint SIP address must start with 'sip:' (got '${raw}')`);
  }
  return normaliseSipUri(raw);
}
