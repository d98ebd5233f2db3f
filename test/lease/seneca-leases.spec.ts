/**
 * Two Seneca listeners (real seneca, the kinesis-transport plugin) with `leases` (kinesalite + dynalite) share a
 * 4-shard act stream: two leases each, and every act is served once, by one of them. Acts of one topic share a
 * partition key, so the client is pinned on `role:math,cmd:*` (one topic per cmd) and the cmds are chosen so that
 * every shard carries two topics. Without the option passed to the Consumer, both listeners would serve every act.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { actPartitionKey, senecaTopic } from '../../libs/seneca/src/index.js';
import { resolveOptions } from '../../libs/seneca/src/options.js';
import { act, SenecaPool, testOptions, type SenecaApp } from '../../libs/seneca/test/seneca-fixtures.js';
import { awsClients } from './fixtures.js';
import { leaseCounts, serviceLeases, serviceStreams, settled, shardOfKey } from './service-fixtures.js';

const CALLS_PER_CMD = 5;

/** `per` cmd names (c0, c1, ...) whose topics land on each shard of the act stream. */
async function cmdsCoveringShards(kinesis: KinesisClient, actStream: string, per: number): Promise<string[]> {
  const shardOf = await shardOfKey(kinesis, actStream);
  const byShard = new Map<string, string[]>();
  for (let i = 0; i < 1_000; i++) {
    const cmd = `c${i}`;
    const shardId = shardOf(actPartitionKey(senecaTopic({ role: 'math', cmd })));
    const cmds = byShard.get(shardId) ?? [];
    if (cmds.length < per) byShard.set(shardId, [...cmds, cmd]);
  }
  return [...byShard.values()].flat();
}

/** The cmds as actions answering who served them; `served` counts calls per listener and `cmd:n`. */
function actionsOf(name: string, cmds: string[], served: Map<string, string[]>) {
  return (seneca: SenecaApp) => {
    for (const cmd of cmds) {
      seneca.add({ role: 'math', cmd }, (msg: { n: number }, reply: (e: null, out: unknown) => void) => {
        served.set(name, [...(served.get(name) ?? []), `${cmd}:${msg.n}`]);
        reply(null, { cmd, n: msg.n, by: name });
      });
    }
  };
}

describe('Seneca listeners sharing the act stream through leases', () => {
  let pool: SenecaPool | undefined;
  const clients = awsClients('kinesalite', async () => pool?.closeAll());

  it('listeners with leases start at TRIM_HORIZON, like with a checkpoint store', () => {
    const leases = serviceLeases(clients.dynamo, 'app', 'w');
    expect(resolveOptions({ leases }, {}).startPosition).toEqual({ type: 'TRIM_HORIZON' });
    expect(resolveOptions({ leases }, {}).leases).toBe(leases);
  });

  it('two listeners hold 2 leases each; every act is answered and served once, by both', async () => {
    const { kinesis, dynamo } = clients;
    const { actStream, resStream, appName } = await serviceStreams(kinesis, 'lease-seneca', 'seneca');
    const cmds = await cmdsCoveringShards(kinesis, actStream, 2);
    expect(cmds).toHaveLength(8);
    pool = new SenecaPool(testOptions(kinesis, actStream, resStream, { createStreams: false }));

    const served = new Map<string, string[]>();
    const listeners = ['listener-a', 'listener-b'];
    await Promise.all(
      listeners.map((name) =>
        pool!.listener(
          actionsOf(name, cmds, served),
          { pin: 'role:math,cmd:*' },
          { leases: serviceLeases(dynamo, appName, name) },
        ),
      ),
    );
    const settle = await settled(dynamo, appName, actStream, listeners);
    expect(leaseCounts(settle)).toEqual({ 'listener-a': 2, 'listener-b': 2 });

    // One client; its glob pin sends each act to its cmd's own topic (seneca-transport's resolve_topic).
    const caller = await pool.client({ pin: 'role:math,cmd:*' });
    const calls = cmds.flatMap((cmd) => Array.from({ length: CALLS_PER_CMD }, (_, n) => ({ cmd, n })));
    const replies = await Promise.all(calls.map(({ cmd, n }) => act(caller, { role: 'math', cmd, n })));

    expect(replies.map(({ cmd, n }) => ({ cmd, n }))).toEqual(calls);
    const all = [...served.values()].flat();
    expect(all.sort()).toEqual(calls.map(({ cmd, n }) => `${cmd}:${n}`).sort()); // each once
    expect(listeners.map((name) => (served.get(name) ?? []).length > 0)).toEqual([true, true]);
    // Each reply came from the listener holding its topic's shard: both answered.
    expect(new Set(replies.map((r) => r.by))).toEqual(new Set(listeners));
  });
});
