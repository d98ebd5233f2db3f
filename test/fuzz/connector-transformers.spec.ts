/**
 * Fuzz: the connector's transformers (libs/connector/src/transformers.ts), the first code that reads a record's
 * bytes in the pipeline. Contract: JsonTransformer.toModels returns a value or throws TransformError, whose
 * message never quotes the payload (dead-letter reasons and logs carry it); StringTransformer.toModels never
 * throws; toBytes(toModels(data)) gives back the same JSON value / text, or throws (the pipeline dead-letters
 * that model at stage 'encode'). No prototype changes, whatever keys the JSON holds.
 */
import fc from 'fast-check';
import { TransformError } from '../../libs/connector/src/errors.js';
import { JsonTransformer, StringTransformer } from '../../libs/connector/src/transformers.js';
import type { KinesisRecord } from '../../libs/kinesis/src/index.js';
import {
  anyBytes,
  jsonText,
  jsonValue,
  mutated,
  pathologicalText,
  POLLUTERS,
  text,
  utf8,
} from './arbitraries.js';
import { assertProperty, assertPrototypesClean, CostLog, decodeWithin, runs } from './invariants.js';

const costs = new CostLog();
afterAll(() => process.env.FUZZ_REPORT && console.log(`connector transformers\n${costs.summary()}`));

const json = new JsonTransformer();
const strings = new StringTransformer();

const recordOf = (data: Buffer): KinesisRecord => ({
  data,
  partitionKey: 'k',
  sequenceNumber: '1',
  subSequenceNumber: 0,
  aggregated: false,
  approximateArrivalTimestamp: new Date(0),
});

/** toModels then toBytes, as the pipeline runs them; returns the TransformError when the record is refused. */
function checkJson(data: Buffer, label: string): TransformError | undefined {
  const { value, error } = decodeWithin(
    () => costs.time(`json: ${label}`, data.length, () => json.toModels(recordOf(data))),
    [TransformError],
  );
  assertPrototypesClean();
  if (error) return error as TransformError;
  let bytes: Buffer | undefined;
  try {
    bytes = costs.time(`json toBytes: ${label}`, data.length, () => json.toBytes(value));
  } catch {
    return undefined; // guarded by the pipeline (stage 'encode'): deep values, see pipeline-steps
  }
  expect(bytes.length).toBeLessThanOrEqual(Math.max(data.length, 16) * 2);
  expect(JSON.stringify(JSON.parse(bytes.toString('utf8')))).toBe(JSON.stringify(value));
  return undefined;
}

function checkString(data: Buffer, label: string): void {
  const model = costs.time(`string: ${label}`, data.length, () => strings.toModels(recordOf(data)));
  expect(strings.toBytes(model).equals(Buffer.from(data.toString('utf8'), 'utf8'))).toBe(true);
}

// A token JSON.parse stops at, which V8's message would quote: it stands for a secret in a malformed record.
const secret = fc.stringMatching(/^[a-z]{3}[a-z0-9]{9,20}$/).map((s) => `pw${s}`);

describe('fuzz: connector transformers', () => {
  it('round-trip: JSON values and well-formed text come back as written', () => {
    assertProperty(
      fc.property(jsonValue(4), text(200), (value, s) => {
        expect(json.toModels(recordOf(utf8(JSON.stringify(value))))).toEqual(value);
        expect(strings.toBytes(strings.toModels(recordOf(utf8(s)))).toString('utf8')).toBe(s);
      }),
      { numRuns: runs(300) },
    );
  });

  it('arbitrary bytes, hostile JSON and mutations: a model or TransformError, prototypes untouched', () => {
    const inputs = fc.oneof(
      anyBytes,
      jsonText.map(utf8),
      fc.constantFrom(...POLLUTERS).map(utf8),
      mutated(jsonValue(3).map((v) => utf8(JSON.stringify(v)))),
    );
    assertProperty(
      fc.property(inputs, (data) => {
        checkJson(data, 'any');
        checkString(data, 'any');
      }),
      { numRuns: runs(400) },
    );
  });

  it('pathological records up to 1 MiB (deep nesting, huge strings, many keys, long numbers)', () => {
    assertProperty(
      fc.property(pathologicalText.map(utf8), (data) => {
        checkJson(data, 'pathological');
        checkString(data, 'pathological');
      }),
      { numRuns: runs(30) },
    );
  });

  it('a record that is not JSON is refused without quoting it', () => {
    const malformed = fc
      .tuple(
        fc.constantFrom('', '{"password": ', '[1, ', '{"a": {"b": '),
        secret,
        fc.constantFrom('', '}', ' trailing'),
      )
      .map(([before, token, after]) => ({ token, data: utf8(before + token + after) }));
    assertProperty(
      fc.property(malformed, ({ token, data }) => {
        const error = checkJson(data, 'malformed');
        expect(error).toBeInstanceOf(TransformError);
        expect(error!.message).not.toContain(token.slice(0, 6));
      }),
      { numRuns: runs(100) },
    );
  });

  it('regression: the TransformError for `{"password": pwhunter2secret}` does not contain the password', () => {
    const error = checkJson(utf8('{"password": pwhunter2secret}'), 'regression');
    expect(error?.message).not.toContain('hunter2');
  });
});
