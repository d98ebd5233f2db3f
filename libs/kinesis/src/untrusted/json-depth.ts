/**
 * Whether the JSON text in `data` nests arrays and objects deeper than `max` levels, found by one pass over the
 * bytes (brackets inside strings do not count). JSON.parse copes with any depth, but what receives the value
 * may not: a recursive walk or JSON.stringify of a value 10,000 levels deep overflows the stack. Never throws.
 */
export function jsonDeeperThan(data: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // backslash: the next byte is escaped
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > max) return true;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
  return false;
}
