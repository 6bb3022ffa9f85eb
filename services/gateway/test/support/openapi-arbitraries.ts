import fc from 'fast-check';

/**
 * fast-check arbitraries derived from the gateway's OpenAPI 3.1 document: for each operation,
 * requests built from its path/query parameters and JSON body schemas, mostly invalid (wrong types,
 * out-of-range numbers, over-long strings, missing or extra fields, bad formats, control characters,
 * deep nesting, huge arrays, prototype keys), some valid. Each request is then classified by
 * `mustReject`, an over-approximating re-implementation of the gateway's validator (ajv with
 * `coerceTypes: 'array'`): when it says "invalid", no coercion can make the request valid, so the
 * gateway has to answer 4xx; anything else may legitimately be accepted.
 */

/** The subset of JSON Schema the document uses (TypeBox output: no $ref). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
}

export interface OpenApiParameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** One operation, flattened for generation. */
export interface OperationInfo {
  method: string;
  path: string;
  pathParams: OpenApiParameter[];
  queryParams: OpenApiParameter[];
  /** The JSON body schema, when the operation takes one. */
  jsonBody: JsonSchema | undefined;
  /** The operation takes only multipart bodies (uploads): no generated body is valid there. */
  multipartOnly: boolean;
}

export interface FuzzContext {
  /** Real ids of the test tenant by normalised field name (`accountid`, `taskid`, …): valid values reach past the 404s. */
  knownIds: Record<string, string[]>;
  /** An http(s) URL that passes the source policy (private targets are allowed in tests) and fails fast when fetched. */
  deadUrl(https: boolean, tail: string): string;
  /** Bearer tokens a valid request may carry (the tenant's plain one first, then e.g. an admin one). */
  bearers: string[];
}

export type Label = 'valid' | 'fuzzy' | 'invalid';

export interface GeneratedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** How it was built (for the report when it goes wrong). */
  what: string;
  /** `invalid`: the gateway must answer 4xx. `valid` (built valid) and `fuzzy` (may be valid): any non-5xx. */
  label: Label;
}

// --- the gateway's validator, over-approximated -----------------------------------------------

// ajv-formats' uuid, and both of its email variants (full and fast): a value matching either may pass.
const UUID_FORMAT = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;
const EMAIL_FULL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
const EMAIL_FAST =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const patternCache = new Map<string, RegExp>();
const regexOf = (pattern: string) => {
  let re = patternCache.get(pattern);
  if (!re) patternCache.set(pattern, (re = new RegExp(pattern, 'u'))); // ajv compiles patterns with the u flag
  return re;
};
/** ajv counts string length in code points. */
const codePoints = (s: string) => [...s].length;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const typesOf = (s: JsonSchema): string[] | undefined => (s.type === undefined ? undefined : [s.type].flat());

/** What ajv's `coerceTypes: 'array'` may turn `v` into for type `t` (nothing when it cannot). */
function coerced(t: string, v: unknown): unknown[] {
  const scalar = (x: unknown): unknown[] => {
    switch (t) {
      case 'string':
        if (typeof x === 'string') return [x];
        if (typeof x === 'number' || typeof x === 'boolean') return [String(x)];
        return x === null ? [''] : [];
      case 'number':
      case 'integer':
        if (typeof x === 'number') return [x];
        if (typeof x === 'boolean' || x === null) return [Number(x)];
        // ajv: `typeof x == "string" && x && x == +x`
        return typeof x === 'string' && x !== '' && !Number.isNaN(Number(x)) ? [Number(x)] : [];
      case 'boolean':
        if (typeof x === 'boolean') return [x];
        if (x === 'false' || x === 0 || x === null) return [false];
        return x === 'true' || x === 1 ? [true] : [];
      case 'null':
        return x === null || x === '' || x === 0 || x === false ? [null] : [];
      case 'array':
        if (Array.isArray(x)) return [x];
        return isPlainObject(x) ? [] : [[x]];
      case 'object':
        return isPlainObject(x) ? [x] : [];
      default:
        return [x];
    }
  };
  // A one-item array is unwrapped before a scalar coercion.
  if (Array.isArray(v) && v.length === 1 && t !== 'array') return [...scalar(v), ...scalar(v[0])];
  return scalar(v);
}

function checkString(s: JsonSchema, v: string): boolean {
  if (s.minLength !== undefined && codePoints(v) < s.minLength) return false;
  if (s.maxLength !== undefined && codePoints(v) > s.maxLength) return false;
  if (s.pattern !== undefined && !regexOf(s.pattern).test(v)) return false;
  if (s.format === 'uuid' && !UUID_FORMAT.test(v)) return false;
  if (s.format === 'email' && !EMAIL_FULL.test(v) && !EMAIL_FAST.test(v)) return false;
  return true;
}

