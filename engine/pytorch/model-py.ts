import type { GraphDocument } from '../graph/schema.ts';
import type { Init, IrOp, IrProgram, OpOf } from '../graph/ir.ts';
import { opInputs, opResults } from '../graph/ir/program.ts';
import { findKind } from '../graph/nodes/index.ts';
import { bodyOf } from '../graph/structure.ts';
import { checkTorchNames, identifier, isReserved, torchName } from './names.ts';
import { pyOps, type PyExpr } from './ops.ts';

/**
 * model.py from a compiled program (step mode for a deep-supervision model): PyTorch a person
 * would write. The program's ops are grouped by the graph node that made them (each op's
 * `source` path); a node or component application whose weights all live under its own scope
 * becomes an `nn.Module` class owning those weights (two applications with the same code are
 * one class, two instances; a shared component is one instance called twice), other
 * applications become methods, a recursion (`Loop`) becomes `for` loops over its body's
 * method — the trips without gradients under `torch.no_grad()` — and each op one line with
 * its shape. Weights keep the Studio's names with dots for slashes (`net/layer1/attn/w1` is
 * `net.layer1.attn.w1`), so checkpoints map one to one.
 */

const pascal = (raw: string) =>
  raw
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('') || 'Block';

/**
 * A value's readable base name: an op result (`node.Op#n`) is named after its node, a carried
 * value (`node.y#n`, `node.Loop#n:y`) or a state input (`node.y`) after what it carries.
 */
function baseName(value: string): string {
  const colon = value.lastIndexOf(':');
  if (colon >= 0) return value.slice(colon + 1);
  const dot = value.indexOf('.');
  if (dot < 0) return value;
  const tag = value.slice(dot + 1).split('#')[0]!;
  return tag in pyOps ? value.slice(0, dot) : tag;
}

const dirOf = (name: string) => name.split('/').slice(0, -1).join('/');

function commonDir(names: Iterable<string>): string | undefined {
  let common: string[] | undefined;
  for (const n of names) {
    const d = dirOf(n).split('/').filter(Boolean);
    if (!common) common = d;
    else {
      let i = 0;
      while (i < common.length && i < d.length && common[i] === d[i]) i++;
      common = common.slice(0, i);
    }
  }
  return common?.join('/');
}

/** Values an op reads, its Loop body's reads included (the body's captures are listed). */
const reads = (op: IrOp) => opInputs(op);

/** Every value an op defines, inside a Loop body too. */
function definesDeep(op: IrOp, into: Set<string>): void {
  for (const r of opResults(op)) into.add(r);
  if (op.op === 'Loop') {
    for (const c of op.body.carried) into.add(c);
    for (const inner of op.body.ops) definesDeep(inner, into);
  }
}

function readsDeep(op: IrOp, into: Set<string>): void {
  for (const r of reads(op)) into.add(r);
  if (op.op === 'Loop') for (const inner of op.body.ops) readsDeep(inner, into);
}

/** One graph node's (or component application's) contiguous ops. */
interface App {
  path: string;
  ops: IrOp[];
  /** Every op's source is the path itself (a leaf node, or a recursion's Loop). */
  leaf: boolean;
}

function group(ops: readonly IrOp[], depth: number): App[] {
  const apps: App[] = [];
  for (const op of ops) {
    const segs = op.source.split('/');
    const path = segs.slice(0, depth + 1).join('/');
    const last = apps.at(-1);
    const leaf = segs.length <= depth + 1;
    if (last && last.path === path) {
      last.ops.push(op);
      last.leaf &&= leaf;
    } else apps.push({ path, ops: [op], leaf });
  }
  return apps;
}

interface Fn {
  lines: string[];
  names: Map<string, string>;
  used: Set<string>;
}

interface Owner {
  /** Weight scope of the class being written ('' for the model). */
  scope: string;
  /** Methods of this class, by name: their code. */
  methods: Map<string, string>;
  /** Child modules this class calls: attribute path (relative) → class name. */
  children: Map<string, string>;
}

