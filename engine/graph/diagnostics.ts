import type { Dim, Shape } from './dims.ts';
import { formatShape } from './dims.ts';

export type Severity = 'error' | 'warning';

/** One problem found in a document: a sentence that names the node, the port and the fix. */
export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `width-mismatch`. */
  code: string;
  message: string;
  /** Where: `main` or `components.<name>`. */
  graph?: string;
  node?: string;
  port?: string;
}

/**
 * Every user-visible message lives here so wording stays consistent (xyflow's `errorNNN`).
 * Each returns the code and the sentence; the caller adds where it happened.
 */
export const messages = {
  invalidJson: (detail: string) => ({
    code: 'invalid-json',
    message: `The file is not valid JSON (${detail.replace(/\s+/g, ' ')}). Fix the syntax or restore a backup.`,
  }),
  schema: (path: string, detail: string) => ({
    code: 'schema',
    message: `The document is malformed at ${path || 'the top level'}: ${plainDetail(detail)}.`,
  }),
  unsupportedVersion: (found: unknown) => ({
    code: 'unsupported-version',
    message: `Document version ${JSON.stringify(found)} is not supported; this build reads version 1. Update TRM Studio or convert the file.`,
  }),
  unknownKind: (kind: string, known: readonly string[]) => {
    const near = closest(kind, known);
    return {
      code: 'unknown-kind',
      message: near
        ? `Node kind "${kind}" does not exist. Did you mean "${near}"?`
        : `Node kind "${kind}" does not exist. Use one of: ${known.join(', ')}.`,
    };
  },
  duplicateNode: (id: string) => ({
    code: 'duplicate-node',
    message: `Two nodes are called "${id}". Give each node a unique id.`,
  }),
  badParam: (path: string, detail: string, node?: string) => ({
    code: 'bad-param',
    message: `Parameter "${path}"${node ? ` of node "${node}"` : ''} is invalid: ${plainDetail(detail)}. Enter a valid value.`,
  }),
  missingParam: (node: string, kind: string, key: string) => ({
    code: 'bad-param',
    message: `Node "${node}" (${kind}) needs parameter "${key}". Enter a value for it.`,
  }),
  unknownParam: (node: string, kind: string, key: string, known: readonly string[]) => ({
    code: 'bad-param',
    message: `Node "${node}" (${kind}) has no parameter "${key}"${known.length ? ` (its parameters: ${known.join(', ')})` : ''}. Remove it or fix its name.`,
  }),
  forbiddenKey: (path: string, key: string) => ({
    code: 'schema',
    message: `The document is malformed at ${path || 'the top level'}: the key "${key}" is not allowed. Rename or remove it.`,
  }),
  tooManyComponents: (count: number, limit: number) => ({
    code: 'schema',
    message: `The document defines ${count.toLocaleString('en-US')} components, more than the ${limit.toLocaleString('en-US')} a document may have. Remove the unused ones (a model reuses a component by placing it again, not by copying it).`,
  }),
  nestedTooDeep: (path: string, limit: number) => ({
    code: 'schema',
    message: `The document is nested more than ${limit} levels deep (under ${path}…); no graph needs that. Flatten or remove that part (usually a field under "meta").`,
  }),
  unknownDim: (param: string, name: string) => ({
    code: 'unknown-dim',
    message: `Parameter "${param}" refers to size "${name}", which the document's dims do not define. Add "${name}" to dims or enter a number.`,
  }),
  unknownNodeInEdge: (id: string) => ({
    code: 'dangling-edge',
    message: `An edge refers to node "${id}", which does not exist. Delete the edge or restore the node.`,
  }),
  unknownPort: (node: string, port: string, dir: 'input' | 'output', known: readonly string[]) => ({
    code: 'unknown-port',
    message: `Node "${node}" has no ${dir} port "${port}"${known.length ? ` (its ${dir}s: ${known.join(', ')})` : ''}. Reconnect the edge to an existing port.`,
  }),
  portTaken: (node: string, port: string) => ({
    code: 'port-taken',
    message: `Input "${port}" of node "${node}" has more than one incoming edge. Keep one, or add the values with a residual-add node.`,
  }),
  missingInput: (node: string, port: string) => ({
    code: 'missing-input',
    message: `Input "${port}" of node "${node}" is not connected. Connect it to an output.`,
  }),
  cycle: (nodes: readonly string[]) => ({
    code: 'cycle',
    message: `${nodes.length === 1 ? `Node "${nodes[0]}" feeds its own input` : `Nodes ${nodes.map((n) => `"${n}"`).join(' → ')} form a cycle`}. Loops are only allowed inside a recursion node: move the repeated part into a component and recurse over it.`,
  }),
  rankMismatch: (node: string, port: string, expected: string, got: Shape) => ({
    code: 'rank-mismatch',
    message: `Input "${port}" of node "${node}" expects ${expected} but receives a ${formatShape(got)} tensor. Connect a tensor of that shape.`,
  }),
  batchNormCausal: (node: string, got: Shape) => ({
    code: 'batch-norm-causal',
    message: `BatchNorm "${node}" normalises a ${formatShape(got)} sequence in a causal model: in training its statistics mix every position of the batch, so each position sees later ones, and evaluation (running statistics) behaves differently. Use a LayerNorm or RMSNorm there, or apply BatchNorm where no later position is seen.`,
  }),
  widthMismatch: (node: string, port: string, expected: Dim, got: Dim) => ({
    code: 'width-mismatch',
    message: `Input "${port}" of node "${node}" expects width ${expected} but receives ${got}. Set the node's width to ${got} or change the upstream node's output width to ${expected}.`,
  }),
  shapeMismatch: (node: string, a: Shape, b: Shape) => ({
    code: 'shape-mismatch',
    message: `Node "${node}" adds tensors of different shapes, ${formatShape(a)} and ${formatShape(b)}. Make both inputs the same shape.`,
  }),
  dtypeMismatch: (node: string, port: string, expected: string, got: string) => ({
    code: 'dtype-mismatch',
    message: `Input "${port}" of node "${node}" expects ${expected} but receives ${got}. ${expected === 'token ids' ? 'Connect a token-input node.' : 'Embed the tokens first.'}`,
  }),
  sliceOutOfRange: (node: string, start: number, end: number, have: number) => ({
    code: 'slice-out-of-range',
    message: `Node "${node}" keeps positions ${start}..${end - 1} but its input has ${have} positions. Lower start or length, or feed a longer sequence.`,
  }),
  notDivisible: (node: string, what: string, by: string, fix = 'Change one of them.') => ({
    code: 'not-divisible',
    message: `In node "${node}", ${what} must be divisible by ${by}. ${fix}`,
  }),
  tiedVocabMismatch: (node: string, headVocab: number, embVocab: number, emb: string) => ({
    code: 'tied-vocab-mismatch',
    message: `Head "${node}" is tied to embedding "${emb}" but its vocabulary is ${headVocab} while the embedding's is ${embVocab}. Set the head's vocabulary to ${embVocab} or untie it.`,
  }),
  tiedWidthMismatch: (node: string, width: Dim, emb: string, embWidth: number) => ({
    code: 'tied-width-mismatch',
    message: `Head "${node}" is tied to embedding "${emb}" (width ${embWidth}) but receives width ${width}. Feed it a ${embWidth}-wide tensor or untie it.`,
  }),
  tiedTargetMissing: (node: string, emb: string) => ({
    code: 'tied-target-missing',
    message: `Head "${node}" is tied to "${emb}", which is not a token-embedding node in the main graph. Name an existing token embedding or untie the head.`,
  }),
  unknownComponent: (node: string, name: string, known: readonly string[]) => ({
    code: 'unknown-component',
    message: `Node "${node}" uses component "${name}", which the document does not define${known.length ? ` (defined: ${someOf(known)})` : ''}. Pick an existing component.`,
  }),
  componentCycle: (chain: readonly string[]) => ({
    code: 'component-cycle',
    message: `Components ${chain.map((c) => `"${c}"`).join(' → ')} contain each other. A component cannot contain itself; use a recursion node to repeat it.`,
  }),
  componentPorts: (name: string, detail: string) => ({
    code: 'component-ports',
    message: `Component "${name}" ${detail}.`,
  }),
  recursionNoCarry: (node: string) => ({
    code: 'recursion-no-carry',
    message: `Recursion "${node}" carries no state, so every step would compute the same thing. Name at least one output to feed back in "carry".`,
  }),
  recursionBadCarry: (node: string, detail: string) => ({
    code: 'recursion-bad-carry',
    message: `Recursion "${node}": ${detail}.`,
  }),
  recursionCarryShape: (node: string, output: string, input: string, out: Shape, inp: Shape) => ({
    code: 'recursion-carry-shape',
    message: `Recursion "${node}" feeds output "${output}" (${formatShape(out)}) back into input "${input}" (${formatShape(inp)}); the shapes must match. Make the component return the shape it receives.`,
  }),
  gradStepsTooMany: (node: string, grad: number, steps: number) => ({
    code: 'grad-steps',
    message: `Recursion "${node}" keeps gradients for ${grad} steps but only runs ${steps}. Set "gradSteps" to at most ${steps}.`,
  }),
  supervisionNested: (node: string, outer: string) => ({
    code: 'deep-supervision',
    message: `Recursion "${node}" uses deep supervision inside recursion "${outer}", but only the outermost loop can supervise its steps. Turn deepSupervision off here, or on "${outer}" instead.`,
  }),
  supervisionPerStep: (node: string) => ({
    code: 'deep-supervision',
    message: `Recursion "${node}" uses deep supervision with per-step weights, but deep supervision trains one step for every step, so the weights must be shared. Set "weights" to "shared" or turn deepSupervision off.`,
  }),
  supervisionTwice: (first: string, second: string) => ({
    code: 'deep-supervision',
    message: `Recursions "${first}" and "${second}" both use deep supervision, but a model trains with one supervision loop. Turn deepSupervision off on one of them.`,
  }),
  noOutputs: () => ({
    code: 'no-outputs',
    message:
      'The main graph has no head, so the model produces nothing to train. Add an LM head or a classifier head.',
  }),
  noInputs: () => ({
    code: 'no-inputs',
    message: 'The main graph has no token-input node. Add one and connect it to an embedding.',
  }),
  unusedComponent: (name: string) => ({
    code: 'unused-component',
    message: `Component "${name}" is not used by the main graph. Add a component or recursion node that uses it, or delete it.`,
  }),
  unusedNode: (node: string) => ({
    code: 'unused-node',
    message: `Node "${node}" does not contribute to any output. Connect it or delete it.`,
  }),
  tooDeep: (limit: number) => ({
    code: 'too-deep',
    message: `Components and recursions nest more than ${limit} levels deep. Reduce the nesting.`,
  }),
  illTyped: (detail: string) => ({
    code: 'ill-typed-ir',
    message: `The compiler built an ill-typed program (${detail}) — a defect in TRM Studio, not in your graph. Please report it with this document.`,
  }),
  tooLarge: (limit: number) => ({
    code: 'too-large',
    message: `Unrolled, the model needs more than ${limit.toLocaleString('en-US')} operations (recursion steps multiply). Reduce recursion steps or nesting, or turn on deep supervision to unroll one step at a time.`,
  }),
  inputNameTaken: (node: string, name: string) => ({
    code: 'input-name',
    message: `Node "${node}" needs a model input called "${name}", but another node's input already has that name. Rename the node called "${name}".`,
  }),
  padNeedsLength: (node: string, got: Dim) => ({
    code: 'sequence-length',
    message: `Node "${node}" pads a sequence to a fixed length but receives length ${got}. Give the token input a fixed length, or slice a fixed number of positions first.`,
  }),
  sequenceLength: (node: string, got: Dim) => ({
    code: 'sequence-length',
    message: `Node "${node}" mixes tokens across a fixed sequence length but receives length ${got}. Give the token input a fixed length.`,
  }),
  componentPortOutsideComponent: (node: string) => ({
    code: 'port-outside-component',
    message: `Node "${node}" is a component port but sits in the main graph. Move it into a component or delete it.`,
  }),
  other: (node: string, text: string) => ({ code: 'invalid', message: `Node "${node}": ${text}` }),
} as const;

