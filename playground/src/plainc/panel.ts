// The "Run it in plain C" panel: the program as it ran (the mistake marked, the line ASan stopped
// at in red), the C world after any line (stepped back and forth), and ASan's report as printed,
// with each part of it explained beside the program's own lines.
import { fill, h } from '../dom.js';
import { cWorldLegend, drawCWorld, hex } from './draw.js';
import { cFrames, describe, type Frame, KINDS, parseReport, reportLines } from './explain.js';
import type { PlainRun } from './machine.js';
import type { PlainCProgram } from './programs.js';

const lineLabel = (i: number): string => `line ${i + 1}`;

export function renderPlainC(root: HTMLElement, program: PlainCProgram, run: PlainRun, seconds: number): void {
  const report = reportLines(run.report);
  const parsed = report ? parseReport(report) : null;
  root.hidden = false;
  root.dataset.program = program.id;
  root.dataset.asanKind = parsed?.kind ?? '';
  const last = run.aborted ? run.reached : run.lines.length - 1;
  let shown = last;

  const listing = h('ol', { class: 'cprogram', 'data-testid': 'plainc-lines' });
  const world = h('div', { class: 'cworld-box', 'data-testid': 'plainc-world' });
  const stepText = h('p', { class: 'cworld-step', 'aria-live': 'polite', 'data-testid': 'plainc-step' });
  const back = h('button', { type: 'button', 'data-testid': 'plainc-back', onclick: () => show(shown - 1) }, '← Line before');
  const forward = h('button', { type: 'button', 'data-testid': 'plainc-forward', onclick: () => show(shown + 1) }, 'Line after →');

  const show = (k: number): void => {
    shown = Math.max(0, Math.min(last, k));
    const failed = run.aborted && shown === run.reached;
    // The failing line never finished: its picture is the heap at the moment ASan stopped it.
    const state = failed ? run.state : run.states[shown];
    fill(world, drawCWorld(state, { culprit: failed ? run.culprit : null, lineLabel }));
    stepText.textContent = failed
      ? `The heap when ASan stopped ${lineLabel(shown)}.`
      : `The heap after ${lineLabel(shown)}${shown === run.lines.length - 1 ? ', the last line' : ''}.`;
    back.disabled = shown === 0;
    forward.disabled = shown === last;
    for (const [i, li] of [...listing.children].entries()) li.classList.toggle('shown', i === shown);
  };

  fill(
    listing,
    ...run.lines.map((c, i) => {
      const state = run.aborted && i === run.reached ? 'stopped' : i > last ? 'not-reached' : i === run.mistakeLine ? 'mistake' : 'ran';
      return h(
        'li',
        { class: `cline ${state}`, 'data-state': state },
        h(
          'button',
          {
            type: 'button',
            class: 'cline-pick',
            onclick: () => show(i),
            disabled: i > last,
            'aria-label': `show the heap at ${lineLabel(i)}`,
          },
          String(i + 1),
        ),
        h('code', { class: 'cline-code' }, c),
        state === 'stopped' ? h('span', { class: 'cline-tag bad' }, `ASan: ${parsed?.kind ?? 'error'}`) : null,
        state === 'mistake' ? h('span', { class: 'cline-tag warn' }, 'the mistake') : null,
        state === 'not-reached' ? h('span', { class: 'cline-tag' }, 'never ran') : null,
      );
    }),
  );
  show(shown);

  fill(
    root,
    h('h2', { id: 'h-plainc', tabindex: '-1', 'data-testid': 'plainc-heading' }, 'Run it in plain C: ', program.title),
    h(
      'p',
      { class: 'hint' },
      `The same OpenSSL 3.5.7, with libssl compiled with AddressSanitizer, in a throw-away instance: these calls went straight to C, nothing refused. Ran in ${seconds.toFixed(1)} s. Look for this: ${program.lookFor}`,
    ),
    listing,
    h('div', { class: 'buttons' }, back, forward),
    stepText,
    world,
    cWorldLegend(),
    parsed && report
      ? renderReport(parsed, report, run)
      : h('p', { class: 'dim', 'data-testid': 'plainc-noreport' }, 'The program ran to its end and ASan reported nothing.'),
  );
}

