/**
 * Checks a documented IAM policy (docs/iam/*.json) against the AWS calls a component really made: every call
 * goes through an SDK middleware that records its IAM action and, where the input names it, the resource ARN.
 *
 * What a local endpoint cannot tell: whether AWS itself authorizes each action against the resource we match it
 * to (e.g. GetRecords is authorized on the stream of its iterator, which the input does not name), KMS calls made
 * by Kinesis on the caller's behalf, and IAM condition keys other than s3:prefix. Those are stated in
 * docs/iam/README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKinesisClient } from '../../libs/kinesis/src/index.js';
import { kinesisEndpoint, type KinesisEmulator } from '../support/harness.js';

export type Service = 'kinesis' | 'dynamodb' | 's3';

/** The emulators' ARNs use this region and account (kinesalite, kinesis-mock, dynalite). */
export const LOCAL_ARN = { Region: 'us-east-1', Account: '000000000000' };

/** SDK commands whose IAM action has another name (all others: `<service>:<command without "Command">`). */
const ACTION_OF_COMMAND: Record<string, string> = {
  's3:ListObjectsV2': 's3:ListBucket',
  's3:HeadBucket': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
};

export interface RecordedCall {
  action: string;
  /** The ARNs the input names; undefined when it names none (GetRecords: only an iterator). */
  resources?: string[];
  /** Condition keys we can evaluate locally. */
  conditions: Record<string, string>;
}

/** Any SDK v3 client: we only need its middleware stack. */
interface SdkClient {
  middlewareStack: {
    add(
      middleware: (next: (args: any) => any, context: any) => (args: any) => any,
      options: { step: 'initialize' },
    ): void;
  };
}

/** Records every call `client` makes from now on as its IAM action (and resource when the input names it). */
export function recordCalls(client: SdkClient, service: Service, calls: RecordedCall[] = []): RecordedCall[] {
  client.middlewareStack.add(
    (next, context) => (args) => {
      const command = String(context.commandName).replace(/Command$/, '');
      const action = ACTION_OF_COMMAND[`${service}:${command}`] ?? `${service}:${command}`;
      calls.push({ action, ...resourcesOf(service, action, args.input ?? {}) });
      return next(args);
    },
    { step: 'initialize' },
  );
  return calls;
}

function resourcesOf(
  service: Service,
  action: string,
  input: Record<string, any>,
): Omit<RecordedCall, 'action'> {
  const { Region, Account } = LOCAL_ARN;
  if (service === 'kinesis') {
    // DescribeStreamConsumer by name is authorized on the consumer's ARN (`<stream ARN>/consumer/<name>:<created>`).
    const consumerByName =
      action === 'kinesis:DescribeStreamConsumer' &&
      input.ConsumerName &&
      `${input.StreamARN}/consumer/${input.ConsumerName}:0`;
    const arn =
      input.ConsumerARN ??
      consumerByName ??
      input.StreamARN ??
      (input.StreamName ? `arn:aws:kinesis:${Region}:${Account}:stream/${input.StreamName}` : undefined);
    return { resources: arn ? [arn] : undefined, conditions: {} };
  }
  if (service === 'dynamodb') {
    const tables: string[] = input.TableName ? [input.TableName] : Object.keys(input.RequestItems ?? {});
    const resources = tables.map((t) => `arn:aws:dynamodb:${Region}:${Account}:table/${t}`);
    return { resources: resources.length ? resources : undefined, conditions: {} };
  }
  const arn =
    input.Key !== undefined ? `arn:aws:s3:::${input.Bucket}/${input.Key}` : `arn:aws:s3:::${input.Bucket}`;
  return { resources: [arn], conditions: input.Prefix !== undefined ? { 's3:prefix': input.Prefix } : {} };
}

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: { StringLike?: Record<string, string | string[]> };
}

export interface Policy {
  file: string;
  statements: Statement[];
  actions: Set<string>;
}

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * docs/iam/<name>.json with its `${Placeholder}`s replaced by `values`. A placeholder the test does not know
 * fails the load: the documented names and the tested ones stay the same.
 */
export function loadPolicy(name: string, values: Record<string, string>): Policy {
  const file = join(process.cwd(), 'docs', 'iam', `${name}.json`);
  const text = readFileSync(file, 'utf8').replace(/\$\{(\w+)\}/g, (_, key: string) => {
    const value = ({ ...LOCAL_ARN, KmsKeyId: 'test-key-id', ...values } as Record<string, string>)[key];
    if (value === undefined) throw new Error(`${name}.json: placeholder \${${key}} has no test value`);
    return value;
  });
  const document = JSON.parse(text) as { Version: string; Statement: Statement[] };
  if (document.Version !== '2012-10-17') throw new Error(`${name}.json: Version must be 2012-10-17`);
  const actions = new Set(document.Statement.flatMap((s) => list(s.Action)));
  return { file: name, statements: document.Statement, actions };
}

