// One world: one OpenSSL instance with a client context and two servers, the connections made in it,
// and the variables the reader has named (handles and views). Every action writes the C it stands
// for into `program`; snapshot() turns the ledger's answers into plain data for the page.
import {
  type Connection,
  type Context,
  type GeneratedCertificate,
  type HoldersReport,
  type InMemoryPair,
  type LedgerEvent,
  type LedgerStats,
  loadOpenSSL,
  type OpenSSL,
  SESS_CACHE,
  type Session,
  type SessionView,
} from 'openssl-session-wasm';

export const HOSTNAME = 'server.test';

/** Both connections live in this page: their bytes move between memory BIOs until both are done. */
const HANDSHAKE_NOTE = 'repeated while bytes move between the two memory BIOs';

type SessionLike = Session | SessionView;

/** A name the reader's program has for a session: a handle (owns references) or a view (borrows). */
export interface Variable {
  /** "s1" (handle) or "v1" (view): the C variable in `program`. */
  name: string;
  kind: 'handle' | 'view';
  obj: SessionLike;
  /** The ledger's session id ("S3"). */
  session: string;
  /** The ledger's id of the references held through this variable ("H4"), once it holds any. */
  handleId: string | null;
  /** How it was obtained: "SSL_SESSION_new()", "SSL_get_session(c1)", "new_session_cb(c1)". */
  origin: string;
}

export interface ContextInfo {
  ctx: Context;
  /** "X1" */
  id: string;
  /** "x1": its C variable */
  c: string;
  label: string;
}

export interface ConnectionInfo {
  conn: Connection;
  id: string;
  c: string;
  context: ContextInfo;
  peer: string | null;
  /** Read when the handshake completed (a freed connection can no longer be asked). */
  protocol: string | null;
  cipher: string | null;
  reused: boolean | null;
  /** The server a pending connection (made by SSL_set_session) will meet. */
  server: ContextInfo | null;
  /** Why an offered session gave a full handshake instead of a resumption (null: none offered, or resumed). */
  fallback?: string | null;
}

export interface CLine {
  text: string;
  /** Set when the call was refused: the error's name. */
  error?: string;
  comment?: string;
}

export interface SessionDetails {
  idHex: string;
  protocol: number;
  cipher: string | null;
  ticket: boolean;
  time: number;
  timeout: number;
  resumable: boolean;
}

export interface HolderEdge {
  kind: 'handle' | 'connection' | 'cache';
  /** The node it starts from: a variable name, a handle id, "C1", "X3". */
  node: string;
  label: string;
  references: number;
}

export interface SessionNode {
  id: string;
  /** OpenSSL's own count (the session's `references` field). */
  references: number;
  /** The part of it held through JS handles. */
  handleReferences: number;
  holders: HolderEdge[];
  unattributed: number;
  details: SessionDetails | null;
  /** True for a session freed by the last action (drawn once more, crossed out). */
  freed: boolean;
}

export interface VariableState {
  name: string;
  kind: 'handle' | 'view';
  session: string;
  origin: string;
  handleId: string | null;
  references: number;
  /** owns: holds references; borrowed: a valid view; expired: a view whose source changed or went; freed: all released. */
  state: 'owns' | 'borrowed' | 'expired' | 'freed';
}

export interface ConnectionState {
  id: string;
  c: string;
  role: 'client' | 'server';
  context: string;
  peer: string | null;
  state: 'pending' | 'connected' | 'freed';
  protocol: string | null;
  cipher: string | null;
  reused: boolean | null;
  session: string | null;
}

export interface CacheState {
  id: string;
  c: string;
  label: string;
  sessions: number;
}

export interface Snapshot {
  sessions: SessionNode[];
  variables: VariableState[];
  connections: ConnectionState[];
  caches: CacheState[];
  events: LedgerEvent[];
  stats: LedgerStats;
}