function checkNumber(s: JsonSchema, v: number, integer: boolean): boolean {
  // ajv's integer: `!(x % 1) && !isNaN(x)` (so ±Infinity passes the type, then the range decides).
  if (integer && (Number.isNaN(v) || (Number.isFinite(v) && v % 1 !== 0))) return false;
  if (s.minimum !== undefined && v < s.minimum) return false;
  if (s.maximum !== undefined && v > s.maximum) return false;
  if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) return false;
  if (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum) return false;
  if (s.multipleOf !== undefined && (v / s.multipleOf) % 1 !== 0) return false;
  return true;
}

function checkObject(s: JsonSchema, v: Record<string, unknown>): boolean {
  const keys = Object.keys(v);
  if (s.required?.some((k) => !Object.hasOwn(v, k))) return false;
  if (s.minProperties !== undefined && keys.length < s.minProperties) return false;
  if (s.maxProperties !== undefined && keys.length > s.maxProperties) return false;
  for (const k of keys) {
    const prop = s.properties && Object.hasOwn(s.properties, k) ? s.properties[k] : undefined;
    if (prop) {
      if (!mayBeValid(prop, v[k])) return false;
    } else if (s.additionalProperties === false) {
      return false;
    } else if (isPlainObject(s.additionalProperties) && !mayBeValid(s.additionalProperties, v[k])) {
      return false;
    }
  }
  return true;
}

/** False only when no coercion the gateway does can make `v` valid for `s` (over-approximates validity). */
export function mayBeValid(s: JsonSchema, v: unknown): boolean {
  if (s.anyOf && !s.anyOf.some((b) => mayBeValid(b, v))) return false;
  if (s.oneOf && !s.oneOf.some((b) => mayBeValid(b, v))) return false;
  if (s.allOf && !s.allOf.every((b) => mayBeValid(b, v))) return false;
  const types = typesOf(s);
  const candidates = types ? types.flatMap((t) => coerced(t, v).map((c) => [t, c] as const)) : [['any', v] as const];
  if (candidates.length === 0) return false;
  return candidates.some(([t, c]) => {
    if (s.enum && !s.enum.some((e) => e === c)) return false;
    if ('const' in s && s.const !== c) return false;
    if (typeof c === 'string' && (t === 'string' || t === 'any')) return checkString(s, c);
    if (typeof c === 'number' && (t === 'number' || t === 'integer' || t === 'any'))
      return checkNumber(s, c, t === 'integer');
    if (Array.isArray(c) && (t === 'array' || t === 'any')) {
      if (s.minItems !== undefined && c.length < s.minItems) return false;
      if (s.maxItems !== undefined && c.length > s.maxItems) return false;
      return !s.items || c.every((x) => mayBeValid(s.items!, x));
    }
    if (isPlainObject(c) && (t === 'object' || t === 'any')) return checkObject(s, c);
    return t === 'boolean' || t === 'null' || t === 'any';
  });
}

// --- valid values ------------------------------------------------------------------------------

/** Strings that break naive code: control characters, NUL, lone surrogates, bidi overrides, injections, paths. */
export const NASTY_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[31m\r\n',
  '\ud800',
  'x\udfffy',
  '\u202eevil',
  '\ufeffbom',
  '\u200b',
  '💥🎬',
  'é'.repeat(30),
  "' or '1'='1",
  '"; drop table accounts; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/x}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '%00%2e%2e%2f',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  'toString',
  ' ',
  '\t',
];

const normalise = (name: string | undefined) => (name ?? '').toLowerCase().replaceAll(/[^a-z]/g, '');

function lengthOk(s: JsonSchema, v: string) {
  return (
    (s.minLength === undefined || codePoints(v) >= s.minLength) &&
    (s.maxLength === undefined || codePoints(v) <= s.maxLength)
  );
}

function validUuid(name: string | undefined, ctx: FuzzContext): fc.Arbitrary<string> {
  const known = ctx.knownIds[normalise(name)] ?? [];
  const random = fc.uuid();
  // Spellings ajv-formats accepts too: upper case, the urn: prefix, the nil and max uuids.
  const odd = fc.oneof(
    random.map((u) => u.toUpperCase()),
    random.map((u) => `urn:uuid:${u}`),
    fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
  );
  if (known.length === 0) return fc.oneof({ weight: 5, arbitrary: random }, { weight: 1, arbitrary: odd });
  const knownArb = fc.constantFrom(...known);
  return fc.oneof(
    { weight: 6, arbitrary: knownArb },
    { weight: 2, arbitrary: random },
    { weight: 1, arbitrary: knownArb.map((u) => u.toUpperCase()) },
    { weight: 1, arbitrary: odd },
  );
}

