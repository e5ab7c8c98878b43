import { describe, expect, it } from 'vitest';
import { applyListEdit, buildListEdit } from './list-edit.js';

describe('list edits', () => {
  it('replaces, edits and clears', () => {
    expect(applyListEdit([1, 2], { mode: 'replace', values: [3, 3, 4] })).toEqual([3, 4]);
    expect(applyListEdit([1, 2], { mode: 'edit', add: [3, 1], remove: [2] })).toEqual([1, 3]);
    expect(applyListEdit([1, 2], { mode: 'clear' })).toEqual([]);
    expect(applyListEdit([1, 2], undefined)).toEqual([1, 2]);
  });
  it('refuses mixing the forms', () => {
    expect(() => buildListEdit('members', { replace: ['a'], add: ['b'] })).toThrow(/not several at once/);
    expect(() => buildListEdit('members', { clear: true, remove: ['b'] })).toThrow();
    expect(buildListEdit('members', { add: [], remove: [] })).toBeUndefined();
  });
});
