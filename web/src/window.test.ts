import { describe, expect, it } from 'vitest';
import { windowOf } from './window';

describe('windowOf', () => {
  const heights = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? 60 : 30));
  const total = heights.reduce((a, b) => a + b, 0);

  it('renders the viewport and its overscan, spacers standing for the rest exactly', () => {
    const w = windowOf(heights, 100_000, 800, { overscan: 500 });
    let sum = 0;
    for (let i = w.start; i < w.end; i++) sum += heights[i]!;
    expect(w.before + sum + w.after).toBe(total);
    expect(w.before).toBeLessThanOrEqual(100_000 - 500);
    expect(w.before + sum).toBeGreaterThanOrEqual(100_000 + 800 + 500);
    expect(w.end - w.start).toBeLessThan(100);
  });

  it('renders the newest from the bottom, and always the message kept', () => {
    const bottom = windowOf(heights, 0, 800, { fromBottom: true, overscan: 500 });
    expect([bottom.end, bottom.after]).toEqual([10_000, 0]);
    const kept = windowOf(heights, 0, 800, { keep: 5_000, overscan: 500 });
    expect(kept.start).toBe(0);
    expect(kept.end).toBeGreaterThan(5_000);
  });

  it('handles an empty list and a viewport past the end', () => {
    expect(windowOf([], 0, 800)).toEqual({ start: 0, end: 0, before: 0, after: 0 });
    const past = windowOf(heights, total + 10_000, 800, { overscan: 0 });
    expect([past.start, past.end, past.after]).toEqual([10_000, 10_000, 0]);
  });
});
