import { describe, expect, it } from 'vitest';
import { changedSince, escapeFilterValue, guidFromBytes, laterChange } from './ldap.js';

describe('LDAP values', () => {
  it("reads AD's objectGUID bytes as the GUID AD shows", () => {
    // AD shows {6F9619FF-8B86-D011-B42D-00C04FC964FF} for these bytes (the first three groups little-endian).
    const bytes = Buffer.from('ff19966f868b11d0b42d00c04fc964ff', 'hex');
    expect(guidFromBytes(bytes)).toBe('6f9619ff-8b86-d011-b42d-00c04fc964ff');
  });

  it('escapes filter values (RFC 4515) and limits a pass to what changed', () => {
    expect(escapeFilterValue('a*b(c)\\d\u0000')).toBe('a\\2ab\\28c\\29\\5cd\\00');
    expect(changedSince('(objectClass=user)', 'uSNChanged', null)).toBe('(objectClass=user)');
    expect(changedSince('(objectClass=user)', 'uSNChanged', '41234')).toBe('(&(objectClass=user)(uSNChanged>=41235))');
    expect(changedSince('objectClass=group', 'modifyTimestamp', '20261206104603Z')).toBe('(&(objectClass=group)(modifyTimestamp>=20261206104603Z))');
  });

  it('keeps the highest change marker, numbers as numbers', () => {
    expect(laterChange('9', '10')).toBe('10');
    expect(laterChange(null, '5')).toBe('5');
    expect(laterChange('20261206104603Z', '20251206104603Z')).toBe('20261206104603Z');
  });
});
