import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { silentLogger } from '../../kinesis/src/index.js';
import { ForbiddenReplyStreamError } from './errors.js';
import { ReplyWriter } from './reply-writer.js';

describe('ReplyWriter allow-list', () => {
  // Never called: a write to a stream outside the allow-list fails before any producer exists.
  const client = {} as KinesisClient;

  it('cannot write, nor create a producer for, a stream outside the allow-list', async () => {
    const writer = new ReplyWriter(client, 0, silentLogger, false, new Set(['res', 'res-b']));
    expect(writer.allows('res-b')).toBe(true);
    expect(writer.allows('other')).toBe(false);
    for (let i = 0; i < 100; i++) {
      await expect(
        writer.write({ stream: `other-${i}`, hashKey: '1' }, `id-${i}`, { response: 1, isDisposed: true }),
      ).rejects.toBeInstanceOf(ForbiddenReplyStreamError);
      await expect(writer.writeRecord(`other-${i}`, 'k', Buffer.from('{}'))).rejects.toThrow(/not allowed/);
    }
    expect((writer as unknown as { producers: Map<string, unknown> }).producers.size).toBe(0);
  });
});
