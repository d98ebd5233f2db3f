import type { RecordBatchBuffer as ConnectorBuffer, BufferedItem, BufferLimits } from './interfaces.js';

export const DEFAULT_BUFFER_LIMITS: Required<BufferLimits> = {
  maxRecords: 500,
  maxBytes: 5 * 1024 * 1024,
  maxAgeMs: 10_000,
};

/**
 * The default buffer: flushes at a record count, a byte count OR an age (the Go seed only counted records,
 * so a quiet stream held its last records forever). The age is checked by the pipeline's timer too, so it
 * fires with no new record arriving.
 */
export class RecordBuffer<T> implements ConnectorBuffer<T> {
  private readonly limits: Required<BufferLimits>;
  private list: BufferedItem<T>[] = [];
  private byteCount = 0;
  private firstAt: number | undefined;

  constructor(limits: BufferLimits = {}) {
    const given = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
    this.limits = { ...DEFAULT_BUFFER_LIMITS, ...given };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isFinite(value) || value <= 0)
        throw new RangeError(`buffer limit ${name} must be positive, got ${value}`);
    }
  }

  add(item: BufferedItem<T>, now = Date.now()): void {
    if (this.list.length === 0) this.firstAt = now;
    this.list.push(item);
    this.byteCount += item.bytes;
  }

  shouldFlush(now = Date.now()): boolean {
    if (this.list.length === 0) return false;
    return (
      this.list.length >= this.limits.maxRecords ||
      this.byteCount >= this.limits.maxBytes ||
      now - this.firstAt! >= this.limits.maxAgeMs
    );
  }

  get items(): readonly BufferedItem<T>[] {
    return this.list;
  }
  get count(): number {
    return this.list.length;
  }
  get bytes(): number {
    return this.byteCount;
  }
  get oldestAt(): number | undefined {
    return this.firstAt;
  }
  get firstSequenceNumber(): string | undefined {
    return this.list[0]?.record.sequenceNumber;
  }
  get lastSequenceNumber(): string | undefined {
    return this.list.at(-1)?.record.sequenceNumber;
  }
  get maxAgeMs(): number {
    return this.limits.maxAgeMs;
  }

  clear(): void {
    this.list = [];
    this.byteCount = 0;
    this.firstAt = undefined;
  }
}