function validString(s: JsonSchema, name: string | undefined, ctx: FuzzContext): fc.Arbitrary<string> {
  if (s.format === 'uuid') return validUuid(name, ctx);
  if (s.format === 'email') {
    return fc
      .tuple(
        fc.stringMatching(/^[a-z0-9]{1,20}$/),
        fc.stringMatching(/^[a-z]{1,20}$/),
        fc.constantFrom('com', 'example', 'io'),
      )
      .map(([l, d, t]) => `${l}@${d}.${t}`);
  }
  if (s.pattern !== undefined && /^\^https?\?*:\/\//.test(s.pattern)) {
    // Source, captions and webhook URLs: a local port nothing listens on (fails fast, reaches nothing outside).
    const https = !s.pattern.includes('?');
    const tail = fc.oneof(fc.constant(''), fc.string({ maxLength: 30 }), fc.constantFrom(...NASTY_STRINGS));
    return fc
      .oneof(
        { weight: 3, arbitrary: tail.map((t) => ctx.deadUrl(https, encodeURIComponent(t.toWellFormed()))) },
        { weight: 1, arbitrary: tail.map((t) => ctx.deadUrl(https, t)) }, // raw: the pattern only looks at the scheme
      )
      .filter((u) => lengthOk(s, u));
  }
  if (s.pattern !== undefined) {
    const re = regexOf(s.pattern);
    return fc
      .stringMatching(new RegExp(s.pattern), s.maxLength !== undefined ? { maxLength: s.maxLength } : {})
      .filter((v) => lengthOk(s, v) && re.test(v));
  }
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? 1000;
  const short = Math.max(min, Math.min(max, 40));
  return fc
    .oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: short }) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: short }) },
      { weight: 2, arbitrary: fc.constantFrom(...NASTY_STRINGS).filter((v) => lengthOk(s, v)) },
      // A control character (NUL above all: PostgreSQL text refuses it) or a lone surrogate inside ordinary text.
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: Math.max(1, short - 1) }),
            fc.constantFrom('\u0000', '\u0000', '\u0001', '\u001f', '\u007f', '\ud800', '\u2028'),
            fc.nat(),
          )
          .map(([text, c, i]) => `${text.slice(0, i % (text.length + 1))}${c}${text.slice(i % (text.length + 1))}`),
      },
      // Exactly at the limit, in multi-byte characters.
      { weight: 1, arbitrary: fc.constantFrom('é', '💥', 'a').map((c) => c.repeat(max)) },
    )
    .filter((v) => lengthOk(s, v));
}

function validNumber(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  let min = s.minimum ?? -1e9;
  let max = s.maximum ?? 1e9;
  if (s.exclusiveMinimum !== undefined)
    min = Math.max(min, integer ? Math.floor(s.exclusiveMinimum) + 1 : s.exclusiveMinimum);
  if (s.exclusiveMaximum !== undefined)
    max = Math.min(max, integer ? Math.ceil(s.exclusiveMaximum) - 1 : s.exclusiveMaximum);
  if (s.multipleOf !== undefined) {
    const m = s.multipleOf;
    return fc.integer({ min: Math.ceil(min / m), max: Math.floor(max / m) }).map((k) => k * m);
  }
  if (integer)
    return fc.oneof(
      fc.integer({ min: Math.ceil(min), max: Math.floor(max) }),
      fc.constantFrom(Math.ceil(min), Math.floor(max)),
    );
  return fc
    .oneof(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(min, max))
    .filter(
      (v) =>
        (s.exclusiveMinimum === undefined || v > s.exclusiveMinimum) &&
        (s.exclusiveMaximum === undefined || v < s.exclusiveMaximum),
    );
}

/** Values valid for `s` by construction (`name` picks the tenant's real ids for id-like fields). */
export function validOf(s: JsonSchema, ctx: FuzzContext, name?: string): fc.Arbitrary<unknown> {
  if (s.enum) return fc.constantFrom(...s.enum);
  if ('const' in s) return fc.constant(s.const);
  const branches = s.anyOf ?? s.oneOf;
  if (branches) return fc.oneof(...branches.map((b) => validOf(b, ctx, name)));
  const types = typesOf(s) ?? ['string'];
  return fc.oneof(
    ...types.map((t): fc.Arbitrary<unknown> => {
      switch (t) {
        case 'string':
          return validString(s, name, ctx);
        case 'integer':
        case 'number':
          return validNumber(s, t === 'integer');
        case 'boolean':
          return fc.boolean();
        case 'null':
          return fc.constant(null);
        case 'array': {
          const items = s.items ? validOf(s.items, ctx, name) : fc.jsonValue({ maxDepth: 2 });
          return fc.array(items, { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 5) });
        }
        default:
          return validObject(s, ctx);
      }
    }),
  );
}

