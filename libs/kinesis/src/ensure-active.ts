import { sleep } from './backoff.js';

/** One AWS resource that may have to be created first (a Kinesis stream, a DynamoDB table). */
export interface CreatableResource<T> {
  /** Its description, or a rejection that `isMissing` recognizes. */
  describe(): Promise<T | undefined>;
  /** The describe failed because the resource does not exist (ResourceNotFoundException). */
  isMissing(error: unknown): boolean;
  statusOf(description: T): string | undefined;
  create(): Promise<unknown>;
  /** The creation failed because the resource exists (ResourceInUseException): another process created it. */
  isAlreadyCreated(error: unknown): boolean;
}

export interface ActiveWait {
  timeoutMs: number;
  /** The pause after the `attempt`th look that found it not ACTIVE (0 first); `remainingMs` until the timeout. */
  delayMs(attempt: number, remainingMs: number): number;
  /** `lastStatus` undefined: the resource does not exist. */
  timeoutError(lastStatus: string | undefined, waitedMs: number): Error;
}

/**
 * Creates the resource unless it exists, and waits until it serves requests. Safe when several processes start
 * at once: whoever loses the creation race waits for the winner's resource like for its own.
 */
export async function ensureActive<T>(
  resource: CreatableResource<T>,
  wait: ActiveWait,
): Promise<{ description: T; status: 'ACTIVE' | 'UPDATING'; created: boolean }> {
  let created = false;
  if ((await describeIfExists(resource)) === undefined) {
    try {
      await resource.create();
      created = true;
    } catch (error) {
      if (!resource.isAlreadyCreated(error)) throw error;
    }
  }
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const description = await describeIfExists(resource);
    const status = description === undefined ? undefined : resource.statusOf(description);
    // UPDATING streams and tables serve reads and writes (a reshard or a table update in progress).
    if (description !== undefined && (status === 'ACTIVE' || status === 'UPDATING'))
      return { description, status, created };
    const waited = Date.now() - started;
    if (waited >= wait.timeoutMs) throw wait.timeoutError(status, waited);
    await sleep(wait.delayMs(attempt, wait.timeoutMs - waited));
  }
}

async function describeIfExists<T>(resource: CreatableResource<T>): Promise<T | undefined> {
  try {
    return await resource.describe();
  } catch (error) {
    if (resource.isMissing(error)) return undefined;
    throw error;
  }
}
