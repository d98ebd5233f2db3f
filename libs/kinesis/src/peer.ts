/**
 * Optional peer dependencies (drivers: pg, ioredis, @aws-sdk/client-s3): a user installs one only with the part
 * of the package that uses it. Code that needs a driver at run time loads it here, at first use, so that importing
 * an entry works without it and a missing driver fails with a MissingPeerDependencyError naming the package.
 * `import()` resolves from this file in both builds (tsc turns it into `require` in the CommonJS one).
 */
import { MissingPeerDependencyError } from './errors.js';

const loads = new Map<string, Promise<unknown>>();

/** The module `name` (its namespace), or a MissingPeerDependencyError naming it and `neededBy` when it is absent. */
export async function loadPeer<T>(name: string, neededBy: string): Promise<T> {
  let load = loads.get(name);
  if (!load) {
    load = import(name);
    loads.set(name, load);
    // A failed load is not cached: the package may be installed while the process runs.
    load.catch(() => loads.delete(name));
  }
  try {
    return (await load) as T;
  } catch (error) {
    if (isPackageNotFound(error, name))
      throw new MissingPeerDependencyError(name, neededBy, { cause: error });
    throw error;
  }
}

/** Node's "not found" for `name` itself (not for a package that `name` imports in turn). */
export function isPackageNotFound(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return typeof message === 'string' && (message.includes(`'${name}'`) || message.includes(`'${name}/`));
}
