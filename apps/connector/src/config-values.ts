/**
 * Reading configuration values: typed, one message per bad value, and never a value that may hold a secret in a
 * message. Also how URLs are shown in logs and errors (credentials replaced).
 */
import { forLog } from '../../../libs/kinesis/src/index.js';

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
    this.problem(`${key} must be ${what}, got ${JSON.stringify(forLog(redactCredentials(value), 80))}`);
  }

  problem(message: string): void {
    if (!this.problems.includes(message)) this.problems.push(message);
  }
}

/**
 * Query parameters that carry a secret: node-postgres (pg-connection-string) reads `?password=`, `sslpassword`,
 * `sslkey`; any parameter named like a secret or token is masked too.
 */
export function isSecretParameter(name: string): boolean {
  return /^(password|sslpassword|sslkey)$/i.test(name) || /secret|token/i.test(name);
}

/**
 * A URL for logs and errors: credentials (user:password@) replaced by ***, and the value of every secret query
 * parameter (see isSecretParameter); unparseable: not shown at all.
 */
export function redactUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!URL.canParse(value)) return '(not shown)';
  const url = new URL(value);
  const secrets = [...new Set(url.searchParams.keys())].filter(isSecretParameter);
  if (!url.username && !url.password && secrets.length === 0) return value;
  if (url.username || url.password) {
    url.username = '***';
    url.password = '';
  }
  for (const name of secrets) url.searchParams.set(name, '***');
  return url.href;
}

/**
 * Any `scheme://user:password@` inside a text (an error message, a stack) with the credentials replaced, and
 * the value of every secret query parameter (`?password=...`, `&sslkey=...`, see isSecretParameter).
 */
export function redactCredentials(text: string): string {
  // Up to the token's last @: a malformed URL's password may hold / ? # or @ itself.
  const userInfo = text.replace(/([a-z][a-z0-9+.-]*:\/\/)\S*@/gi, '$1***@');
  // A value runs to the next & or blank: a # or ; in a password is masked with it.
  return userInfo.replace(/([?&;])([^=&?;\s]+)=[^&\s]*/g, (whole, separator: string, name: string) =>
    isSecretParameter(decodeName(name)) ? `${separator}${name}=***` : whole,
  );
}

/** A parameter name as a URL parser would read it (`pass%77ord` is `password`). */
function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
