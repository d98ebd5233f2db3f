import { createHash } from 'node:crypto';

/** The top of Kinesis' 128-bit hash key space. */
export const MAX_HASH_KEY: bigint = 2n ** 128n - 1n;

/** Kinesis maps a partition key to a shard by the MD5 of its UTF-8 bytes, read as a big-endian 128-bit integer. */
export function partitionKeyToHashKey(partitionKey: string): bigint {
  return BigInt('0x' + createHash('md5').update(partitionKey, 'utf8').digest('hex'));
}

// At most 39 significant digits (MAX_HASH_KEY has 39), so BigInt never parses anything huge.
const DECIMAL = /^0*(\d{1,39})$/;

/** The explicit hash key as a number, or undefined when it is not a decimal integer in [0, MAX_HASH_KEY]. */
export function parseExplicitHashKey(value: string): bigint | undefined {
  const match = DECIMAL.exec(value);
  if (!match) return undefined;
  const key = BigInt(match[1]);
  return key <= MAX_HASH_KEY ? key : undefined;
}

/**
 * The hash key Kinesis routes a record by: its explicit hash key when given, else the MD5 of its partition key.
 * Returns undefined for an invalid explicit hash key (Kinesis would reject the record).
 */
export function effectiveHashKey(partitionKey: string, explicitHashKey?: string): bigint | undefined {
  return explicitHashKey ? parseExplicitHashKey(explicitHashKey) : partitionKeyToHashKey(partitionKey);
}
