import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { encodeEnvelope } from './envelope.js';
import { EnvelopeSigner, SignatureError, SigningOptionsError } from './signing.js';

const KEY_A = 'a'.repeat(32);
const KEY_B = Buffer.alloc(48, 7);
const signer = new EnvelopeSigner({ keys: { a: KEY_A, b: KEY_B }, keyId: 'a' });
const ACT = 'orders-act';
const envelope = encodeEnvelope({ v: 1, id: 'id-1', pattern: 'sum', data: [1, 2] });
const reason = (error: SignatureError | undefined) => error?.reason;

describe('EnvelopeSigner', () => {
  it('appends the signature as the last member, over the exact unsigned JSON, bound to its direction', () => {
    const signed = signer.sign('request', ACT, envelope).toString();
    const mac = createHmac('sha256', KEY_A).update(`req\n${ACT}\n${envelope.toString()}`).digest('base64url');
    expect(signed).toBe(`${envelope.toString().slice(0, -1)},"sig":{"kid":"a","mac":"${mac}"}}`);
    expect(JSON.parse(signed)).toEqual({ ...JSON.parse(envelope.toString()), sig: { kid: 'a', mac } });
  });

  it('accepts a record signed with any configured key, and nothing else', () => {
    const withB = new EnvelopeSigner({ keys: { a: KEY_A, b: KEY_B }, keyId: 'b' });
    expect(signer.check('request', ACT, withB.sign('request', ACT, envelope))).toBeUndefined();
    expect(reason(signer.check('request', ACT, envelope))).toBe('unsigned');
    const stranger = new EnvelopeSigner({ keys: { c: 'c'.repeat(32) } });
    expect(reason(signer.check('request', ACT, stranger.sign('request', ACT, envelope)))).toBe('unknown-key');
    const sameIdOtherKey = new EnvelopeSigner({ keys: { a: 'z'.repeat(32) } });
    expect(reason(signer.check('request', ACT, sameIdOtherKey.sign('request', ACT, envelope)))).toBe(
      'bad-mac',
    );
    expect(signer.check('request', ACT, stranger.sign('request', ACT, envelope))?.keyId).toBe('c');
  });

  it('refuses a reply replayed as a request and a request replayed as a reply', () => {
    expect(reason(signer.check('request', ACT, signer.sign('reply', ACT, envelope)))).toBe('bad-mac');
    expect(reason(signer.check('reply', ACT, signer.sign('request', ACT, envelope)))).toBe('bad-mac');
  });

  it('refuses a record copied onto another stream served with the same key', () => {
    expect(reason(signer.check('request', 'payments-act', signer.sign('request', ACT, envelope)))).toBe(
      'bad-mac',
    );
    expect(reason(signer.check('reply', 'other-res', signer.sign('reply', 'my-res', envelope)))).toBe(
      'bad-mac',
    );
    expect(signer.check('reply', 'my-res', signer.sign('reply', 'my-res', envelope))).toBeUndefined();
  });

  it('lets unsigned records through when not required, but never a bad signature', () => {
    const lenient = new EnvelopeSigner({ keys: { a: KEY_A }, required: false });
    expect(lenient.check('request', ACT, envelope)).toBeUndefined();
    const forged = Buffer.from(
      `${envelope.toString().slice(0, -1)},"sig":{"kid":"a","mac":"${'A'.repeat(43)}"}}`,
    );
    expect(reason(lenient.check('request', ACT, forged))).toBe('bad-mac');
  });

  it('validates its options without printing a key', () => {
    const secret = 'short-secret-value';
    const error = (() => {
      try {
        new EnvelopeSigner({ keys: { k: secret } }, 'client.signing');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(SigningOptionsError);
    expect(error!.message).toMatch(/^client\.signing: keys\["k"\] is shorter than 32 bytes/);
    expect(error!.message).not.toContain(secret);
    expect(() => new EnvelopeSigner({ keys: {} })).toThrow('signing: `keys` holds no key');
    expect(() => new EnvelopeSigner({ keys: { 'bad id': KEY_A } })).toThrow(/key id "bad id" must be/);
    expect(() => new EnvelopeSigner({ keys: { a: KEY_A }, keyId: 'b' })).toThrow(/keyId "b" is not one of/);
    expect(() => new EnvelopeSigner({ keys: { a: 42 as unknown as string } })).toThrow(/must be a string/);
    expect(() => new EnvelopeSigner(undefined as never)).toThrow(SigningOptionsError);
    expect(EnvelopeSigner.from(undefined)).toBeUndefined();
    // With several keys, which one signs must be named: integer-like ids are ordered first by JavaScript.
    expect(() => new EnvelopeSigner({ keys: { b: KEY_B, 2: KEY_A } })).toThrow(
      new SigningOptionsError(
        'signing: `keyId` is required with more than one key: name the key this side signs with',
      ),
    );
    expect(new EnvelopeSigner({ keys: { a: KEY_A } }).keyId).toBe('a');
    expect(new EnvelopeSigner({ keys: { a: KEY_A } }).required).toBe(true);
  });

  it('keeps its own copy of a Buffer key', () => {
    const key = Buffer.alloc(32, 1);
    const own = new EnvelopeSigner({ keys: { a: key } });
    const signed = own.sign('request', ACT, envelope);
    key.fill(2);
    expect(own.check('request', ACT, signed)).toBeUndefined();
  });
});

describe('EnvelopeSigner (properties)', () => {
  const kind = fc.constantFrom('request' as const, 'reply' as const);

  it('never throws, whatever the record holds', () => {
    const suffixLike = fc
      .tuple(fc.string(), fc.stringMatching(/^[A-Za-z0-9._-]{1,70}$/), fc.stringMatching(/^[\w-]{40,45}$/))
      .map(([head, kid, mac]) => `${head},"sig":{"kid":"${kid}","mac":"${mac}"}}`);
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'binary' }).map((s) => Buffer.from(s)),
      suffixLike.map((s) => Buffer.from(s)),
    );
    fc.assert(
      fc.property(kind, inputs, (k, data) => {
        const outcome = signer.check(k, ACT, data);
        expect(outcome === undefined || outcome instanceof SignatureError).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('accepts what sign produced, and nothing once any byte of it changed', () => {
    const json = fc
      .dictionary(fc.string({ minLength: 1 }), fc.jsonValue(), { minKeys: 1 })
      .map((o) => Buffer.from(JSON.stringify(o)));
    fc.assert(
      fc.property(kind, json, fc.nat(), fc.integer({ min: 1, max: 255 }), (k, body, at, flip) => {
        const signed = signer.sign(k, ACT, body);
        expect(signer.check(k, ACT, signed)).toBeUndefined();
        const tampered = Buffer.from(signed);
        tampered[at % tampered.length] ^= flip;
        expect(signer.check(k, ACT, tampered)).toBeInstanceOf(SignatureError);
      }),
      { numRuns: 2_000 },
    );
  });
});