function validObject(s: JsonSchema, ctx: FuzzContext): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, p] of Object.entries(props)) model[k] = validOf(p, ctx, k);
  const base = fc.record(model, { requiredKeys: s.required ?? [], noNullPrototype: true });
  const extra = isPlainObject(s.additionalProperties)
    ? fc.dictionary(
        fc
          .string({ minLength: 1, maxLength: 20 })
          .filter((k) => !Object.hasOwn(props, k) && k !== '__proto__' && k !== 'constructor'),
        validOf(s.additionalProperties, ctx),
        {
          maxKeys: Math.min(s.maxProperties ?? 5, 5),
          noNullPrototype: true,
        },
      )
    : fc.constant({});
  return fc
    .tuple(base, extra)
    .map(([b, e]) => ({ ...e, ...b }))
    .filter(
      (o) =>
        (s.minProperties === undefined || Object.keys(o).length >= s.minProperties) &&
        (s.maxProperties === undefined || Object.keys(o).length <= s.maxProperties),
    );
}

// --- invalid values ----------------------------------------------------------------------------

/** A schema with no constraint at all (TypeBox's Unknown): every value is valid. */
const acceptsAnything = (s: JsonSchema): boolean =>
  s.type === undefined &&
  s.enum === undefined &&
  !('const' in s) &&
  s.anyOf === undefined &&
  s.oneOf === undefined &&
  s.properties === undefined &&
  s.pattern === undefined &&
  s.format === undefined;

/** Adds an own, enumerable property even for `__proto__` (so JSON.stringify writes it). */
export function withKey(o: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...o };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null');

const BAD_UUIDS = [
  '0190a9a4-5b7c-7d2e-8f00-00000000000', // one short
  '0190a9a4-5b7c-7d2e-8f00-0000000000000', // one long
  '0190a9a45b7c7d2e8f00000000000000', // no hyphens
  '{0190a9a4-5b7c-7d2e-8f00-000000000000}',
  '0190a9a4-5b7c-7d2e-8f00-00000000000g',
  ' 0190a9a4-5b7c-7d2e-8f00-000000000000',
  '0190a9a4-5b7c-7d2e-8f00-000000000000\n',
  'urn:uuid:',
  '0190a9a4_5b7c_7d2e_8f00_000000000000',
  '٠١٩٠a9a4-5b7c-7d2e-8f00-000000000000',
];

/** Strings likely to break a string constraint of `s` (filtered by the caller). */
function badStrings(s: JsonSchema): fc.Arbitrary<string> {
  const options: fc.Arbitrary<string>[] = [
    fc.string({ unit: 'binary', maxLength: 50 }),
    fc.constantFrom(...NASTY_STRINGS, '', ...BAD_UUIDS),
  ];
  if (s.maxLength !== undefined) {
    const n = s.maxLength;
    options.push(
      fc.constantFrom(
        'a'.repeat(n + 1),
        'é'.repeat(n + 1),
        '💥'.repeat(n + 1),
        'x'.repeat(Math.min(n * 10 + 10, 200_000)),
      ),
    );
  }
  if (s.format === 'uuid')
    options.push(
      fc.tuple(fc.uuid(), fc.nat(35)).map(([u, i]) => `${u.slice(0, i)}${'zg-_ '.charAt(i % 5)}${u.slice(i + 1)}`),
    );
  if (s.pattern !== undefined)
    options.push(
      fc.string({ unit: 'grapheme', minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 30, 30) }),
    );
  if (s.format === 'email')
    options.push(fc.constantFrom('no-at-sign', 'a@', '@b.com', 'a@@b.com', 'a b@c.com', 'a@b..com'));
  if (s.enum)
    options.push(
      fc.constantFrom(
        ...s.enum.map((e) => `${String(e)} `),
        ...s.enum.map((e) => String(e).toUpperCase()),
        ...s.enum.map((e) => `${String(e)}\u0000`),
      ),
    );
  return fc.oneof(...options);
}

/** Numbers (and numeric-looking strings) likely to break a numeric constraint of `s`. */
function badNumbers(s: JsonSchema): fc.Arbitrary<unknown> {
  const edges: unknown[] = [1.5, -1, 1e308, -1e308, 2 ** 53 + 1, 'abc', '1,5', '١', '0x', '--1', '1e', 'Infinity?'];
  if (s.minimum !== undefined) edges.push(s.minimum - 1, s.minimum - 0.001, String(s.minimum - 1));
  if (s.maximum !== undefined) edges.push(s.maximum + 1, s.maximum + 0.001, String(s.maximum + 1), s.maximum * 1000);
  if (s.exclusiveMinimum !== undefined) edges.push(s.exclusiveMinimum, s.exclusiveMinimum - 1);
  if (s.multipleOf !== undefined) edges.push((s.minimum ?? 0) + s.multipleOf / 2 + s.multipleOf);
  return fc.oneof(
    fc.constantFrom(...edges),
    fc.double(),
    fc.integer().map((i) => i + 0.5),
  );
}

