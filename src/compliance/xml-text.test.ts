import { describe, expect, it } from 'vitest';
import { xmlAttr, xmlText } from './xml-text.js';

describe('compliance XML text', () => {
  it('escapes markup and keeps line breaks in attributes', () => {
    expect(xmlAttr('a & <b> "c"\n\td\r')).toBe('a &amp; &lt;b&gt; &quot;c&quot;&#10;&#9;d&#13;');
    expect(xmlText('x < y\n& z')).toBe('x &lt; y\n&amp; z');
  });

  it('replaces what XML 1.0 cannot carry and keeps the rest of Unicode', () => {
    expect(xmlAttr('a\u0001b\uffffc\ud800d')).toBe('a\ufffdb\ufffdc\ufffdd');
    expect(xmlAttr('日本語 😀 مرحبا')).toBe('日本語 😀 مرحبا');
  });
});
