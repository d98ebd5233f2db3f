import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeadLetterEntry, DeadLetterSink } from '../interfaces.js';

/** Dead letters as JSON lines appended to a local file. */
export class FileDeadLetterSink implements DeadLetterSink {
  constructor(readonly path: string) {}

  async write(entries: DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
}