interface NodeInfo {
  kind: string;
  component?: string;
  doc?: string;
}

export interface ModelPy {
  source: string;
  className: string;
}

export function modelPy(doc: GraphDocument, program: IrProgram): ModelPy {
  checkTorchNames([...program.params.keys(), ...program.buffers.keys()]);
  return new Writer(doc, program).write();
}

/**
 * A program on its own as `class Program(nn.Module)` whose forward takes every program input
 * by position and returns its outputs in order (the op fixtures run each op's case this way).
 */
export function programPy(program: IrProgram): string {
  const doc = { name: 'Program', dims: {}, main: { nodes: [], edges: [] }, components: {} };
  return new Writer(doc as unknown as GraphDocument, program).plain();
}

class Writer {
  private readonly classCode = new Map<string, string>();
  private readonly weights: Set<string>;

  constructor(
    private readonly doc: GraphDocument,
    private readonly program: IrProgram,
  ) {
    this.weights = new Set([...program.params.keys(), ...program.buffers.keys()]);
  }

  /** The node a source path names: kind, and the component it runs. */
  private node(path: string): NodeInfo | undefined {
    const segs = path.split('/');
    let graph = segs[0] === 'main' ? this.doc.main : this.doc.components[segs[0]!];
    let info: NodeInfo | undefined;
    for (const id of segs.slice(1)) {
      const node = graph?.nodes.find((n) => n.id === id);
      if (!node) return undefined;
      const body = bodyOf(node, this.doc.dims);
      info = { kind: node.kind, ...(body ? { component: body.component } : {}) };
      if (body) {
        const comp = this.doc.components[body.component];
        if (comp?.doc) info.doc = comp.doc;
        graph = comp;
      } else graph = undefined;
    }
    return info;
  }

  private shape(value: string): string {
    const t = this.program.values.get(value);
    return t ? `[${t.shape.join(', ')}]` : '';
  }

  write(): ModelPy {
    const p = this.program;
    const className = pascal(this.doc.name ?? 'Model');
    const owner: Owner = { scope: '', methods: new Map(), children: new Map() };
    const tokens = p.inputs.find((i) => i.role === 'tokens');
    const puzzle = p.inputs.find((i) => i.role === 'puzzle');
    const stateIns = p.supervision?.state ?? [];
    const args = (fn: Fn, withState: boolean) => {
      const names: string[] = [];
      if (tokens) names.push(this.bind(fn, tokens.name, 'tokens'));
      names.push(puzzle ? `${this.bind(fn, puzzle.name, 'puzzle')}=None` : 'puzzle=None');
      if (withState) {
        const st = stateIns.map((s) => this.bind(fn, s.input));
        names.push('state=()');
        if (st.length) fn.lines.push(`${st.join(', ')}${st.length === 1 ? ',' : ''} = state`);
      }
      return names;
    };

    // forward: logits, halting logits and the next state.
    const fwd = newFn();
    const fwdArgs = args(fwd, true);
    const outs = p.outputs.filter((o) => o.role === 'logits' || o.role === 'halt');
    const want = [...outs.map((o) => o.value), ...stateIns.map((s) => s.output)];
    this.block(fwd, owner, slice(p.ops, want), 1, new Set(want));
    const ret = [
      ...outs.map((o) => `'${o.role}': ${this.ref(fwd, owner, o.value)}`),
      ...(stateIns.length
        ? [`'state': (${stateIns.map((s) => this.ref(fwd, owner, s.output)).join(', ')},)`]
        : []),
    ];
    fwd.lines.push(`return {${ret.join(', ')}}`);

    const methods = [
      method(
        'forward',
        fwdArgs,
        fwd,
        stateIns.length
          ? 'One deep-supervision step: the logits, the halting logits and the next state.'
          : 'The logits of every position.',
      ),
    ];
    if (stateIns.length) {
      const init = newFn();
      const initArgs = args(init, false);
      const inits = stateIns.map((s) => s.init);
      this.block(init, owner, slice(p.ops, inits), 1, new Set(inits));
      init.lines.push(`return (${inits.map((v) => this.ref(init, owner, v)).join(', ')},)`);
      methods.push(method('initial_state', initArgs, init, 'The state a new example starts from.'));
    }
    methods.push(...owner.methods.values());

    const head = [
      `class ${className}(nn.Module):`,
      indent(docstring(this.doc.description ?? this.doc.name ?? 'The model.'), 1),
      '',
      indent(this.init(owner), 1),
      ...methods.map((m) => `\n${indent(m, 1)}`),
    ];
    const sup = p.supervision;
    const source = [
      PREAMBLE(this.doc),
      ...this.classCode.values(),
      head.join('\n'),
      '',
      `Model = ${className}`,
      `SUPERVISION_STEPS = ${sup ? sup.steps : 0}`,
      `VOCAB = ${JSON.stringify(outputVocab(p))}`,
      `LENGTH = ${typeof tokens?.shape[1] === 'number' ? tokens.shape[1] : 'None'}`,
      `PUZZLE_IDS = ${puzzle ? puzzleRows(p) : 0}`,
      `# Weights without weight decay (norms, biases, the halting bias).`,
      `NO_DECAY = ${pySet([...p.params.values()].filter((w) => !w.decay))}`,
      `# Weights left out of the parameter count (the per-puzzle table, as the paper counts).`,
      `UNCOUNTED = ${pySet([...p.params.values()].filter((w) => w.counted === false))}`,
      `# How the Studio initialises each weight (its exact first values are in init.safetensors).`,
      `INIT = {`,
      ...[...p.params.values(), ...p.buffers.values()].map(
        (w) => `    '${torchName(w.name)}': ${initSpec(w.init)},`,
      ),
      `}`,
      '',
    ].join('\n');
    return { source, className };
  }