/** IAM's wildcard match: `*` any run of characters, `?` one character. */
function globMatch(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^$()|[\]{}\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(value);
}

function allows(statement: Statement, call: RecordedCall, resource: string): boolean {
  if (statement.Effect !== 'Allow' || !list(statement.Action).includes(call.action)) return false;
  if (!list(statement.Resource).some((pattern) => globMatch(pattern, resource))) return false;
  return Object.entries(statement.Condition?.StringLike ?? {}).every(([key, patterns]) => {
    const value = call.conditions[key];
    return value !== undefined && list(patterns).some((p) => globMatch(p, value));
  });
}

export interface PolicyCheck {
  /** Actions called but not in the policy: the policy is too small. */
  missing: string[];
  /**
   * Grants (action on resource pattern) of the policy no call used, not explained as optional: the policy is
   * too wide. A call whose input names no resource (GetRecords) counts for every resource its action is granted on.
   */
  unexplained: string[];
  /** Calls whose action is in the policy but no statement allows it on the resource the input names. */
  outOfScope: string[];
  /** Calls whose resource the input does not name (checked by action only). */
  resourceUnknown: string[];
  used: string[];
}

function unusedGrants(policy: Policy, calls: RecordedCall[]): string[] {
  const unused: string[] = [];
  for (const statement of policy.statements) {
    for (const action of list(statement.Action)) {
      for (const pattern of list(statement.Resource)) {
        const single = { ...statement, Action: action, Resource: pattern };
        const usedBy = (call: RecordedCall) =>
          call.action === action &&
          (call.resources === undefined || call.resources.some((resource) => allows(single, call, resource)));
        if (!calls.some(usedBy)) unused.push(`${action} on ${pattern}`);
      }
    }
  }
  return unused.sort();
}

/** Compares what was called with the policy; `optional` maps each action allowed but not needed in this run to why. */
export function checkPolicy(
  policy: Policy,
  calls: RecordedCall[],
  optional: Record<string, string> = {},
): PolicyCheck {
  const used = [...new Set(calls.map((c) => c.action))].sort();
  const outOfScope = new Set<string>();
  const resourceUnknown = new Set<string>();
  for (const call of calls) {
    if (!policy.actions.has(call.action)) continue;
    if (!call.resources) {
      resourceUnknown.add(call.action);
      continue;
    }
    for (const resource of call.resources) {
      if (!policy.statements.some((s) => allows(s, call, resource))) {
        outOfScope.add(`${call.action} on ${resource} ${JSON.stringify(call.conditions)}`);
      }
    }
  }
  return {
    missing: used.filter((a) => !policy.actions.has(a)),
    unexplained: unusedGrants(policy, calls).filter((grant) => !optional[grant.split(' ')[0]]),
    outOfScope: [...outOfScope],
    resourceUnknown: [...resourceUnknown].sort(),
    used,
  };
}

/** Actions no local endpoint can show: Kinesis calls KMS with the caller's credentials for encrypted streams. */
export const KMS_OPTIONAL = {
  'kms:GenerateDataKey': 'writers of a stream encrypted with a customer-managed KMS key (Kinesis calls KMS)',
  'kms:Decrypt': 'readers of a stream encrypted with a customer-managed KMS key (Kinesis calls KMS)',
};

export const CREATE_STREAMS_OPTIONAL = {
  'kinesis:DescribeStreamSummary':
    'only with createStreams: ensureStream looks for the stream and waits for ACTIVE',
  'kinesis:CreateStream': 'only with createStreams, when a stream is missing',
  'kinesis:StartStreamEncryption':
    'only with createStreams.kmsKeyId, when a stream is not yet encrypted with it',
};

/** A recorded Kinesis client on `emulator`. */
export function recordedKinesis(emulator: KinesisEmulator, calls: RecordedCall[]) {
  const client = createKinesisClient({ endpoint: kinesisEndpoint(emulator), region: 'us-east-1' });
  recordCalls(client, 'kinesis', calls);
  return client;
}

/** Fails with the whole comparison, so a failing run says which actions are off. */
export function expectPolicyFits(
  name: string,
  values: Record<string, string>,
  calls: RecordedCall[],
  optional: Record<string, string>,
): string[] {
  const check = checkPolicy(loadPolicy(name, values), calls, optional);
  expect({
    policy: name,
    missing: check.missing,
    unexplained: check.unexplained,
    outOfScope: check.outOfScope,
  }).toEqual({
    policy: name,
    missing: [],
    unexplained: [],
    outOfScope: [],
  });
  return check.used;
}

export const PRODUCER_AGGREGATION_OPTIONAL = {
  'kinesis:ListShards': 'only when its Producer aggregates (aggregation: true): it maps hash keys to shards',
};
