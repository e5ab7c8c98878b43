import { describe, expect, it } from 'vitest';
import { TerminalProgress } from './progress.js';

describe('TerminalProgress', () => {
  it('shows the rate and the time left, redraws at most four times a second, one line per phase', () => {
    let now = 0;
    const out: string[] = [];
    const p = new TerminalProgress((t) => out.push(t), () => now);
    p.phase('importing messages', 1000);
    now = 2000;
    p.add(200);
    expect(p.line()).toBe('importing messages: 200 of 1000 (100/s, 8s left)');
    const drawn = out.length;
    now = 2100;
    p.add(1);
    expect(out.length).toBe(drawn); // within 250 ms: not redrawn
    p.phase('importing invitations');
    expect(out.filter((t) => t === '\n')).toHaveLength(1);
    p.add(5);
    p.done();
    expect(out.at(-1)).toBe('\n');
    expect(out.join('')).toContain('importing invitations: 5 (');
  });
});