  plain(): string {
    const p = this.program;
    const owner: Owner = { scope: '', methods: new Map(), children: new Map() };
    const fn = newFn();
    const args = p.inputs.map((i) => this.bind(fn, i.name));
    const want = p.outputs.map((o) => o.value);
    this.block(fn, owner, slice(p.ops, want), 1, new Set(want));
    fn.lines.push(`return (${want.map((v) => this.ref(fn, owner, v)).join(', ')},)`);
    return [
      PREAMBLE(this.doc),
      ...this.classCode.values(),
      'class Program(nn.Module):',
      indent(this.init(owner), 1),
      '',
      indent(method('forward', args, fn), 1),
      ...[...owner.methods.values()].map((m) => `\n${indent(m, 1)}`),
      '',
    ].join('\n');
  }

  /** `__init__` of a class with weight scope `owner.scope`: its weights and child modules. */
  private init(owner: Owner): string {
    const lines = ['def __init__(self):', '    super().__init__()'];
    const made = new Set<string>();
    const container = (rel: string) => {
      const segs = rel.split('/');
      for (let i = 1; i < segs.length; i++) {
        const at = segs.slice(0, i).join('/');
        if (made.has(at)) continue;
        made.add(at);
        lines.push(`    self.${torchName(at)} = nn.Module()`);
      }
    };
    const children = [...owner.children].sort(([a], [b]) => a.localeCompare(b));
    const under = (name: string) => children.some(([c]) => name.startsWith(`${c}/`));
    const rel = (name: string) => (owner.scope ? name.slice(owner.scope.length + 1) : name);
    const mine = (name: string) => !owner.scope || name.startsWith(`${owner.scope}/`);
    for (const [c, cls] of children) {
      container(c);
      made.add(c);
      lines.push(`    self.${torchName(c)} = ${cls}()`);
    }
    for (const w of this.program.params.values()) {
      if (!mine(w.name) || under(rel(w.name))) continue;
      container(rel(w.name));
      const shape = w.shape.join(', ');
      lines.push(`    self.${torchName(rel(w.name))} = nn.Parameter(torch.empty(${shape}))`);
    }
    for (const b of this.program.buffers.values()) {
      if (!mine(b.name) || under(rel(b.name))) continue;
      const r = rel(b.name);
      container(r);
      const parent = dirOf(r);
      const leaf = r.split('/').at(-1)!;
      const shape = b.shape.join(', ');
      lines.push(
        `    ${parent ? `self.${torchName(parent)}` : 'self'}.register_buffer('${leaf}', torch.empty(${shape}))  # ${b.running ? 'running statistics, updated while training' : 'fixed, not trained'}`,
      );
    }
    return lines.join('\n');
  }

