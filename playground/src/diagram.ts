// The live diagram: your variables on the left, the SSL_SESSION objects in the middle with their C
// reference counts, OpenSSL's own holders (connections, caches) on the right. Each reference is an
// arrow from its holder to the session; arrows that appear are drawn in, arrows that go fade out.
// Every node also lists its holders as text, so nothing depends on seeing the arrows.
import { fill, h, svg } from './dom.js';
import type { SessionNode, Snapshot, VariableState } from './world.js';

export interface Selection {
  variable: string | null;
  connection: string | null;
  context: string | null;
}

interface Edge {
  key: string;
  from: string;
  to: string;
  kind: 'handle' | 'connection' | 'cache' | 'borrow';
  references: number;
}

/** OpenSSL's protocol numbers as people say them. */
export const PROTOCOLS = new Map<number, string>([
  [0x0303, 'TLS 1.2'],
  [0x0304, 'TLS 1.3'],
]);

const STATE_TEXT: Record<VariableState['state'], string> = {
  owns: 'owns',
  borrowed: 'borrowed view, no reference',
  expired: 'expired view',
  freed: 'freed: a dangling pointer in C',
};

export class Diagram {
  private edges: Edge[] = [];
  private readonly svgEl: SVGSVGElement;
  private readonly cols: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly select: (kind: keyof Selection, id: string) => void,
  ) {
    this.cols = h('div', { class: 'diagram-cols' });
    this.svgEl = svg('svg', { class: 'arrows', 'aria-hidden': 'true', focusable: 'false' });
    const defs = svg('defs');
    for (const kind of ['handle', 'connection', 'cache', 'borrow', 'leave']) {
      const marker = svg('marker', {
        id: `head-${kind}`,
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse',
      });
      marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: `head head-${kind}` }));
      defs.append(marker);
    }
    this.svgEl.append(defs);
    root.append(this.cols, this.svgEl);
    new ResizeObserver(() => this.draw(false)).observe(root);
  }

  /** Forgets every arrow without animation (a new world: nothing was released, it is another instance). */
  clear(): void {
    for (const g of this.svgEl.querySelectorAll('g.edge')) g.remove();
    this.edges = [];
  }

  /** `refused`: the session a refused call named, marked as untouched by it. */
  render(snap: Snapshot, ghosts: SessionNode[], sel: Selection, refused: string | null = null): void {
    const sessions = [...snap.sessions, ...ghosts].sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
    const live = new Set(snap.sessions.map((s) => s.id));

    const vars = snap.variables.map((v) =>
      h(
        'li',
        {
          class: `node var kind-${v.kind} state-${v.state}`,
          'data-node': v.name,
          'data-testid': `holder-${v.name}`,
          'data-kind': v.kind,
          'data-state': v.state,
          'data-references': v.references,
          'data-session': v.session,
        },
        h(
          'button',
          {
            type: 'button',
            class: 'node-button',
            'aria-pressed': sel.variable === v.name ? 'true' : 'false',
            'aria-label': `select ${v.name}: ${v.kind} of ${v.session}, ${describeVariable(v)}`,
            onclick: () => this.select('variable', v.name),
          },
          h('span', { class: 'node-title' }, h('code', {}, v.name), ' ', h('span', { class: 'tag' }, v.kind)),
          h('span', { class: 'node-line' }, `→ ${v.session} · ${describeVariable(v)}`),
          h('span', { class: 'node-line dim' }, v.origin),
        ),
      ),
    );

    const nodes = sessions.map((s) => {
      const d = s.details;
      const facts = d
        ? [
            PROTOCOLS.get(d.protocol) ?? (d.protocol === 0 ? 'no protocol' : `0x${d.protocol.toString(16)}`),
            d.ticket ? 'ticket' : null,
            d.resumable ? 'resumable' : 'not resumable',
          ]
            .filter(Boolean)
            .join(' · ')
        : 'fields not read';
      return h(
        'li',
        {
          class: `node session${s.freed ? ' freed' : ''}`,
          'data-node': s.id,
          'data-testid': `session-${s.id}`,
          'data-references': s.references,
          'data-handle-references': s.handleReferences,
          'data-state': s.freed ? 'freed' : 'live',
        },
        h(
          'div',
          { class: 'session-head' },
          h('span', { class: 'node-title' }, s.id),
          h(
            'span',
            { class: 'references', 'aria-label': `OpenSSL's count: ${s.references} references` },
            'references ',
            h('b', {}, s.references),
          ),
        ),
        s.id === refused
          ? h(
              'span',
              { class: 'refused-mark', 'data-testid': 'refused-mark' },
              `refused call: references still ${s.references}, holders untouched`,
            )
          : null,
        s.freed
          ? h('span', { class: 'node-line' }, 'freed: the count reached 0 and OpenSSL released the memory')
          : h('span', { class: 'node-line dim' }, facts),
        h(
          'ul',
          { class: 'holders', 'data-testid': `holders-${s.id}`, 'aria-label': `holders of ${s.id}` },
          ...s.holders.map((e) =>
            h(
              'li',
              { 'data-holder': e.node, 'data-kind': e.kind, 'data-references': e.references, class: `holder holder-${e.kind}` },
              `${e.kind === 'cache' ? e.label : `${e.label} · ${e.kind}`}${e.references > 1 ? ` ×${e.references}` : ''}`,
            ),
          ),
          s.unattributed > 0
            ? h(
                'li',
                { 'data-kind': 'unattributed', 'data-references': s.unattributed, class: 'holder' },
                `inside OpenSSL ×${s.unattributed}`,
              )
            : null,
        ),
      );
    });

    const liveConnections = snap.connections.filter((c) => c.state !== 'freed');
    const conns = liveConnections.map((c) =>
      h(
        'li',
        {
          class: 'node conn',
          'data-node': c.id,
          'data-testid': `holder-${c.id}`,
          'data-kind': 'connection',
          'data-state': c.state,
        },
        h(
          'button',
          {
            type: 'button',
            class: 'node-button',
            'aria-pressed': sel.connection === c.id ? 'true' : 'false',
            'aria-label': `select connection ${c.id}`,
            onclick: () => this.select('connection', c.id),
          },
          h('span', { class: 'node-title' }, c.id, ' ', h('span', { class: 'tag' }, `SSL · ${c.role}`)),
          h(
            'span',
            { class: 'node-line dim' },
            c.state === 'pending'
              ? 'not connected yet (SSL_set_session done)'
              : `${c.protocol ?? ''} · resumed: ${c.reused ? 'yes' : 'no'}`,
          ),
        ),
      ),
    );
    const caches = snap.caches.map((x) =>
      h(
        'li',
        {
          class: 'node cache',
          'data-node': x.id,
          'data-testid': `holder-${x.id}`,
          'data-kind': 'cache',
          'data-sessions': x.sessions,
        },
        h(
          'button',
          {
            type: 'button',
            class: 'node-button',
            'aria-pressed': sel.context === x.id ? 'true' : 'false',
            'aria-label': `select context ${x.id}`,
            onclick: () => this.select('context', x.id),
          },
          h('span', { class: 'node-title' }, `${x.id} cache`, ' ', h('span', { class: 'tag' }, 'SSL_CTX')),
          h('span', { class: 'node-line dim' }, `${x.label} · ${x.sessions} in cache`),
        ),
      ),
    );

    fill(
      this.cols,
      h(
        'div',
        { class: 'col col-js' },
        h('h3', {}, 'Your program'),
        h('p', { class: 'col-note' }, 'handles own references; views borrow'),
        vars.length ? h('ul', { class: 'nodes' }, ...vars) : h('p', { class: 'empty' }, 'no variables yet'),
      ),
      h(
        'div',
        { class: 'col col-sessions' },
        h('h3', {}, 'SSL_SESSION objects'),
        h('p', { class: 'col-note' }, 'references = OpenSSL’s own count'),
        nodes.length ? h('ul', { class: 'nodes' }, ...nodes) : h('p', { class: 'empty', 'data-testid': 'no-sessions' }, 'no live sessions'),
      ),
      h(
        'div',
        { class: 'col col-openssl' },
        h('h3', {}, 'Inside OpenSSL'),
        h('p', { class: 'col-note' }, 'connections (SSL) and caches (SSL_CTX)'),
        h('ul', { class: 'nodes' }, ...conns, ...caches),
      ),
    );

    this.edges = [];
    for (const s of sessions) {
      for (const e of s.holders) {
        this.edges.push({ key: `${e.node}->${s.id}`, from: e.node, to: s.id, kind: e.kind, references: e.references });
      }
    }
    for (const v of snap.variables) {
      if (v.state === 'borrowed' && live.has(v.session)) {
        this.edges.push({ key: `${v.name}~>${v.session}`, from: v.name, to: v.session, kind: 'borrow', references: 0 });
      }
    }
    this.draw(true);
  }

  /**
   * Places every edge's arrow. With `animate` (after an action), arrows that are new are drawn in and
   * arrows whose reference is gone fade out where they were; a resize only moves them.
   */
  private draw(animate: boolean): void {
    const box = this.root.getBoundingClientRect();
    this.svgEl.setAttribute('width', String(box.width));
    this.svgEl.setAttribute('height', String(box.height));
    this.svgEl.setAttribute('viewBox', `0 0 ${box.width} ${box.height}`);
    const rects = new Map<string, DOMRect>();
    for (const el of this.cols.querySelectorAll<HTMLElement>('[data-node]')) {
      const r = el.getBoundingClientRect();
      rects.set(el.dataset.node ?? '', new DOMRect(r.x - box.x, r.y - box.y, r.width, r.height));
    }
    // Columns side by side: arrows cross the gutters sideways; stacked (narrow screen): up and down.
    const js = this.cols.querySelector('.col-js')?.getBoundingClientRect();
    const middle = this.cols.querySelector('.col-sessions')?.getBoundingClientRect();
    const stacked = js !== undefined && middle !== undefined && middle.top >= js.bottom - 1;
    const routes = route(this.edges, rects, stacked);
    const existing = new Map<string, SVGGElement>();
    for (const g of this.svgEl.querySelectorAll<SVGGElement>('g.edge[data-arrow]')) existing.set(g.dataset.arrow ?? '', g);
    for (const e of this.edges) {
      const r = routes.get(e.key);
      if (!r) continue;
      let g = existing.get(e.key);
      existing.delete(e.key);
      if (!g) {
        g = svg('g', { class: `edge edge-${e.kind}${animate ? ' enter' : ''}`, 'data-arrow': e.key });
        // pathLength 1 lets CSS draw the line in; a dashed borrow keeps real lengths for its dashes.
        g.append(
          svg(
            'path',
            e.kind === 'borrow' ? { 'marker-end': 'url(#head-borrow)' } : { 'marker-end': `url(#head-${e.kind})`, pathLength: 1 },
          ),
        );
        this.svgEl.append(g);
      }
      g.querySelector('path')?.setAttribute('d', r.d);
      g.querySelector('text')?.remove();
      if (e.references > 1) {
        const t = svg('text', { x: r.mid.x, y: r.mid.y - 5, 'text-anchor': 'middle' });
        t.textContent = `×${e.references}`;
        g.append(t);
      }
    }
    for (const [key, g] of existing) {
      if (!animate) {
        g.remove();
        continue;
      }
      g.removeAttribute('data-arrow');
      g.setAttribute('data-arrow-gone', key);
      g.setAttribute('class', 'edge leave');
      const path = g.querySelector('path');
      path?.setAttribute('marker-end', 'url(#head-leave)');
      path?.removeAttribute('pathLength');
      g.querySelector('text')?.remove();
      setTimeout(() => g.remove(), 1600);
    }
  }
}

