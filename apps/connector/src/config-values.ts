/**
 * Reading configuration values: typed, one message per bad value, and never a value that may hold a secret in a
 * message (URL credentials replaced, see libs/connector/src/redact.ts).
 */
import { invalidValueText } from '../../../libs/connector/src/nest/options.js';

export type Raw = Record<string, string | undefined>;

/** Reads typed values and collects one message per bad value instead of stopping at the first. */
export class Reader {
  readonly problems: string[] = [];
  constructor(private readonly raw: Raw) {}

  optional(key: string): string | undefined {
    return this.raw[key];
  }

  string(key: string, fallback: string): string {
    return this.raw[key] ?? fallback;
  }

  required(key: string, why = ''): string | undefined {
    const value = this.raw[key];
    if (value === undefined) this.problem(`${key} is required${why}`);
    return value;
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback: T): T {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    const match = values.find((v) => v.toLowerCase() === value.toLowerCase());
    if (match === undefined) this.bad(key, `one of ${values.join(', ')}`, value);
    return match ?? fallback;
  }

  integer(key: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    const what =
      max < Number.MAX_SAFE_INTEGER
        ? `an integer from ${min} to ${max}`
        : min === 1
          ? 'a positive integer'
          : `an integer >= ${min}`;
    this.bad(key, what, value);
    return fallback;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw[key]?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    this.bad(key, 'true or false', this.raw[key]!);
    return fallback;
  }

  /** A URL may carry credentials (user:password@): a bad one is named, never quoted. */
  url(key: string): string | undefined {
    const value = this.raw[key];
    if (value !== undefined && !URL.canParse(value)) {
      this.problem(`${key} must be a URL (value not shown: it may hold credentials)`);
    }
    return value;
  }

  /** The value is quoted (it helps to see `abc` for a number) with any URL credentials removed, cut. */
  bad(key: string, what: string, value: string): void {
    this.problem(invalidValueText(key, what, value));
  }

  problem(message: string): void {
    if (!this.problems.includes(message)) this.problems.push(message);
  }
}
