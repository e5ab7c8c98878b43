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
});
