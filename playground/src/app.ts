// The page's controller: one current world, the reader's selection, the actions behind every button,
// the misuse demonstrations and the guided scenarios; after each action it re-renders every panel.
import { type GeneratedCertificate, OwnershipError } from 'openssl-session-wasm';
import { Diagram, type Selection } from './diagram.js';
import { byTestId, fill, h } from './dom.js';
import { MISUSES, type Misuse } from './misuse.js';
import { runPlainC } from './plainc/machine.js';
import { renderPlainC } from './plainc/panel.js';
import { PLAIN_C, type PlainCId } from './plainc/programs.js';
import {
  type Failure,
  quotesFor,
  renderConnectionsTable,
  renderError,
  renderLastLines,
  renderProgram,
  renderQuote,
  renderSessionsTable,
  renderStats,
} from './report.js';
import { SCENARIOS, type Scenario, type Vars } from './scenarios.js';
import { type ActionGroup, renderTimeline } from './timeline.js';
import { type CLine, type SessionNode, type Snapshot, type Variable, World } from './world.js';

type Need = 'variable' | 'connection' | 'context';

/** A button of the actions panel: what it needs selected, and what it does. */
interface ActionDef {
  needs: Need[];
  run: (w: World) => void;
}

interface ScenarioRun {
  def: Scenario;
  step: number;
  vars: Vars;
  /** The narrative of the current step, rendered right after it ran (later actions do not rewrite it). */
  body: HTMLElement | null;
}

export class App {
  private world!: World;
  private cert: GeneratedCertificate | undefined;
  private groups: ActionGroup[] = [];
  private ghosts: SessionNode[] = [];
  private snap: Snapshot | null = null;
  private failure: Failure | null = null;
  private lastLines: CLine[] = [];
  private sel: Selection = { variable: null, connection: null, context: null };
  private scenario: ScenarioRun | null = null;
  private readonly diagram: Diagram;

  private readonly actions: Record<string, ActionDef> = {
    'handshake-13': { needs: [], run: (w) => this.afterHandshake(w.handshake(w.tls13)[0].id) },
    'handshake-12': { needs: [], run: (w) => this.afterHandshake(w.handshake(w.tls12)[0].id) },
    new: { needs: [], run: (w) => this.pick(w.newSession()) },
    dup: { needs: ['variable'], run: (w) => this.pick(w.dup(this.variable())) },
    'up-ref': { needs: ['variable'], run: (w) => w.upRef(this.variable()) },
    free: { needs: ['variable'], run: (w) => w.free(this.variable()) },
    read: { needs: ['variable'], run: (w) => void w.readTime(this.variable()) },
    'get-session': { needs: ['connection'], run: (w) => this.pick(w.getSession(this.connection())) },
    'get1-session': { needs: ['connection'], run: (w) => this.pick(w.get1Session(this.connection())) },
    'set-session': {
      needs: ['variable'],
      run: (w) => {
        this.sel.connection = w.setSession(this.variable()).id;
      },
    },
    resume: {
      needs: [],
      run: (w) => {
        const pending = w.pendingConnections().at(-1);
        if (pending) {
          w.connectPending(pending);
          this.sel.connection = pending.id;
          const kept = [...w.variables].reverse().find((v) => v.origin === `new_session_cb(${pending.c})`);
          if (kept) this.sel.variable = kept.name;
          return;
        }
        const v = this.sel.variable ? w.find(this.sel.variable) : undefined;
        if (!v) throw new Error('select a session variable to resume (or call SSL_set_session first)');
        this.afterHandshake(w.handshake(w.serverFor(v), v)[0].id);
      },
    },
    'ssl-free': { needs: ['connection'], run: (w) => w.freeConnection(this.connection()) },
    'cache-add': { needs: ['variable', 'context'], run: (w) => w.cacheAdd(this.context(), this.variable()) },
    'cache-remove': { needs: ['variable', 'context'], run: (w) => w.cacheRemove(this.context(), this.variable()) },
    'flush-now': { needs: ['context'], run: (w) => w.flush(this.context()) },
    'flush-later': { needs: ['context'], run: (w) => w.flush(this.context(), 7201) },
  };

