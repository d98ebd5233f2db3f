import { InvalidIdentifierError } from './errors.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** Validates `name` or `schema.name` and returns it double-quoted for SQL; throws InvalidIdentifierError. */
export function quoteIdentifier(name: string): string {
  const parts = typeof name === 'string' ? name.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new InvalidIdentifierError(String(name));
  }
  return parts.map((p) => `"${p}"`).join('.');
}