/**
 * At most a handful of names: a message per node that listed all of 200k components made
 * validation quadratic in the document's size.
 */
function someOf(names: readonly string[], shown = 8): string {
  if (names.length <= shown) return names.join(', ');
  const more = (names.length - shown).toLocaleString('en-US');
  return `${names.slice(0, shown).join(', ')} and ${more} more`;
}

/** zod's terse validation messages, as a sentence fragment a user reads without the schema. */
export function plainDetail(detail: string): string {
  const rules: [RegExp, (...m: string[]) => string][] = [
    [/^Invalid input: expected int, received number$/, () => 'it must be a whole number'],
    [/^Too (?:small|big): expected int to be [<>]=-?9007199254740991$/, () => 'it is out of range'],
    [
      /^Invalid input: expected (\w+), received (\w+)$/,
      (_, want, got) => `it must be ${article(want)}, not ${article(got)}`,
    ],
    [
      /^Invalid option: expected one of (.*)$/,
      (_, opts) => `it must be one of ${(opts ?? '').split('|').join(', ')}`,
    ],
    [/^Too small: expected (?:number|int) to be >0$/, () => 'it must be greater than 0'],
    [
      /^Too small: expected (?:number|int) to be >=(-?[\d.e+]+)$/,
      (_, n) => `it must be at least ${n}`,
    ],
    [
      /^Too big: expected (?:number|int) to be <=(-?[\d.e+]+)$/,
      (_, n) => `it must be at most ${n}`,
    ],
    [
      /^Too small: expected array to have >=(\d+) items?$/,
      (_, n) => `it needs at least ${n} item${n === '1' ? '' : 's'}`,
    ],
    [/^Too big: expected array to have <=(\d+) items?$/, (_, n) => `it takes at most ${n} items`],
    [/^Too small: expected string to have >=1 characters?$/, () => 'it must not be empty'],
  ];
  const text = detail.replace(/\.$/, '');
  for (const [pattern, rewrite] of rules) {
    const m = pattern.exec(text);
    if (m) return rewrite(...m);
  }
  return text;
}

function article(type: string): string {
  const names: Record<string, string> = {
    number: 'a number',
    string: 'text',
    boolean: 'true or false',
    array: 'a list',
    object: 'an object',
    null: 'null',
    undefined: 'missing',
  };
  return names[type] ?? type;
}

/** The candidate within edit distance 2 (or a case/separator variant) of `word`, if one is. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_ ]/g, '');
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = norm(c) === norm(word) ? 0 : editDistance(word.toLowerCase(), c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.graph, d.node && `node ${d.node}`, d.port && `port ${d.port}`]
    .filter(Boolean)
    .join(', ');
  return `${d.severity}${where ? ` [${where}]` : ''}: ${d.message}`;
}
