/**
 * What the bin sets up in its process: the AWS SDK's Node version warning hidden unless the user chose, and a
 * reader that quit (`| head`) ending the command quietly.
 */
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import {
  quietSdkNodeWarning,
  SDK_NODE_WARNING_VARIABLE,
  stopOnClosedPipe,
} from '../../libs/cli/src/shared/process.js';

/** stderr of a process that makes a Kinesis client (CommonJS build of the SDK, as an installed app loads it). */
function sdkStderr(env: NodeJS.ProcessEnv): string {
  const script = `new (require('@aws-sdk/client-kinesis').KinesisClient)({ region: 'us-east-1' })`;
  return spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).stderr;
}

const nodeMajor = Number(process.versions.node.split('.')[0]);
const unset = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env[SDK_NODE_WARNING_VARIABLE];
  return env;
};

describe('cli: the process', () => {
  it("hides the SDK's Node version warning unless the user set its variable", () => {
    const env = unset();
    quietSdkNodeWarning(env);
    expect(env[SDK_NODE_WARNING_VARIABLE]).toBe('true');
    expect(sdkStderr(env)).not.toContain('NodeVersionSupportWarning');

    const chosen = { ...unset(), [SDK_NODE_WARNING_VARIABLE]: 'false' };
    quietSdkNodeWarning(chosen);
    expect(chosen[SDK_NODE_WARNING_VARIABLE]).toBe('false');
    // The SDK warns on Node below 22: there the user who asked sees it.
    if (nodeMajor < 22) expect(sdkStderr(chosen)).toContain('NodeVersionSupportWarning');
  });

  it('ends the command when the reader of stdout is gone (EPIPE); other write errors still throw', () => {
    const stdout = new PassThrough();
    let closed = 0;
    stopOnClosedPipe(stdout, () => closed++);
    stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(closed).toBe(1);
    expect(() => stdout.emit('error', Object.assign(new Error('no space'), { code: 'ENOSPC' }))).toThrow(
      'no space',
    );
  });
});
