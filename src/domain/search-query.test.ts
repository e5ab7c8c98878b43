import { describe, expect, it } from 'vitest';
import { authorMatches, matchesQuery, parseSearchQuery } from './search-query.js';

describe('from: in searches and topic feeds', () => {
  it('names a user by SIP address or by user part, in any case', () => {
    expect(authorMatches('bruno@contoso.com', 'sip:bruno@contoso.com')).toBe(true);
    expect(authorMatches('sip:Bruno@Contoso.com', 'sip:bruno@contoso.com')).toBe(true);
    expect(authorMatches('BRUNO', 'sip:bruno@contoso.com')).toBe(true);
    expect(authorMatches('bruno', 'sip:bruno@fabrikam.com')).toBe(true);
    // Not a prefix of another user part, nor a domain.
    expect(authorMatches('brun', 'sip:bruno@contoso.com')).toBe(false);
    expect(authorMatches('contoso.com', 'sip:bruno@contoso.com')).toBe(false);
    expect(authorMatches('bruno@fabrikam.com', 'sip:bruno@contoso.com')).toBe(false);
  });

  it('evaluates a feed with from:<user part> on a new message', () => {
    const facts = { text: 'the build is green', storyTitle: null, roomName: 'Ops', categoryName: 'Eng', authorKey: 'sip:bruno@contoso.com', postedAt: 1, hasFile: false };
    expect(matchesQuery(parseSearchQuery('build from:bruno'), facts)).toBe(true);
    expect(matchesQuery(parseSearchQuery('build from:ana'), facts)).toBe(false);
  });
});
