/**
 * Who made an object. Internals live in module WeakMaps and ES private fields, so an object from
 * another copy of this package (a second install, a bundle that inlined it) is in none of ours.
 * Every copy also files the objects it makes in one registry shared through a Symbol.for key on
 * globalThis, or, for sessions (made by the thousand: a WeakMap entry each would cost more than
 * the rest of making one), files once a recogniser that knows them by their private field. An
 * object found there but not in this copy's own is another copy's (ForeignObjectError); one found
 * in neither is not a session at all (TypeError). Neither a lookup nor a private-field check runs
 * code of the object's own (a Proxy's traps, a getter), unlike reading a brand property would.
 */
import { ForeignObjectError, IllegalConstructorError } from '../errors.js';
import { describe } from './convert.js';

export type BrandName = 'Session' | 'SessionView' | 'Context' | 'Connection' | 'OpenSSL' | 'Ledger';

const REGISTRY = Symbol.for('openssl-session-wasm.objects');
const apply = Reflect.apply;
const weakGet = WeakMap.prototype.get;
const weakSet = WeakMap.prototype.set;

function sharedRegistry(): WeakMap<object, BrandName> {
  const g = globalThis as unknown as Record<symbol, unknown>;
  const found = Object.getOwnPropertyDescriptor(g, REGISTRY)?.value;
  if (found instanceof WeakMap) return found as WeakMap<object, BrandName>;
  const made = new WeakMap<object, BrandName>();
  Object.defineProperty(g, REGISTRY, { value: made, enumerable: false, writable: false, configurable: false });
  return made;
}
const registry = sharedRegistry();

/** Tells which of a copy's kinds an object is, by a check that runs none of the object's code. */
export type Recogniser = (v: object) => BrandName | undefined;
const RECOGNISERS = Symbol.for('openssl-session-wasm.recognisers');

function sharedRecognisers(): Recogniser[] {
  const g = globalThis as unknown as Record<symbol, unknown>;
  const found = Object.getOwnPropertyDescriptor(g, RECOGNISERS)?.value;
  if (Array.isArray(found)) return found as Recogniser[];
  const made: Recogniser[] = [];
  Object.defineProperty(g, RECOGNISERS, { value: made, enumerable: false, writable: false, configurable: false });
  return made;
}
const recognisers = sharedRecognisers();

/** Files, once per copy, how to recognise a kind of object it makes without a registry entry each. */
export function recognise(r: Recogniser): void {
  recognisers[recognisers.length] = r;
}

const ownValue = (o: object, key: PropertyKey): unknown => Reflect.getOwnPropertyDescriptor(o, key)?.value;

/** What any copy made `v` as, or undefined. */
function kindOf(v: object): BrandName | undefined {
  const filed = apply(weakGet, registry, [v]) as BrandName | undefined;
  if (filed !== undefined) return filed;
  // Read through descriptors: an accessor someone defined on the shared list is never called.
  const n = ownValue(recognisers, 'length');
  for (let i = 0; typeof n === 'number' && i < n; i++) {
    const r = ownValue(recognisers, i);
    if (typeof r !== 'function') continue;
    try {
      const kind = apply(r, undefined, [v]) as BrandName | undefined;
      if (kind !== undefined) return kind;
    } catch {
      // a recogniser that fails knows nothing
    }
  }
  return undefined;
}

/** Files an object this copy made under its kind, for every copy to recognise. */
export function brand(object: object, name: BrandName): void {
  apply(weakSet, registry, [object, name]);
}

/**
 * The refusal for a value that is none of this copy's objects of the `kinds` expected:
 * ForeignObjectError when another copy of the package made one of those, a TypeError otherwise
 * (a value of another kind, from any copy, included). Only called once this copy's own maps
 * did not know the value as one of `kinds`.
 */
export function notOurs(v: unknown, op: string, expected: string, kinds: readonly BrandName[]): Error {
  const theirs = v !== null && typeof v === 'object' ? kindOf(v) : undefined;
  if (theirs !== undefined && !kinds.includes(theirs)) return new TypeError(`${op}: expected ${expected}, got a ${theirs}`);
  if (theirs !== undefined) {
    return new ForeignObjectError(
      `${op}: this ${theirs} was made by another copy of openssl-session-wasm (another install or bundle, with its own instances); objects never cross copies or instances`,
      '?',
    );
  }
  return new TypeError(
    `${op}: expected ${expected}, got ${typeof v === 'number' ? `the number ${v} (raw pointers are not accepted)` : describe(v)}`,
  );
}

/** Guards an exported class's constructor: instances come only from the package's own functions. */
export const CONSTRUCT = Symbol('construct');

export function refuseConstruction(token: unknown, name: string, how: string): void {
  if (token !== CONSTRUCT) throw new IllegalConstructorError(`${name} cannot be constructed directly: ${how}`);
}
