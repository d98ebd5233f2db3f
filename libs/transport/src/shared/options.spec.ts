import { CLIENT_DEFAULTS, clientSettings, SERVER_DEFAULTS, serverSettings } from './options.js';

describe('transport options', () => {
  it('fill every default from one place; an option given wins, one set to undefined keeps its default', () => {
    expect(serverSettings({})).toEqual(SERVER_DEFAULTS);
    expect(serverSettings({ pollIntervalMs: 50, concurrency: undefined, appName: 'orders' })).toEqual({
      ...SERVER_DEFAULTS,
      pollIntervalMs: 50,
      appName: 'orders',
    });
    expect(clientSettings({ timeoutMs: 1_000, resStream: undefined })).toEqual({
      ...CLIENT_DEFAULTS,
      timeoutMs: 1_000,
    });
  });

  it('documents the defaults the code used before (200 ms polls, 30 s timeout, 10 s grace, one handler per shard)', () => {
    expect(SERVER_DEFAULTS).toMatchObject({
      pollIntervalMs: 200,
      closeGracePeriodMs: 10_000,
      concurrency: 1,
    });
    expect(CLIENT_DEFAULTS).toMatchObject({ pollIntervalMs: 200, timeoutMs: 30_000, partitionBy: 'spread' });
  });
});