  /** Python name for a value in `fn`, made on first sight. */
  private bind(fn: Fn, value: string, preferred?: string): string {
    const have = fn.names.get(value);
    if (have) return have;
    const base = identifier(preferred ?? baseName(value));
    let name = base;
    for (let i = 2; fn.used.has(name); i++) name = `${base}_${i}`;
    fn.used.add(name);
    fn.names.set(value, name);
    return name;
  }

  /** The Python expression reading `value` in a method of `owner`. */
  private ref(fn: Fn, owner: Owner, value: string): string {
    if (this.weights.has(value)) {
      const rel = owner.scope ? value.slice(owner.scope.length + 1) : value;
      return `self.${torchName(rel)}`;
    }
    const name = fn.names.get(value);
    if (!name) throw new Error(`model.py: "${value}" is read before it is defined.`);
    return name;
  }

  /**
   * Write `ops` (one block: the program's or a Loop body's) into `fn`, grouped by the node at
   * path depth `depth`. `live` holds the values read after the block.
   */
  private block(fn: Fn, owner: Owner, ops: readonly IrOp[], depth: number, live: Set<string>) {
    const apps = group(ops, depth);
    const after: Set<string>[] = apps.map(() => new Set());
    let acc = new Set(live);
    for (let i = apps.length - 1; i >= 0; i--) {
      after[i] = acc;
      const r = new Set(acc);
      for (const op of apps[i]!.ops) readsDeep(op, r);
      acc = r;
    }
    apps.forEach((app, i) => this.app(fn, owner, app, depth, after[i]!));
  }

  private app(fn: Fn, owner: Owner, app: App, depth: number, live: Set<string>): void {
    const id = app.path.split('/').at(-1)!;
    const info = this.node(app.path);
    const defined = new Set<string>();
    const read = new Set<string>();
    for (const op of app.ops) {
      definesDeep(op, defined);
      readsDeep(op, read);
    }
    const weights = [...read].filter((v) => this.weights.has(v));
    const inputs = [...read].filter((v) => !defined.has(v) && !this.weights.has(v));
    const outputs = [...defined].filter((v) => live.has(v) && !app.ops.some((o) => isInner(o, v)));
    const scope = weights.length ? commonDir(weights) : undefined;
    const label = `# ${id}${info ? ` (${info.kind}${info.component ? `: ${info.component}` : ''})` : ''}`;
    const ownScope =
      scope !== undefined &&
      scope.split('/').at(-1) === id &&
      (owner.scope === '' || scope.startsWith(`${owner.scope}/`));

    if (ownScope) {
      // A module owning its weights: a class, called here.
      const child: Owner = { scope: scope!, methods: new Map(), children: new Map() };
      const body = newFn();
      const params = inputs.map((v) => this.bind(body, v));
      this.inner(body, child, app, depth, new Set(outputs));
      body.lines.push(`return ${outputs.map((v) => this.ref(body, child, v)).join(', ')}`);
      const kindName = app.leaf ? pascal(info?.kind ?? id) : pascal(info?.component ?? id);
      const cls = this.classFor(kindName, child, params, body, info);
      const rel = owner.scope ? scope!.slice(owner.scope.length + 1) : scope!;
      owner.children.set(rel, cls);
      this.call(fn, owner, label, `self.${torchName(rel)}`, inputs, outputs);
      return;
    }
    if (app.leaf) {
      if (!(app.ops.length === 1 && app.ops[0]!.op === 'Loop')) fn.lines.push(label);
      this.leaf(fn, owner, app, live);
      return;
    }
    // An application reading weights of other scopes: a method of the owner.
    const body = newFn();
    const params = inputs.map((v) => this.bind(body, v));
    this.inner(body, owner, app, depth, new Set(outputs));
    body.lines.push(`return ${outputs.map((v) => this.ref(body, owner, v)).join(', ')}`);
    const name = this.methodFor(owner, identifier(info?.component ?? id), params, body, info?.doc);
    this.call(fn, owner, label, `self.${name}`, inputs, outputs);
  }

