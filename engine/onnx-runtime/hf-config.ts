import type { IrProgram } from '../graph/ir.ts';
import { puzzleTable } from '../graph/puzzle-input.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { sanitizeName, type Precision } from '../onnx/emit.ts';
import { CHAR_UNKNOWN } from '../data/char-tokenizer.ts';
import { countRuns } from '../graph/ir/unroll.ts';

/*
 * The JSON files of a Hugging Face model folder, built from the graph and what the run
 * recorded. Pure: no file system. Names follow transformers.js / Optimum:
 * https://huggingface.co/docs/transformers.js (dtype → `onnx/model{suffix}.onnx`).
 */

/** transformers.js dtype and file name per precision (`onnx/model{suffix}.onnx`). */
export const PRECISION_FILES: Record<Precision, { dtype: string; file: string }> = {
  fp32: { dtype: 'fp32', file: 'onnx/model.onnx' },
  fp16: { dtype: 'fp16', file: 'onnx/model_fp16.onnx' },
  // Dynamic quantization with int8 weights (MatMulInteger): Optimum's `model_int8`.
  int8: { dtype: 'int8', file: 'onnx/model_int8.onnx' },
  // 8-bit weight-only MatMulNBits: transformers.js `q8` reads `model_quantized`.
  'int8-weight': { dtype: 'q8', file: 'onnx/model_quantized.onnx' },
  // 4-bit MatMulNBits, block 32: transformers.js `q4`.
  int4: { dtype: 'q4', file: 'onnx/model_q4.onnx' },
};

/** The transformers.js model family a graph's structure matches, or null for neither. */
export type Family = 'llama' | 'gpt2';

interface NodeLike {
  kind: string;
  params: Record<string, unknown>;
}

function allNodes(doc: GraphDocument): NodeLike[] {
  return [doc.main, ...Object.values(doc.components ?? {})].flatMap((g) => g.nodes as NodeLike[]);
}

function dim(doc: GraphDocument, v: unknown): number {
  return typeof v === 'string' ? (doc.dims[v] as number) : (v as number);
}

/**
 * Llama: RoPE attention, RMSNorm, SwiGLU, no learned positions. GPT-2: LayerNorm, learned
 * positions, GELU feed-forward, no RoPE. Anything else is named by neither: its folder
 * loads in onnxruntime with the same signature, but a host must not assume either family.
 */
export function modelFamily(doc: GraphDocument): Family | null {
  const nodes = allNodes(doc);
  const kinds = new Set(nodes.map((n) => n.kind));
  const attention = nodes.filter((n) => n.kind === 'attention');
  const ffn = nodes.filter((n) => n.kind === 'ffn');
  if (attention.length === 0 || !kinds.has('token-input') || !kinds.has('lm-head')) return null;
  const rope = attention.every((n) => n.params.rope === true);
  const noRope = attention.every((n) => !n.params.rope);
  const learned = nodes.some((n) => n.kind === 'position-embedding');
  if (
    rope &&
    !learned &&
    kinds.has('rms-norm') &&
    !kinds.has('layer-norm') &&
    ffn.every((n) => n.params.activation === 'swiglu')
  )
    return 'llama';
  if (
    noRope &&
    learned &&
    kinds.has('layer-norm') &&
    !kinds.has('rms-norm') &&
    ffn.every((n) => n.params.activation === 'gelu')
  )
    return 'gpt2';
  return null;
}

export interface TokenizerInfo {
  kind: 'char' | 'bpe';
  /** char: the vocabulary (id 0 the unknown marker); bpe: the HF tokenizer.json. */
  vocab?: readonly string[];
  json?: unknown;
}

/**
 * tokenizer.json in HF `tokenizers` format. BPE is already one. Char: a BPE model without
 * merges (it splits text into code points and maps each), U+FFFD as the unknown token, the
 * Fuse decoder (tokens joined without spaces). Ids the model has past the corpus's
 * characters (vocab V is often larger) get unused placeholder tokens so every id decodes.
 */
export function tokenizerJson(t: TokenizerInfo, modelVocab: number): unknown {
  if (t.kind === 'bpe') return t.json;
  const chars = [...(t.vocab ?? [CHAR_UNKNOWN])];
  for (let id = chars.length; id < modelVocab; id++) chars.push(`<|unused_${id}|>`);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: 0,
        content: CHAR_UNKNOWN,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CHAR_UNKNOWN,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(chars.map((ch, id) => [ch, id])),
      merges: [],
    },
  };
}

export function tokenizerConfig(t: TokenizerInfo, contextLength: number): unknown {
  return {
    tokenizer_class: t.kind === 'bpe' ? 'GPT2Tokenizer' : 'PreTrainedTokenizerFast',
    model_max_length: contextLength,
    clean_up_tokenization_spaces: false,
    add_bos_token: false,
    add_eos_token: false,
    bos_token: null,
    eos_token: null,
    pad_token: null,
    unk_token: t.kind === 'char' ? CHAR_UNKNOWN : null,
  };
}

export interface ConfigInput {
  doc: GraphDocument;
  program: IrProgram;
  mode: 'full' | 'step' | 'decode';
  precision: Precision;
  /** Cache entries of a decode export (each attention application); 0 otherwise. */
  cacheEntries: number;
  /** What the training data says about its tokens (a puzzle's vocabulary and encoding). */
  data?: { kind?: string; name?: string; vocab?: string[]; encoding?: string; spec?: unknown };
  parameters: number;
}

