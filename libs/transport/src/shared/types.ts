/** Status, events and counters of ServerKinesis and ClientKinesis, shared with their protocols. */
export type KinesisStatus = 'connected' | 'disconnected' | 'throttled';

export type ServerKinesisEvents = Record<string, (...args: any[]) => void>;

/** What the server counted since it started listening. */
export interface ServerKinesisStats {
  handled: number;
  events: number;
  invalid: number;
  expired: number;
  duplicates: number;
  /** Seneca acts for topics this server does not serve (another listener's). */
  ignored: number;
  /** Seneca acts whose track already holds this server: answered `message_loop`, not handled. */
  loops: number;
  /** Requests (valid or not) whose replyTo named a stream other than `resStream` and `replyStreams`: not handled. */
  forbiddenReplyStream: number;
  /** Events whose pattern has no handler (logged cut, rate-bounded). */
  unknownEvents: number;
  /**
   * Replies of handlers that finished after close() gave up on them (closeGracePeriodMs): not written, and
   * their records were not checkpointed, so they are read (and handled) again after a restart.
   */
  lateReplies: number;
  /** `signing`: records refused for carrying no signature while it is required (Seneca acts included). */
  unsigned: number;
  /** `signing`: records refused for a signature with an unknown key id, or one that does not verify. */
  badSignature: number;
  /** Event handler attempts after a failure (eventRetries). */
  eventRetries: number;
  /** Events written to `eventRetries.deadLetterStream` after their attempts (or KinesisDeadLetterError). */
  eventsDeadLettered: number;
  /** Events a guard refused (Nest's `Forbidden resource`): the app's decision, checkpointed past, not retried. */
  eventsDenied: number;
  /** Records of `streams` their deserializer returned undefined for: the app's decision, checkpointed past. */
  skipped: number;
}

export const newServerStats = (): ServerKinesisStats => ({
  handled: 0,
  events: 0,
  invalid: 0,
  expired: 0,
  duplicates: 0,
  ignored: 0,
  loops: 0,
  forbiddenReplyStream: 0,
  unknownEvents: 0,
  lateReplies: 0,
  unsigned: 0,
  badSignature: 0,
  eventRetries: 0,
  eventsDeadLettered: 0,
  eventsDenied: 0,
  skipped: 0,
});

/** What a client counted on its reply shard since it was created (native protocol). */
export interface ClientKinesisStats {
  /** Replies handed to a waiting call. */
  replies: number;
  /** Readable replies no call of this client waits on (another client's on the shared shard, duplicates, late). */
  ignored: number;
  /** Records that are not a reply: not JSON, too deep, bad version, unsafe id, refused by the deserializer. */
  invalid: number;
  /** With `signing`: replies without a signature (while `required`), and with one that does not verify. */
  unsigned: number;
  badSignature: number;
}

export const newClientStats = (): ClientKinesisStats => ({
  replies: 0,
  ignored: 0,
  invalid: 0,
  unsigned: 0,
  badSignature: 0,
});