  /** The body of an application: its own ops (a leaf) or its nodes' applications. */
  private inner(fn: Fn, owner: Owner, app: App, depth: number, live: Set<string>): void {
    if (app.leaf) this.leaf(fn, owner, app, live);
    else this.block(fn, owner, app.ops, depth + 1, live);
  }

  /** A leaf's ops one line each; each op knows what is read after it. */
  private leaf(fn: Fn, owner: Owner, app: App, live: Set<string>): void {
    const after: Set<string>[] = [];
    let acc = new Set(live);
    for (let i = app.ops.length - 1; i >= 0; i--) {
      after[i] = acc;
      acc = new Set(acc);
      readsDeep(app.ops[i]!, acc);
    }
    app.ops.forEach((op, i) => this.op(fn, owner, op, app, after[i]!, live));
  }

  private call(
    fn: Fn,
    owner: Owner,
    label: string,
    callee: string,
    inputs: string[],
    outputs: string[],
  ): void {
    const args = inputs.map((v) => this.ref(fn, owner, v)).join(', ');
    const outs = outputs.map((v) => this.bind(fn, v));
    const shapes = outputs.map((v) => this.shape(v)).join(' ');
    fn.lines.push(label);
    fn.lines.push(`${outs.join(', ')} = ${callee}(${args})${shapes ? `  # ${shapes}` : ''}`);
  }

  /** One op: `live` is what is read after it, `outs` what is read after its node. */
  private op(fn: Fn, owner: Owner, op: IrOp, app: App, live: Set<string>, outs: Set<string>) {
    if (op.op === 'Loop') return this.loop(fn, owner, op, live);
    const emit = pyOps[op.op] as PyExpr<typeof op.op>;
    const expr = emit(op as never, (v) => this.ref(fn, owner, v));
    const isOut = outs.has(op.out) || app.ops.at(-1) === op;
    const preferred = isOut ? baseName(op.out) : op.op.toLowerCase();
    const results = opResults(op);
    const names = results.map((r, i) =>
      this.bind(fn, r, i === 0 ? preferred : `${preferred}_${r.split('.').at(-1)}`),
    );
    const shape = results.map((r) => this.shape(r)).join(' ');
    fn.lines.push(`${names.join(', ')} = ${expr}${shape ? `  # ${shape}` : ''}`);
  }

  /** A recursion: its body as a method, called trip by trip; no gradient through the early trips. */
  private loop(fn: Fn, owner: Owner, op: OpOf<'Loop'>, live: Set<string>): void {
    const { body } = op;
    const depth = op.source.split('/').length;
    const info = this.node(op.source);
    const m = newFn();
    const carried = body.carried.map((c) => this.bind(m, c));
    const bodyReads = new Set<string>();
    for (const inner of body.ops) readsDeep(inner, bodyReads);
    const captured = op.captures.filter((v) => !this.weights.has(v) && bodyReads.has(v));
    const capParams = captured.map((v) => this.bind(m, v));
    const results = [...body.next, ...body.finals];
    // A body whose weights all live under its component's own scope is a module of its own.
    const weights = [...bodyReads].filter((v) => this.weights.has(v));
    const scope = weights.length ? commonDir(weights) : undefined;
    const component = info?.component ?? `${baseName(op.out)}_step`;
    const own =
      scope !== undefined &&
      scope.split('/').at(-1) === component &&
      (owner.scope === '' || scope.startsWith(`${owner.scope}/`));
    const where: Owner = own ? { scope: scope!, methods: new Map(), children: new Map() } : owner;
    this.block(m, where, body.ops, depth, new Set(results));
    m.lines.push(`return ${results.map((v) => this.ref(m, where, v)).join(', ')}`);
    let callee: string;
    if (own) {
      const cls = this.classFor(pascal(component), where, [...carried, ...capParams], m, info);
      const rel = owner.scope ? scope!.slice(owner.scope.length + 1) : scope!;
      owner.children.set(rel, cls);
      callee = `self.${torchName(rel)}`;
    } else {
      callee = `self.${this.methodFor(owner, identifier(component), [...carried, ...capParams], m, info?.doc)}`;
    }

    // The carried values take the names they have in the body; a value that enters the loop
    // and is not read after it is the loop variable itself.
    const vars = body.carried.map((c, i) => {
      const entering = op.init[i]!;
      const have = fn.names.get(entering);
      const key = `${op.out}::${c}`;
      const reused = !live.has(entering) && !op.captures.includes(entering);
      if (have === identifier(baseName(c)) && reused) {
        fn.names.set(key, have);
        return have;
      }
      return this.bind(fn, key, baseName(c));
    });
    const init = op.init.map((v) => this.ref(fn, owner, v));
    const caps = captured.map((v) => this.ref(fn, owner, v));
    const finals = body.finals.map((f) => this.bind(fn, `${op.out}::final:${f}`, baseName(f)));
    const call = `${callee}(${[...vars, ...caps].join(', ')})`;
    const noGrad = op.trips - op.gradSteps;
    const id = op.source.split('/').at(-1)!;
    fn.lines.push(
      `# ${id} (recursion: ${info?.component ?? 'body'} ${op.trips} times, gradients through the last ${op.gradSteps})`,
    );
    if (vars.join(', ') !== init.join(', '))
      fn.lines.push(`${vars.join(', ')} = ${init.join(', ')}`);
    const target = (withFinals: boolean) =>
      [...vars, ...body.finals.map((_, i) => (withFinals ? finals[i]! : '_'))].join(', ');
    if (noGrad > 0) {
      fn.lines.push('with torch.no_grad():');
      fn.lines.push(`    for _ in range(${noGrad}):`);
      fn.lines.push(`        ${target(op.gradSteps === 0)} = ${call}`);
    }
    if (op.gradSteps > 0) {
      fn.lines.push(`for _ in range(${op.gradSteps}):`);
      fn.lines.push(`    ${target(true)} = ${call}`);
    }
    // The Loop's results are the carried values after the last trip, then the finals.
    op.results.forEach((r, i) => {
      const v = i < vars.length ? vars[i]! : finals[i - vars.length]!;
      fn.names.set(r, v);
    });
  }

  /** Names of the modules and weights a class holds at its top level (methods must differ). */
  private attributes(owner: Owner): Set<string> {
    const out = new Set(['forward', 'initial_state']);
    for (const name of this.weights) {
      if (owner.scope && !name.startsWith(`${owner.scope}/`)) continue;
      const rel = owner.scope ? name.slice(owner.scope.length + 1) : name;
      out.add(identifier(rel.split('/')[0]!));
    }
    return out;
  }

  private methodFor(owner: Owner, base: string, params: string[], fn: Fn, doc?: string): string {
    const code = (name: string) => method(name, params, fn, doc);
    const taken = this.attributes(owner);
    for (let i = 1; ; i++) {
      const name = i === 1 ? base : `${base}_${i}`;
      if (taken.has(name)) continue;
      const have = owner.methods.get(name);
      if (have === undefined) {
        owner.methods.set(name, code(name));
        return name;
      }
      if (normalise(have) === normalise(code(name))) return name;
    }
  }

  private classFor(base: string, owner: Owner, params: string[], fn: Fn, info?: NodeInfo): string {
    const text = (name: string) =>
      [
        `class ${name}(nn.Module):`,
        indent(docstring(info?.doc ?? findKind(info?.kind ?? '')?.doc ?? info?.kind ?? name), 1),
        '',
        indent(this.init(owner), 1),
        '',
        indent(method('forward', params, fn), 1),
        ...[...owner.methods.values()].map((m) => `\n${indent(m, 1)}`),
      ].join('\n');
    for (let i = 1; ; i++) {
      const name = i === 1 ? base : `${base}${i}`;
      const have = this.classCode.get(name);
      if (have === undefined) {
        this.classCode.set(name, `${text(name)}\n\n`);
        return name;
      }
      // The same code with other local names (called on other values) is the same class.
      if (normalise(have) === normalise(`${text(name)}\n\n`)) return name;
    }
  }
}

/**
 * Code with its local names replaced by their order of appearance, so two methods that differ
 * only in what their values are called compare equal. Attributes (after a dot), strings,
 * comments, class names and reserved names stay.
 */
function normalise(code: string): string {
  const seen = new Map<string, string>();
  const token = /'[^']*'|"""[\s\S]*?"""|#[^\n]*|(\.)?\b([A-Za-z_][A-Za-z0-9_]*)\b/g;
  return code.replace(token, (m: string, dot?: string, word?: string) => {
    if (word === undefined || dot || isReserved(word) || /^[A-Z]/.test(word)) return m;
    if (!seen.has(word)) seen.set(word, `v${seen.size}`);
    return seen.get(word)!;
  });
}

/** Whether `v` is defined inside a Loop body of `op` (not visible outside it). */
function isInner(op: IrOp, v: string): boolean {
  if (op.op !== 'Loop') return false;
  if (op.results.includes(v)) return false;
  const inner = new Set<string>(op.body.carried);
  for (const o of op.body.ops) definesDeep(o, inner);
  return inner.has(v);
}

/** The ops `want` needs, in program order. */
function slice(ops: readonly IrOp[], want: readonly string[]): IrOp[] {
  const need = new Set(want);
  const keep: boolean[] = ops.map(() => false);
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    if (!opResults(op).some((r) => need.has(r))) continue;
    keep[i] = true;
    readsDeep(op, need);
  }
  return ops.filter((_, i) => keep[i]);
}

