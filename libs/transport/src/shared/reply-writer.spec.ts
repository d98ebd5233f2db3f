import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { silentLogger } from '../../../kinesis/src/index.js';
import { ForbiddenReplyStreamError } from './errors.js';
import { ReplyWriter } from './reply-writer.js';

describe('ReplyWriter allow-list', () => {
  // Never called: a write to a stream outside the allow-list fails before any producer exists.
  const client = {} as KinesisClient;

  it('cannot write, nor create a producer for, a stream outside the allow-list', async () => {
    const writer = new ReplyWriter({
      client,
      logger: silentLogger,
      allowed: new Set(['res', 'res-b']),
      lingerMs: 0,
      aggregation: false,
    });
    expect(writer.allows('res-b')).toBe(true);
    expect(writer.allows('other')).toBe(false);
    const record = { data: Buffer.from('{}'), partitionKey: 'k', explicitHashKey: '1' };
    for (let i = 0; i < 100; i++) {
      await expect(writer.put(`other-${i}`, record, { key: `id-${i}` })).rejects.toBeInstanceOf(
        ForbiddenReplyStreamError,
      );
      await expect(writer.put(`other-${i}`, record, { key: 'k', plain: true })).rejects.toThrow(
        /not allowed/,
      );
    }
    expect((writer as unknown as { producers: Map<string, unknown> }).producers.size).toBe(0);
  });
});
