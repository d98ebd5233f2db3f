import { MAX_ID_LENGTH } from './untrusted.js';
import { DedupeWindow, MAX_DEDUPE_KEY_LENGTH } from './dedupe-window.js';

describe('DedupeWindow', () => {
  it('recognises a duplicate within the window and forgets it after', () => {
    const window = new DedupeWindow(1_000, 100);
    expect(window.firstSeen('a', 0)).toBe(true);
    expect(window.firstSeen('a', 500)).toBe(false);
    expect(window.firstSeen('a', 1_500)).toBe(true);
  });

  it('stays bounded in count, dropping the oldest ids first', () => {
    const window = new DedupeWindow(60_000, 3);
    for (const id of ['a', 'b', 'c', 'd']) window.firstSeen(id, 10);
    window.firstSeen('e', 11);
    expect(window.size).toBeLessThanOrEqual(4);
    expect(window.firstSeen('a', 12)).toBe(true); // evicted
    expect(window.firstSeen('e', 12)).toBe(false);
  });

  it('forgets on request', () => {
    const window = new DedupeWindow();
    window.firstSeen('a');
    window.forget('a');
    expect(window.firstSeen('a')).toBe(true);
  });
});

describe('DedupeWindow memory bound', () => {
  it('keeps no key longer than MAX_DEDUPE_KEY_LENGTH and reports it as seen (never handled)', () => {
    const window = new DedupeWindow();
    const long = 'i'.repeat(MAX_DEDUPE_KEY_LENGTH + 1);
    expect(window.firstSeen(long)).toBe(false);
    expect(window.firstSeen(long)).toBe(false);
    expect(window.size).toBe(0);
    const longest = `seneca:${'i'.repeat(MAX_ID_LENGTH)}`;
    expect(window.firstSeen(longest)).toBe(true);
    expect(window.firstSeen(longest)).toBe(false);
  });
});
