/**
 * What the bin (src/cli/main.ts) sets up in its process before a command runs; here so that tests can call it.
 */

/** The AWS SDK's own switch for its Node version warning (aws-sdk-js-v3 #7983): set to `true`, it is not shown. */
export const SDK_NODE_WARNING_VARIABLE = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * The SDK warns on stderr, once a process, that it will need a newer Node: for a command line that is the same
 * paragraph before every command's output. Hidden unless the user set the variable (any value, e.g. `false`,
 * shows it again).
 */
export function quietSdkNodeWarning(env: NodeJS.ProcessEnv): void {
  env[SDK_NODE_WARNING_VARIABLE] ??= 'true';
}

/** Something stdout-like that reports write failures as 'error' events. */
interface ErrorEmitter {
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
}

/**
 * `tail ... | head -1`: once the reader is gone, writes fail with EPIPE, which Node throws as an unhandled
 * 'error' (a stack trace, exit 1). The command has nobody left to write for: `onClosed` stops it. Any other
 * write error is thrown as before.
 */
export function stopOnClosedPipe(stdout: ErrorEmitter, onClosed: () => void): void {
  stdout.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    onClosed();
  });
}