function attentionShape(doc: GraphDocument) {
  const a = allNodes(doc).find((n) => n.kind === 'attention');
  const width = a ? dim(doc, a.params.width) : 0;
  const heads = a ? dim(doc, a.params.heads) : 1;
  const kvHeads = a && a.params.kvHeads !== undefined ? dim(doc, a.params.kvHeads) : heads;
  const headDim = a && a.params.headDim !== undefined ? dim(doc, a.params.headDim) : width / heads;
  return { width, heads, kvHeads, headDim };
}

/**
 * config.json. An LM names its family (`gpt2` or `llama`) only when the graph has that
 * structure; `num_hidden_layers`/`n_layer` count attention applications (a recursion's steps
 * each), which is how many caches a decode export has. A puzzle model carries its encoding
 * under `trm.puzzle` so a host can encode a puzzle and read the answer without the Studio.
 */
export function modelConfig(c: ConfigInput): Record<string, unknown> {
  const { doc, program } = c;
  const token = allNodes(doc).find((n) => n.kind === 'token-input');
  const vocab = token ? dim(doc, token.params.vocab) : 0;
  const context = token ? dim(doc, token.params.maxLength) : 0;
  const layers = c.cacheEntries || countRuns(program.ops, (o) => o.op === 'Attention' && o.causal);
  const a = attentionShape(doc);
  const table = puzzleTable(program);
  const family = c.data?.kind === 'cells' ? null : modelFamily(doc);
  const trm: Record<string, unknown> = {
    producer: 'trm-studio',
    graph: doc.name,
    description: doc.description ?? '',
    mode: c.mode,
    precision: c.precision,
    file: PRECISION_FILES[c.precision].file,
    parameters: c.parameters,
    signature: {
      inputs: [
        'input_ids',
        ...(layers > 0 && c.data?.kind !== 'cells' ? ['attention_mask'] : []),
        ...(table ? [sanitizeName(table.input.name)] : []),
      ],
      logits: 'logits',
      ...(c.cacheEntries > 0
        ? { past: 'past_key_values.N.key|value', present: 'present.N.key|value' }
        : {}),
    },
  };
  const tokensInput = program.inputs.find((i) => i.role === 'tokens');
  const logits = program.outputs.find((o) => o.role === 'logits');
  const halt = program.outputs.find((o) => o.role === 'halt');
  if (c.data?.kind === 'cells' || program.supervision) {
    const classes = logits?.shape[logits.shape.length - 1];
    trm.puzzle = {
      task: doc.meta?.task ?? null,
      data: c.data?.name ?? null,
      length: typeof tokensInput?.shape[1] === 'number' ? tokensInput.shape[1] : context,
      vocab: c.data?.vocab ?? null,
      encoding: c.data?.encoding ?? null,
      input: 'input_ids: int64 [batch, length], one token id per cell (the vocab index)',
      ...(table
        ? {
            puzzleId: `${sanitizeName(table.input.name)}: int64 [batch], the puzzle's id (0–${table.rows - 1}, the row of the per-puzzle embedding it was trained with; 0 is blank)`,
          }
        : {}),
      output: `logits: float32 [batch, length, ${String(classes)}]; the answer at each cell is the argmax, read through vocab`,
      ...(program.supervision
        ? {
            supervisionSteps: program.supervision.steps,
            state: program.supervision.state.map((s) => sanitizeName(s.input)),
            halt: halt ? sanitizeName(halt.name) : null,
            step: 'first call: zeros for every state input, read `<state>.init`; then each step feeds the state and reads logits, the halt logit (stop when > 0) and `<state>.next`, fed back as the state',
          }
        : {}),
    };
  }
  if (c.data?.spec !== undefined) trm.data = c.data.spec;
  const common = {
    vocab_size: vocab,
    bos_token_id: null,
    eos_token_id: null,
    pad_token_id: null,
    tie_word_embeddings: allNodes(doc).some((n) => n.kind === 'lm-head' && !!n.params.tiedTo),
    use_cache: c.cacheEntries > 0,
    'transformers.js_config': { dtype: PRECISION_FILES[c.precision].dtype },
    trm,
  };
  if (family === 'gpt2')
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      n_embd: a.width,
      n_head: a.heads,
      n_layer: layers,
      n_positions: context,
      n_ctx: context,
      ...common,
    };
  if (family === 'llama') {
    const rope = allNodes(doc).find((n) => n.kind === 'attention');
    return {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: a.width,
      num_attention_heads: a.heads,
      num_key_value_heads: a.kvHeads,
      head_dim: a.headDim,
      num_hidden_layers: layers,
      max_position_embeddings: context,
      rope_theta: rope?.params.ropeTheta !== undefined ? Number(rope.params.ropeTheta) : 10000,
      ...common,
    };
  }
  return {
    architectures: [],
    model_type: 'trm',
    hidden_size: a.width,
    num_attention_heads: a.heads,
    num_hidden_layers: layers,
    max_position_embeddings: context,
    ...common,
  };
}

export function generationConfig(contextLength: number): unknown {
  return {
    bos_token_id: null,
    eos_token_id: null,
    pad_token_id: null,
    // Learned positions and RoPE tables end at the context length.
    max_length: contextLength,
    do_sample: false,
  };
}
