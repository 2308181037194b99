/**
 * The idiomatic session classes. A `Session` is a handle: it stands for exactly one reference the
 * JS side owns; `upRef()` returns a new handle and `free()` releases this one. A `SessionView` is
 * borrowed (what get0-style functions return): it has no free(), expires with what it was borrowed
 * from, and becomes a handle only by taking a reference (`view.upRef()`).
 */
import type { SessionPtr } from '../binding/abi.js';
import type { Binding } from '../binding/binding.js';
import { InvalidArgumentError, OpenSSLError } from '../errors.js';
import type { HoldersReport, Ownership } from '../ledger/ledger.js';
import { type Cipher, cipherOf, fields } from './fields.js';
import { BORROW, type Borrow, OWNERSHIP, RUNTIME, type Runtime, type SessionInternals } from './runtime.js';

/** What the published types name where a consumer's lib has no `Symbol.dispose` (neither esnext.disposable nor @types/node). */
declare const disposeStandIn: unique symbol;
/** `typeof Symbol.dispose` when the consumer's lib declares it (so `using` type-checks), else a unique symbol. */
export type DisposeSymbol = SymbolConstructor extends { readonly dispose: infer D extends symbol } ? D : typeof disposeStandIn;
/** `Symbol.dispose`, or its registered stand-in where the runtime lacks it (so `using` works). */
export const disposeSymbol: DisposeSymbol = ((Symbol as { dispose?: symbol }).dispose ?? Symbol.for('Symbol.dispose')) as DisposeSymbol;

/** What both handles and views can read. */
abstract class SessionReader implements SessionInternals {
  /** @internal */
  readonly [RUNTIME]: Runtime;
  /** @internal */
  readonly [OWNERSHIP]: Ownership;
  /** @internal */
  readonly [BORROW]: Borrow | null;

  /** @internal */
  constructor(rt: Runtime, own: Ownership, borrow: Borrow | null) {
    this[RUNTIME] = rt;
    this[OWNERSHIP] = own;
    this[BORROW] = borrow;
  }

  /** @internal Runs `read` on the pointer once this object is checked usable. */
  protected read<T>(op: string, read: (p: SessionPtr) => T): T {
    const rt = this[RUNTIME];
    return rt.guard(() => {
      const p = rt.usable(this, op);
      try {
        return read(p);
      } finally {
        rt.b.clearErrors();
      }
    });
  }

