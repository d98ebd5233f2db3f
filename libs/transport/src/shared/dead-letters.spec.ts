import {
  DEAD_LETTER_KIND,
  encodeDeadLetter,
  encodeDeadLetterRecords,
  KinesisDeadLetterError,
  KinesisRetryableError,
  parseDeadLetter,
  withVerdictScope,
} from './dead-letters.js';

const entry = {
  stream: 'act',
  shardId: 'shardId-000000000000',
  sequenceNumber: '1',
  partitionKey: 'pk',
  pattern: 'evt',
  attempts: 3,
  error: 'boom',
  at: new Date(0).toISOString(),
  data: Buffer.from('{"v":1}').toString('base64'),
};

describe('dead-letter entries', () => {
  it('round-trips an entry of ours', () => {
    expect(parseDeadLetter(encodeDeadLetter(entry))).toMatchObject({ kind: DEAD_LETTER_KIND, ...entry });
  });

  it("keeps a `streams` record's origin (redrive refuses it for act streams)", () => {
    const fromStream = { ...entry, stream: 'clickstream', origin: 'stream' as const };
    expect(parseDeadLetter(encodeDeadLetter(fromStream))).toMatchObject(fromStream);
  });

  it.each([
    ['not JSON', Buffer.from('nope')],
    ['an array', Buffer.from('[]')],
    ['another kind', Buffer.from(JSON.stringify({ ...entry, kind: 'x', v: 1 }))],
    ['no kind', Buffer.from(JSON.stringify(entry))],
    ['bad attempts', encodeDeadLetter({ ...entry, attempts: 0 })],
    ['data not base64', encodeDeadLetter({ ...entry, data: '{"v":1}' })],
    ['an unsafe id', encodeDeadLetter({ ...entry, id: 'a\nb' })],
    ['an overlong field', encodeDeadLetter({ ...entry, pattern: 'p'.repeat(5_000) })],
    ['an unknown origin', encodeDeadLetter({ ...entry, origin: 'elsewhere' as never })],
    ['a part past its parts', encodeDeadLetter({ ...entry, part: 3, parts: 2 })],
    ['part 0', encodeDeadLetter({ ...entry, part: 0, parts: 2 })],
    ['more parts than a record needs', encodeDeadLetter({ ...entry, part: 1, parts: 5 })],
    ['parts without a part', encodeDeadLetter({ ...entry, parts: 2 })],
  ])('refuses %s', (_, bytes) => {
    expect(parseDeadLetter(bytes)).toBeUndefined();
  });
});

describe('dead-letter records', () => {
  it('is one record when the entry fits, else parts within the room whose data join to the bytes', () => {
    expect(encodeDeadLetterRecords(entry, 1024 * 1024)).toEqual([encodeDeadLetter(entry)]);
    const bytes = Buffer.alloc(900_000, 7);
    const records = encodeDeadLetterRecords({ ...entry, data: bytes.toString('base64') }, 1024 * 1024);
    expect(records.length).toBe(2);
    const parts = records.map((record) => {
      expect(record.length).toBeLessThanOrEqual(1024 * 1024);
      return parseDeadLetter(record)!;
    });
    expect(parts.map((p) => [p.part, p.parts])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(Buffer.from(parts.map((p) => p.data).join(''), 'base64').equals(bytes)).toBe(true);
  });
});

describe('verdict errors', () => {
  it('notes the verdict constructed in an attempt, even when a filter replaced what was thrown', async () => {
    const outcome = await withVerdictScope(async () => {
      try {
        throw new KinesisDeadLetterError('never');
      } catch {
        throw { status: 'error', message: 'Internal server error' }; // what Nest's filter passes on
      }
    });
    expect(outcome).toMatchObject({ ok: false });
    expect(!outcome.ok && outcome.verdict).toBeInstanceOf(KinesisDeadLetterError);
  });

  it('has no verdict for a plain failure, nor outside an attempt', async () => {
    const outcome = await withVerdictScope(async () => {
      throw new Error('plain');
    });
    expect(!outcome.ok && outcome.verdict).toBeUndefined();
    new KinesisRetryableError('outside'); // no scope: nothing noted, nothing thrown
    expect(await withVerdictScope(async () => undefined)).toEqual({ ok: true });
  });
});
