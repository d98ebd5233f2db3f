/**
 * `--json` output is a contract with scripts: every field a command prints is one the README's table documents
 * (top level, and the objects of its lists), so a field cannot be added, or renamed, without the README saying so.
 */
import { readFileSync } from 'node:fs';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import { encodeEnvelope } from '../../libs/transport/src/native/envelope.js';
import { kinesisClient, redisUrl, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { cli, ndjson } from './cli-harness.js';

/** The fields the README's `--json` table names for `command` (every backticked word of its row). */
function documented(command: string): Set<string> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const row = readme.split('\n').find((line) => new RegExp(`^\\| \`${command}\` +\\|`).test(line)); // prettier pads
  if (!row) throw new Error(`README documents no --json fields for ${command}`);
  return new Set([...row.split('|')[2].matchAll(/`([A-Za-z]+)(?:\[\])?`/g)].map((m) => m[1]));
}

/** Field names of a document: its own, and those of the objects in its lists (payloads and maps are not walked). */
function fields(document: Record<string, unknown>): string[] {
  const lists = ['shards', 'consumers', 'leases', 'workers'];
  return [
    ...Object.keys(document),
    ...lists.flatMap((list) =>
      Array.isArray(document[list]) ? document[list].flatMap((item: object) => Object.keys(item)) : [],
    ),
  ];
}

describe('cli: --json fields are the documented ones', () => {
  const kinesis = kinesisClient('kinesalite');
  const stream = uniqueName('cli-json');
  afterAll(() => kinesis.destroy());

  const expectDocumented = (command: string, document: Record<string, unknown>) => {
    const known = documented(command);
    expect(fields(document).filter((field) => !known.has(field))).toEqual([]);
  };

  it('streams, tail, lag and redrive', async () => {
    const created = await cli(['--json', 'streams', 'create', stream, '--shards', '1', '--wait']);
    expectDocumented('streams create', JSON.parse(created.stdout));
    expectDocumented(
      'streams describe',
      JSON.parse((await cli(['--json', 'streams', 'describe', stream])).stdout),
    );

    await ensureStream(kinesis, stream);
    await putRaw(kinesis, stream, [
      { data: encodeEnvelope({ v: 1, id: 'e-1', pattern: 'p', data: 'x'.repeat(5_000) }), key: 'k' },
      { data: JSON.stringify({ v: 1, id: 'bad id', pattern: 'p', data: 1 }), key: 'k' },
    ]);
    for (const record of ndjson(await cli(['--json', 'tail', stream]))) expectDocumented('tail', record);
    const lag = ['--json', 'lag', 'app', '--stream', stream, '--checkpoints', `redis:${redisUrl()}`];
    expectDocumented('lag', JSON.parse((await cli(lag)).stdout));

    const redrive = ['--json', 'redrive', '--dead-letter-stream', stream, '--act-stream', stream];
    expectDocumented('redrive', JSON.parse((await cli(redrive)).stdout));
    expectDocumented('redrive', JSON.parse((await cli([...redrive, '--dry-run'])).stdout));
  });
});