/** Values of the wrong JSON type (the filter keeps those no coercion rescues). */
const wrongTypes: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant({}),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3, noNullPrototype: true }),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { minLength: 2, maxLength: 4 }),
  fc.constant([]),
  fc.string({ maxLength: 10 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

/** Keys a body must not be able to smuggle in (and plain unknown ones). */
export const EXTRA_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'isAdmin',
  'role',
  'principal',
  'accountIds',
  '',
  ' ',
  '\u0000',
  'k'.repeat(1000),
];

/**
 * Values no coercion makes valid for `s`: a wrong type, a broken constraint, a missing required
 * field, an unknown field, or a valid value with one nested field broken.
 */
export function invalidOf(s: JsonSchema, ctx: FuzzContext, name?: string): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [wrongTypes];
  const shapes = [s, ...(s.anyOf ?? []), ...(s.oneOf ?? [])];
  for (const shape of shapes) {
    const types = typesOf(shape) ?? [];
    if (types.includes('string') || shape.enum) options.push(badStrings(shape));
    if (types.includes('number') || types.includes('integer')) options.push(badNumbers(shape));
    if (types.includes('array') && shape.items && !acceptsAnything(shape.items)) {
      const item = shape.items;
      const base = validOf(shape, ctx, name) as fc.Arbitrary<unknown[]>;
      const one = validOf(item, ctx, name);
      options.push(
        fc
          .tuple(base, invalidOf(item, ctx, name), fc.nat())
          .map(([arr, bad, i]) => (arr.length ? arr.map((x, j) => (j === i % arr.length ? bad : x)) : [bad])),
      );
      if (shape.minItems) options.push(fc.constant([]));
      // Huge arrays: just over the limit, and far over it.
      if (shape.maxItems !== undefined)
        options.push(
          fc
            .tuple(one, fc.constantFrom(shape.maxItems + 1, 1000, 20_000))
            .map(([x, n]) => Array.from({ length: n }, () => x)),
        );
    }
    if (types.includes('object') || shape.properties) options.push(...invalidObjects(shape, ctx));
  }
  return fc.oneof(...options).filter((v) => !mayBeValid(s, roundTrip(v)));
}

function invalidObjects(s: JsonSchema, ctx: FuzzContext): fc.Arbitrary<unknown>[] {
  const base = validObject(s, ctx);
  const props = s.properties ?? {};
  const out: fc.Arbitrary<unknown>[] = [];
  for (const key of s.required ?? [])
    out.push(base.map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key))));
  if (s.additionalProperties === false || isPlainObject(s.additionalProperties)) {
    const keys = fc
      .oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ unit: 'binary', maxLength: 20 }))
      .filter((k) => !Object.hasOwn(props, k));
    out.push(
      fc
        .tuple(base, keys, fc.jsonValue({ maxDepth: 2 }))
        .map(([o, k, v]) =>
          withKey(
            o,
            k,
            k === '__proto__' || k === 'constructor' ? { prototype: { fuzzPolluted: true }, fuzzPolluted: true } : v,
          ),
        ),
    );
  }
  if (s.maxProperties !== undefined)
    out.push(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 3 }), {
        minKeys: s.maxProperties + 1,
        maxKeys: s.maxProperties + 3,
        noNullPrototype: true,
      }),
    );
  if (s.minProperties) out.push(fc.constant({}));
  // A field any JSON value fits (`{}`: a recipe's form schema, its template) has no invalid value to break it with.
  for (const [key, prop] of Object.entries(props))
    if (!acceptsAnything(prop))
      out.push(fc.tuple(base, invalidOf(prop, ctx, key)).map(([o, bad]) => ({ ...o, [key]: bad })));
  return out;
}

// --- requests ----------------------------------------------------------------------------------

/** Every API operation of the document (probes and the document itself left out). */
export function operationsOf(doc: OpenApiDocument): OperationInfo[] {
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/api/v1/'))
    .flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([m]) => m !== 'head')
        .map(([method, op]) => {
          const params = op.parameters ?? [];
          const content = op.requestBody?.content ?? {};
          return {
            method: method.toUpperCase(),
            path,
            pathParams: params.filter((p) => p.in === 'path'),
            queryParams: params.filter((p) => p.in === 'query'),
            jsonBody: content['application/json']?.schema,
            // An operation with no JSON body that is a POST of its own (uploads): only multipart is accepted.
            multipartOnly:
              !content['application/json'] && (Boolean(content['multipart/form-data']) || /\/uploads$/.test(path)),
          };
        }),
    );
}

/** One path segment as sent: `raw` is already percent-encoded. */
interface Segment {
  raw: string;
}
type Body = { text?: string | Uint8Array; contentType?: string };

