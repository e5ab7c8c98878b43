/**
 * Windowing of a long message list: only the messages near the viewport are in the page,
 * with spacers standing in for the others at their measured (else estimated) heights, so a
 * room of ten thousand loaded messages scrolls as lightly as one of fifty.
 */

/** Below this many messages everything is rendered (nothing to gain, and find-in-page sees all). */
export const WINDOW_FROM = 300;
/** Pixels rendered beyond each edge of the viewport. */
export const OVERSCAN = 1500;

export interface Window {
  /** First rendered index. */
  start: number;
  /** One past the last rendered index. */
  end: number;
  /** Height the spacer before the rendered messages stands for. */
  before: number;
  /** Height the spacer after them stands for. */
  after: number;
}

/**
 * The messages to render for a viewport at `top` of `height` pixels, given each message's
 * height; `fromBottom` renders the newest (a view kept at the bottom); `keep` is an index that
 * must be rendered (a message the room was opened at).
 */
export function windowOf(heights: readonly number[], top: number, height: number, options: { fromBottom?: boolean; keep?: number; overscan?: number } = {}): Window {
  const n = heights.length;
  const overscan = options.overscan ?? OVERSCAN;
  const total = heights.reduce((a, b) => a + b, 0);
  let from = options.fromBottom === true ? total - height - overscan : top - overscan;
  let to = options.fromBottom === true ? total : top + height + overscan;
  if (options.keep !== undefined && options.keep >= 0 && options.keep < n) {
    // The kept message's place, with the viewport's worth around it.
    let at = 0;
    for (let i = 0; i < options.keep; i++) at += heights[i]!;
    from = Math.min(from, at - height - overscan);
    to = Math.max(to, at + heights[options.keep]! + height + overscan);
  }
  let start = 0;
  let before = 0;
  while (start < n && before + heights[start]! < from) before += heights[start++]!;
  let end = start;
  let bottom = before;
  while (end < n && bottom < to) bottom += heights[end++]!;
  return { start, end, before, after: total - bottom };
}