function newFn(): Fn {
  return { lines: [], names: new Map(), used: new Set(['self']) };
}

function method(name: string, params: string[], fn: Fn, doc?: string): string {
  return [
    `def ${name}(${['self', ...params].join(', ')}):`,
    ...(doc ? [indent(docstring(doc), 1)] : []),
    ...fn.lines.map((l) => `    ${l}`),
  ].join('\n');
}

function indent(text: string, levels: number): string {
  const pad = '    '.repeat(levels);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

function docstring(text: string): string {
  return `"""${text.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"')}"""`;
}

function initSpec(init: Init): string {
  switch (init.kind) {
    case 'normal':
      return `('normal', ${init.std})`;
    case 'truncated-normal':
      return `('truncated-normal', ${init.std}, ${init.corrected ? 'True' : 'False'})`;
    case 'constant':
      return `('constant', ${init.value})`;
    default:
      return `('${init.kind}',)`;
  }
}

function pySet(weights: readonly { name: string }[]): string {
  return weights.length ? `{${weights.map((w) => `'${torchName(w.name)}'`).join(', ')}}` : 'set()';
}

function outputVocab(p: IrProgram): number | null {
  const logits = p.outputs.find((o) => o.role === 'logits');
  const v = logits?.shape.at(-1);
  return typeof v === 'number' ? v : null;
}

function puzzleRows(p: IrProgram): number {
  for (const w of p.params.values()) if (w.counted === false) return w.shape[0] ?? 0;
  return 0;
}

const PREAMBLE = (
  doc: GraphDocument,
) => `"""${doc.name ?? 'Model'}, generated by TRM Studio from its graph.

Each class below is a node or component of the graph that owns its weights; a recursion is a
for loop over its body, its early passes under torch.no_grad(). Weight names are the Studio's
with dots for slashes, so a checkpoint maps to the Studio one to one. Shapes in comments:
B is the batch.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from layers import attention, batch_norm, broadcast_like, group_norm, layer_norm, recurrent, rms_norm, rotary

`;