const seg = (v: unknown): Segment => ({ raw: encodeURIComponent(String(v).toWellFormed()) });
const safeForPath = (v: string) => v.isWellFormed() && v !== '.' && v !== '..' && v !== '';

function pathArb(op: OperationInfo, ctx: FuzzContext, breakIt: boolean): fc.Arbitrary<Record<string, Segment>> {
  const valid = (p: OpenApiParameter) => validOf(p.schema, ctx, p.name).map(seg);
  const invalid = (p: OpenApiParameter): fc.Arbitrary<Segment> =>
    fc.oneof(
      {
        weight: 4,
        arbitrary: badStrings(p.schema)
          .filter(safeForPath)
          .filter((v) => !mayBeValid(p.schema, v))
          .map(seg),
      },
      // Raw percent sequences: invalid UTF-8, truncated escapes, encoded NUL and slashes.
      {
        weight: 1,
        arbitrary: fc
          .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 })
          .map((bytes) => ({ raw: bytes.map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('') })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('%', '%%', '%G0', '%C0%AF', '%ED%A0%80', '%00', '%2F', 'a%2Fb', '%FF%FE')
          .map((raw) => ({ raw })),
      },
    );
  if (op.pathParams.length === 0) return fc.constant({});
  // Built once per variant (which parameter is broken), not per sample: construction is the costly part.
  const variants = (breakIt ? op.pathParams.map((_, i) => i) : [-1]).map((broken) => {
    const model: Record<string, fc.Arbitrary<Segment>> = {};
    op.pathParams.forEach((p, i) => (model[p.name] = i === broken ? invalid(p) : valid(p)));
    return fc.record(model);
  });
  return fc.oneof(...variants);
}

function queryArb(
  op: OperationInfo,
  ctx: FuzzContext,
  mode: 'valid' | 'invalid' | 'fuzzy',
): fc.Arbitrary<[string, string][]> {
  const known = new Set(op.queryParams.map((p) => p.name));
  const validPairs = fc.tuple(
    ...op.queryParams.map((p) =>
      fc
        .tuple(fc.boolean(), validOf(p.schema, ctx, p.name).map(String))
        .map(([include, v]): [string, string][] => (include || p.required ? [[p.name, v]] : [])),
    ),
  );
  const base = op.queryParams.length ? validPairs.map((pairs) => pairs.flat()) : fc.constant<[string, string][]>([]);
  if (mode === 'valid') return base;
  if (mode === 'fuzzy') {
    // Coercible spellings: numbers with spaces or exponents, duplicated parameters, empty values.
    const params = op.queryParams;
    return fc
      .tuple(base, fc.constantFrom(' 5', '5.0', '1e1', '', '+3', '0x10', 'true', ' '), fc.nat())
      .map(([pairs, odd, i]): [string, string][] => {
        const p = params[i % Math.max(params.length, 1)];
        return p ? [...pairs.filter(([k]) => k !== p.name), [p.name, odd]] : pairs;
      });
  }
  const unknownName = fc
    .oneof(
      fc.constantFrom('x', 'token', '__proto__', 'constructor', 'limit[]', 'a'.repeat(300), 'accountId', 'ACCOUNT_ID'),
      fc.string({ minLength: 1, maxLength: 12 }),
    )
    .filter((k) => !known.has(k));
  const strategies: fc.Arbitrary<[string, string][]>[] = [
    fc.tuple(base, unknownName, fc.string({ maxLength: 10 })).map(([pairs, k, v]) => [...pairs, [k, v]]),
  ];
  for (const p of op.queryParams) {
    const bad = fc
      .oneof(badStrings(p.schema), badNumbers(p.schema).map(String))
      .filter((v) => !mayBeValid(p.schema, v));
    strategies.push(fc.tuple(base, bad).map(([pairs, v]) => [...pairs.filter(([k]) => k !== p.name), [p.name, v]]));
    // The same parameter twice (an array where a scalar is expected).
    strategies.push(
      fc
        .tuple(base, validOf(p.schema, ctx, p.name), validOf(p.schema, ctx, p.name))
        .map(([pairs, a, b]) => [...pairs.filter(([k]) => k !== p.name), [p.name, String(a)], [p.name, String(b)]]),
    );
    if (p.required) strategies.push(base.map((pairs) => pairs.filter(([k]) => k !== p.name)));
  }
  return fc.oneof(...strategies);
}

const JSON_TYPE = 'application/json';
const OTHER_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
];
const ODD_JSON_TYPES = [
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=latin1',
  'application/vnd.api+json',
  'application/json, text/plain',
];

