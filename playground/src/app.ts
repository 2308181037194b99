// The page's controller: one current world, the reader's selection, the actions behind every button,
// the misuse demonstrations and the guided scenarios; after each action it re-renders every panel.
import { type GeneratedCertificate, OwnershipError } from 'openssl-session-wasm';
import { Diagram, type Selection } from './diagram.js';
import { byTestId, fill, h } from './dom.js';
import { MISUSES, type Misuse } from './misuse.js';
import { readHash, writeHash } from './permalink.js';
import { runPlainC } from './plainc/machine.js';
import { renderPlainC } from './plainc/panel.js';
import { PLAIN_C, type PlainCId } from './plainc/programs.js';
import { CALLS, ProgramError, parseLine, runStatement } from './program.js';
import {
  type Failure,
  quotesFor,
  renderConnectionsTable,
  renderError,
  renderInside,
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

/** A button of the actions panel: what it needs selected, and the program line it writes and runs. */
interface ActionDef {
  needs: Need[];
  line: (w: World) => string;
}

interface ScenarioRun {
  def: Scenario;
  step: number;
  vars: Vars;
  /** The narrative of the current step, rendered right after it ran (later actions do not rewrite it). */
  body: HTMLElement | null;
  /** Calls made with the buttons since the step ran: the story no longer describes the diagram. */
  ownCalls: number;
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
  /** The student's prediction for a step, checked once that step has run. */
  private prediction: { step: number; choice: string } | null = null;
  private readonly diagram: Diagram;

  /** Your program: the lines of the editor, and how many of them ran in the current world. */
  private code: string[] = [];
  private ran = 0;
  /** Errors by line index, shown inline in the editor. */
  private lineErrors = new Map<number, string>();

  private readonly actions: Record<string, ActionDef> = {
    'handshake-13': { needs: [], line: () => 'handshake(x2);' },
    'handshake-12': { needs: [], line: () => 'handshake(x3);' },
    new: { needs: [], line: () => 'SSL_SESSION_new();' },
    dup: { needs: ['variable'], line: () => `SSL_SESSION_dup(${this.variable().name});` },
    'up-ref': { needs: ['variable'], line: () => `SSL_SESSION_up_ref(${this.variable().name});` },
    free: { needs: ['variable'], line: () => `SSL_SESSION_free(${this.variable().name});` },
    read: { needs: ['variable'], line: () => `SSL_SESSION_get_time(${this.variable().name});` },
    'get-session': { needs: ['connection'], line: () => `SSL_get_session(${this.connection().c});` },
    'get1-session': { needs: ['connection'], line: () => `SSL_get1_session(${this.connection().c});` },
    'set-session': { needs: ['variable'], line: () => `SSL_set_session(SSL_new(x1), ${this.variable().name});` },
    resume: {
      needs: [],
      line: (w) => {
        const pending = w.pendingConnections().at(-1);
        if (pending) return `SSL_connect(${pending.c});`;
        const v = this.sel.variable ? w.find(this.sel.variable) : undefined;
        if (!v) throw new ProgramError('select a session variable to resume (or call SSL_set_session first)');
        return `handshake(${w.serverFor(v).c}, ${v.name});`;
      },
    },
    'ssl-free': { needs: ['connection'], line: () => `SSL_free(${this.connection().c});` },
    'cache-add': { needs: ['variable', 'context'], line: () => `SSL_CTX_add_session(${this.context().c}, ${this.variable().name});` },
    'cache-remove': { needs: ['variable', 'context'], line: () => `SSL_CTX_remove_session(${this.context().c}, ${this.variable().name});` },
    'flush-now': { needs: ['context'], line: () => `SSL_CTX_flush_sessions(${this.context().c}, now);` },
    'flush-later': { needs: ['context'], line: () => `SSL_CTX_flush_sessions(${this.context().c}, now + 7201);` },
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
        this.button(def);
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
                if (this.scenario) {
                  this.scenario.ownCalls++;
                  this.misuse(m);
                } else this.insertLine(`misuse(${m.id});`);
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
    byTestId('scenario-leave').addEventListener('click', () => void this.leaveScenario());
    fill(byTestId('editor-calls'), ...Object.values(CALLS).map((c) => h('li', {}, h('code', {}, c))));
    byTestId('editor-text').addEventListener('input', (e) => this.editorChanged((e.target as HTMLTextAreaElement).value));
    byTestId('editor-forward').addEventListener('click', () => void this.programStep(1));
    byTestId('editor-back').addEventListener('click', () => void this.programStep(-1));
    byTestId('editor-all').addEventListener('click', () => void this.programStep('all'));
    byTestId('projector').addEventListener('click', () => {
      const on = document.body.classList.toggle('projector');
      byTestId('projector').setAttribute('aria-pressed', String(on));
    });
    byTestId('share').addEventListener('click', () => void this.share());
    for (const kind of ['variable', 'connection', 'context'] as const) {
      const select = byTestId<HTMLSelectElement>(`select-${kind}`);
      select.addEventListener('change', () => {
        this.sel[kind] = select.value || null;
        this.render();
      });
    }
  }

  /**
   * Opens the state the URL names (a scenario step, or a program run to a line); without one, a
   * program of one handshake, so the page opens with sessions to look at.
   */
  async start(): Promise<void> {
    const wanted = readHash(location.hash);
    await this.whileBusy(async () => {
      await this.newWorld();
      byTestId('version').textContent = this.world.ossl.version;
      if (wanted?.kind === 'program') {
        this.code = wanted.code;
        this.replay(wanted.ran);
      } else {
        this.code = ['handshake(x2);  // a first TLS 1.3 handshake'];
        this.replay(wanted ? 0 : 1);
      }
    });
    const def = wanted?.kind === 'scenario' ? SCENARIOS.find((s) => s.id === wanted.scenario) : undefined;
    if (def && wanted?.kind === 'scenario') await this.startScenario(def, wanted.step);
  }

  // ---- your program: the editor's lines, run one at a time ----------------------------------------

  /** Runs lines [ran, n) of the program in the current world. */
  private replay(n: number): void {
    while (this.ran < Math.min(n, this.code.length)) this.runLine(this.ran);
    this.stale = false;
    this.renderEditor();
  }

  /** Set when a line that already ran was edited: the next step replays the program from the top. */
  private stale = false;

  private runLine(i: number): void {
    const text = this.code[i];
    this.lineErrors.delete(i);
    this.ran = i + 1;
    let statement: ReturnType<typeof parseLine>;
    try {
      statement = parseLine(text);
    } catch (error) {
      this.lineErrors.set(i, errorText(error));
      this.attempt(`line ${i + 1}`, () => {
        throw error;
      });
      return;
    }
    if (!statement) return;
    const s = statement;
    if (s.fn === 'misuse') {
      const m = MISUSES.find((x) => x.id === s.args[0]);
      if (!m) {
        const error = new ProgramError(`misuse takes one of: ${MISUSES.map((x) => x.id).join(', ')}`);
        this.lineErrors.set(i, errorText(error));
        this.attempt(`line ${i + 1}`, () => {
          throw error;
        });
        return;
      }
      this.misuse(m);
    } else {
      this.attempt(
        text
          .replace(/\/\/.*$/, '')
          .trim()
          .replace(/;$/, ''),
        (w) => {
          const effect = runStatement(w, s);
          if (effect.variable && w.find(effect.variable)) {
            this.sel.variable = effect.variable;
            // A button writes "SSL_SESSION_new();": the line keeps the name the variable got.
            if (!s.assign && ['SSL_SESSION_new', 'SSL_SESSION_dup', 'SSL_get_session', 'SSL_get1_session'].includes(s.fn)) {
              this.code[i] = `${effect.variable} = ${text.trim()}`;
            }
          }
          if (effect.connection) {
            if (s.fn === 'handshake') this.afterHandshake(effect.connection);
            else this.sel.connection = effect.connection;
          }
          return null;
        },
      );
    }
    if (this.failure) this.lineErrors.set(i, this.world.named(errorText(this.failure.error)));
  }

  /** A button: in your program, its line is inserted after the last line that ran, and runs. */
  private button(def: ActionDef): void {
    let line: string;
    try {
      line = def.line(this.world);
    } catch (error) {
      this.attempt('a button', () => {
        throw error;
      });
      return;
    }
    if (this.scenario) {
      // The scenario's own world: the call runs there, outside your program, and the story says so.
      this.scenario.ownCalls++;
      const s = parseLine(line);
      if (s)
        this.attempt(line, (w) => {
          runStatement(w, s);
          return null;
        });
      return;
    }
    this.insertLine(line);
  }

  private insertLine(line: string): void {
    this.code.splice(this.ran, 0, line);
    const shifted = new Map<number, string>();
    for (const [k, v] of this.lineErrors) shifted.set(k >= this.ran ? k + 1 : k, v);
    this.lineErrors = shifted;
    this.runLine(this.ran);
    this.renderEditor();
  }

  private async programStep(delta: 1 | -1 | 'all'): Promise<void> {
    if (this.scenario) return;
    const target = delta === 'all' ? this.code.length : Math.max(0, Math.min(this.code.length, this.ran + delta));
    if (target < this.ran || this.stale) {
      // Calls cannot be undone: a fresh instance replays the program up to the target line.
      await this.whileBusy(async () => {
        await this.newWorld();
        this.replay(target);
      });
    } else {
      this.replay(target);
      this.render();
    }
  }

  private editorChanged(text: string): void {
    const lines = text.split('\n');
    const firstChange = lines.findIndex((l, i) => l !== this.code[i]);
    const changedAt = firstChange < 0 ? Math.min(lines.length, this.code.length) : firstChange;
    if (changedAt < this.ran || lines.length < this.ran) this.stale = true;
    this.code = lines;
    for (const k of [...this.lineErrors.keys()]) if (k >= changedAt) this.lineErrors.delete(k);
    this.renderEditorLines();
    this.updateButtons();
    this.writeLink();
  }

  private renderEditor(): void {
    const area = byTestId<HTMLTextAreaElement>('editor-text');
    const text = this.code.join('\n');
    if (area.value !== text) area.value = text;
    this.renderEditorLines();
  }

  private renderEditorLines(): void {
    const inScenario = this.scenario !== null;
    byTestId('editor').dataset.ran = String(this.ran);
    byTestId('editor').dataset.stale = String(this.stale);
    byTestId('editor-note').textContent = inScenario
      ? 'A scenario is running in its own instance; leave it to come back to your program.'
      : this.stale
        ? 'You edited a line that already ran: the next step replays the program from the top.'
        : `${this.ran} of ${this.code.length} lines ran. Each button adds its line here.`;
    fill(
      byTestId('editor-lines'),
      ...this.code.map((line, i) => {
        const error = this.lineErrors.get(i);
        const state = error ? 'error' : i < this.ran ? 'ran' : i === this.ran ? 'next' : 'waiting';
        return h(
          'li',
          { class: `eline ${state}`, 'data-state': state, 'data-testid': 'editor-line' },
          h('code', { class: 'eline-code' }, line || ' '),
          state === 'next' ? h('span', { class: 'eline-tag' }, '◀ next') : null,
          error ? h('span', { class: 'eline-error', 'data-testid': 'editor-error' }, error) : null,
        );
      }),
    );
  }

  /** The URL names what is on screen; replaceState, so Back still leaves the page. */
  private writeLink(): void {
    const run = this.scenario;
    const hash = run
      ? writeHash({ kind: 'scenario', scenario: run.def.id, step: run.step })
      : writeHash({ kind: 'program', code: this.code, ran: this.ran });
    if (location.hash !== hash) history.replaceState(null, '', hash);
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
    this.ran = 0;
    this.lineErrors.clear();
    this.world.settle();
    this.snap = this.world.snapshot();
    this.render();
  }

  private async reset(): Promise<void> {
    await this.whileBusy(async () => {
      this.scenario = null;
      this.code = [];
      this.ran = 0;
      this.lineErrors.clear();
      await this.newWorld();
      this.renderEditor();
      this.status('A fresh OpenSSL instance: no sessions, no connections, an empty program.');
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
  /** Runs `fn`, which returns the Failure of a mistake made on purpose, or null. */
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
      .map((s) => ({ ...s, references: 0, handleReferences: 0, holders: [], unattributed: 0, freed: true }));
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

  private async share(): Promise<void> {
    this.writeLink();
    try {
      await navigator.clipboard.writeText(location.href);
      this.status('A link to this state is on the clipboard: opening it replays the same calls.');
    } catch {
      this.status(`The link to this state: ${location.href}`);
    }
  }

  // ---- scenarios ------------------------------------------------------------------------------------

  /** Starts a scenario in a fresh instance and runs its steps up to `target`. */
  private async startScenario(def: Scenario, target = 1): Promise<void> {
    await this.whileBusy(async () => {
      this.scenario = { def, step: 0, vars: {}, body: null, ownCalls: 0 };
      await this.newWorld();
      const last = Math.max(1, Math.min(target, def.steps.length));
      for (let k = 1; k <= last; k++) this.runStep(k);
      this.renderEditorLines();
    });
    byTestId('scenario-title').focus();
    this.showDiagram();
  }

  /** Back to your program: a fresh instance replays it to where it was. */
  private async leaveScenario(): Promise<void> {
    const ran = this.ran;
    await this.whileBusy(async () => {
      this.scenario = null;
      await this.newWorld();
      this.replay(ran);
    });
    byTestId('scenarios-heading').focus();
  }

  /** On a phone the diagram is far below the scenario's text: a step brings it into view. */
  private showDiagram(): void {
    if (!window.matchMedia('(max-width: 1000px)').matches) return;
    const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    byTestId('diagram').scrollIntoView({ block: 'center', behavior: smooth ? 'smooth' : 'auto' });
  }

  private runStep(k: number): void {
    const run = this.scenario;
    if (!run) return;
    const step = run.def.steps[k - 1];
    run.step = k;
    run.ownCalls = 0;
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
        this.predictionResult(k, w, run.vars),
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
        this.predictionQuestion(run, k + 1),
      );
    } catch (error) {
      body = h('p', { class: 'bad' }, `This step could not be described: ${String(error)}`);
    }
    run.body = body;
    this.render();
  }

  /** The exercise for step `k`, asked now (before it runs): choosing an answer runs the step. */
  private predictionQuestion(run: ScenarioRun, k: number): HTMLElement | null {
    const p = run.def.steps[k - 1]?.predict;
    if (!p) return null;
    return h(
      'div',
      { class: 'exercise', 'data-testid': 'exercise', role: 'group', 'aria-labelledby': `exercise-q-${k}` },
      h('p', { id: `exercise-q-${k}` }, h('strong', {}, 'Predict the next step: '), p.question),
      h(
        'div',
        { class: 'buttons' },
        ...p.choices.map((choice, i) =>
          h(
            'button',
            {
              type: 'button',
              'data-testid': `exercise-choice-${i}`,
              onclick: () => {
                this.prediction = { step: k, choice };
                this.nextStep();
              },
            },
            choice,
          ),
        ),
      ),
      h('p', { class: 'hint' }, 'Your answer runs the next step, and the ledger checks it.'),
    );
  }

  private predictionResult(k: number, w: World, vars: Vars): HTMLElement | null {
    const asked = this.prediction;
    const p = this.scenario?.def.steps[k - 1]?.predict;
    if (!asked || asked.step !== k || !p) return null;
    this.prediction = null;
    const truth = p.answer(w, vars);
    const right = truth === asked.choice;
    return h(
      'div',
      { class: `exercise-result ${right ? 'right' : 'wrong'}`, 'data-testid': 'exercise-result', 'data-correct': String(right) },
      h('p', {}, h('strong', {}, right ? 'Right. ' : 'Not quite. '), `You said “${asked.choice}”; the ledger says “${truth}”.`),
      h('p', {}, p.explain(w, vars)),
    );
  }

  private nextStep(): void {
    const run = this.scenario;
    if (run && run.ownCalls > 0 && run.step < run.def.steps.length) {
      // Your own calls changed the scenario's world: the next step starts from the scenario's state.
      void this.startScenario(run.def, run.step + 1).then(() => this.keepFocus('scenario-next'));
      return;
    }
    if (run && run.step < run.def.steps.length) this.runStep(run.step + 1);
    this.keepFocus('scenario-next');
    this.showDiagram();
  }

  /** Calls cannot be undone: a new world replays the steps before the previous one. */
  private async prevStep(): Promise<void> {
    const run = this.scenario;
    if (!run || run.step <= 1) return;
    const target = run.step - 1;
    await this.whileBusy(async () => {
      this.scenario = { def: run.def, step: 0, vars: {}, body: null, ownCalls: 0 };
      await this.newWorld();
      for (let k = 1; k <= target; k++) this.runStep(k);
    });
    this.keepFocus('scenario-prev');
    this.showDiagram();
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
    renderTimeline(byTestId('timeline'), this.groups, snap.events, (t) => w.named(t));
    renderError(byTestId('error'), this.failure, (t) => w.named(t));
    renderLastLines(byTestId('last-c'), this.lastLines, this.failure);
    renderProgram(byTestId('program'), w.program);
    renderSessionsTable(byTestId('sessions'), snap, this.ghosts);
    renderConnectionsTable(byTestId('connections'), snap);
    renderStats(byTestId('stats'), snap, w.leaks.length);
    this.renderInside();
    this.renderSelects(snap);
    this.renderScenario();
    this.updateButtons();
    this.writeLink();
  }

  private renderInside(): void {
    const v = this.sel.variable ? this.world.find(this.sel.variable) : undefined;
    renderInside(byTestId('inside-body'), v ? v.name : null, () => {
      if (!v) throw new Error('no variable');
      // Only a live variable is read: a read through a freed handle or an expired view would be a
      // refused call of its own, counted by the ledger, made by the page and not by you.
      if (!v.obj.alive) throw new Error(`${v.name} no longer stands for a session (freed or expired): there is nothing to read through it`);
      const o = this.world.ossl;
      return { print: o.SSL_SESSION_print(v.obj) };
    });
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
    byTestId<HTMLButtonElement>('editor-back').disabled = run !== null || this.ran === 0;
    byTestId<HTMLButtonElement>('editor-forward').disabled = run !== null || (this.ran >= this.code.length && !this.stale);
    byTestId<HTMLButtonElement>('editor-all').disabled = run !== null || (this.ran >= this.code.length && !this.stale);
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
    fill(
      byTestId('scenario-body'),
      run.ownCalls > 0
        ? h(
            'p',
            { class: 'stale-note', 'data-testid': 'scenario-stale' },
            `You made ${run.ownCalls} call${run.ownCalls === 1 ? '' : 's'} of your own since this step: the text below describes the scenario's state, not the diagram's. Next carries on from the scenario's own state.`,
          )
        : null,
      run.body,
    );
  }
}

function lastSeq(snap: Snapshot | null): number {
  const events = snap?.events ?? [];
  return events.length ? events[events.length - 1].seq : 0;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