  /** The ledger's stable id of this session ("S3"); the same for every handle and view of it. */
  get sessionId(): string {
    return this[OWNERSHIP].record.id;
  }
  /** This object's id in the ledger ("H4"), as `holders()` lists it. */
  get handleId(): string {
    return this[OWNERSHIP].id;
  }
  /** References the JS side holds through this object (a handle: 1 unless SSL_SESSION_up_ref added more; a view: 0 unless it took some). */
  get references(): number {
    return this[OWNERSHIP].held;
  }
  /** False once every reference held through this object is released (handles) or the borrow expired (views). */
  get alive(): boolean {
    const own = this[OWNERSHIP];
    if (!own.record.alive) return false;
    if (own.held > 0) return true;
    return this[BORROW] !== null && !own.owned && this[BORROW].expired() === null;
  }
  get id(): Uint8Array {
    return this.read('Session.id', (p) => fields.id(this[RUNTIME].b, p));
  }
  get idContext(): Uint8Array {
    return this.read('Session.idContext', (p) => fields.idContext(this[RUNTIME].b, p));
  }
  /** Creation time, seconds since the epoch. */
  get time(): number {
    return this.read('Session.time', (p) => fields.time(this[RUNTIME].b, p));
  }
  /** Lifetime in seconds. */
  get timeout(): number {
    return this.read('Session.timeout', (p) => fields.timeout(this[RUNTIME].b, p));
  }
  /** OpenSSL's protocol number: 0x0304 TLS 1.3, 0x0303 TLS 1.2. */
  get protocolVersion(): number {
    return this.read('Session.protocolVersion', (p) => fields.protocolVersion(this[RUNTIME].b, p));
  }
  get cipher(): Cipher | null {
    return this.read('Session.cipher', (p) => cipherOf(this[RUNTIME].b, p));
  }
  /** The SNI hostname the session was made for. */
  get hostname(): string | null {
    return this.read('Session.hostname', (p) => fields.hostname(this[RUNTIME].b, p));
  }
  get alpnSelected(): Uint8Array {
    return this.read('Session.alpnSelected', (p) => fields.alpnSelected(this[RUNTIME].b, p));
  }
  /** The master secret. A secret: returned only on this explicit call, never logged. */
  get masterKey(): Uint8Array {
    return this.read('Session.masterKey', (p) => fields.masterKey(this[RUNTIME].b, p));
  }
  get isResumable(): boolean {
    return this.read('Session.isResumable', (p) => fields.isResumable(this[RUNTIME].b, p));
  }
  get hasTicket(): boolean {
    return this.read('Session.hasTicket', (p) => fields.hasTicket(this[RUNTIME].b, p));
  }
  get ticket(): Uint8Array {
    return this.read('Session.ticket', (p) => fields.ticket(this[RUNTIME].b, p));
  }
  /** Seconds. */
  get ticketLifetimeHint(): number {
    return this.read('Session.ticketLifetimeHint', (p) => fields.ticketLifetimeHint(this[RUNTIME].b, p));
  }
  get maxEarlyData(): number {
    return this.read('Session.maxEarlyData', (p) => fields.maxEarlyData(this[RUNTIME].b, p));
  }
  get ticketAppData(): Uint8Array {
    return this.read('Session.ticketAppData', (p) => fields.ticketAppData(this[RUNTIME].b, p));
  }
  /** The peer's certificate as DER, or null. */
  get peerCertificate(): Uint8Array | null {
    return this.read('Session.peerCertificate', (p) => fields.peerCertificate(this[RUNTIME].b, p));
  }
  /** DER encoding (i2d_SSL_SESSION). Contains the master secret: treat as a secret. */
  toDER(): Uint8Array {
    return this.read('Session.toDER', (p) => {
      const der = fields.toDER(this[RUNTIME].b, p);
      if (!der) throw encodingError(this[RUNTIME].b, p, 'i2d_SSL_SESSION');
      return der;
    });
  }
  /** PEM text (PEM_write_SSL_SESSION). Contains the master secret: treat as a secret. */
  toPEM(): string {
    return this.read('Session.toPEM', (p) => {
      const pem = fields.toPEM(this[RUNTIME].b, p);
      if (pem === null) throw encodingError(this[RUNTIME].b, p, 'PEM_write_SSL_SESSION');
      return pem;
    });
  }
  /** SSL_SESSION_print's text (no secrets beyond what it prints: the master key is included by OpenSSL). */
  print(): string {
    return this.read('Session.print', (p) => fields.print(this[RUNTIME].b, p) ?? '');
  }
  /** Who holds references to this session right now. */
  holders(): HoldersReport {
    return this[RUNTIME].ledger.holdersOf(this[OWNERSHIP].record);
  }
  /** A new handle holding one more reference (SSL_SESSION_up_ref). */
  upRef(): Session {
    return this.read('Session.upRef', () => {
      const rt = this[RUNTIME];
      return rt.ledger.run('Session.upRef', undefined, () => rt.newReference(this[OWNERSHIP].record, 'Session.upRef')) as Session;
    });
  }
  /** A deep copy that belongs to no cache, in a new handle (SSL_SESSION_dup). */
  dup(): Session {
    return this.read('Session.dup', (p) => {
      const rt = this[RUNTIME];
      return rt.ledger.run('Session.dup', undefined, () => {
        const copy = rt.b.x.SSL_SESSION_dup(p);
        if (copy === 0) throw rt.b.error('SSL_SESSION_dup');
        return rt.adopt<Session>(copy, 'dup', 'Session.dup', 0);
      });
    });
  }
}

/** A handle: one reference the JS side owns. Release it with free() or `using`. */
export class Session extends SessionReader {
  /** Releases this handle's reference (SSL_SESSION_free). A second call throws DoubleFreeError. */
  free(): void {
    const rt = this[RUNTIME];
    rt.guard(() => rt.ledger.run('Session.free', `handle ${this[OWNERSHIP].id}`, () => rt.release(this, 'Session.free')));
  }
  /**
   * `using s = ...` releases, at the end of the scope, every reference held through this handle
   * (one, unless SSL_SESSION_up_ref added more to it); a no-op when already freed.
   */
  [disposeSymbol](): void {
    while (this[OWNERSHIP].held > 0) this.free();
  }