/** Bodies that are not a JSON encoding of any schema value: syntax errors, deep nesting, odd bytes. */
function rawBadBodies(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    fc.tuple(valid, fc.nat()).map(([v, k]) => {
      const text = JSON.stringify(v);
      return text.slice(0, k % Math.max(text.length, 1)); // truncated
    }),
    fc.constantFrom(1000, 10_000, 100_000).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
    fc.constantFrom(1000, 50_000).map((n) => `${'{"a":'.repeat(n)}0${'}'.repeat(n)}`),
    fc
      .constantFrom(1000, 50_000)
      .map((n) => `{"__proto__":${'['.repeat(n)}${']'.repeat(n)},"constructor":{"prototype":{"fuzzPolluted":true}}}`),
    valid.map((v) => `{"__proto__":{"fuzzPolluted":true},${JSON.stringify(v).slice(1)}`),
    valid.map((v) => `${JSON.stringify(v).slice(0, -1)},"constructor":{"prototype":{"fuzzPolluted":true}}}`),
    fc.constantFrom(
      '{',
      '}',
      '{"a":}',
      "{'a':1}",
      '{"a":1,}',
      'NaN',
      'undefined',
      '{"a":01}',
      '{"a":"\u0000"',
      '\u0000',
      '[1,2',
      '{"a":1}{"b":2}',
      '{"a":1e999999}',
    ),
    fc
      .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 })
      .map((b) => Uint8Array.from([0xff, 0xfe, ...b])),
    fc.constantFrom(100_000, 300_000).map((n) => `[${Array.from({ length: n }, () => '1').join(',')}]`),
  );
}

function bodyArb(op: OperationInfo, ctx: FuzzContext, mode: 'valid' | 'invalid' | 'fuzzy'): fc.Arbitrary<Body> {
  const schema = op.jsonBody;
  if (!schema) {
    if (op.multipartOnly) {
      // Uploads: never a valid multipart upload here (not needed), but plenty of wrong ones.
      return fc.oneof(
        fc.constant<Body>({}),
        fc.jsonValue({ maxDepth: 2 }).map((v): Body => ({ text: JSON.stringify(v), contentType: JSON_TYPE })),
        fc
          .tuple(
            fc.string({ minLength: 1, maxLength: 20 }),
            fc.string({ unit: 'binary', maxLength: 200 }),
            fc.constantFrom('file', 'other', ''),
          )
          .map(([boundary, content, field]): Body => ({
            text: `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="a.mp4"\r\nContent-Type: video/mp4\r\n\r\n${content}\r\n--${boundary}--\r\n`,
            contentType: `multipart/form-data; boundary=${boundary}`,
          })),
        fc
          .string({ unit: 'binary', maxLength: 200 })
          .map((t): Body => ({ text: t, contentType: 'multipart/form-data' })),
      );
    }
    // No body expected: none, or a stray one (ignored or refused, never a crash).
    if (op.method === 'GET' || mode !== 'fuzzy') return fc.constant<Body>({});
    return fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).map((v): Body => ({ text: JSON.stringify(v), contentType: JSON_TYPE })),
      fc.constantFrom<Body>({ text: '{', contentType: JSON_TYPE }, { text: 'x', contentType: 'text/plain' }),
    );
  }
  const valid = validOf(schema, ctx);
  if (mode === 'valid') return valid.map((v): Body => ({ text: JSON.stringify(v), contentType: JSON_TYPE }));
  if (mode === 'fuzzy') {
    return fc.oneof(
      fc
        .tuple(valid, fc.constantFrom(...ODD_JSON_TYPES))
        .map(([v, t]): Body => ({ text: JSON.stringify(v), contentType: t })),
      valid.map((v): Body => ({ text: `\ufeff${JSON.stringify(v)}`, contentType: JSON_TYPE })),
      valid.map((v): Body => ({ text: ` \n\t${JSON.stringify(v, null, 2)}\n `, contentType: JSON_TYPE })),
      // Scalars where strings are expected, "1" where numbers are: ajv may coerce these.
      fc
        .tuple(
          valid,
          fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('1', '0', 'true', '')),
          fc.nat(),
        )
        .map(([v, odd, i]): Body => {
          if (!isPlainObject(v) || Object.keys(v).length === 0)
            return { text: JSON.stringify(v), contentType: JSON_TYPE };
          const keys = Object.keys(v);
          return { text: JSON.stringify({ ...v, [keys[i % keys.length]!]: odd }), contentType: JSON_TYPE };
        }),
    );
  }
  return fc.oneof(
    {
      weight: 8,
      arbitrary: invalidOf(schema, ctx).map((v): Body => ({ text: JSON.stringify(v), contentType: JSON_TYPE })),
    },
    { weight: 3, arbitrary: rawBadBodies(valid).map((text): Body => ({ text, contentType: JSON_TYPE })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...OTHER_TYPES))
        .map(([v, t]): Body => ({ text: JSON.stringify(v), contentType: t })),
    },
    { weight: 1, arbitrary: fc.constant<Body>({}) }, // required body missing
  );
}

