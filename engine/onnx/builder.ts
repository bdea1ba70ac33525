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
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers = new Map<string, TensorProto>();
  readonly domains = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(readonly opset: number) {}

  fresh(hint: string): string {
    this.counter += 1;
    return `${hint}_${this.counter}`;
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
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh('const');
    this.constants.set(key, name);
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
  prune(outputs: readonly string[]): void {
    const live = new Set(outputs);
    const kept: NodeProto[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i] as NodeProto;
      if (!(node.output ?? []).some((o) => live.has(o))) continue;
      kept.push(node);
      for (const x of node.input ?? []) if (x) live.add(x);
    }
    this.nodes.splice(0, this.nodes.length, ...kept.reverse());
    for (const name of [...this.initializers.keys()]) {
      if (!live.has(name)) this.initializers.delete(name);
    }
  }
}
