/**
 * A task run on request, never twice at once. A request while it runs asks for one more run after it: the
 * run in progress may have started before whatever prompted the request (a shard that just ended, a lease
 * just created). Further requests meanwhile share that one follow-up.
 */
export class CoalescedRun {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly o: {
      /** Checked at each request and before the follow-up run: false ignores the request. */
      enabled: () => boolean;
      /** The task's failures end up here; the returned promises never reject. */
      onError: (error: unknown) => void;
    },
  ) {}

  /** The run in progress, if any. */
  get current(): Promise<void> | undefined {
    return this.running;
  }

  /** Runs the task now, or once more after the run in progress (and resolves with that run in progress). */
  request(): Promise<void> {
    if (!this.o.enabled()) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.task()
      .catch((error) => this.o.onError(error))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          void this.request();
        }
      });
    return this.running;
  }
}