/** Whether the gateway has to refuse this request (see `mayBeValid`). */
export function mustReject(
  op: OperationInfo,
  path: Record<string, Segment>,
  query: [string, string][],
  body: Body,
): boolean {
  for (const p of op.pathParams) {
    const raw = path[p.name]?.raw ?? '';
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      return true;
    }
    if (!mayBeValid(p.schema, value)) return true;
  }
  const byName = new Map<string, string[]>();
  for (const [k, v] of query) byName.set(k, [...(byName.get(k) ?? []), v]);
  for (const [k, values] of byName) {
    const p = op.queryParams.find((x) => x.name === k);
    // Unknown query parameters are refused on every route (the gateway's own rule).
    if (!p || !mayBeValid(p.schema, values.length === 1 ? values[0] : values)) return true;
  }
  if (op.queryParams.some((p) => p.required && !byName.has(p.name))) return true;
  if (op.multipartOnly) return true; // no generated upload is a valid one
  if (!op.jsonBody) return false;
  if (body.text === undefined) return true;
  const type = (body.contentType ?? '').toLowerCase();
  if (!type.startsWith(JSON_TYPE) && !ODD_JSON_TYPES.includes(body.contentType ?? '')) return true;
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      typeof body.text === 'string' ? body.text.replace(/^\ufeff/, '') : new TextDecoder().decode(body.text),
    );
  } catch {
    return true;
  }
  return !mayBeValid(op.jsonBody, parsed);
}

const VALID_KEYS = ['fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3'];
/** Keys the gateway must refuse (fetch itself refuses empty values and DEL, so those are not sent). */
const BAD_KEYS = ['\u00a0', ' ', 'with space', 'ü', 'x'.repeat(256), 'a\tb', 'é'.repeat(10)];

/** Requests for one operation, built valid, invalid (one part broken) or fuzzy (coercible or odd). */
export function requestArb(op: OperationInfo, ctx: FuzzContext): fc.Arbitrary<GeneratedRequest> {
  const build = (mode: 'valid' | 'invalid' | 'fuzzy', part: 'path' | 'query' | 'body' | 'none') =>
    fc
      .record({
        path: pathArb(op, ctx, part === 'path'),
        query: queryArb(op, ctx, part === 'query' ? 'invalid' : mode === 'fuzzy' ? 'fuzzy' : 'valid'),
        body: bodyArb(op, ctx, part === 'body' ? 'invalid' : mode === 'fuzzy' ? 'fuzzy' : 'valid'),
        bearer: fc.constantFrom(...ctx.bearers),
        idempotencyKey: fc.oneof(
          { weight: 4, arbitrary: fc.constant<string | null>(null) },
          { weight: 2, arbitrary: fc.constantFrom(...VALID_KEYS) },
          { weight: 1, arbitrary: fc.constantFrom(...BAD_KEYS) },
        ),
      })
      .map(({ path, query, body, bearer, idempotencyKey }): GeneratedRequest => {
        const url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => path[name]?.raw ?? '');
        const qs = new URLSearchParams(query).toString();
        const headers: Record<string, string> = { authorization: `Bearer ${bearer}` };
        if (body.contentType !== undefined) headers['content-type'] = body.contentType;
        if (idempotencyKey !== null && op.method === 'POST') headers['idempotency-key'] = idempotencyKey;
        const reject = mustReject(op, path, query, body);
        return {
          method: op.method,
          url: qs ? `${url}?${qs}` : url,
          headers,
          ...(body.text !== undefined ? { body: body.text } : {}),
          what: part === 'none' ? `built ${mode}` : `${part} broken`,
          // A bad Idempotency-Key only matters on the routes that honour it: not known from the document.
          label: reject
            ? 'invalid'
            : mode === 'valid' &&
                (headers['idempotency-key'] === undefined || VALID_KEYS.includes(headers['idempotency-key']))
              ? 'valid'
              : 'fuzzy',
        };
      });
  // Which part an invalid request breaks, weighted: bodies have the most to get wrong.
  const breakable: [part: 'path' | 'query' | 'body', weight: number][] = [['query', 4]];
  if (op.pathParams.length) breakable.push(['path', 8]);
  if (op.jsonBody || op.multipartOnly) breakable.push(['body', 12]);
  const invalidWeight = breakable.reduce((n, [, w]) => n + w, 0);
  // About 25 % valid, 65 % invalid, 10 % coercible or odd.
  return fc.oneof(
    { weight: Math.round((invalidWeight * 25) / 65), arbitrary: build('valid', 'none') },
    ...breakable.map(([part, weight]) => ({ weight, arbitrary: build('invalid', part) })),
    { weight: Math.max(1, Math.round((invalidWeight * 10) / 65)), arbitrary: build('fuzzy', 'none') },
  );
}
