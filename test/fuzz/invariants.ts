/** What every fuzz property checks after a decode: the error contract, clean prototypes, and the cost noted. */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';

type ErrorClass = abstract new (...args: any[]) => Error;

const PROTOTYPES: Array<[string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
];

type Own = Map<PropertyKey, unknown[]>;

/** Each own property and its value (or accessors), compared by identity. */
function ownProperties(target: object): Own {
  return new Map(
    Reflect.ownKeys(target).map((key) => {
      const d = Object.getOwnPropertyDescriptor(target, key)!;
      return [key, [d.value, d.get, d.set, d.writable, d.enumerable, d.configurable]];
    }),
  );
}

function sameProperties(a: Own, b: Own): boolean {
  if (a.size !== b.size) return false;
  for (const [key, values] of a) {
    const other = b.get(key);
    if (!other || values.some((v, i) => v !== other[i])) return false;
  }
  return true;
}

const baseline = new Map(PROTOTYPES.map(([name, target]) => [name, ownProperties(target)]));

/** Throws when any built-in prototype gained, lost or changed a property, or `{}` sees `polluted`. */
export function assertPrototypesClean(): void {
  if (({} as Record<string, unknown>).polluted !== undefined) throw new Error('({}).polluted is set');
  for (const [name, target] of PROTOTYPES) {
    if (!sameProperties(ownProperties(target), baseline.get(name)!)) throw new Error(`${name} was changed`);
  }
}

/**
 * Runs `decode`: its value, or the error when it is one of `allowed` (the decoder's documented errors).
 * Any other throw (RangeError from deep recursion, TypeError, ...) is rethrown: the property fails.
 */
export function decodeWithin<T>(decode: () => T, allowed: ErrorClass[]): { value?: T; error?: Error } {
  try {
    return { value: decode() };
  } catch (error) {
    if (allowed.some((c) => error instanceof c)) return { error: error as Error };
    const e = error as Error;
    throw new Error(`threw outside its contract: ${e?.name}: ${String(e?.message).slice(0, 200)}`, {
      cause: error,
    });
  }
}

/** Slowest input per label, for the report only: no test asserts on time (that would flake on a busy machine). */
export class CostLog {
  private readonly slowest = new Map<string, { ms: number; bytes: number }>();

  time<T>(label: string, bytes: number, run: () => T): T {
    const start = performance.now();
    try {
      return run();
    } finally {
      const ms = performance.now() - start;
      if (ms > (this.slowest.get(label)?.ms ?? -1)) this.slowest.set(label, { ms, bytes });
    }
  }

  summary(): string {
    return [...this.slowest]
      .map(([label, { ms, bytes }]) => `${label}: slowest ${ms.toFixed(1)} ms (${bytes} bytes)`)
      .join('\n');
  }
}

/** Fuzz run counts: FUZZ_RUNS_SCALE=10 for a longer soak, default sized for the ~40 s suite budget. */
export const runs = (n: number): number =>
  Math.max(1, Math.round(n * Number(process.env.FUZZ_RUNS_SCALE ?? 1)));

/**
 * fc.assert with a short failure report: the counterexample cut to 600 characters (a 1 MiB input printed whole
 * buries the cause), plus the seed and path to replay it (`{ seed, path }` in the parameters).
 */
export function assertProperty<Ts>(property: fc.IRawProperty<Ts>, params: fc.Parameters<Ts> = {}): void {
  fc.assert(property, {
    // A safety valve for a slow machine, well above a normal run: shrinking a large failing input can take
    // long, and a property interrupted before finding a failure passes with the runs it made.
    interruptAfterTimeLimit: 10_000,
    ...params,
    reporter: (details) => {
      if (!details.failed) return;
      const example = fc.stringify(details.counterexample);
      const cause =
        details.errorInstance instanceof Error
          ? details.errorInstance.message
          : String(details.errorInstance);
      throw new Error(
        `Property failed after ${details.numRuns} runs (seed ${details.seed}, path "${details.counterexamplePath}")\n` +
          `Counterexample (${example.length} chars): ${example.slice(0, 600)}\nCause: ${cause.slice(0, 1500)}`,
      );
    },
  });
}
