import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from './errors.js';

/**
 * CustomConfiguration holds an XSLT 1.0 stylesheet (01 §2.7, §5.5). It is checked when it
 * is set, so a typo is refused at the command instead of breaking compliance output later.
 */
export function checkStylesheet(text: string): string {
  if (text.trim() === '') return '';
  const verdict = XMLValidator.validate(text);
  if (verdict !== true) {
    throw new AppError(
      'INVALID_VALUE',
      `CustomConfiguration is not well-formed XML: ${verdict.err.msg} (line ${verdict.err.line})`,
    );
  }
  const doc = new XMLParser({ ignoreAttributes: false, ignoreDeclaration: true, ignorePiTags: true }).parse(text) as Record<string, unknown>;
  const root = Object.keys(doc).find((k) => !k.startsWith('#') && !k.startsWith('?'));
  const local = root?.split(':').pop();
  if (local !== 'stylesheet' && local !== 'transform') {
    throw new AppError('INVALID_VALUE', 'CustomConfiguration must be an XSLT stylesheet (root element xsl:stylesheet or xsl:transform)');
  }
  const attrs = doc[root as string] as Record<string, unknown> | undefined;
  const namespaces = Object.entries(attrs ?? {}).filter(([k]) => k.startsWith('@_xmlns'));
  if (!namespaces.some(([, v]) => v === 'http://www.w3.org/1999/XSL/Transform')) {
    throw new AppError('INVALID_VALUE', 'CustomConfiguration does not declare the XSLT namespace http://www.w3.org/1999/XSL/Transform');
  }
  return text;
}
