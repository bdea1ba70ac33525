import type { EdgeChange, GraphDiff, NodeChange } from './diff.ts';
import { runsBody } from './structure.ts';

/**
 * A graph diff as lines a person reads beside the metric differences, e.g.
 * `block/ffn.hidden 256 → 512 (+65,792 params)`. Pure, so the renderer and the CLI share it.
 */

export interface DiffLine {
  what: 'dim' | 'component' | 'node' | 'wire' | 'total';
  status: 'added' | 'removed' | 'changed';
  text: string;
  /** Weight change this line accounts for (null: none known). */
  delta: number | null;
}

const MINUS = '\u2212';

function count(n: number): string {
  return Math.abs(n).toLocaleString('en-US');
}

/** `+65,792` / `−512` / `0`. */
export function signed(n: number): string {
  return n > 0 ? `+${count(n)}` : n < 0 ? `${MINUS}${count(n)}` : '0';
}

export function formatValue(v: unknown): string {
  if (v === undefined) return 'unset';
  if (typeof v === 'number') return Number.isInteger(v) ? count(v) : String(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

const arrow = (before: unknown, after: unknown) => `${formatValue(before)} → ${formatValue(after)}`;

/** `ffn` in the main graph, `block/ffn` inside a component. */
function pathOf(graph: string, id: string): string {
  return graph === 'main' ? id : `${graph}/${id}`;
}

function deltaText(delta: number | null): string {
  return delta ? ` (${signed(delta)} params)` : '';
}

function nodeLine(n: NodeChange): DiffLine {
  const path = pathOf(n.graph, n.id);
  const base = { what: 'node' as const, status: n.status, delta: n.weights.delta };
  if (n.status === 'added' || n.status === 'removed') {
    const sign = n.status === 'added' ? '+' : MINUS;
    return {
      ...base,
      text: `${sign} ${path} (${n.kind}) ${n.status}${deltaText(n.weights.delta)}`,
    };
  }
  const onlyParam =
    n.params.length === 1 && !n.renamedFrom && !n.kindBefore && !n.label && !n.dims.length;
  if (onlyParam) {
    const p = n.params[0]!;
    return {
      ...base,
      text: `${path}.${p.key} ${arrow(p.before, p.after)}${deltaText(n.weights.delta)}`,
    };
  }
  const parts: string[] = [];
  if (n.renamedFrom) parts.push(`renamed from ${n.renamedFrom}`);
  if (n.kindBefore) parts.push(`kind ${n.kindBefore} → ${n.kind}`);
  for (const p of n.params) parts.push(`${p.key} ${arrow(p.before, p.after)}`);
  if (n.label) parts.push(`label ${arrow(n.label.before, n.label.after)}`);
  if (n.dims.length) parts.push(`uses ${n.dims.join(', ')}`);
  if (!parts.length) {
    const via = runsBody(n.kind) ? 'its component' : 'its inputs';
    parts.push(`resized by ${via}`);
  }
  return { ...base, text: `${path}: ${parts.join(', ')}${deltaText(n.weights.delta)}` };
}

function wireLine(e: EdgeChange): DiffLine {
  const sign = e.status === 'added' ? '+' : MINUS;
  const at = e.graph === 'main' ? '' : ` in ${e.graph}`;
  return {
    what: 'wire',
    status: e.status,
    delta: null,
    text: `${sign} wire ${e.from.node}.${e.from.port} → ${e.to.node}.${e.to.port}${at}`,
  };
}

/** Every change as one line: dims, components, nodes, wires, then the total. */
export function describeDiff(diff: GraphDiff): DiffLine[] {
  const lines: DiffLine[] = [];
  for (const d of diff.dims) {
    const status = d.before === undefined ? 'added' : d.after === undefined ? 'removed' : 'changed';
    lines.push({
      what: 'dim',
      status,
      delta: null,
      text: `dim ${d.name} ${arrow(d.before, d.after)}`,
    });
  }
  for (const c of diff.components) {
    const text =
      c.status === 'renamed'
        ? `component ${c.renamedFrom} renamed to ${c.name}`
        : `${c.status === 'added' ? '+' : MINUS} component ${c.name} (${c.nodes} nodes) ${c.status}`;
    lines.push({
      what: 'component',
      status: c.status === 'renamed' ? 'changed' : c.status,
      delta: null,
      text,
    });
  }
  for (const n of diff.nodes) lines.push(nodeLine(n));
  for (const e of diff.edges) lines.push(wireLine(e));
  const t = diff.totalParams;
  if (t && t.delta !== 0) {
    lines.push({
      what: 'total',
      status: 'changed',
      delta: t.delta,
      text: `total ${count(t.before ?? 0)} → ${count(t.after ?? 0)} params (${signed(t.delta)})`,
    });
  }
  return lines;
}
