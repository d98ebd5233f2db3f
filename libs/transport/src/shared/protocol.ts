/**
 * The seam between the Nest adapters (ServerKinesis, ClientKinesis) and the wire protocols (native v1 envelopes,
 * Seneca 3.x acts). The adapters own Nest (handlers, status, lifecycle, the AWS client); a protocol owns what
 * goes on the wire. Everything a protocol needs from its adapter is in the context it is constructed with, and,
 * per record, in the ActRecord it is handed.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { MessageHandler, ReadPacket, WritePacket } from '@nestjs/microservices';
import type { DedupeWindow } from '../../../kinesis/src/untrusted/dedupe-window.js';
import type { WarnThrottle } from '../../../kinesis/src/untrusted/warn-throttle.js';
import type { HashKeyReaderHealth, KinesisRecord, Logger, Producer } from '../../../kinesis/src/index.js';
import type { KinesisContext } from './kinesis.context.js';
import type { EventOutcome } from './event-retries.js';
import type { ClientKinesisSettings, ServerKinesisSettings } from './options.js';
import type { KinesisMessageOptions } from './record-builder.js';
import type { Replies } from './reply-writer.js';
import type { ClientKinesisStats, ServerKinesisStats } from './types.js';

/** What a handler may ask of its shard while it runs. */
export interface ShardState {
  /**
   * True once the shard's final checkpoint was taken (close()): work finishing from then on is not covered by
   * it, so its record is read again after a restart and its reply must not be written.
   */
  readonly closed: boolean;
  /** Aborted when the shard stops reading (close(), lease lost): long work (event retries) gives up. */
  readonly stopping?: AbortSignal;
}

/** One act-stream record handed to a server protocol. */
export interface ActRecord {
  /** The record's data as a JSON object (its signature, with `signing`, already verified). */
  raw: Record<string, unknown>;
  record: KinesisRecord;
  shardId: string;
  /** Frees the record's handler slot: called once the handler finished (its last reply may still be on its way). */
  handlerDone(): void;
  shard: ShardState;
  /** The reply writer of the run that read the record: a late reply of an old run never uses a new run's. */
  replies: Replies;
}

/** A wire protocol of the server: which act-stream records are its own, and how they are served. */
export interface ServerProtocol {
  /** Whether a record is this protocol's (protocol `auto` tells them apart by shape). */
  accepts(raw: Record<string, unknown>): boolean;
  /**
   * Serves one record; resolves when its work is complete (for a request: its final reply stored). Rejects only
   * when a reply cannot be stored (the server reports that); never for what the record holds. `ABANDONED`
   * (shared/event-retries.ts): the shard stopped first; the record must not be checkpointed.
   */
  handle(input: ActRecord): Promise<EventOutcome>;
  /** Nest registered a handler (`route`: Nest's normalized pattern). */
  register?(pattern: unknown, route: string, isEvent: boolean): void;
}

/** What ServerKinesis gives its protocols, once, at construction. */
export interface ServerProtocolContext {
  readonly options: ServerKinesisSettings;
  readonly stats: ServerKinesisStats;
  readonly logger: Logger;
  /** Record-caused warnings, bounded in rate (whoever writes the act stream chooses how many). */
  readonly warnings: WarnThrottle;
  /** Ids seen recently: one id is handled (or refused, or answered) at most once per window. */
  readonly dedupe: DedupeWindow;
  /** Nest's handler of a pattern (a string, or a normalized object pattern), if any. */
  handler(pattern: string): MessageHandler | undefined;
  normalizePattern(pattern: unknown): string;
  /** Runs a request handler as Nest's transports do: its packets go to `respond`, the last one isDisposed. */
  runRequest(
    handler: MessageHandler,
    data: unknown,
    context: KinesisContext,
    respond: (out: WritePacket) => Promise<void>,
  ): void;
  /** Runs the event handlers of `pattern` (an unknown pattern is counted and warned about). */
  runEvent(pattern: string, packet: ReadPacket, context: KinesisContext): Promise<unknown>;
  /**
   * Runs the event handlers of `pattern` with the server's `eventRetries`: retried in place, then dead-lettered
   * (an unknown pattern is counted and warned about, as runEvent).
   */
  runEventWithRetries(
    pattern: string,
    packet: ReadPacket,
    context: KinesisContext,
    input: Pick<ActRecord, 'record' | 'shardId' | 'shard'> & { id?: string },
  ): Promise<EventOutcome>;
  /** The server's Nest serializer (outgoing replies) and deserializer (incoming requests). */
  serialize(packet: WritePacket & { id: string }): unknown;
  deserialize(
    value: unknown,
    options: { shardId: string },
  ): (ReadPacket & { id?: string }) | Promise<ReadPacket & { id?: string }>;
  /** A reply the server gave up on (close()): not written; counted and logged. */
  lateReply(id: string): void;
  reportError(error: unknown): void;
}

/** A wire protocol of the client: how calls and events are sent, and replies read. */
export interface ClientProtocol {
  /** Starts reading replies (before any request goes out, so none is missed). */
  open(client: KinesisClient, producer: Producer): Promise<void>;
  /**
   * Nest's publish: sends the request, hands its replies to `callback`; returns the teardown. `options`: a
   * KinesisMessage's (checked; ClientKinesis hands them only to a protocol that reads them: native).
   */
  publish(
    packet: ReadPacket,
    callback: (packet: WritePacket) => void,
    options?: KinesisMessageOptions,
  ): () => void;
  /** Sends an event (no reply). */
  emit(packet: ReadPacket, options?: KinesisMessageOptions): Promise<void>;
  /**
   * Fails every waiting call at once (ClientClosedError); stops reading replies once `opening` (an open() in
   * progress, if any) settled.
   */
  close(opening: Promise<unknown> | undefined): Promise<void>;
  /** The shard replies are read from, when there is one (after open()). */
  readonly replyShardId?: string;
  /** The hash key replies are put with (native: random per client; decimal), when there is one (after open()). */
  readonly replyHashKey?: string;
  /** For health checks: calls waiting for a reply, and each reply reader (native: one; Seneca: one per topic). */
  replyHealth(): ReplyHealth;
}

export interface ReplyHealth {
  pendingCalls: number;
  readers: Array<HashKeyReaderHealth & { stream: string }>;
}

/** What ClientKinesis gives its protocol, once, at construction. */
export interface ClientProtocolContext {
  readonly options: ClientKinesisSettings;
  readonly stats: ClientKinesisStats;
  readonly logger: Logger;
  /** Connects (once; requests sent while connecting wait for it). */
  connect(): Promise<void>;
  normalizePattern(pattern: unknown): string;
  /** The client's Nest serializer (outgoing requests) and deserializer (incoming replies). */
  serialize(packet: ReadPacket & { id: string }): ReadPacket;
  deserialize(value: unknown): WritePacket | undefined | Promise<WritePacket | undefined>;
  onThrottled(): void;
  reportError(error: unknown): void;
}
