import type { Diagnostic } from './diagnostics.ts';
import { messages } from './diagnostics.ts';
import { numel } from './dims.ts';
import { hashSeed } from './init.ts';
import type { IrBuffer, IrOp, IrOutput, IrParam, IrProgram, IrState, ValueType } from './ir.ts';
import { opInputs, opResults, typeResults } from './ir/program.ts';
import type {
  KindContext,
  LowerContext,
  LowerMode,
  NodeKind,
  Ports,
  Scope,
  TensorType,
  TensorValue,
} from './node-kind.ts';
import { prepareGraph, type PreparedGraph } from './prepare.ts';
import type { GraphDocument } from './schema.ts';
import { bodyOf, portSide } from './structure.ts';

/** What the compiler learned about one node of one graph (first instance seen). */
export interface NodeReport {
  graph: string;
  node: string;
  kind: string;
  outputs: Record<string, TensorType>;
  /** Weights first declared under this main-graph node (main graph only). */
  params: number;
  /** Forward FLOPs per token, recursion steps included (main graph only). */
  flopsPerToken: number;
  /** The IR value each output port lowered to (first instance), typed in `program.values`. */
  values?: Record<string, string>;
}

export interface CompileResult {
  /** Present when there are no errors. */
  program?: IrProgram;
  diagnostics: Diagnostic[];
  /** Keyed `graph/node`. */
  nodes: Map<string, NodeReport>;
  /** Trained values in the total, as papers count them. */
  totalParams: number;
  /** Trained values left out of the total (a TRM's per-puzzle embedding). */
  uncountedParams: number;
  /** The main-graph node each weight was first declared under (weight name → node id). */
  owners: Map<string, string>;
}

export interface CompileOptions {
  mode?: LowerMode;
  /** Refuse to unroll into more ops than this (a runaway recursion would exhaust memory). */
  maxOps?: number;
}

/** A recursion lowered as one Loop op (see Compiler.loop). */
export interface LoopSpec {
  steps: number;
  /** Trips at the end that keep gradients. */
  gradSteps: number;
  carry: { output: string; input: string }[];
  /** The recursion node's inputs: carried ones are the initial values. */
  inputs: Record<string, TensorValue>;
}

/** Components and recursions nest at most this deep (analysis stops walking there too). */
export const MAX_NESTING = 32;

class Compiler {
  readonly diagnostics: Diagnostic[] = [];
  private readonly seenDiag = new Set<string>();
  readonly nodes = new Map<string, NodeReport>();
  readonly params = new Map<string, IrParam>();
  readonly paramOwner = new Map<string, string>();
  readonly buffers = new Map<string, IrBuffer>();
  readonly ops: IrOp[] = [];
  /** Every value's type, set as inputs, weights and ops are created. */
  readonly values = new Map<string, ValueType>();
  readonly program: IrProgram;
  private readonly prepared = new Map<string, PreparedGraph>();
  /** Ports per component, derived once: every instance node asks for them several times. */
  private readonly ports = new Map<string, Ports>();
  private names: string[] | undefined;
  private isCausal: boolean | undefined;
  private readonly stack: string[] = [];
  private counter = 0;
  private topNode = '';
  private flopScale = 1;
  /**
   * Check mode lowers a recursion's body once: ops count here times the steps training unrolls
   * (not a deep-supervision loop, which trains one step at a time), so validation refuses what
   * training's op budget would.
   */
  private opScale = 1;
  private unrolled = 0;
  /** Ops the program would hold unrolled: a Loop's body counts once per trip. */
  private emitted = 0;
  /** Where `op` appends: the program's ops, or the body of the Loop being lowered. */
  private target: IrOp[];
  /** Program outputs declared while each enclosing Loop body is lowered (heads in bodies). */
  private readonly bodyOutputs: IrOutput[][] = [];
  private aborted = false;
  /** Head ids used by more than one head: their outputs are named by path instead. */
  private readonly sharedHeadIds = new Set<string>();
  /** Paths of the recursions being lowered, outermost first. */
  private readonly recursions: string[] = [];
  /** Path of the deep-supervision recursion, once one is seen. */
  private supervisedAt: string | undefined;