  constructor() {
    this.diagram = new Diagram(byTestId('diagram'), (kind, id) => {
      this.sel[kind] = id;
      this.render();
      // The diagram was drawn anew: give focus back to the node that was chosen.
      document.querySelector<HTMLElement>(`[data-node="${CSS.escape(id)}"] .node-button`)?.focus();
    });
    for (const [name, def] of Object.entries(this.actions)) {
      byTestId(`act-${name}`).addEventListener('click', () => {
        this.act(labelOf(`act-${name}`), def.run);
        this.showResults();
      });
    }
    byTestId('act-reset').addEventListener('click', () => void this.reset());
    fill(
      byTestId('misuse-buttons'),
      ...MISUSES.map((m) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'misuse',
              'data-testid': `misuse-${m.id}`,
              onclick: () => {
                this.misuse(m);
                this.showResults();
              },
            },
            m.label,
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'plainc-button',
              'data-testid': `plainc-${m.id}`,
              title: 'the same mistake in real C, under AddressSanitizer',
              onclick: () => void this.plainC(m.plainC),
            },
            'in plain C',
          ),
        ),
      ),
    );
    fill(
      byTestId('scenario-starts'),
      ...SCENARIOS.map((s) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', 'data-testid': `scenario-start-${s.id}`, onclick: () => void this.startScenario(s) },
            `${s.id}. ${s.title}`,
          ),
        ),
      ),
    );
    byTestId('scenario-next').addEventListener('click', () => this.nextStep());
    byTestId('scenario-prev').addEventListener('click', () => void this.prevStep());
    byTestId('scenario-leave').addEventListener('click', () => {
      this.scenario = null;
      this.render();
      byTestId('scenarios-heading').focus();
    });
    for (const kind of ['variable', 'connection', 'context'] as const) {
      const select = byTestId<HTMLSelectElement>(`select-${kind}`);
      select.addEventListener('change', () => {
        this.sel[kind] = select.value || null;
        this.render();
      });
    }
  }

  /** Loads the first world and runs one handshake, so the page opens with sessions to look at. */
  async start(): Promise<void> {
    await this.whileBusy(async () => {
      await this.newWorld();
      byTestId('version').textContent = this.world.ossl.version;
      this.act('A first TLS 1.3 handshake', (w) => this.afterHandshake(w.handshake(w.tls13)[0].id));
    });
  }

  /** A fresh instance (loading one is the only thing that waits); nothing is drawn until the caller is done. */
  private async newWorld(): Promise<void> {
    this.world = await World.create(this.cert);
    this.diagram.clear();
    this.cert = this.world.cert;
    this.groups = [];
    this.ghosts = [];
    this.failure = null;
    this.lastLines = [];
    this.sel = { variable: null, connection: null, context: this.world.client.id };
    this.world.settle();
    this.snap = this.world.snapshot();
    this.render();
  }

  private async reset(): Promise<void> {
    await this.whileBusy(async () => {
      this.scenario = null;
      await this.newWorld();
      this.status('A fresh OpenSSL instance: no sessions, no connections.');
    });
  }

  /**
   * Runs `fn` with every button disabled and body[data-busy="true"], which turns false only once
   * everything `fn` does is drawn (tests and assistive technology wait on it).
   */
  private async whileBusy(fn: () => Promise<void>): Promise<void> {
    document.body.dataset.busy = 'true';
    for (const b of document.querySelectorAll<HTMLButtonElement>('main button')) b.disabled = true;
    try {
      await fn();
    } finally {
      document.body.dataset.busy = 'false';
      this.updateButtons();
    }
  }

  // ---- selection --------------------------------------------------------------------------------

  private variable(): Variable {
    const v = this.sel.variable ? this.world.find(this.sel.variable) : undefined;
    if (!v) throw new Error('select a session variable first');
    return v;
  }

  private connection() {
    const c = this.sel.connection ? this.world.connection(this.sel.connection) : undefined;
    if (!c) throw new Error('select a connection first');
    return c;
  }

  private context() {
    const x = this.sel.context ? this.world.context(this.sel.context) : undefined;
    if (!x) throw new Error('select a context first');
    return x;
  }

  private pick(v: Variable | null): void {
    if (v) this.sel.variable = v.name;
  }

  /** After a handshake: select its client connection and the session the client kept from it. */
  private afterHandshake(clientId: string): void {
    this.sel.connection = clientId;
    const c = this.world.connection(clientId);
    const kept = c ? [...this.world.variables].reverse().find((v) => v.origin === `new_session_cb(${c.c})`) : undefined;
    if (kept) this.sel.variable = kept.name;
  }

  // ---- running actions ------------------------------------------------------------------------------

  /**
   * Runs one action in the current world. `fn` may return a Failure it produced on purpose (a
   * misuse); any other throw becomes the failure shown, with proof of no change for a refusal.
   */
  private act(title: string, fn: (w: World) => void): void {
    this.attempt(title, (w) => {
      fn(w);
      return null;
    });
  }

  /** As act, for a `fn` that produces its own Failure (a mistake made on purpose). */
  private attempt(title: string, fn: (w: World) => Failure | null): void {
    const w = this.world;
    const from = lastSeq(this.snap);
    const firstLine = w.program.length;
    const before = w.fingerprint();
    let failure: Failure | null = null;
    try {
      failure = fn(w);
    } catch (error) {
      failure = { error, context: title, quotes: quotesFor(error) };
      if (error instanceof OwnershipError) {
        failure.before = before;
        failure.after = w.fingerprint();
      }
    }
    w.settle();
    const previous = this.snap;
    this.snap = w.snapshot();
    const live = new Set(this.snap.sessions.map((s) => s.id));
    this.ghosts = (previous?.sessions ?? [])
      .filter((s) => !live.has(s.id))
      .map((s) => ({ ...s, cReferences: 0, jsReferences: 0, holders: [], unattributed: 0, freed: true }));
    this.failure = failure;
    this.lastLines = w.program.slice(firstLine);
    const error = failure ? (failure.error instanceof Error ? failure.error.name : 'Error') : null;
    this.groups.push({ n: this.groups.length + 1, title, lines: this.lastLines, from, to: lastSeq(this.snap), error });
    this.render();
    this.status(error ? `${title}: refused with ${error}.` : `${title}: done.`);
  }

  private misuse(m: Misuse): void {
    this.attempt(`Misuse: ${m.label}`, (w) => {
      const setup = m.setup(w);
      w.settle(); // name what the setup made, so both fingerprints use the same names
      const before = w.fingerprint();
      try {
        m.mistake(w, setup);
      } catch (error) {
        return {
          error,
          context: `Misuse on purpose: ${m.label}`,
          quotes: m.quotes,
          inC: m.inC(w, setup),
          before,
          after: w.fingerprint(),
        };
      }
      throw new Error(`${m.label}: the ledger did not refuse the call (expected ${m.expect})`);
    });
  }

  /** On a one-column layout the results are far below the buttons: bring them into view (focus stays). */
  private showResults(): void {
    if (!window.matchMedia('(max-width: 1000px)').matches) return;
    const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    byTestId('last-c')
      .closest('section')
      ?.scrollIntoView({ block: 'start', behavior: smooth ? 'smooth' : 'auto' });
  }

  // ---- plain C ---------------------------------------------------------------------------------------

  /** Runs a mistake's program in real C on a throw-away AddressSanitizer instance, and shows what happened. */
  private async plainC(id: PlainCId): Promise<void> {
    const program = PLAIN_C[id];
    const panel = byTestId('plainc');
    await this.whileBusy(async () => {
      this.status(`Running “${program.title}” in plain C under AddressSanitizer (the first run fetches a 3.4 MB build)…`);
      const started = performance.now();
      try {
        const run = await runPlainC(program.lines);
        renderPlainC(panel, program, run, (performance.now() - started) / 1000);
        this.status(
          run.aborted
            ? `Plain C: AddressSanitizer stopped the program (${panel.dataset.asanKind}).`
            : 'Plain C: the program ran to its end.',
        );
      } catch (error) {
        panel.hidden = false;
        fill(
          panel,
          h('h2', {}, 'Run it in plain C'),
          h('p', { class: 'bad' }, `The plain-C run failed: ${error instanceof Error ? error.message : String(error)}`),
        );
        this.status('Plain C: the run failed.');
      }
    });
    panel.scrollIntoView({ block: 'start', behavior: window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
    panel.querySelector<HTMLElement>('h2')?.focus({ preventScroll: true });
  }

  // ---- scenarios ------------------------------------------------------------------------------------

  private async startScenario(def: Scenario): Promise<void> {
    await this.whileBusy(async () => {
      this.scenario = { def, step: 0, vars: {}, body: null };
      await this.newWorld();
      this.runStep(1);
    });
    byTestId('scenario-title').focus();
  }

  private runStep(k: number): void {
    const run = this.scenario;
    if (!run) return;
    const step = run.def.steps[k - 1];
    run.step = k;
    this.attempt(`Scenario ${run.def.id}, step ${k}: ${step.title}`, (w) => {
      step.run?.(w, run.vars);
      if (!step.mistake) return null;
      w.settle();
      const before = w.fingerprint();
      try {
        step.mistake.run(w, run.vars);
      } catch (error) {
        return {
          error,
          context: `Scenario ${run.def.id}, step ${k}`,
          quotes: step.quotes ?? quotesFor(error),
          before,
          after: w.fingerprint(),
        };
      }
      throw new Error(`the ledger did not refuse the mistake (expected ${step.mistake.expect})`);
    });
    const w = this.world;
    let body: HTMLElement;
    try {
      body = h(
        'div',
        { class: 'step-body' },
        h('p', { 'data-testid': 'scenario-text' }, ...step.body(w, run.vars)),
        step.plainC
          ? h(
              'p',
              { class: 'plain-c', 'data-testid': 'plain-c' },
              h('strong', {}, 'Plain C, without the ledger: '),
              step.plainC(w, run.vars),
            )
          : null,
        step.runInC
          ? h(
              'p',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'plainc-button',
                  'data-testid': 'scenario-plainc',
                  onclick: () => void this.plainC(step.runInC as PlainCId),
                },
                'Run it in plain C (AddressSanitizer)',
              ),
            )
          : null,
        // A refused step's quotes are in the error panel already.
        ...(step.mistake ? [] : (step.quotes ?? []).map(renderQuote)),
      );
    } catch (error) {
      body = h('p', { class: 'bad' }, `This step could not be described: ${String(error)}`);
    }
    run.body = body;
    this.render();
  }

  private nextStep(): void {
    const run = this.scenario;
    if (run && run.step < run.def.steps.length) this.runStep(run.step + 1);
    this.keepFocus('scenario-next');
  }

  /** Calls cannot be undone: a new world replays the steps before the previous one. */
  private async prevStep(): Promise<void> {
    const run = this.scenario;
    if (!run || run.step <= 1) return;
    const target = run.step - 1;
    await this.whileBusy(async () => {
      this.scenario = { def: run.def, step: 0, vars: {}, body: null };
      await this.newWorld();
      for (let k = 1; k <= target; k++) this.runStep(k);
    });
    this.keepFocus('scenario-prev');
  }

  private keepFocus(testId: string): void {
    const b = byTestId<HTMLButtonElement>(testId);
    if (b.disabled) byTestId('scenario-title').focus();
    else b.focus();
  }

  // ---- rendering ------------------------------------------------------------------------------------

  private status(text: string): void {
    byTestId('status').textContent = text;
  }

  private render(): void {
    const w = this.world;
    const snap = this.snap ?? w.snapshot();
    this.validateSelection(snap);
    const f = this.failure;
    const unchanged = f?.error instanceof OwnershipError && f.before && f.after && f.before.text === f.after.text;
    this.diagram.render(snap, this.ghosts, this.sel, unchanged ? (f.error as OwnershipError).sessionId : null);
    renderTimeline(byTestId('timeline'), this.groups, snap.events);
    renderError(byTestId('error'), this.failure);
    renderLastLines(byTestId('last-c'), this.lastLines, this.failure);
    renderProgram(byTestId('program'), w.program);
    renderSessionsTable(byTestId('sessions'), snap, this.ghosts);
    renderConnectionsTable(byTestId('connections'), snap);
    renderStats(byTestId('stats'), snap, w.leaks.length);
    this.renderSelects(snap);
    this.renderScenario();
    this.updateButtons();
  }

  private validateSelection(snap: Snapshot): void {
    if (this.sel.variable && !snap.variables.some((v) => v.name === this.sel.variable)) this.sel.variable = null;
    const live = snap.connections.filter((c) => c.state !== 'freed');
    if (!live.some((c) => c.id === this.sel.connection)) {
      this.sel.connection = [...live].reverse().find((c) => c.role === 'client')?.id ?? live.at(-1)?.id ?? null;
    }
  }

  private renderSelects(snap: Snapshot): void {
    const options = (kind: Need, items: { value: string; text: string }[], empty: string) => {
      const select = byTestId<HTMLSelectElement>(`select-${kind}`);
      fill(select, h('option', { value: '' }, empty), ...items.map((i) => h('option', { value: i.value }, i.text)));
      select.value = this.sel[kind] ?? '';
    };
    options(
      'variable',
      snap.variables.map((v) => ({
        value: v.name,
        text: `${v.name} → ${v.session} (${v.kind}, ${v.state === 'owns' ? `owns ${v.references}` : v.state})`,
      })),
      '(none)',
    );
    options(
      'connection',
      snap.connections.filter((c) => c.state !== 'freed').map((c) => ({ value: c.id, text: `${c.id} (${c.role}, ${c.state})` })),
      '(none)',
    );
    options(
      'context',
      snap.caches.map((x) => ({ value: x.id, text: `${x.id}: ${x.label}` })),
      '(none)',
    );
  }

  private updateButtons(): void {
    if (document.body.dataset.busy === 'true') return;
    for (const [name, def] of Object.entries(this.actions)) {
      const b = byTestId<HTMLButtonElement>(`act-${name}`);
      const missing = def.needs.filter((n) => !this.sel[n]);
      b.disabled = missing.length > 0;
      b.title = missing.length ? `select a ${missing.join(' and a ')} first` : '';
    }
    for (const b of document.querySelectorAll<HTMLButtonElement>(
      '[data-testid^="misuse-"], [data-testid^="plainc-"], [data-testid="scenario-plainc"], [data-testid^="scenario-start-"], [data-testid="act-reset"]',
    )) {
      b.disabled = false;
    }
    const run = this.scenario;
    byTestId<HTMLButtonElement>('scenario-prev').disabled = !run || run.step <= 1;
    byTestId<HTMLButtonElement>('scenario-next').disabled = !run || run.step >= run.def.steps.length;
    byTestId<HTMLButtonElement>('scenario-leave').disabled = !run;
  }

  private renderScenario(): void {
    const run = this.scenario;
    const panel = byTestId('scenario');
    const indicator = byTestId('scenario-step');
    const title = byTestId('scenario-title');
    panel.dataset.active = String(run !== null);
    if (!run) {
      indicator.textContent = 'No scenario running.';
      indicator.dataset.scenario = '';
      indicator.dataset.step = '0';
      indicator.dataset.total = '0';
      title.textContent = 'Pick a scenario';
      byTestId('scenario-name').textContent = '';
      fill(
        byTestId('scenario-body'),
        h('p', { class: 'dim' }, 'Each scenario starts a fresh OpenSSL instance and walks through real calls, one step at a time.'),
      );
      return;
    }
    indicator.textContent = `Scenario ${run.def.id} · step ${run.step} of ${run.def.steps.length}`;
    indicator.dataset.scenario = String(run.def.id);
    indicator.dataset.step = String(run.step);
    indicator.dataset.total = String(run.def.steps.length);
    byTestId('scenario-name').textContent = run.def.title;
    title.textContent = run.def.steps[run.step - 1]?.title ?? '';
    fill(byTestId('scenario-body'), run.body);
  }
}

function lastSeq(snap: Snapshot | null): number {
  const events = snap?.events ?? [];
  return events.length ? events[events.length - 1].seq : 0;
}

function labelOf(testId: string): string {
  return byTestId(testId).dataset.label ?? byTestId(testId).textContent?.trim() ?? testId;
}
