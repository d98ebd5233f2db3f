import { jest } from '@jest/globals';
import { KINESIS_EMULATORS, uniqueName } from '../../../test/support/harness.js';
import { senecaStreams, testOptions } from '../test/seneca-fixtures.js';
import { createKinesisTransport } from './index.js';

describe.each(KINESIS_EMULATORS)('Seneca listen failure on %s', (emulator) => {
  const streams = senecaStreams(emulator);

  it("a listen on a missing stream is reported with its reason under log 'silent': errhandler gets kinesis_listen_failed, stderr says why", async () => {
    const { pool, client, resStream } = streams();
    const missing = uniqueName('seneca-missing');
    const stderr: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
      stderr.push(String(chunk));
      return true;
    });
    try {
      const reported = new Promise<any>((resolve) => {
        const seneca = pool.bare({
          debug: { undead: false },
          system: { exit: () => undefined }, // Seneca's process.exit, kept from ending the jest worker
          errhandler: (error: any) => resolve(error),
        });
        seneca
          .use(createKinesisTransport(testOptions(client, missing, resStream, { createStreams: false })))
          .add('role:math,cmd:sum', (_msg: any, reply: any) => reply(null, {}))
          .listen({ type: 'kinesis' });
      });

      const error = await reported;

      expect(error.code).toBe('kinesis_listen_failed');
      expect(error.message).toContain(`listen on act stream "${missing}" failed`);
      expect(stderr.join('')).toContain(`[kinesis-transport] listen on act stream "${missing}" failed`);
    } finally {
      write.mockRestore();
    }
  });
});
