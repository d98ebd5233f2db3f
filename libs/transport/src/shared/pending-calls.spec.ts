import { jest } from '@jest/globals';
import type { WritePacket } from '@nestjs/microservices';
import { ClientClosedError, RequestTimeoutError } from './errors.js';
import { PendingCalls } from './pending-calls.js';

describe('PendingCalls', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const sent = () => Promise.resolve();
  const recorder = () => {
    const packets: WritePacket[] = [];
    return { packets, callback: (packet: WritePacket) => void packets.push(packet) };
  };

  it('fails a call with RequestTimeoutError once its time is up, and only once', () => {
    const calls = new PendingCalls();
    const { packets, callback } = recorder();
    calls.start('id-1', 'sum', 1_000, callback, sent);

    jest.advanceTimersByTime(999);
    expect(packets).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(packets).toEqual([{ err: new RequestTimeoutError('sum', 1_000, 'id-1'), isDisposed: true }]);
    expect(calls.take('id-1')).toBeUndefined();
  });

  it('registers the call before its request is put', () => {
    const calls = new PendingCalls();
    let seenWhilePutting: unknown;
    calls.start('id-1', 'sum', 1_000, recorder().callback, async () => {
      seenWhilePutting = calls.get('id-1');
    });
    expect(seenWhilePutting).toMatchObject({ pattern: 'sum' });
  });

  it("fails a call with its put's error, and stops its timer", async () => {
    const calls = new PendingCalls();
    const { packets, callback } = recorder();
    const failure = new Error('put failed');
    calls.start('id-1', 'sum', 1_000, callback, () => Promise.reject(failure));

    await Promise.resolve();
    expect(packets).toEqual([{ err: failure, isDisposed: true }]);
    jest.advanceTimersByTime(1_000);
    expect(packets).toHaveLength(1);
  });

  it('take ends the wait: no timeout follows, and a second take finds nothing', () => {
    const calls = new PendingCalls();
    const { packets, callback } = recorder();
    calls.start('id-1', 'sum', 1_000, callback, sent);

    expect(calls.get('id-1')?.callback).toBe(callback); // get leaves it waiting
    expect(calls.take('id-1')?.pattern).toBe('sum');
    expect(calls.take('id-1')).toBeUndefined();
    jest.advanceTimersByTime(1_000);
    expect(packets).toEqual([]);
  });

  it('the teardown drops the call: neither its answer nor its timeout reach the callback', () => {
    const calls = new PendingCalls();
    const { packets, callback } = recorder();
    const teardown = calls.start('id-1', 'sum', 1_000, callback, sent);

    teardown();
    expect(calls.get('id-1')).toBeUndefined();
    jest.advanceTimersByTime(1_000);
    expect(packets).toEqual([]);
  });

  it('closeAll fails every waiting call with ClientClosedError', () => {
    const calls = new PendingCalls();
    const first = recorder();
    const second = recorder();
    calls.start('id-1', 'sum', 1_000, first.callback, sent);
    calls.start('id-2', 'greet', 1_000, second.callback, sent);

    calls.closeAll();
    jest.advanceTimersByTime(1_000);
    expect(first.packets).toEqual([{ err: new ClientClosedError('sum'), isDisposed: true }]);
    expect(second.packets).toEqual([{ err: new ClientClosedError('greet'), isDisposed: true }]);
    expect(calls.get('id-1')).toBeUndefined();
  });

  it('answer hands a stream of packets to the call, ends it on the final one, and ignores unknown ids', () => {
    const calls = new PendingCalls();
    const { packets, callback } = recorder();
    calls.start('id-1', 'stream', 1_000, callback, sent);

    expect(calls.answer('id-1', { response: 1 })).toBe(true);
    expect(calls.answer('id-1', { response: 2, isDisposed: true })).toBe(true);
    expect(calls.answer('id-1', { response: 3, isDisposed: true })).toBe(false);
    expect(calls.answer('other', { response: 4 })).toBe(false);
    jest.advanceTimersByTime(1_000); // its timer was stopped with the final packet
    expect(packets).toEqual([{ response: 1 }, { response: 2, isDisposed: true }]);
    expect(calls.size).toBe(0);
  });
});
