/**
 * CustomConfiguration (01 §5.5): an XSLT 1.0 stylesheet applied to the XML output, run by
 * libxslt's `xsltproc` (Debian package `xsltproc`), the reference XSLT 1.0 engine. It
 * runs without network access and may not write files of its own. (A pure-JavaScript
 * engine was measured first: over ten minutes for 10,000 messages, against 0.2 s here.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { OutputFile } from './adapter.js';

export const XSLTPROC = process.env.STOA_XSLTPROC ?? 'xsltproc';

export class XsltError extends Error {}

/** Writes the stylesheet where xsltproc can read it; remove() when the batch is done. */
export function stylesheetFile(text: string): { path: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-xslt-'));
  const file = path.join(dir, `${randomBytes(4).toString('hex')}.xsl`);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return { path: file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Transforms the file at `input` with the stylesheet, streaming the result into `into`. */
export function transform(stylesheet: string, input: string, into: OutputFile): Promise<void> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(XSLTPROC, ['--nonet', '--nowrite', '--nomkdir', stylesheet, input], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      reject(new XsltError(`cannot run ${XSLTPROC}: ${String(err)}`));
      return;
    }
    let stderr = '';
    let writing = Promise.resolve();
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      child.stdout.pause();
      writing = writing.then(() => into.write(chunk)).finally(() => child.stdout.resume());
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 4000) stderr += chunk;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        new XsltError(
          err.code === 'ENOENT'
            ? `CustomConfiguration needs xsltproc (Debian package 'xsltproc'), which is not installed`
            : `cannot run ${XSLTPROC}: ${err.message}`,
        ),
      );
    });
    child.on('close', (code) => {
      writing.then(
        () => (code === 0 ? resolve() : reject(new XsltError(`the CustomConfiguration stylesheet failed (xsltproc exit ${code}): ${stderr.trim().slice(0, 1000)}`))),
        reject,
      );
    });
  });
}
