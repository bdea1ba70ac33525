import {
  attribute,
  DataType,
  floatTensor,
  int64Tensor,
  tensor,
  type Attr,
  type DataTypeCode,
  type NodeProto,
  type TensorProto,
} from './proto.ts';

export const MS_DOMAIN = 'com.microsoft';

/**
 * Accumulates an ONNX graph: nodes, initializers (each stored once, however many nodes use
 * it) and small constants (deduplicated by value). Value names are the IR's names plus fresh
 * `_n` names for the values a decomposition introduces.
 */
interface Shared {
  initializers: Map<string, TensorProto>;
  domains: Set<string>;
  constants: Map<string, string>;
  counter: number;
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  private readonly shared: Shared;

  constructor(
    readonly opset: number,
    parent?: GraphBuilder,
  ) {
    this.shared = parent?.shared ?? {
      initializers: new Map(),
      domains: new Set(),
      constants: new Map(),
      counter: 0,
    };
  }

  /**
   * A builder for a subgraph (a Loop body): its own nodes, but initializers and constants
   * stay in the main graph, which the body reads from the outer scope.
   */
  child(): GraphBuilder {
    return new GraphBuilder(this.opset, this);
  }

  get initializers(): Map<string, TensorProto> {
    return this.shared.initializers;
  }

  get domains(): Set<string> {
    return this.shared.domains;
  }

  fresh(hint: string): string {
    this.shared.counter += 1;
    return `${hint}_${this.shared.counter}`;
  }

  /** Adds a node with `outputs` results (named from `hint` unless given); returns their names. */
  multi(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, Attr> = {},
    options: { outputs?: number | string[]; domain?: string } = {},
  ): string[] {
    const outs =
      typeof options.outputs === 'object'
        ? options.outputs
        : Array.from({ length: options.outputs ?? 1 }, () => this.fresh(opType.toLowerCase()));
    if (options.domain) this.domains.add(options.domain);
    this.nodes.push({
      opType,
      domain: options.domain ?? '',
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([name, a]) => attribute(name, a)),
    });
    return outs;
  }

  /** Adds a single-output node; `out` names its result (fresh when omitted). */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, Attr> = {},
    out?: string,
    domain?: string,
  ): string {
    const [y] = this.multi(opType, inputs, attrs, {
      ...(out ? { outputs: [out] } : {}),
      ...(domain ? { domain } : {}),
    });
    return y as string;
  }

  initializer(t: TensorProto): string {
    const name = t.name as string;
    if (!this.initializers.has(name)) this.initializers.set(name, t);
    return name;
  }

  private constant(key: string, make: (name: string) => TensorProto): string {
    const known = this.shared.constants.get(key);
    if (known) return known;
    const name = this.fresh('const');
    this.shared.constants.set(key, name);
    return this.initializer(make(name));
  }

  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(`i64:${dims.join('x')}:${values.join(',')}`, (n) =>
      int64Tensor(n, dims, values),
    );
  }

  /** A float constant; `dims` [] is a scalar. */
  floats(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(`f32:${dims.join('x')}:${values.join(',')}`, (n) =>
      floatTensor(n, dims, Float32Array.from(values)),
    );
  }

  /** A large constant computed by the emitter (RoPE tables, ones): stored once under `key`. */
  table(
    key: string,
    dims: readonly number[],
    make: () => ArrayBufferView,
    type: DataTypeCode = DataType.FLOAT,
  ): string {
    return this.constant(key, (n) => tensor(n, dims, type, make()));
  }

  /** Drops nodes and initializers that no graph output depends on. */
  prune(outputs: readonly string[], opts: { keepInitializers?: boolean } = {}): void {
    const live = new Set(outputs);
    const kept: NodeProto[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i] as NodeProto;
      if (!(node.output ?? []).some((o) => live.has(o))) continue;
      kept.push(node);
      for (const x of readsOf(node)) if (x) live.add(x);
    }
    this.nodes.splice(0, this.nodes.length, ...kept.reverse());
    if (opts.keepInitializers) return;
    for (const name of [...this.initializers.keys()]) {
      if (!live.has(name)) this.initializers.delete(name);
    }
  }
}

/** Every value a node reads, including what its subgraphs read from the outer scope. */
function readsOf(node: NodeProto): string[] {
  const reads = [...(node.input ?? [])];
  for (const a of node.attribute ?? []) {
    for (const inner of a.g?.node ?? []) reads.push(...readsOf(inner));
  }
  return reads;
}