  private write(op: string, write: (p: SessionPtr) => number): void {
    this.read(op, (p) => {
      if (write(p) !== 1) throw new OpenSSLError(op, this[RUNTIME].b.drainErrors());
    });
  }
  override get id(): Uint8Array {
    return super.id;
  }
  override set id(v: Uint8Array) {
    this.write('SSL_SESSION_set1_id', (p) => fields.setId(this[RUNTIME].b, p, bytesArgument(v, 'Session.id')));
  }
  override get idContext(): Uint8Array {
    return super.idContext;
  }
  override set idContext(v: Uint8Array) {
    this.write('SSL_SESSION_set1_id_context', (p) => fields.setIdContext(this[RUNTIME].b, p, bytesArgument(v, 'Session.idContext')));
  }
  override get time(): number {
    return super.time;
  }
  override set time(v: number) {
    this.write('SSL_SESSION_set_time_ex', (p) => fields.setTime(this[RUNTIME].b, p, v));
  }
  override get timeout(): number {
    return super.timeout;
  }
  override set timeout(v: number) {
    this.write('SSL_SESSION_set_timeout', (p) => fields.setTimeout(this[RUNTIME].b, p, v));
  }
  override get protocolVersion(): number {
    return super.protocolVersion;
  }
  override set protocolVersion(v: number) {
    this.write('SSL_SESSION_set_protocol_version', (p) => fields.setProtocolVersion(this[RUNTIME].b, p, v));
  }
  override get hostname(): string | null {
    return super.hostname;
  }
  override set hostname(v: string | null) {
    this.write('SSL_SESSION_set1_hostname', (p) => fields.setHostname(this[RUNTIME].b, p, v));
  }
  override get alpnSelected(): Uint8Array {
    return super.alpnSelected;
  }
  override set alpnSelected(v: Uint8Array) {
    this.write('SSL_SESSION_set1_alpn_selected', (p) =>
      fields.setAlpnSelected(this[RUNTIME].b, p, bytesArgument(v, 'Session.alpnSelected')),
    );
  }
  override get masterKey(): Uint8Array {
    return super.masterKey;
  }
  override set masterKey(v: Uint8Array) {
    this.write('SSL_SESSION_set1_master_key', (p) => fields.setMasterKey(this[RUNTIME].b, p, bytesArgument(v, 'Session.masterKey')));
  }
  override get maxEarlyData(): number {
    return super.maxEarlyData;
  }
  override set maxEarlyData(v: number) {
    this.write('SSL_SESSION_set_max_early_data', (p) => fields.setMaxEarlyData(this[RUNTIME].b, p, v));
  }
  override get ticketAppData(): Uint8Array {
    return super.ticketAppData;
  }
  override set ticketAppData(v: Uint8Array) {
    this.write('SSL_SESSION_set1_ticket_appdata', (p) =>
      fields.setTicketAppData(this[RUNTIME].b, p, bytesArgument(v, 'Session.ticketAppData')),
    );
  }
}

/**
 * A borrowed view (SSL_get_session / get0): no free() in its type. It expires when the connection
 * or cache it was borrowed from changes or goes away; take a reference with upRef() to keep it.
 */
export class SessionView extends SessionReader {
  /** Where this view was borrowed from. */
  get borrowedFrom(): string {
    return this[BORROW]?.label ?? 'OpenSSL';
  }
}

/**
 * Refuses a non-Uint8Array before it is copied into the heap, where a string or an ArrayBuffer would
 * silently become zeros or nothing (the OpenSSL-shaped layer checks the same in openssl.ts).
 */
/** The one check of a bytes argument, for both public layers: refused before reaching C. */
export function bytesArgument(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new InvalidArgumentError(`${what}: expected a Uint8Array, got ${typeof v}`);
  return v;
}

export function installSessionFactories(rt: Runtime): void {
  rt.makeHandle = (r, own, borrow) => new Session(r, own, borrow);
  rt.makeView = (r, own, borrow) => new SessionView(r, own, borrow);
}

/** OpenSSL's encoder writes the cipher id unconditionally: a session without one is refused with no queued reason. */
function encodingError(b: Binding, p: SessionPtr, operation: string): OpenSSLError {
  const noCipher = b.x.SSL_SESSION_get0_cipher(p) === 0;
  return b.error(
    operation,
    noCipher ? 'OpenSSL refuses to encode a session without a cipher: encode a session from a handshake or a decoder' : undefined,
  );
}