type Side = 'left' | 'right';

/**
 * Routes each edge as a curve between facing sides of its two boxes, so it runs in the gutter
 * between columns (or between rows, when the columns stack) rather than behind other nodes. Endpoints that
 * share a side are spread along it in the order of their other ends, so arrows do not cross there.
 */
function route(edges: Edge[], rects: Map<string, DOMRect>, stacked: boolean): Map<string, { d: string; mid: DOMPoint }> {
  interface End {
    edge: Edge;
    node: string;
    side: Side;
    /** Where the other end is, along this side (to order the ends). */
    order: number;
    point?: DOMPoint;
  }
  const ends: End[] = [];
  const pairs = new Map<string, [End, End]>();
  for (const e of edges) {
    const a = rects.get(e.from);
    const b = rects.get(e.to);
    if (!a || !b) continue;
    let sa: Side;
    let sb: Side;
    if (stacked) {
      // One node per row: your references run down the left margin, OpenSSL's up the right one.
      sa = sb = e.kind === 'handle' || e.kind === 'borrow' ? 'left' : 'right';
    } else [sa, sb] = a.x + a.width / 2 < b.x + b.width / 2 ? ['right', 'left'] : ['left', 'right'];
    const from: End = { edge: e, node: e.from, side: sa, order: b.y + b.height / 2 };
    const to: End = { edge: e, node: e.to, side: sb, order: a.y + a.height / 2 };
    ends.push(from, to);
    pairs.set(e.key, [from, to]);
  }
  const groups = new Map<string, End[]>();
  for (const end of ends) {
    const k = `${end.node}|${end.side}`;
    groups.set(k, [...(groups.get(k) ?? []), end]);
  }
  for (const group of groups.values()) {
    group.sort((x, y) => x.order - y.order);
    const r = rects.get(group[0].node) as DOMRect;
    group.forEach((end, i) => {
      const f = (i + 1) / (group.length + 1);
      const along = (lo: number, size: number) => lo + Math.min(size - 8, Math.max(8, size * f));
      end.point = new DOMPoint(end.side === 'left' ? r.left : r.right, along(r.top, r.height));
    });
  }
  const out = new Map<string, { d: string; mid: DOMPoint }>();
  for (const [key, [from, to]] of pairs) {
    const p = outward(from.point as DOMPoint, from.side, 2);
    const q = outward(to.point as DOMPoint, to.side, 3);
    // Across a gutter the bend is half the distance; along a margin it stays inside the margin.
    const k = from.side === to.side ? Math.min(36, Math.max(16, Math.abs(q.y - p.y) / 3)) : Math.max(18, Math.abs(q.x - p.x) / 2);
    const c1 = outward(p, from.side, k);
    const c2 = outward(q, to.side, k);
    const mid = new DOMPoint((p.x + 3 * c1.x + 3 * c2.x + q.x) / 8, (p.y + 3 * c1.y + 3 * c2.y + q.y) / 8);
    out.set(key, { d: `M${p.x},${p.y} C${c1.x},${c1.y} ${c2.x},${c2.y} ${q.x},${q.y}`, mid });
  }
  return out;
}

/** `p` moved `by` pixels out of its box, through `side`. */
function outward(p: DOMPoint, side: Side, by: number): DOMPoint {
  return new DOMPoint(side === 'left' ? p.x - by : p.x + by, p.y);
}

function describeVariable(v: VariableState): string {
  if (v.state === 'owns') return `owns ${v.references} reference${v.references === 1 ? '' : 's'}`;
  return STATE_TEXT[v.state];
}
