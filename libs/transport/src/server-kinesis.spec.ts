import { Server } from '@nestjs/microservices';
import { ServerKinesis } from './server-kinesis.js';

describe('ServerKinesis route cache', () => {
  // Nest's own lookup, uncached: what every cached answer must equal.
  const uncached = (Server.prototype as any).getRouteFromPattern as (pattern: string) => string;
  const nest = (pattern: string) => uncached.call(new ServerKinesis(), pattern);

  it('answers as Nest does for string and object patterns, also once the cache overflowed', () => {
    const server = new ServerKinesis();
    const patterns = [
      'sum',
      'orders.created',
      JSON.stringify({ cmd: 'sum', role: 'math' }),
      JSON.stringify({ role: 'math', cmd: 'sum' }),
      '{not json',
    ];
    for (const pattern of patterns) expect(server.getRouteFromPattern(pattern)).toBe(nest(pattern));
    for (let i = 0; i < 3000; i++) server.getRouteFromPattern(`flood.${i}`); // client-chosen patterns
    expect((server as unknown as { routes: Map<string, string> }).routes.size).toBeLessThanOrEqual(1024);
    for (const pattern of patterns) expect(server.getRouteFromPattern(pattern)).toBe(nest(pattern));
  });

  it('does not cache long patterns: the cache holds record-chosen keys, so they stay small', () => {
    const server = new ServerKinesis();
    const routes = (server as unknown as { routes: Map<string, string> }).routes;
    for (let i = 0; i < 50; i++) server.getRouteFromPattern(`${i}`.padEnd(200_000, 'p'));
    expect([...routes.keys()].every((key) => key.length <= 512)).toBe(true);
    expect(server.getRouteFromPattern('x'.repeat(600))).toBe(nest('x'.repeat(600)));
  });
});

describe('ServerKinesis replyStreams option', () => {
  it.each([
    ['not an array', 'res-b'],
    ['an empty name', ['']],
    ['a non-string', [7]],
  ])('refuses %s', (_, replyStreams) => {
    expect(() => new ServerKinesis({ replyStreams: replyStreams as never })).toThrow(/replyStreams/);
  });
});
