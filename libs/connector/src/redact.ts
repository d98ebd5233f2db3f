/** How URLs and error texts are shown in logs, health and errors: credentials and secret parameters replaced. */

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
