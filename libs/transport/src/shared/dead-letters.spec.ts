import {
  DEAD_LETTER_KIND,
  encodeDeadLetter,
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
  ])('refuses %s', (_, bytes) => {
    expect(parseDeadLetter(bytes)).toBeUndefined();
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