export class World {
  readonly variables: Variable[] = [];
  readonly connections: ConnectionInfo[] = [];
  readonly program: CLine[] = [];
  /** Sessions reported garbage-collected while a handle still held a reference. */
  readonly leaks: string[];
  readonly client: ContextInfo;
  readonly tls13: ContextInfo;
  readonly tls12: ContextInfo;
  readonly contexts: ContextInfo[];
  /** Any object ever seen for a session: holders() answers through it even once it expired. */
  private readonly probes = new Map<string, SessionLike>();
  private readonly details = new Map<string, SessionDetails>();
  private readonly boundHandles = new Set<string>();
  private counters = { s: 0, v: 0 };
  /** Set while a handshake runs, so the new-session callback knows which program line it belongs to. */
  private callbackNotes: CLine[] | null = null;

  static async create(cert?: GeneratedCertificate): Promise<World> {
    const leaks: string[] = [];
    // Leaks are shown on the page, not logged: an abandoned world's handles are collected later.
    const ossl = await loadOpenSSL({ onLeak: (id) => leaks.push(id) });
    return new World(ossl, cert ?? ossl.generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' }), leaks);
  }

  private constructor(
    readonly ossl: OpenSSL,
    readonly cert: GeneratedCertificate,
    leaks: string[],
  ) {
    this.leaks = leaks;
    const info = (ctx: Context, label: string): ContextInfo => ({ ctx, id: ctx.id, c: ctx.id.toLowerCase(), label });
    // The client keeps every session OpenSSL establishes, the way SSL_get_session(3) recommends:
    // from the new-session callback (CLIENT mode calls it; NO_INTERNAL_STORE keeps its cache empty
    // until you add to it yourself).
    const client = ossl.createContext({
      role: 'client',
      ca: cert.certificate,
      sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL_STORE,
    });
    client.onNewSession((s, c) => this.keepNewSession(s, c));
    this.client = info(client, 'client');
    const server = { role: 'server', certificate: cert.certificate, privateKey: cert.privateKey } as const;
    this.tls13 = info(ossl.createContext({ ...server, minVersion: 'TLSv1.3', numTickets: 1 }), 'server TLS 1.3, tickets');
    this.tls12 = info(ossl.createContext({ ...server, maxVersion: 'TLSv1.2', tickets: false }), 'server TLS 1.2, session IDs');
    this.contexts = [this.client, this.tls13, this.tls12];
  }

  // ---- the program ---------------------------------------------------------------------------------

  /** Writes `text` into the program and runs `fn`; a throw marks the line with the error's name. */
  private exec<T>(text: string, fn: () => T, comment?: (result: T) => string | undefined): T {
    const line: CLine = { text };
    this.program.push(line);
    try {
      const result = fn();
      const c = comment?.(result);
      if (c) line.comment = c;
      return result;
    } catch (error) {
      line.error = error instanceof Error ? error.name : 'Error';
      throw error;
    }
  }

  note(comment: string): void {
    this.program.push({ text: '', comment });
  }

  /** The name a new variable gets: the program's own, or the next free s<n> / v<n>. */
  private nameFor(kind: 'handle' | 'view', wanted?: string): string {
    if (wanted !== undefined) {
      if (this.find(wanted) || this.connections.some((c) => c.c === wanted) || this.contexts.some((x) => x.c === wanted)) {
        throw new Error(`the name ${wanted} is taken already: pick another`);
      }
      return wanted;
    }
    const prefix = kind === 'handle' ? 's' : 'v';
    let n = kind === 'handle' ? this.counters.s : this.counters.v;
    while (this.find(`${prefix}${n + 1}`)) n++;
    return `${prefix}${n + 1}`;
  }

  private variable(obj: SessionLike, kind: 'handle' | 'view', origin: string, wanted?: string): Variable {
    const name = this.nameFor(kind, wanted);
    if (wanted === undefined) {
      if (kind === 'handle') this.counters.s = Number(name.slice(1));
      else this.counters.v = Number(name.slice(1));
    }
    const v: Variable = { name, kind, obj, session: obj.sessionId, handleId: null, origin };
    this.variables.push(v);
    if (!this.probes.has(v.session)) this.probes.set(v.session, obj);
    return v;
  }

  find(name: string): Variable | undefined {
    return this.variables.find((v) => v.name === name);
  }

  connection(id: string): ConnectionInfo | undefined {
    return this.connections.find((c) => c.id === id);
  }

  context(id: string): ContextInfo | undefined {
    return this.contexts.find((c) => c.id === id);
  }

  // ---- SSL_SESSION_new(3) and friends ---------------------------------------------------------------

  newSession(wanted?: string): Variable {
    const name = this.nameFor('handle', wanted);
    return this.exec(`SSL_SESSION *${name} = SSL_SESSION_new();`, () =>
      this.variable(this.ossl.SSL_SESSION_new(), 'handle', 'SSL_SESSION_new()', wanted),
    );
  }

  dup(src: Variable, wanted?: string): Variable {
    const name = this.nameFor('handle', wanted);
    return this.exec(`SSL_SESSION *${name} = SSL_SESSION_dup(${src.name});`, () =>
      this.variable(this.ossl.SSL_SESSION_dup(src.obj), 'handle', `SSL_SESSION_dup(${src.name})`, wanted),
    );
  }

  upRef(v: Variable): void {
    const before = this.handleIds(v.session);
    this.exec(
      `SSL_SESSION_up_ref(${v.name});`,
      () => this.ossl.SSL_SESSION_up_ref(v.obj),
      (r) => `returns ${r}`,
    );
    // A view that takes a reference becomes an owner: the one handle id that just appeared is its.
    if (v.handleId === null)
      this.bind(
        v,
        [...this.handleIds(v.session)].find((id) => !before.has(id)),
      );
  }

  private handleIds(session: string): Set<string> {
    const report = this.holdersOf(session);
    return new Set((report?.holders ?? []).filter((h) => h.kind === 'handle').map((h) => h.id));
  }

  private bind(v: Variable, id: string | undefined): void {
    if (id === undefined || this.boundHandles.has(id)) return;
    v.handleId = id;
    this.boundHandles.add(id);
  }

  free(v: Variable): void {
    this.exec(`SSL_SESSION_free(${v.name});`, () => this.ossl.SSL_SESSION_free(v.obj));
  }

  /** A read through a variable (what a use after free looks like). */
  readTime(v: Variable): number {
    return this.exec(`long t = SSL_SESSION_get_time(${v.name});`, () => this.ossl.SSL_SESSION_get_time(v.obj));
  }

  getSession(ci: ConnectionInfo, wanted?: string): Variable | null {
    const name = this.nameFor('view', wanted);
    return this.exec(
      `SSL_SESSION *${name} = SSL_get_session(${ci.c});`,
      () => {
        const view = this.ossl.SSL_get_session(ci.conn);
        return view ? this.variable(view, 'view', `SSL_get_session(${ci.c})`, wanted) : null;
      },
      (v) => (v ? 'borrowed: no reference taken' : 'NULL: no session'),
    );
  }

  get1Session(ci: ConnectionInfo, wanted?: string): Variable | null {
    const name = this.nameFor('handle', wanted);
    return this.exec(
      `SSL_SESSION *${name} = SSL_get1_session(${ci.c});`,
      () => {
        const handle = this.ossl.SSL_get1_session(ci.conn);
        return handle ? this.variable(handle, 'handle', `SSL_get1_session(${ci.c})`, wanted) : null;
      },
      (v) => (v ? 'one more reference, yours to free' : 'NULL: no session'),
    );
  }

  // ---- contexts' caches ---------------------------------------------------------------------------

  cacheAdd(ctx: ContextInfo, v: Variable): void {
    this.exec(
      `SSL_CTX_add_session(${ctx.c}, ${v.name});`,
      () => this.ossl.SSL_CTX_add_session(ctx.ctx, v.obj),
      (r) => (r === 1 ? 'returns 1: the cache took a reference' : 'returns 0: already in this cache'),
    );
  }

  cacheRemove(ctx: ContextInfo, v: Variable): void {
    this.exec(
      `SSL_CTX_remove_session(${ctx.c}, ${v.name});`,
      () => this.ossl.SSL_CTX_remove_session(ctx.ctx, v.obj),
      (r) => {
        if (r === 1) return 'returns 1: the cache dropped its reference';
        // OpenSSL finds the entry to remove by session ID; a session without one is never removed.
        return this.ossl.SSL_SESSION_get_id(v.obj).length === 0
          ? 'returns 0: the cache looks sessions up by ID and this one has none, so it stays until a flush'
          : 'returns 0: it was not in this cache';
      },
    );
  }

  /** SSL_CTX_flush_sessions at now, or `ahead` seconds later (as if that much time had passed). */
  flush(ctx: ContextInfo, ahead = 0): void {
    const text = ahead === 0 ? `SSL_CTX_flush_sessions(${ctx.c}, time(NULL));` : `SSL_CTX_flush_sessions(${ctx.c}, time(NULL) + ${ahead});`;
    const before = ctx.ctx.sessionCount;
    this.exec(
      text,
      () => this.ossl.SSL_CTX_flush_sessions(ctx.ctx, Math.floor(Date.now() / 1000) + ahead),
      () => `removed ${before - ctx.ctx.sessionCount} expired session(s)`,
    );
  }

  // ---- connections ----------------------------------------------------------------------------------

  private addConnection(conn: Connection, context: ContextInfo, peer: string | null, server: ContextInfo | null = null): ConnectionInfo {
    const ci: ConnectionInfo = {
      conn,
      id: conn.id,
      c: conn.id.toLowerCase(),
      context,
      peer,
      protocol: null,
      cipher: null,
      reused: null,
      server,
    };
    this.connections.push(ci);
    return ci;
  }

  private completed(ci: ConnectionInfo, peer: ConnectionInfo): void {
    ci.peer = peer.id;
    ci.protocol = ci.conn.protocol;
    ci.cipher = ci.conn.cipher?.name ?? null;
    ci.reused = ci.conn.sessionReused;
  }

  /** The server whose protocol a session was made with (a session of neither: the TLS 1.3 server). */
  serverFor(v: Variable | null): ContextInfo {
    if (!v) return this.tls13;
    try {
      return this.ossl.SSL_SESSION_get_protocol_version(v.obj) === 0x0303 ? this.tls12 : this.tls13;
    } catch {
      return this.tls13;
    }
  }

  /** What the page can read of a session before offering it: enough to say why a resumption failed. */
  private offerFacts(v: Variable, server: ContextInfo) {
    const o = this.ossl;
    try {
      return {
        resumable: o.SSL_SESSION_is_resumable(v.obj) === 1,
        protocol: o.SSL_SESSION_get_protocol_version(v.obj),
        idLength: o.SSL_SESSION_get_id(v.obj).length,
        ticket: o.SSL_SESSION_has_ticket(v.obj) === 1,
        expires: o.SSL_SESSION_get_time(v.obj) + o.SSL_SESSION_get_timeout(v.obj),
        cached: server.ctx.sessionCount,
      };
    } catch {
      return null;
    }
  }

  /** Why an offered session gave a full handshake, from its fields as they were before the offer. */
  private fallbackReason(v: Variable, server: ContextInfo, f: NonNullable<ReturnType<World['offerFacts']>>): string {
    const tls13 = f.protocol === 0x0304;
    if (!f.resumable)
      return `${v.name} was not resumable: OpenSSL had marked it (a TLS 1.3 ticket is good for one resumption, and a connection freed without SSL_shutdown marks its session too)`;
    if (tls13 && server === this.tls12) return `${v.name} is a TLS 1.3 session and ${server.c} speaks only TLS 1.2`;
    if (!tls13 && server === this.tls13) return `${v.name} is a TLS 1.2 session and ${server.c} speaks only TLS 1.3`;
    if (f.expires <= Date.now() / 1000) return `${v.name} had expired (its time plus its timeout is in the past)`;
    if (f.idLength === 0 && !f.ticket) return `${v.name} has neither a session ID nor a ticket: there is nothing the server could look up`;
    if (!f.ticket)
      return `${server.c}'s cache no longer holds ${v.name}'s session ID (flushed, removed or evicted), so the server cannot find it`;
    return `${server.c} did not accept ${v.name}'s ticket`;
  }

  /** A full handshake in memory (or a resumption, given a session to offer). */
  handshake(server: ContextInfo, session: Variable | null = null): [ConnectionInfo, ConnectionInfo] {
    // Only a live session is read: reading a freed one would be a refused call the page made.
    const facts = session?.obj.alive ? this.offerFacts(session, server) : null;
    const notes: CLine[] = [];
    let pair: InMemoryPair;
    this.callbackNotes = notes;
    try {
      pair = this.ossl.connectInMemory(this.client.ctx, server.ctx, {
        hostname: HOSTNAME,
        ...(session ? { session: session.obj } : {}),
      });
      pair.pump(); // a TLS 1.3 client reads its tickets after the handshake
    } catch (error) {
      this.program.push({ text: 'SSL_connect(ssl);  SSL_accept(ssl);', error: error instanceof Error ? error.name : 'Error' });
      throw error;
    } finally {
      this.callbackNotes = null;
    }
    const client = this.addConnection(pair.client, this.client, null);
    const srv = this.addConnection(pair.server, server, null);
    this.completed(client, srv);
    this.completed(srv, client);
    this.program.push({ text: `SSL *${client.c} = SSL_new(${this.client.c});  SSL *${srv.c} = SSL_new(${server.c});` });
    this.program.push({ text: `SSL_set_tlsext_host_name(${client.c}, "${HOSTNAME}");` });
    if (session)
      this.program.push({
        text: `SSL_set_session(${client.c}, ${session.name});`,
        comment: 'the connection takes its own reference',
      });
    const fallback = session && facts && client.reused === false ? this.fallbackReason(session, server, facts) : null;
    client.fallback = fallback;
    this.program.push({
      text: `SSL_connect(${client.c});  SSL_accept(${srv.c});`,
      comment:
        `${HANDSHAKE_NOTE}: ${client.protocol}, ${client.cipher}, resumed: ${yes(client.reused)} / ${yes(srv.reused)}` +
        (fallback ? `; a full handshake because ${fallback}` : ''),
    });
    this.program.push(...notes);
    return [client, srv];
  }

  /** SSL_new + SSL_set_session: a client connection holding a session, not connected yet. */
  setSession(v: Variable): ConnectionInfo {
    const conn = this.client.ctx.newConnection({ hostname: HOSTNAME });
    const ci = this.addConnection(conn, this.client, null, this.serverFor(v));
    this.program.push({ text: `SSL *${ci.c} = SSL_new(${this.client.c});  SSL_set_tlsext_host_name(${ci.c}, "${HOSTNAME}");` });
    try {
      this.exec(
        `SSL_set_session(${ci.c}, ${v.name});`,
        () => {
          if (this.ossl.SSL_set_session(conn, v.obj) !== 1) throw this.ossl.lastError ?? new Error('SSL_set_session failed');
        },
        () => 'the connection takes its own reference',
      );
    } catch (error) {
      this.exec(`SSL_free(${ci.c});`, () => conn.free({ abort: true }));
      throw error;
    }
    return ci;
  }

  /** Completes the handshake of a pending connection (made by setSession) against its server. */
  connectPending(ci: ConnectionInfo): ConnectionInfo {
    const server = ci.server ?? this.tls13;
    const sconn = server.ctx.newConnection();
    const sci = this.addConnection(sconn, server, ci.id);
    this.program.push({ text: `SSL *${sci.c} = SSL_new(${server.c});` });
    const notes: CLine[] = [];
    this.callbackNotes = notes;
    try {
      this.exec(`SSL_connect(${ci.c});  SSL_accept(${sci.c});`, () => handshakeInMemory(ci.conn, sconn));
    } finally {
      this.callbackNotes = null;
    }
    this.completed(ci, sci);
    this.completed(sci, ci);
    ci.server = null;
    this.program[this.program.length - 1].comment = `${HANDSHAKE_NOTE}: ${ci.protocol}, resumed: ${yes(ci.reused)} / ${yes(sci.reused)}`;
    this.program.push(...notes);
    return sci;
  }

  freeConnection(ci: ConnectionInfo): void {
    const text = ci.conn.isHandshakeDone ? `SSL_shutdown(${ci.c});  SSL_free(${ci.c});` : `SSL_free(${ci.c});`;
    this.exec(
      text,
      () => ci.conn.free(),
      () => 'the connection drops its reference',
    );
  }

  pendingConnections(): ConnectionInfo[] {
    return this.connections.filter((c) => !c.conn.isFreed && c.server !== null && !c.conn.isHandshakeDone);
  }

  liveClientConnection(): ConnectionInfo | null {
    for (let i = this.connections.length - 1; i >= 0; i--) {
      const c = this.connections[i];
      if (c.context === this.client && !c.conn.isFreed && c.conn.isHandshakeDone) return c;
    }
    return null;
  }

  /** OpenSSL's new-session callback: keep the reference it hands over (return 1), as s<n>. */
  private keepNewSession(s: Session, c: Connection): boolean {
    const v = this.variable(s, 'handle', `new_session_cb(${c.id.toLowerCase()})`);
    const note: CLine = {
      text: '',
      comment: `new_session_cb(${c.id.toLowerCase()}, sess) returns 1: the reference is kept as ${v.name}`,
    };
    if (this.callbackNotes) this.callbackNotes.push(note);
    else this.program.push(note);
    return true;
  }

  // ---- reading the ledger -------------------------------------------------------------------------

  /**
   * Brings names up to date after an action: which ledger handle id each variable holds its
   * references through, and what each session's fields are (while something can still read them).
   */
  settle(): void {
    for (const ci of this.connections) {
      if (ci.conn.isFreed) continue;
      try {
        const view = ci.conn.getSession();
        if (view) {
          if (!this.probes.has(view.sessionId)) this.probes.set(view.sessionId, view);
          this.readDetails(view);
        }
      } catch {
        // a failed connection has nothing to show
      }
    }
    for (const v of this.variables) {
      if (v.obj.alive) this.readDetails(v.obj);
      // A handle owns from birth: the one handle id of its session no variable has claimed is its.
      // (Views are bound when they take a reference, in upRef: alive alone cannot tell them apart.)
      if (v.kind === 'handle' && v.handleId === null) {
        this.bind(
          v,
          [...this.handleIds(v.session)].find((id) => !this.boundHandles.has(id)),
        );
      }
    }
  }

  private readDetails(s: SessionLike): void {
    try {
      const cipher = s.cipher;
      this.details.set(s.sessionId, {
        idHex: hex(s.id),
        protocol: s.protocolVersion,
        cipher: cipher ? cipher.name : null,
        ticket: s.hasTicket,
        time: s.time,
        timeout: s.timeout,
        resumable: s.isResumable,
      });
    } catch {
      // not readable any more: keep what was read last
    }
  }

  holdersOf(session: string): HoldersReport | null {
    const probe = this.probes.get(session);
    return probe ? this.ossl.ledger.holders(probe) : null;
  }

  /** How many references variable `v` holds now. */
  referencesOf(v: Variable): number {
    if (v.handleId === null) return 0;
    const report = this.holdersOf(v.session);
    return report?.holders.find((h) => h.kind === 'handle' && h.id === v.handleId)?.references ?? 0;
  }

  snapshot(): Snapshot {
    const ledger = this.ossl.ledger;
    const byHandle = new Map<string, Variable>();
    for (const v of this.variables) if (v.handleId) byHandle.set(v.handleId, v);
    const sessions: SessionNode[] = ledger
      .live()
      .sort((a, b) => Number(a.session.slice(1)) - Number(b.session.slice(1)))
      .map((live) => {
        const report = this.holdersOf(live.session);
        const holders: HolderEdge[] = (report?.holders ?? []).map((h) => {
          if (h.kind === 'handle') {
            const v = byHandle.get(h.id);
            return { kind: 'handle', node: v ? v.name : h.id, label: v ? v.name : `handle ${h.id}`, references: h.references };
          }
          if (h.kind === 'cache') {
            const x = h.id.split(' ')[0];
            return { kind: 'cache', node: x, label: `${x} cache`, references: h.references };
          }
          return { kind: 'connection', node: h.id, label: h.id, references: h.references };
        });
        const known = holders.reduce((n, h) => n + h.references, 0);
        return {
          id: live.session,
          references: live.references,
          handleReferences: live.handleReferences,
          holders,
          unattributed: Math.max(0, live.references - known),
          details: this.details.get(live.session) ?? null,
          freed: false,
        };
      });
    const variables: VariableState[] = this.variables.map((v) => {
      const references = this.referencesOf(v);
      let state: VariableState['state'];
      if (references > 0) state = 'owns';
      else if (v.kind === 'view' && v.handleId === null) state = v.obj.alive ? 'borrowed' : 'expired';
      else state = 'freed';
      return { name: v.name, kind: v.kind, session: v.session, origin: v.origin, handleId: v.handleId, references, state };
    });
    const connections: ConnectionState[] = this.connections.map((ci) => {
      let session: string | null = null;
      if (!ci.conn.isFreed) {
        try {
          session = ci.conn.getSession()?.sessionId ?? null;
        } catch {
          session = null;
        }
      }
      return {
        id: ci.id,
        c: ci.c,
        role: ci.conn.role,
        context: ci.context.id,
        peer: ci.peer,
        state: ci.conn.isFreed ? 'freed' : ci.conn.isHandshakeDone ? 'connected' : 'pending',
        protocol: ci.protocol,
        cipher: ci.cipher,
        reused: ci.reused,
        session,
      };
    });
    const caches: CacheState[] = this.contexts.map((x) => ({ id: x.id, c: x.c, label: x.label, sessions: x.ctx.sessionCount }));
    return { sessions, variables, connections, caches, events: ledger.events(), stats: ledger.stats() };
  }

  /** The page's proof that a refused call changed nothing: every session's counts and holders, and the event count. */
  /**
   * The text with the ledger's handle ids ("handle H8", "H8") replaced by the variable that holds
   * them ("s2"): the page names references by the program's variables, and H ids appear nowhere else.
   */
  named(text: string): string {
    return text.replace(/\b(?:handle )?(H\d+)\b/g, (all, id: string) => this.variables.find((v) => v.handleId === id)?.name ?? all);
  }

  fingerprint(): { text: string; events: number; refused: number; summary: string } {
    const s = this.snapshot();
    const parts = s.sessions.map(
      (n) => `${n.id}:${n.references}/${n.handleReferences}[${n.holders.map((h) => `${h.node}×${h.references}`).join(',')}]`,
    );
    const events = s.events.length === 0 ? 0 : s.events[s.events.length - 1].seq;
    return {
      text: `${parts.join(' ')}|${events}`,
      events,
      refused: s.stats.refused,
      summary: s.sessions.length === 0 ? 'no live sessions' : s.sessions.map((n) => `${n.id} references ${n.references}`).join(', '),
    };
  }
}

/**
 * Moves bytes between a client connection that already exists (SSL_set_session was called on it)
 * and a server connection until both finished the handshake and the client read its tickets.
 * connectInMemory makes its own client connection, so it cannot finish one made earlier.
 */
function handshakeInMemory(client: Connection, server: Connection): void {
  client.handshake();
  for (let round = 0; round < 50; round++) {
    let moved = false;
    const toServer = client.readEncrypted();
    if (toServer.length > 0) {
      server.writeEncrypted(toServer);
      moved = true;
    }
    if (server.isHandshakeDone) server.read();
    else server.handshake();
    const toClient = server.readEncrypted();
    if (toClient.length > 0) {
      client.writeEncrypted(toClient);
      moved = true;
    }
    if (client.isHandshakeDone) client.read();
    else client.handshake();
    if (!moved && client.pendingEncrypted === 0 && server.pendingEncrypted === 0) {
      if (!client.isHandshakeDone || !server.isHandshakeDone) throw new Error('the handshake did not complete');
      return;
    }
  }
  throw new Error('the handshake did not finish in 50 rounds');
}

function yes(b: boolean | null): string {
  return b ? 'yes' : 'no';
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
