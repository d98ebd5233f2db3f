import { KinesisError, MissingPeerDependencyError } from './errors.js';
import { isPackageNotFound, loadPeer } from './peer.js';

describe('loadPeer', () => {
  it('returns the module of an installed peer', async () => {
    const pg = await loadPeer<typeof import('pg')>('pg', 'PostgresEmitter');
    expect(typeof pg.default.Pool).toBe('function');
  });

  it('names the missing package, what needs it and the install command', async () => {
    const missing = 'nestjs-kinesis-transport-no-such-peer';
    const error = await loadPeer(missing, 'RedisCheckpointStore').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingPeerDependencyError);
    expect(error).toBeInstanceOf(KinesisError);
    expect(error).toMatchObject({ packageName: missing, neededBy: 'RedisCheckpointStore' });
    expect((error as Error).message).toBe(
      `RedisCheckpointStore needs the optional peer dependency "${missing}", which is not installed: npm install ${missing}`,
    );
  });

  it('tells a missing peer from a missing package the peer itself imports', () => {
    const notFound = (code: string, message: string) => Object.assign(new Error(message), { code });
    const esm = notFound('ERR_MODULE_NOT_FOUND', "Cannot find package 'pg' imported from /app/dist/peer.js");
    const cjs = notFound('MODULE_NOT_FOUND', "Cannot find module 'pg'\nRequire stack:\n- /app/dist/peer.js");
    const deep = notFound(
      'ERR_MODULE_NOT_FOUND',
      "Cannot find package 'pg-types' imported from /app/pg/index.js",
    );
    expect([esm, cjs, deep].map((error) => isPackageNotFound(error, 'pg'))).toEqual([true, true, false]);
    expect(isPackageNotFound(new Error("Cannot find package 'pg'"), 'pg')).toBe(false); // no code: not Node's
  });
});
