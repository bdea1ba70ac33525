/**
 * Which weights a "node" means when a run freezes it or scales its learning rate. A weight is
 * named by the scope it was declared in (`embed/table`, `net/layer1/attn/wq`), and each one
 * belongs to the main-graph node that declared it (`supervise` owns a recursion's `net/…` and
 * `deep_step/…`). So a target is a main-graph node id (its weights, wherever they are scoped)
 * or a weight-name prefix ending at a `/` (`net/layer1`, `block2/attn`, `embed/table`).
 */

export interface NamedWeights {
  /** Weight names, in the program's order. */
  names: readonly string[];
  /** Weight name → the main-graph node that declared it. */
  owners: ReadonlyMap<string, string>;
}

const underPrefix = (name: string, prefix: string) =>
  name === prefix || name.startsWith(`${prefix}/`);

/** The weights one target names; empty when it names none. */
export function weightsOf(target: string, weights: NamedWeights): string[] {
  const trimmed = target.replace(/\/+$/, '');
  const owned = weights.names.filter((n) => weights.owners.get(n) === trimmed);
  const prefixed = weights.names.filter((n) => underPrefix(n, trimmed));
  return [...new Set([...owned, ...prefixed])];
}

/** Node ids that own weights, then the first scope level of weight names, each once. */
function choices(weights: NamedWeights): string {
  const nodes = [...new Set(weights.names.map((n) => weights.owners.get(n) ?? ''))].filter(Boolean);
  const scopes = [...new Set(weights.names.map((n) => n.split('/')[0]!))].filter(
    (s) => !nodes.includes(s),
  );
  const deeper = weights.names.find((n) => n.split('/').length > 2);
  const example = deeper ? deeper.split('/').slice(0, 2).join('/') : weights.names[0];
  return (
    `nodes ${nodes.join(', ')}` +
    (scopes.length ? `; weight scopes ${scopes.join(', ')}` : '') +
    (example ? `; or any weight-name prefix such as ${example}` : '')
  );
}

/**
 * The weights of each target, checked: a target naming no weight is refused with a sentence
 * that lists what can be named. `what` says which setting it came from (`freeze`, `lrScale`).
 */
export function resolveTargets(
  targets: readonly string[],
  weights: NamedWeights,
  what: string,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const target of targets) {
    const names = weightsOf(target, weights);
    if (names.length === 0) {
      throw new Error(
        `${what} names "${target}", which is neither a node with weights nor a weight-name prefix in this graph. Choose from: ${choices(weights)}.`,
      );
    }
    out.set(target, names);
  }
  return out;
}

/** The weights no gradient reaches: every weight of every `freeze` target. */
export function frozenWeights(freeze: readonly string[], weights: NamedWeights): Set<string> {
  return new Set([...resolveTargets(freeze, weights, 'freeze').values()].flat());
}

/**
 * Each weight's learning-rate multiplier (1 unless a target says otherwise). When targets
 * overlap (`net` and `net/layer1`), the longer, more specific one wins.
 */
export function learningRateScales(
  scales: Readonly<Record<string, number>>,
  weights: NamedWeights,
): Map<string, number> {
  const resolved = resolveTargets(Object.keys(scales), weights, 'lrScale');
  const out = new Map<string, number>();
  const bySpecificity = [...resolved].sort(([a], [b]) => a.length - b.length);
  for (const [target, names] of bySpecificity) for (const n of names) out.set(n, scales[target]!);
  return out;
}