  constructor(
    readonly doc: GraphDocument,
    readonly mode: LowerMode,
    readonly maxOps: number,
  ) {
    this.program = {
      inputs: [],
      outputs: [],
      params: this.params,
      buffers: this.buffers,
      ops: this.ops,
      values: this.values,
    };
    this.target = this.ops;
  }

  report(d: Diagnostic): void {
    const key = `${d.graph}|${d.node}|${d.port}|${d.code}|${d.message}`;
    if (this.seenDiag.has(key)) return;
    this.seenDiag.add(key);
    this.diagnostics.push(d);
  }

  graphFor(name: string): PreparedGraph | undefined {
    const cached = this.prepared.get(name);
    if (cached) return cached;
    const graph = name === 'main' ? this.doc.main : this.component(name);
    if (!graph) return undefined;
    const label = name === 'main' ? 'main' : `components.${name}`;
    const prepared = prepareGraph(
      graph,
      label,
      name === 'main',
      this.doc,
      (d) => this.report(d),
      (c) => this.componentPorts(c),
      () => this.componentNames(),
    );
    if (name !== 'main') this.checkComponentPorts(name, prepared);
    this.prepared.set(name, prepared);
    return prepared;
  }

  /** A component needs at least one output, and unique port names (instances bind by name). */
  checkComponentPorts(name: string, prepared: PreparedGraph): void {
    const ports = this.componentPorts(name);
    if (!ports) return;
    const problem = (detail: string) => {
      prepared.ok = false;
      this.report({
        severity: 'error',
        ...messages.componentPorts(name, detail),
        graph: prepared.label,
      });
    };
    if (ports.outputs.length === 0)
      problem('has no component-output node, so its instances produce nothing. Add one');
    for (const [dir, list] of [
      ['input', ports.inputs],
      ['output', ports.outputs],
    ] as const) {
      const names = list.map((p) => p.name);
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice !== undefined)
        problem(`has two ${dir} ports called "${twice}". Give each ${dir} port a unique name`);
    }
  }

  /** A component by name; own properties only, so "constructor" or "toString" are not components. */
  component(name: string): GraphDocument['components'][string] | undefined {
    return Object.hasOwn(this.doc.components, name) ? this.doc.components[name] : undefined;
  }

  componentPorts(name: string): Ports | undefined {
    const cached = this.ports.get(name);
    if (cached) return cached;
    const graph = this.component(name);
    if (!graph) return undefined;
    const inputs = graph.nodes
      .filter((n) => portSide(n.kind) === 'input')
      .map((n) => ({
        name: rawPortName(n),
        doc: `input of ${name}`,
        type: 'any' as const,
      }));
    const outputs = graph.nodes
      .filter((n) => portSide(n.kind) === 'output')
      .map((n) => ({
        name: rawPortName(n),
        doc: `output of ${name}`,
        type: 'any' as const,
      }));
    this.ports.set(name, { inputs, outputs });
    return { inputs, outputs };
  }

  /** Listed once: a message per unknown component must not copy every name again. */
  componentNames(): string[] {
    this.names ??= Object.keys(this.doc.components);
    return this.names;
  }

  /** See KindContext.causal: read from the prepared graphs, whose parameters hold defaults. */
  causal(): boolean {
    this.isCausal ??= ['main', ...this.componentNames()].some((name) =>
      [...(this.graphFor(name)?.byId.values() ?? [])].some((n) => n.params.causal === true),
    );
    return this.isCausal;
  }

  fresh(hint: string): string {
    this.counter += 1;
    return `${hint}#${this.counter}`;
  }

  /** Walk one graph in topological order; returns the values reaching its component outputs. */
  run(
    name: string,
    scope: Scope,
    bound: Record<string, TensorValue>,
    path: string,
    via?: { graph: string; node: string },
  ): Record<string, TensorValue> | undefined {
    if (this.aborted) return undefined;
    if (this.stack.includes(name)) {
      this.report({
        severity: 'error',
        ...messages.componentCycle([...this.stack.slice(this.stack.indexOf(name)), name]),
        ...via,
      });
      return undefined;
    }
    if (this.stack.length >= MAX_NESTING) {
      this.report({ severity: 'error', ...messages.tooDeep(MAX_NESTING), ...via });
      this.aborted = true;
      return undefined;
    }
    const graph = this.graphFor(name);
    if (!graph) return undefined;
    this.stack.push(name);
    const values = new Map<string, Record<string, TensorValue>>();
    const results: Record<string, TensorValue> = {};
    let complete = graph.ok;
    for (const node of graph.order) {
      if (this.aborted) break;
      const isTop = name === 'main' && this.stack.length === 1;
      if (isTop) this.topNode = node.id;
      const inputs: Record<string, TensorValue> = {};
      let missing = false;
      for (const port of node.ports.inputs) {
        const edge = graph.incoming.get(`${node.id}.${port.name}`);
        const v = edge ? values.get(edge.node)?.[edge.port] : undefined;
        if (v) inputs[port.name] = v;
        else if (!port.optional) missing = true;
      }
      if (node.kind.port === 'input') {
        const bind = bound[String(node.params.name ?? node.id)];
        if (bind) values.set(node.id, { out: bind });
        else complete = false;
        this.record(graph.label, node.id, node.kind.kind, bind ? { out: bind } : {});
        continue;
      }
      if (missing) {
        complete = false;
        continue;
      }
      const out = this.compileNode(graph, node, inputs, scope, `${path}/${node.id}`);
      if (!out) {
        complete = false;
        continue;
      }
      values.set(node.id, out);
      if (node.kind.port === 'output') {
        results[String(node.params.name ?? node.id)] = out.value as TensorValue;
      }
    }
    this.stack.pop();
    return complete ? results : undefined;
  }

  record(graph: string, node: string, kind: string, outputs: Record<string, TensorType>): void {
    const key = `${graph}/${node}`;
    if (this.nodes.has(key)) return;
    this.nodes.set(key, { graph, node, kind, outputs, params: 0, flopsPerToken: 0 });
  }

  compileNode(
    graph: PreparedGraph,
    node: PreparedGraph['order'][number],
    inputs: Record<string, TensorValue>,
    scope: Scope,
    path: string,
  ): Record<string, TensorValue> | undefined {
    const kind = node.kind as NodeKind;
    const ctx = this.lowerContext(graph, node.id, scope, path);
    const types = inputs as Record<string, TensorType>;
    for (const port of node.ports.inputs) {
      const v = inputs[port.name];
      if (!v || port.type === 'any') continue;
      const wanted = port.type === 'tokens' ? 'int32' : 'float32';
      if (v.dtype !== wanted) {
        ctx.report({
          ...messages.dtypeMismatch(
            node.id,
            port.name,
            port.type === 'tokens' ? 'token ids' : 'activations',
            v.dtype === 'int32' ? 'token ids' : 'activations',
          ),
          port: port.name,
        });
        return undefined;
      }
    }
    const before = this.diagnostics.length;
    const outTypes = kind.infer(node.params, types, ctx);
    this.record(graph.label, node.id, kind.kind, outTypes ?? {});
    if (!outTypes || this.diagnostics.slice(before).some((d) => d.severity === 'error'))
      return undefined;
    const w: Record<string, string> = {};
    for (const spec of kind.weights(node.params, types, ctx)) {
      const name = `${scope.prefix}${node.id}/${spec.local}`;
      w[spec.local] = name;
      if (!this.params.has(name)) {
        this.params.set(name, {
          name,
          shape: spec.shape,
          init: spec.init,
          decay: spec.decay,
          ...(spec.counted === false ? { counted: false as const } : {}),
        });
        this.values.set(name, { dtype: 'float32', shape: [...spec.shape] });
        this.paramOwner.set(name, this.topNode);
        const top = this.nodes.get(`main/${this.topNode}`);
        if (top && spec.counted !== false) top.params += numel(spec.shape);
      }
    }
    const top = this.nodes.get(`main/${this.topNode}`);
    if (top) top.flopsPerToken += this.flopScale * kind.flopsPerToken(node.params, types, ctx);
    if (kind.kind === 'recursion' && node.params.deepSupervision === true) {
      if (!this.checkSupervision(node.id, path, ctx)) return undefined;
    }
    const isRecursion = kind.kind === 'recursion';
    if (isRecursion) this.recursions.push(path);
    let out: Record<string, TensorValue> | undefined;
    try {
      out = kind.lower(node.params, inputs, ctx, w);
    } finally {
      if (isRecursion) this.recursions.pop();
    }
    if (out) {
      const report = this.nodes.get(`${graph.label}/${node.id}`);
      if (report && Object.keys(report.outputs).length === 0) {
        for (const [port, v] of Object.entries(out))
          report.outputs[port] = { shape: v.shape, dtype: v.dtype };
      }
      if (report && !report.values)
        report.values = Object.fromEntries(Object.entries(out).map(([port, v]) => [port, v.value]));
    }
    if ((this.emitted > this.maxOps || this.unrolled > this.maxOps) && !this.aborted) {
      this.report({ severity: 'error', ...messages.tooLarge(this.maxOps) });
      this.aborted = true;
    }
    return out;
  }

  /**
   * Types an op's output by its rule. A rule that fails means a node kind lowered to an
   * ill-typed program: reported (the document gets no program) instead of thrown.
   */
  type(op: IrOp): void {
    try {
      const names = opResults(op);
      const types = typeResults(op, (v) => {
        const t = this.values.get(v);
        if (!t) throw new Error(`${op.op} from ${op.source} reads "${v}", which has no type`);
        return t;
      });
      types.forEach((t, i) => this.values.set(names[i] as string, t));
    } catch (e) {
      if (this.aborted) return;
      this.report({ severity: 'error', ...messages.illTyped((e as Error).message) });
      this.aborted = true;
    }
  }

  /**
   * A recursion with shared weights as one Loop op: the body is lowered once, from inner names
   * for the carried values; what the body reads from outside becomes the Loop's captures, and
   * heads declared inside it read the Loop's finals (their value after the last trip).
   */
  loop(
    nodeId: string,
    source: string,
    site: string,
    spec: LoopSpec,
    lowerBody: (bound: Record<string, TensorValue>) => Record<string, TensorValue> | undefined,
  ): Record<string, TensorValue> | undefined {
    const carried = spec.carry.map((pair) => {
      const init = spec.inputs[pair.input] as TensorValue;
      const name = this.fresh(`${nodeId}.${pair.input}`);
      const t = this.values.get(init.value) ?? { dtype: init.dtype, shape: [...init.shape] };
      this.values.set(name, { dtype: t.dtype, shape: [...t.shape] });
      return { pair, init, name };
    });
    const bound = { ...spec.inputs };
    for (const c of carried) bound[c.pair.input] = { ...c.init, value: c.name };
    const ops: IrOp[] = [];
    const outer = this.target;
    const before = this.emitted;
    this.target = ops;
    this.bodyOutputs.push([]);
    let out: Record<string, TensorValue> | undefined;
    try {
      out = lowerBody(bound);
    } finally {
      this.target = outer;
    }
    const heads = this.bodyOutputs.pop() as IrOutput[];
    if (!out || this.aborted) return undefined;
    this.emitted += (this.emitted - before) * (spec.steps - 1) + 1;
    const body = out;
    const next = carried.map((c) => (body[c.pair.output] as TensorValue).value);
    const ports = Object.keys(body).filter((p) => !spec.carry.some((c) => c.output === p));
    const finals = [
      ...new Set([
        ...ports.map((p) => (body[p] as TensorValue).value),
        ...heads.map((h) => h.value),
      ]),
    ];
    const defined = new Set([...carried.map((c) => c.name), ...ops.flatMap(opResults)]);
    const captures = [...new Set(ops.flatMap(opInputs))].filter((v) => !defined.has(v));
    const id = this.fresh(`${nodeId}.Loop`);
    const results = [
      ...spec.carry.map((c) => `${id}:${c.output}`),
      ...finals.map((_, j) => `${id}:final${j}`),
    ];
    const op: IrOp = {
      op: 'Loop',
      site,
      trips: spec.steps,
      gradSteps: spec.gradSteps,
      init: carried.map((c) => c.init.value),
      captures,
      body: { carried: carried.map((c) => c.name), ops, next, finals },
      results,
      out: results[0] as string,
      source,
    };
    this.target.push(op);
    this.type(op);
    const resultOf = (value: string, port?: string): string => {
      const k = port === undefined ? -1 : spec.carry.findIndex((c) => c.output === port);
      return (k >= 0 ? results[k] : results[spec.carry.length + finals.indexOf(value)]) as string;
    };
    for (const h of heads) h.value = resultOf(h.value);
    return Object.fromEntries(
      Object.entries(body).map(([port, v]) => [port, { ...v, value: resultOf(v.value, port) }]),
    );
  }

  /** One deep-supervision loop per model, and not inside another recursion. */
  checkSupervision(nodeId: string, path: string, ctx: KindContext): boolean {
    const outer = this.recursions[this.recursions.length - 1];
    if (outer !== undefined) {
      ctx.report(messages.supervisionNested(nodeId, dottedPath(outer)));
      return false;
    }
    if (this.supervisedAt !== undefined && this.supervisedAt !== path) {
      ctx.report(messages.supervisionTwice(dottedPath(this.supervisedAt), dottedPath(path)));
      return false;
    }
    this.supervisedAt = path;
    return true;
  }

  lowerContext(graph: PreparedGraph, nodeId: string, scope: Scope, path: string): LowerContext {
    const source = path;
    const kindCtx: KindContext = {
      path,
      nodeId,
      dims: this.doc.dims,
      report: (d) => this.report({ severity: 'error', ...d, graph: graph.label, node: nodeId }),
      componentPorts: (c) => this.componentPorts(c),
      componentNames: () => this.componentNames(),
      causal: () => this.causal(),
      sibling: (id) => {
        const n = graph.byId.get(id);
        return n ? { kind: n.kind.kind, params: n.params } : undefined;
      },
    };
    return {
      ...kindCtx,
      scope,
      mode: this.mode,
      opBudget: () => this.maxOps - this.emitted,
      tooLarge: () => {
        if (this.aborted) return;
        this.report({ severity: 'error', ...messages.tooLarge(this.maxOps) });
        this.aborted = true;
      },
      siblingWeight: (id, local) => `${scope.prefix}${id}/${local}`,
      buffer: (local, shape, init, running) => {
        const name = `${scope.prefix}${nodeId}/${local}`;
        if (!this.buffers.has(name)) {
          const seed = hashSeed(name);
          this.buffers.set(name, {
            name,
            shape,
            init,
            seed,
            ...(running ? { running: true as const } : {}),
          });
          this.values.set(name, { dtype: 'float32', shape: [...shape] });
        }
        return name;
      },
      op: (spec) => {
        const out = this.fresh(`${nodeId}.${spec.op}`);
        const op = { ...spec, out, source } as IrOp;
        this.target.push(op);
        this.emitted += 1;
        this.type(op);
        if (this.mode === 'check') this.unrolled += this.opScale;
        return out;
      },
      input: (name, type, role) => {
        const declared = this.program.inputs.find((i) => i.name === name);
        if (!declared) {
          this.program.inputs.push({ name, dtype: type.dtype, shape: [...type.shape], role });
          this.values.set(name, { dtype: type.dtype, shape: [...type.shape] });
        } else if (declared.role !== role) {
          kindCtx.report(messages.inputNameTaken(nodeId, name));
        }
        return name;
      },
      output: (value, role, type) => {
        // Named by the head's id; the same head unrolled again (a recursion step) replaces
        // its earlier value. When two heads share an id, both are named by their path
        // (`c.head`, and `head` for the main graph's), whichever came first.
        const same = this.program.outputs.findIndex((o) => o.node === path);
        if (same >= 0) {
          const name = (this.program.outputs[same] as IrOutput).name;
          const replaced = { name, value, role, shape: [...type.shape], node: path };
          this.program.outputs[same] = replaced;
          this.bodyOutputs.at(-1)?.push(replaced);
          return;
        }
        const clash = this.program.outputs.find((o) => o.name === nodeId);
        if (clash) {
          this.sharedHeadIds.add(nodeId);
          clash.name = dottedPath(clash.node);
        }
        const name = this.sharedHeadIds.has(nodeId) ? dottedPath(path) : nodeId;
        const added = { name, value, role, shape: [...type.shape], node: path };
        this.program.outputs.push(added);
        this.bodyOutputs.at(-1)?.push(added);
      },
      loop: (spec, lowerBody) =>
        this.loop(
          nodeId,
          source,
          `${graph.label.replace(/^components\./, '')}/${nodeId}`,
          spec,
          lowerBody,
        ),
      supervise: (steps: number, state: IrState[]) => {
        this.program.supervision = { steps, state, node: path };
      },
      instantiate: (component, inputs, childScope, repeat = 1) => {
        const saved = { flops: this.flopScale, ops: this.opScale };
        this.flopScale *= repeat;
        this.opScale *= path === this.supervisedAt ? Math.min(repeat, 1) : repeat;
        try {
          return this.run(component, childScope, inputs, path, {
            graph: graph.label,
            node: nodeId,
          });
        } finally {
          this.flopScale = saved.flops;
          this.opScale = saved.ops;
        }
      },
    };
  }
}

