import type { WritePacket } from '@nestjs/microservices';
import { ClientClosedError, RequestTimeoutError } from './errors.js';

export type ReplyCallback = (packet: WritePacket) => void;

export interface PendingCall {
  pattern: string;
  callback: ReplyCallback;
  timer: NodeJS.Timeout;
}

/**
 * The calls a client waits on an answer for, by request id: each fails with RequestTimeoutError when its
 * time is up, with the put's error when its request cannot be sent, and with ClientClosedError on close.
 * Shared by the native and seneca client protocols.
 */
export class PendingCalls {
  private readonly calls = new Map<string, PendingCall>();

  /**
   * Waits on the answer to `id`, then sends its request with `put` (called once the call is registered, so
   * no answer can come before it). Returns Nest's teardown: the caller unsubscribed, the answer is dropped.
   */
  start(
    id: string,
    pattern: string,
    timeoutMs: number,
    callback: ReplyCallback,
    put: () => Promise<void>,
  ): () => void {
    const timer = setTimeout(() => {
      if (!this.calls.delete(id)) return;
      callback({ err: new RequestTimeoutError(pattern, timeoutMs, id), isDisposed: true });
    }, timeoutMs);
    this.calls.set(id, { pattern, callback, timer });
    put().catch((err) => this.take(id)?.callback({ err, isDisposed: true }));
    return () => void this.take(id);
  }

  /** How many calls wait on an answer. */
  get size(): number {
    return this.calls.size;
  }

  /** The call waiting on `id`, left waiting (a stream of answers). */
  get(id: string): PendingCall | undefined {
    return this.calls.get(id);
  }

  /**
   * Hands `packet` to the call waiting on `id`; false when none waits (another client's reply, a duplicate, a
   * late one). A final packet (`isDisposed`, or an error) ends the call. The callback's throw reaches the caller.
   */
  answer(id: string, packet: WritePacket): boolean {
    const call = packet.isDisposed || packet.err ? this.take(id) : this.calls.get(id);
    call?.callback(packet);
    return call !== undefined;
  }

  /** The call waiting on `id`, no longer waiting (its timer stopped): its final answer is the caller's to give. */
  take(id: string): PendingCall | undefined {
    const call = this.calls.get(id);
    if (!call) return undefined;
    clearTimeout(call.timer);
    this.calls.delete(id);
    return call;
  }

  /** Fails every waiting call with ClientClosedError. */
  closeAll(): void {
    for (const [id, call] of this.calls) {
      clearTimeout(call.timer);
      this.calls.delete(id);
      call.callback({ err: new ClientClosedError(call.pattern), isDisposed: true });
    }
  }
}
