import type { IrOp, IrProgram } from '../ir.ts';
import { mapOpInputs, opResults } from './program.ts';
import { typed } from './verify.ts';

/**
 * The program with every Loop expanded into its trips, in order: trip t's body values are
 * named `<value>@t` (nested trips append), the carried values leaving a trip without gradients
 * pass through a StopGradient, and each Loop result becomes the value it names after the last
 * trip. What `--unroll` exports, what the KV-cache form starts from (every attention
 * application its own cache) and what the bench's PyTorch interpreter reads; pure IR → IR.
 */
export function unrollLoops(program: IrProgram): IrProgram {
  if (!program.ops.some((op) => op.op === 'Loop')) return program;
  const ops: IrOp[] = [];
  const names = new Map<string, string>();
  const top = (v: string) => names.get(v) ?? v;
  expand(program.ops, names, top, '', ops);
  return typed({
    ...program,
    ops,
    outputs: program.outputs.map((o) => ({ ...o, value: top(o.value) })),
    ...(program.supervision
      ? {
          supervision: {
            ...program.supervision,
            state: program.supervision.state.map((s) => ({
              ...s,
              output: top(s.output),
              init: top(s.init),
            })),
          },
        }
      : {}),
  });
}

/**
 * Appends `body` to `out`. `names` receives this scope's renames; `lookup` resolves a name
 * through this scope and the enclosing ones (no copying per trip).
 */
function expand(
  body: readonly IrOp[],
  names: Map<string, string>,
  lookup: (v: string) => string,
  suffix: string,
  out: IrOp[],
): void {
  for (const op of body) {
    if (op.op !== 'Loop') {
      const copy = { ...mapOpInputs(op, lookup), out: `${op.out}${suffix}` };
      out.push(copy);
      // A multi-result op (a recurrent cell) names its other results after `out`.
      if (suffix !== '') {
        const renamed = opResults(copy);
        opResults(op).forEach((r, i) => names.set(r, renamed[i] as string));
      }
      continue;
    }
    let carried = op.init.map(lookup);
    let finals: string[] = [];
    for (let t = 0; t < op.trips; t++) {
      const local = new Map<string, string>();
      op.body.carried.forEach((c, i) => local.set(c, carried[i] as string));
      const inner = (v: string) => local.get(v) ?? lookup(v);
      expand(op.body.ops, local, inner, `${suffix}@${t}`, out);
      let next = op.body.next.map(inner);
      if (t < op.trips - op.gradSteps) {
        next = next.map((v) => {
          const detached = `${v}.detached`;
          out.push({ op: 'StopGradient', x: v, out: detached, source: op.source });
          return detached;
        });
      }
      carried = next;
      if (t === op.trips - 1) finals = op.body.finals.map(inner);
    }
    op.results.forEach((result, i) => {
      const value = (i < carried.length ? carried[i] : finals[i - carried.length]) as string;
      // A top-level Loop's results stay values of the program (callers fetch them by name).
      if (suffix === '') out.push({ op: 'Identity', x: value, out: result, source: op.source });
      else names.set(result, value);
    });
  }
}

/** How many times the ops `matching` run per call: a Loop's body counts once per trip. */
export function countRuns(ops: readonly IrOp[], matching: (op: IrOp) => boolean): number {
  let n = 0;
  for (const op of ops) {
    if (matching(op)) n += 1;
    if (op.op === 'Loop') n += op.trips * countRuns(op.body.ops, matching);
  }
  return n;
}

/** Every op of a program, Loop bodies included (in program order, each body once). */
export function everyOp(ops: readonly IrOp[]): IrOp[] {
  const all: IrOp[] = [];
  for (const op of ops) {
    all.push(op);
    if (op.op === 'Loop') all.push(...everyOp(op.body.ops));
  }
  return all;
}

/**
 * The program with the Loops of the given recursion nodes (`<graph>/<node>`) run `trips`
 * times: a depth sweep without recompiling. Undefined when no Loop comes from those nodes.
 */
export function withTrips(
  program: IrProgram,
  sites: ReadonlySet<string>,
  trips: number,
): IrProgram | undefined {
  let found = false;
  const visit = (ops: readonly IrOp[]): IrOp[] =>
    ops.map((op) => {
      if (op.op !== 'Loop') return op;
      const body = { ...op.body, ops: visit(op.body.ops) };
      if (!sites.has(op.site)) return { ...op, body };
      found = true;
      return { ...op, body, trips, gradSteps: Math.min(op.gradSteps, trips) };
    });
  const ops = visit(program.ops);
  return found ? { ...program, ops } : undefined;
}
