import { describe, expect, it } from 'vitest';
import { highlight, linkify, mentions, safeHref, searchTerms } from './text';

describe('linkify', () => {
  it('finds http, https and mailto links and leaves the rest as text', () => {
    expect(linkify('see https://example.com/a?b=1, or mailto:ana@contoso.com.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ', or ' },
      { kind: 'link', text: 'mailto:ana@contoso.com', href: 'mailto:ana@contoso.com' },
      { kind: 'text', text: '.' },
    ]);
    expect(linkify('(https://en.wikipedia.org/wiki/Stoa_(architecture))')).toEqual([
      { kind: 'text', text: '(' },
      { kind: 'link', text: 'https://en.wikipedia.org/wiki/Stoa_(architecture)', href: 'https://en.wikipedia.org/wiki/Stoa_(architecture)' },
      { kind: 'text', text: ')' },
    ]);
  });

  it('never makes a link of another scheme or of markup', () => {
    for (const hostile of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', '<a href="javascript:alert(1)">x</a>']) {
      expect(linkify(hostile).every((p) => p.kind === 'text')).toBe(true);
    }
    expect(linkify('https://x.example/"onmouseover="alert(1)')).toEqual([
      { kind: 'link', text: 'https://x.example/', href: 'https://x.example/' },
      { kind: 'text', text: '"onmouseover="alert(1)' },
    ]);
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('not a url')).toBeUndefined();
  });
});

describe('search highlighting', () => {
  it('takes the words and phrases of a query, not its operators', () => {
    expect(searchTerms('budget "next quarter" room:Finance from:sip:ana@contoso.com after:2026-01-01 has:file')).toEqual(['budget', 'next quarter']);
  });

  it('marks every occurrence, ignoring case, longest first where terms overlap', () => {
    expect(highlight('Quarterly budget, next Quarter', ['quarter', 'budget'])).toEqual([
      { text: 'Quarter', marked: true },
      { text: 'ly ', marked: false },
      { text: 'budget', marked: true },
      { text: ', next ', marked: false },
      { text: 'Quarter', marked: true },
    ]);
    expect(highlight('abc', [])).toEqual([{ text: 'abc', marked: false }]);
    expect(highlight('<b>x</b>', ['b'])).toEqual([
      { text: '<', marked: false },
      { text: 'b', marked: true },
      { text: '>x</', marked: false },
      { text: 'b', marked: true },
      { text: '>', marked: false },
    ]);
  });
});

describe('mentions', () => {
  it('finds @user@domain and @sip:user@domain, not addresses or links', () => {
    expect(mentions(linkify('hi @Ana@Contoso.com, and @sip:bruno@contoso.com. mail ana@contoso.com or mailto:x@y.com'))).toEqual([
      { kind: 'text', text: 'hi ' },
      { kind: 'mention', text: '@Ana@Contoso.com', address: 'ana@contoso.com' },
      { kind: 'text', text: ', and ' },
      { kind: 'mention', text: '@sip:bruno@contoso.com', address: 'bruno@contoso.com' },
      { kind: 'text', text: '. mail ana@contoso.com or ' },
      { kind: 'link', text: 'mailto:x@y.com', href: 'mailto:x@y.com' },
    ]);
    expect(mentions(linkify('a@b@c.com and @name alone'))).toEqual([{ kind: 'text', text: 'a@b@c.com and @name alone' }]);
  });
});
