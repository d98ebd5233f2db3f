import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DeadLetterEntry, DeadLetterSink } from '../interfaces.js';

/**
 * One queue per resolved path for the whole process: every sink writing a path (two sinks on the same file
 * included) appends through it, one batch after the other. fs.appendFile alone writes a large buffer in
 * 512 KiB pieces, and the pieces of concurrent appends interleave: a 900 KB entry came out cut by others.
 */
const queues = new Map<string, Promise<void>>();
/** Paths whose last write failed part-way: the next one starts on a new line so its entries stay whole. */
const torn = new Set<string>();

/**
 * Dead letters as JSON lines appended to a local file: each entry is one whole line, parseable on its own,
 * whatever the concurrency within this process (shards, sinks).
 *
 * Several PROCESSES must not share one file: each batch is a single write(2) on an O_APPEND descriptor, which
 * Linux applies whole for a local regular file, but POSIX does not promise it and network file systems do not
 * keep it. Give each process its own file (e.g. the worker id in the name).
 */
export class FileDeadLetterSink implements DeadLetterSink {
  readonly path: string;

  constructor(path: string) {
    this.path = resolve(path);
  }

  write(entries: DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const lines = Buffer.from(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const previous = queues.get(this.path) ?? Promise.resolve();
    const run = previous.then(() => appendWhole(this.path, lines));
    const tail = run.catch(() => undefined);
    queues.set(this.path, tail);
    void tail.then(() => {
      if (queues.get(this.path) === tail) queues.delete(this.path); // idle: no entry kept per path
    });
    return run;
  }
}

/** Appends `bytes` with one write call (looping only if the kernel took less); a part-way failure marks the path torn. */
async function appendWhole(path: string, bytes: Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const data = torn.has(path) ? Buffer.concat([Buffer.from('\n'), bytes]) : bytes;
  const file = await open(path, 'a');
  let offset = 0;
  try {
    while (offset < data.length) {
      offset += (await file.write(data, offset, data.length - offset)).bytesWritten;
    }
    torn.delete(path);
    // The checkpoint (stored elsewhere) moves right after this returns: the entries must survive a power loss.
    await file.datasync();
  } catch (error) {
    if (offset > 0) torn.add(path); // a cut line is left: the next write ends it before its own entries
    throw error;
  } finally {
    await file.close();
  }
}
