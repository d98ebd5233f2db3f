/**
 * Handlers held until a test lets them finish, and a checkpoint store that runs a hook right before it stores:
 * together they place a handler's end exactly at the moment a shard's final checkpoint is taken.
 */
import { MemoryCheckpointStore, type Checkpoint } from '../../libs/kinesis/src/index.js';

/** Gates by tag: `gate(tag).opened` resolves once `gate(tag).open()` is called (in either order). */
export class Gates {
  private readonly byTag = new Map<string, { opened: Promise<void>; open: () => void }>();

  gate(tag: string): { opened: Promise<void>; open: () => void } {
    let entry = this.byTag.get(tag);
    if (!entry) {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      this.byTag.set(tag, (entry = { opened, open }));
    }
    return entry;
  }

  /** Lets every held handler finish (afterAll: nothing left hanging). */
  openAll(): void {
    for (const { open } of this.byTag.values()) open();
  }
}

/** Runs `beforeSet` (once armed) before a checkpoint is stored: the moment the final checkpoint is taken. */
export class HookedStore extends MemoryCheckpointStore {
  beforeSet: (() => Promise<void>) | undefined;
  override async set(streamName: string, shardId: string, checkpoint: Checkpoint): Promise<void> {
    const hook = this.beforeSet;
    this.beforeSet = undefined;
    await hook?.();
    return super.set(streamName, shardId, checkpoint);
  }
}
