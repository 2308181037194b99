// The C world, drawn: who points at which SSL_SESSION block, with OpenSSL's count. A freed block is
// hatched at count 0, and every pointer still aiming at it is a red dashed dangling arrow; the
// pointer the failing line went through carries the red "use after free here" marker. One SVG
// with a viewBox, so it scales to any width without scrolling sideways.
import { h, svg } from '../dom.js';
import type { MachineState, Pointer } from './machine.js';

const ROW = 46;
const W = 640;

const HOLDER_TEXT: Record<Pointer['kind'], string> = {
  variable: 'your variable',
  connection: 'the connection’s pointer',
  cache: 'the context’s cache list',
};

export const hex = (address: number): string => `0x${address.toString(16)}`;

export interface DrawOptions {
  /** The pointer the failing line went through, when ASan stopped the program. */
  culprit: Pointer | null;
  /** Program line labels ("line 4") by index, for "freed during line 4". */
  lineLabel(index: number): string;
}

export function drawCWorld(state: MachineState, o: DrawOptions): SVGSVGElement {
  const blocks = [...state.blocks].sort((a, b) => a.address - b.address);
  const rows = Math.max(state.pointers.length, blocks.length * 2, 2);
  const height = rows * ROW + 30;
  const root = svg('svg', {
    class: 'cworld',
    viewBox: `0 0 ${W} ${height}`,
    role: 'img',
    'aria-label': describeWorld(state, o),
    'data-testid': 'cworld',
  });
  const defs = svg('defs');
  const hatch = svg('pattern', { id: 'cw-hatch', width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
  hatch.append(
    svg('rect', { width: 8, height: 8, class: 'cw-hatch-bg' }),
    svg('line', { x1: 0, y1: 0, x2: 0, y2: 8, class: 'cw-hatch-line' }),
  );
  defs.append(hatch);
  for (const kind of ['ok', 'dangling', 'culprit']) {
    const m = svg('marker', {
      id: `cw-head-${kind}`,
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto',
    });
    m.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: `cw-head cw-head-${kind}` }));
    defs.append(m);
  }
  root.append(defs);
  root.append(text(10, 18, 'who points at it (C pointers)', 'cw-colhead'), text(390, 18, 'the heap (SSL_SESSION blocks)', 'cw-colhead'));

  const blockY = new Map<number, number>();
  blocks.forEach((b, i) => {
    const y = 30 + i * 2 * ROW;
    blockY.set(b.address, y + ROW);
    const g = svg('g', { class: `cw-block${b.freed ? ' freed' : ''}`, 'data-address': hex(b.address), 'data-freed': String(b.freed) });
    g.append(svg('rect', { x: 390, y: y + 6, width: 240, height: 2 * ROW - 6, rx: 6, class: 'cw-block-box' }));
    g.append(text(402, y + 28, `SSL_SESSION at ${hex(b.address)}`, 'cw-block-name'));
    g.append(text(402, y + 48, b.freed ? 'count 0: freed' : `count ${b.references}`, 'cw-count', { 'data-testid': 'cw-count' }));
    g.append(
      text(
        402,
        y + 66,
        b.freed && b.freedAt !== null ? `free() ran during ${o.lineLabel(b.freedAt)}` : `made during ${o.lineLabel(b.allocatedAt)}`,
        'cw-note',
      ),
    );
    if (b.freed && o.culprit?.address === b.address) {
      g.append(text(402, y + 86, `use after free here, through ${o.culprit.holder}`, 'cw-culprit-text', { 'data-testid': 'cw-culprit' }));
    }
    root.append(g);
  });

  state.pointers.forEach((p, i) => {
    const y = 30 + i * ROW + ROW / 2;
    const target = state.blocks.find((b) => b.address === p.address);
    const dangling = target?.freed ?? false;
    const culprit = o.culprit !== null && o.culprit.holder === p.holder;
    const g = svg('g', {
      class: `cw-pointer kind-${p.kind}${dangling ? ' dangling' : ''}${culprit ? ' culprit' : ''}`,
      'data-holder': p.holder,
    });
    g.append(svg('rect', { x: 10, y: y - 17, width: 290, height: 34, rx: 5, class: 'cw-holder-box' }));
    g.append(text(20, y - 2, p.holder, 'cw-holder-name'));
    g.append(text(20, y + 12, `${HOLDER_TEXT[p.kind]}, ${p.owns ? 'owns a reference' : 'no reference'}`, 'cw-note'));
    const ty = blockY.get(p.address);
    if (ty !== undefined) {
      const kind = culprit ? 'culprit' : dangling ? 'dangling' : 'ok';
      g.append(
        svg('path', {
          d: `M300,${y} C345,${y} 345,${ty} 388,${ty}`,
          class: `cw-arrow cw-arrow-${kind}${p.owns ? '' : ' borrowed'}`,
          'marker-end': `url(#cw-head-${kind})`,
        }),
      );
    }
    root.append(g);
  });
  return root;
}

/** The same picture as a sentence, for screen readers and for anyone who cannot see the colours. */
export function describeWorld(state: MachineState, o: DrawOptions): string {
  const parts = state.blocks.map((b) => {
    const who = state.pointers.filter((p) => p.address === b.address).map((p) => p.holder);
    const points = who.length ? `pointed at by ${who.join(', ')}` : 'pointed at by nothing';
    return `SSL_SESSION at ${hex(b.address)}: ${b.freed ? 'freed, count 0' : `count ${b.references}`}, ${points}`;
  });
  if (o.culprit) parts.push(`use after free through ${o.culprit.holder}`);
  return parts.join('; ');
}

function text(x: number, y: number, content: string, cls: string, extra: Record<string, string> = {}): SVGTextElement {
  const t = svg('text', { x, y, class: cls, ...extra });
  t.textContent = content;
  return t;
}

/** A legend for the drawing, as HTML (it wraps on phones). */
export function cWorldLegend(): HTMLElement {
  return h(
    'ul',
    { class: 'legend cw-legend', 'aria-label': 'legend of the C world' },
    h('li', {}, h('span', { class: 'swatch cw-ok' }), ' pointer to live memory (dashed: owns no reference)'),
    h('li', {}, h('span', { class: 'swatch cw-dangling' }), ' dangling pointer: the block it names is freed'),
    h('li', {}, h('span', { class: 'swatch cw-freed' }), ' freed block: poisoned by ASan'),
  );
}
