import { Server } from '@nestjs/microservices';
import { KinesisServer } from './kinesis-server.js';

describe('KinesisServer route cache', () => {
  // Nest's own lookup, uncached: what every cached answer must equal.
  const uncached = (Server.prototype as any).getRouteFromPattern as (pattern: string) => string;
  const nest = (pattern: string) => uncached.call(new KinesisServer(), pattern);

  it('answers as Nest does for string and object patterns, also once the cache overflowed', () => {
    const server = new KinesisServer();
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
});
