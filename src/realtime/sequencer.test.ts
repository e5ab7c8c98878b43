import { describe, expect, it } from 'vitest';
import { RoomSequencer } from './sequencer.js';
import type { MessageView } from '../actions/chat-views.js';

const view = (chatId: number): MessageView => ({
  id: chatId,
  chatId,
  roomId: 'r',
  room: 'R',
  author: 'sip:a@x',
  authorName: 'A',
  postedAt: new Date(0).toISOString(),
  text: `m${chatId}`,
  alert: false,
  story: null,
  file: null,
  replaced: false,
});

function sequencer(history: number[] = [], active = true) {
  const delivered: number[] = [];
  const asked: [number, number][] = [];
  const s = new RoomSequencer({
    waitMs: 20,
    fill: (_room, after, before) => {
      asked.push([after, before]);
      return Promise.resolve(history.filter((id) => id > after && id < before).map(view));
    },
    deliver: (_room, m) => delivered.push(m.chatId),
    active: () => active,
    onError: (err) => {
      throw err;
    },
  });
  return { s, delivered, asked };
}

const settle = () => new Promise((r) => setTimeout(r, 60));

describe('RoomSequencer', () => {
  it('delivers in order at once and drops copies', () => {
    const { s, delivered, asked } = sequencer();
    for (const id of [5, 6, 6, 7, 5]) s.push(1, view(id));
    expect(delivered).toEqual([5, 6, 7]);
    expect(asked).toEqual([]);
    expect(s.stats.copies).toBe(2);
  });

  it('holds a message that overtook another until the other arrives', async () => {
    const { s, delivered, asked } = sequencer();
    s.push(1, view(1));
    s.push(1, view(3));
    s.push(1, view(4));
    expect(delivered).toEqual([1]);
    s.push(1, view(2));
    expect(delivered).toEqual([1, 2, 3, 4]);
    await settle();
    expect(asked).toEqual([]);
  });

  it('fills a gap nobody closes from history, then goes on in order', async () => {
    // 3 is in history (its node died before publishing); 4 was never kept (removed, say).
    const { s, delivered, asked } = sequencer([1, 2, 3, 5, 6]);
    s.push(1, view(2));
    s.push(1, view(5));
    s.push(1, view(6));
    await settle();
    expect(asked).toEqual([[2, 6]]);
    expect(delivered).toEqual([2, 3, 5, 6]);
    // The late copy of 3 is dropped.
    s.push(1, view(3));
    s.push(1, view(7));
    expect(delivered).toEqual([2, 3, 5, 6, 7]);
  });

  it('keeps no state for rooms nobody is in, and starts again after a reset', async () => {
    const idle = sequencer([], false);
    idle.s.push(1, view(1));
    idle.s.push(1, view(9));
    expect(idle.delivered).toEqual([]);
    const { s, delivered } = sequencer();
    s.push(1, view(1));
    s.push(1, view(5));
    s.reset();
    s.push(1, view(9));
    await settle();
    expect(delivered).toEqual([1, 9]);
  });

  it('never delivers a held message removed meanwhile, delivers a replaced one as it now is, and keeps counting their chat ids', async () => {
    const { s, delivered } = sequencer();
    const texts: string[] = [];
    const seq = new RoomSequencer({ waitMs: 1_000, fill: () => Promise.resolve([]), deliver: (_r, m) => texts.push(`${m.chatId}:${m.text}`), active: () => true, onError: () => undefined });
    seq.push(1, view(1));
    // 3 and 4 overtake 2; 3 is removed and 4 replaced while they wait.
    seq.push(1, view(3));
    seq.push(1, view(4));
    seq.amend(1, (m) => (m.id === 3 ? null : m));
    seq.amend(1, (m) => (m.id === 4 ? { ...m, text: 'redacted', replaced: true } : m));
    seq.push(1, view(2));
    expect(texts).toEqual(['1:m1', '2:m2', '4:redacted']);
    // The removed one's chat id was passed: 5 follows at once, a late copy of 3 is dropped.
    seq.push(1, view(5));
    seq.push(1, view(3));
    expect(texts.at(-1)).toBe('5:m5');
    expect(seq.stats.copies).toBe(1);
    // Held through a fill from history: the removed one stays out.
    s.push(1, view(10));
    s.push(1, view(12));
    s.amend(1, (m) => (m.id === 12 ? null : m));
    await settle();
    expect(delivered).toEqual([10]);
    s.push(1, view(13));
    expect(delivered).toEqual([10, 13]);
  });
});