function renderReport(parsed: ReturnType<typeof parseReport>, report: string[], run: PlainRun): HTMLElement {
  const freedBlock = run.state.blocks.find((b) => b.freed && run.culprit && b.address === run.culprit.address);
  const mistake = run.mistakeLine;
  const freedAt = freedBlock?.freedAt ?? null;
  const explained: HTMLElement[] = [
    item(
      `ERROR: AddressSanitizer: ${parsed.kind}${parsed.address ? ` on address ${parsed.address}` : ''}`,
      KINDS[parsed.kind] ?? 'the kind of memory error ASan caught.',
      parsed.address && freedBlock ? ` The address lies in the SSL_SESSION at ${hex(freedBlock.address)}, the hatched block.` : '',
    ),
  ];
  if (parsed.access) {
    explained.push(
      item(
        parsed.access,
        `the bad access itself: ${parsed.access.toLowerCase().replace(' of size', '')} bytes, a field of the session, read by ${lineLabel(run.reached)}` +
          (run.culprit ? ` through ${run.culprit.holder}.` : '.'),
      ),
    );
  }
  explained.push(
    stack('The stack of the bad access (innermost first)', parsed.stacks.access, `${lineLabel(run.reached)}, where the program stopped`),
  );
  if (parsed.region)
    explained.push(
      item(parsed.region, 'the block: OpenSSL allocates one SSL_SESSION as one block of this size; the offset is the field that was read.'),
    );
  if (parsed.stacks.freed.length) {
    explained.push(
      stack(
        'freed by thread T0 here',
        parsed.stacks.freed,
        freedAt !== null ? `${lineLabel(freedAt)}: the count reached 0 there and OpenSSL freed the block` : 'the line that freed it',
      ),
    );
  }
  if (parsed.stacks.allocated.length) {
    explained.push(
      stack(
        'previously allocated by thread T0 here',
        parsed.stacks.allocated,
        `${lineLabel(freedBlock?.allocatedAt ?? 0)}: the handshake made the session`,
      ),
    );
  }
  const culpritInStacks = mistake === run.reached || mistake === freedAt;
  explained.push(
    h(
      'li',
      { class: 'moral', 'data-testid': 'plainc-moral' },
      h('strong', {}, culpritInStacks ? 'Where the bug is: ' : 'Your mistake is in none of these stacks. '),
      culpritInStacks
        ? `${lineLabel(mistake)} is in the report: ASan names it directly.`
        : `The mistake is ${lineLabel(mistake)}: it took the count one step too low without freeing anything, so ASan had nothing to catch there. ` +
            `The block was freed later by code doing the right thing (${freedAt !== null ? lineLabel(freedAt) : 'another line'}), and the crash came later still (${lineLabel(run.reached)}). That is the man page’s delayed failure: the stacks point away from the cause, and only the counts lead back to it.`,
    ),
  );
  return h(
    'div',
    { class: 'asan' },
    h('h3', {}, 'What AddressSanitizer printed'),
    h(
      'pre',
      { class: 'asan-report', 'data-testid': 'asan-report', tabindex: '0', 'aria-label': 'the AddressSanitizer report' },
      trimShadow(report).join('\n'),
    ),
    h('h3', {}, 'The report, line by line'),
    h('ol', { class: 'asan-explained', 'data-testid': 'asan-explained' }, ...explained),
  );
}

function item(quote: string, meaning: string, extra = ''): HTMLElement {
  return h('li', {}, h('code', { class: 'asan-code' }, quote), ' — ', meaning, extra);
}

function stack(title: string, frames: Frame[], origin: string): HTMLElement {
  const c = cFrames(frames);
  return h(
    'li',
    {},
    h('strong', {}, title),
    h(
      'ul',
      { class: 'frames' },
      ...c.map((f) => h('li', {}, h('code', { class: 'asan-code' }, `#${f.n} ${f.fn}`), ' — ', describe(f))),
      c.length < frames.length
        ? h('li', { class: 'dim' }, `#${c.length} and below: the page’s JavaScript; in your program that is ${origin}.`)
        : null,
    ),
  );
}

/** The report up to and including the shadow-byte map's marked line (its long legend is left out). */
function trimShadow(lines: string[]): string[] {
  const marked = lines.findIndex((l) => l.startsWith('=>'));
  return marked < 0 ? lines : [...lines.slice(0, marked + 3), '  … (shadow byte legend: fd = freed heap, fa = heap redzone)'];
}