/** Shape inference, parameter counting and lowering of a parsed document, in one walk. */
export function compile(doc: GraphDocument, options: CompileOptions = {}): CompileResult {
  const compiler = new Compiler(doc, options.mode ?? 'check', options.maxOps ?? 2_000_000);
  for (const name of Object.keys(doc.components)) compiler.graphFor(name);
  const main = compiler.graphFor('main');
  for (const name of unusedComponents(doc)) {
    compiler.report({
      severity: 'warning',
      ...messages.unusedComponent(name),
      graph: `components.${name}`,
    });
  }
  if (main) compiler.run('main', { prefix: '', owner: '' }, {}, 'main');
  const program = compiler.program;
  if (main && main.ok) {
    if (!doc.main.nodes.some((n) => n.kind === 'token-input')) {
      compiler.report({ severity: 'error', ...messages.noInputs() });
    }
    // Only when nothing else failed: a head whose input failed is missing for that reason.
    const failed = compiler.diagnostics.some((d) => d.severity === 'error');
    if (program.outputs.length === 0 && !failed)
      compiler.report({ severity: 'error', ...messages.noOutputs() });
  }
  const errors = compiler.diagnostics.some((d) => d.severity === 'error');
  let totalParams = 0;
  let uncountedParams = 0;
  for (const p of compiler.params.values()) {
    if (p.counted === false) uncountedParams += numel(p.shape);
    else totalParams += numel(p.shape);
  }
  return {
    program: errors ? undefined : program,
    diagnostics: compiler.diagnostics,
    nodes: compiler.nodes,
    totalParams,
    uncountedParams,
    owners: compiler.paramOwner,
  };
}

/**
 * Components that no component or recursion node reaches from the main graph. A worklist, not
 * recursion: a chain of 200k components nested in each other must not overflow the stack.
 */
function unusedComponents(doc: GraphDocument): string[] {
  const reached = new Set<string>();
  const pending = [doc.main];
  for (let graph = pending.pop(); graph; graph = pending.pop()) {
    for (const n of graph.nodes) {
      const name = bodyOf(n, doc.dims)?.component;
      if (name !== undefined) {
        if (reached.has(name) || !Object.hasOwn(doc.components, name)) continue;
        reached.add(name);
        pending.push(doc.components[name] as GraphDocument['main']);
      }
    }
  }
  return Object.keys(doc.components).filter((c) => !reached.has(c));
}

/** `main/c/head` → `c.head`: an output name that stays unique when head ids repeat. */
function dottedPath(path: string): string {
  return path.replace(/^main\//, '').replaceAll('/', '.');
}

/**
 * A component port's name from its raw (not yet validated) parameters; an invalid name is
 * already reported on the port node, so instances fall back to its id instead of echoing it.
 */
function rawPortName(n: { id: string; params: Record<string, unknown> }): string {
  const name = n.params.name;
  return typeof name === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : n.id;
}
