import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';

export type MultiLangMessage = Record<string, unknown>;

/**
 * Plays the Java MultiLangDaemon's side of the protocol in-process, to test a processor under aws-kcl without
 * Java: pass `toChild`, `fromChild` and `childErrors` to runKcl as input, output and error, send actions, read
 * the child's status answers and checkpoint requests, and answer those as the daemon does.
 */
export class MultiLangTestDaemon {
  readonly toChild = new PassThrough();
  readonly fromChild = new PassThrough();
  readonly childErrors = new PassThrough();
  /** Everything the child wrote to its error stream. */
  errorText = '';
  private readonly received: MultiLangMessage[] = [];
  private waiter: ((message: MultiLangMessage) => void) | undefined;

  constructor() {
    createInterface({ input: this.fromChild }).on('line', (line) => {
      if (!line.trim()) return; // aws-kcl frames each message as "\n{json}\n"
      const message = JSON.parse(line) as MultiLangMessage;
      if (this.waiter) this.waiter(message);
      else this.received.push(message);
    });
    this.childErrors.on('data', (chunk) => (this.errorText += String(chunk)));
  }

  send(message: MultiLangMessage): void {
    this.toChild.write(`${JSON.stringify(message)}\n`);
  }

  /** The child's next message; rejects after `timeoutMs`. */
  next(timeoutMs = 3_000): Promise<MultiLangMessage> {
    const queued = this.received.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no message from the child within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (message) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(message);
      };
    });
  }

  /** True when the child wrote nothing for `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.received.length === 0;
  }

  /** Sends an action and waits for the status answer the daemon needs before it sends anything else. */
  async call(message: MultiLangMessage): Promise<void> {
    this.send(message);
    const answer = await this.next();
    if (answer.action !== 'status' || answer.responseFor !== message.action)
      throw new Error(`expected the status for ${String(message.action)}, got ${JSON.stringify(answer)}`);
  }

  /** Answers a checkpoint request as MultiLangProtocol does: the position back, and the exception's name. */
  answerCheckpoint(request: MultiLangMessage, error: string | null = null): void {
    const { sequenceNumber = null, subSequenceNumber = null } = request;
    this.send({ action: 'checkpoint', sequenceNumber, subSequenceNumber, error });
  }

  /** Closes the child's input, as the daemon does when it is done with the shard. */
  end(): void {
    this.toChild.end();
  }
}
