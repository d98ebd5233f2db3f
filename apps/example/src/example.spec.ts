import { kinesisEndpoint, uniqueName } from '../../../test/support/harness.js';
import { EXAMPLE_ORDER, runExample } from './example.js';

describe('example app (Nest transporter)', () => {
  it('serves a sum, an object pattern, an Observable and an event over Kinesis, then closes cleanly', async () => {
    const lines: string[] = [];
    const result = await runExample({
      endpoint: kinesisEndpoint('kinesalite'),
      actStream: uniqueName('orders-act'),
      resStream: uniqueName('orders-res'),
      createStreams: { act: 2, res: 2 },
      print: (line) => lines.push(line),
      logger: false,
    });

    expect(lines).toEqual([
      expect.stringMatching(/^orders service listening on "orders-act-.+" \(replies on "orders-res-.+"\)$/),
      'orders.total -> 2999 (29.99)',
      'order.created A-1001 -> handled by the service (1 order(s))',
      expect.stringMatching(
        /^\{ cmd: 'orders\.get', v: 1 \} A-1001 -> ada, 2 line\(s\), read from shardId-\d+ as \{"cmd":"orders\.get","v":1\}$/,
      ),
      'orders.track A-1001 -> placed, packed, shipped, delivered',
      `{ cmd: 'orders.get', v: 1 } X-0 -> error {"code":"NOT_FOUND","message":"no order X-0"}`,
      'GET /health -> 200 ok (orders-service up, orders-client up)',
      'closed the caller and the orders service',
    ]);
    expect(result).toMatchObject({
      aborted: false,
      total: 2999,
      ordersInService: 1,
      view: { order: EXAMPLE_ORDER },
      statuses: ['placed', 'packed', 'shipped', 'delivered'],
      notFound: { code: 'NOT_FOUND', message: 'no order X-0' },
      health: 'ok',
    });
  });

  it('stops at once on an aborted signal and still closes both apps', async () => {
    const lines: string[] = [];
    const result = await runExample({
      endpoint: kinesisEndpoint('kinesalite'),
      actStream: uniqueName('orders-act'),
      resStream: uniqueName('orders-res'),
      createStreams: { act: 1, res: 1 },
      signal: AbortSignal.abort(),
      print: (line) => lines.push(line),
      logger: false,
    });
    expect(result).toEqual({ aborted: true });
    expect(lines.slice(1)).toEqual(['aborted', 'closed the caller and the orders service']);
  });
});
