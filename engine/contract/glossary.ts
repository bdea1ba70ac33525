/**
 * The glossary: what every node kind, trainer setting and export option is, in the project's own
 * words, and the concepts a user meets around them. One data file, read by the inspector's "?"
 * buttons, the palette's hover cards, the Glossary panel and `trm explain`; a test fails when a
 * registered node kind, a TrainConfig field or an export option has no entry here.
 *
 * Entries describe what this code does (its lowering, its trainer), not transformers in general.
 */

/** What an entry explains: a node kind, a trainer setting, an export option, or a concept. */
export type GlossaryKind = 'node' | 'train' | 'export' | 'concept';

export interface GlossaryEntry {
  /**
   * The name as the code spells it: a node kind (`attention`), a TrainConfig key (`haltWeight`),
   * an export flag or precision (`opset`, `int4`), or a concept's slug (`deep-supervision`).
   * Unique within its kind; `trm explain` and the Glossary panel search it.
   */
  term: string;
  kind: GlossaryKind;
  /** A name for people: `Grouped-query attention`. */
  title: string;
  /** One line: what it is. */
  definition: string;
  /** The computation, where there is one, in plain notation. */
  formula?: string;
  /** Why it matters for small recursive models (TRM and its kin). */
  whyItMatters: string;
  /** Values people use: the templates', the TRM paper's, and the defaults. */
  typical: string;
  /** Other names a search finds it by (`GQA`, `N_sup`). */
  aliases?: readonly string[];
  /**
   * Node parameters this entry explains, as `kind.param`, or `*.param` for the parameter of that
   * name on every kind. The inspector's "?" beside a parameter shows the entry that lists it,
   * else the node kind's entry.
   */
  params?: readonly string[];
}

export const GLOSSARY: readonly GlossaryEntry[] = [
  // ── Node kinds ────────────────────────────────────────────────────────────────────────────
  {
    term: 'token-input',
    kind: 'node',
    title: 'Token input',
    definition: 'Where the model starts: a batch of integer token ids, shape [B, T].',
    whyItMatters:
      'Its vocab and maxLength are the sizes every later node is checked against. With fixedLength on (puzzles) T is a number rather than a symbol, which a sequence MLP, a puzzle prefix and a head that skips prefix positions all need.',
    typical:
      'Text: vocab 96 (characters) up to a few thousand (BPE), maxLength 64–256. 4×4 Sudoku: vocab 6, maxLength 16, fixedLength on; 9×9 Sudoku: vocab 11, maxLength 81.',
    aliases: ['input', 'tokens'],
    params: ['token-input.fixedLength'],
  },
  {
    term: 'token-embedding',
    kind: 'node',
    title: 'Token embedding',
    definition:
      'A learned table with one D-wide row per token id; looking the ids up turns [B, T] into [B, T, D].',
    formula: 'out[b, t] = E[id[b, t]]   (× √D with scale sqrt-width)',
    whyItMatters:
      "With a puzzle's tiny vocabulary the table is a negligible share of the parameters. TRM's setting — scale √D with an initial std of 1/√D, truncated — starts every embedded value near unit size, the same scale as the std-1 initial states y and z it is summed with.",
    typical:
      'width D: 64 in the 4×4 Sudoku templates, 128 in tiny GPT, 512 in the TRM paper. initStd 0.02; TRM: scale sqrt-width and truncated on.',
    aliases: ['embedding', 'embed'],
    params: ['token-embedding.truncated', 'token-embedding.initStd'],
  },
  {
    term: 'position-embedding',
    kind: 'node',
    title: 'Position embedding',
    definition:
      'Adds one vector per position to the activations — a learned table or fixed sinusoids — so the model can tell positions apart.',
    formula:
      'out[b, t] = x[b, t] + P[t];  sinusoidal: P[t, i] = sin(t·10000^(−2⌊i/2⌋/D)) for even i, cos(…) for odd i',
    whyItMatters:
      "Attention on its own ignores order. An absolute table costs maxLength·D parameters and fixes the longest sequence; rotary embedding (the attention node's rope) is the alternative TRM uses, with no table at all.",
    typical:
      'learned, initStd 0.02, maxLength = the context length (T). Not used in the TRM templates (they use RoPE).',
    aliases: ['positional encoding', 'sinusoidal'],
    params: ['position-embedding.type', 'position-embedding.initStd'],
  },
  {
    term: 'puzzle-prefix',
    kind: 'node',
    title: 'Puzzle prefix',
    definition:
      'Puts P positions before the embedded puzzle, the first a learned puzzle vector and the rest zeros: [B, L, D] → [B, P+L, D].',
    whyItMatters:
      "TRM's puzzle embedding. The latent state runs over the prefix too, and the halting head reads position 0, so the prefix gives the model scratch room and a place to summarise. With puzzles > 1 each example picks its own row by puzzle id (ARC: one per task and augmentation). As in the paper, the table is trained but left out of the parameter count.",
    typical:
      'positions 16 (the TRM code) or 1 (the 4×4 templates); puzzles 1 for Sudoku and mazes, the number of task variants for ARC. Pair it with a classifier head whose skip equals positions.',
    aliases: ['puzzle embedding', 'prefix'],
    params: ['puzzle-prefix.positions', 'puzzle-prefix.puzzles', 'classifier-head.skip'],
  },
  {
    term: 'attention',
    kind: 'node',
    title: 'Attention',
    definition:
      'Multi-head self-attention: each position mixes in the others, weighted by how well its query matches their keys.',
    formula:
      'per head: softmax(Q·Kᵀ / √Dh + mask)·V,  Q = xWq, K = xWk, V = xWv;  out = concat(heads)·Wo;  mask: −∞ after the query (causal), or at keys whose source id = padId (source wired)',
    whyItMatters:
      "It is the token mixing of TRM-Att. Because one network is applied many times inside a recursion, its weights are counted once but its compute is paid at every step: a small width with many recursion steps buys depth without parameters. Puzzle models use bidirectional attention (causal off). An encoder reading a padded source wires the source's ids to the source port: padded positions then stop being keys, so what a real position computes no longer depends on how far the source was padded.",
    typical:
      "heads 4 at D = 64–128 (Dh = 16–32); the TRM paper: D 512, 8 heads, RoPE, no biases, causal off, LeCun init. seq2seq-reverse's encoder: causal off, source wired, padId 0 (the data's <pad>).",
    aliases: ['self-attention', 'mha', 'multi-head attention', 'padding mask'],
    params: ['attention.padId'],
  },
  {
    term: 'cross-attention',
    kind: 'node',
    title: 'Cross-attention',
    definition:
      'Encoder–decoder attention: each position of x (the decoder) reads the whole memory (the encoder output); source padding can be masked.',
    formula:
      'per head: softmax(Q·Kᵀ / √Dh + pad)·V,  Q = x·Wq, K = m·Wk, V = m·Wv;  pad = −∞ where source = padId;  out = concat(heads)·Wo',
    whyItMatters:
      'It is how a decoder sees the source without reading it token by token: the encoder runs once over the source, bidirectionally, and every decoding step attends to its result. No causal mask applies (the source is known in full); the padding mask makes a short source padded to the full length read as the short source.',
    typical:
      "The same width and heads as the decoder's self-attention (seq2seq-reverse: D 64, 4 heads); padId 0, the data's <pad>; memoryWidth only when the encoder is wider or narrower than the decoder.",
    aliases: ['encoder-decoder attention', 'source attention', 'padding mask'],
    params: ['cross-attention.padId', 'cross-attention.memoryWidth'],
  },
  {
    term: 'sequence-slice',
    kind: 'node',
    title: 'Sequence slice',
    definition:
      'Keeps positions start … start+length−1 of token ids [B, T] or activations [B, T, D].',
    formula: 'out[b, i] = x[b, start + i],  i < length',
    whyItMatters:
      "The trainer feeds one token sequence; an encoder–decoder splits it into the source the encoder reads and the target part the decoder reads, so neither sees the other's tokens by self-attention.",
    typical:
      'seq2seq-reverse (source 8, then "=" and 8 target positions): start 0 length 8 for the encoder, start 8 length 9 for the decoder.',
    aliases: ['slice', 'split'],
    params: ['sequence-slice.start', 'sequence-slice.length'],
  },
  {
    term: 'sequence-pad',
    kind: 'node',
    title: 'Sequence pad',
    definition:
      'Puts `before` zero positions in front of activations: [B, T, D] → [B, before+T, D].',
    whyItMatters:
      "A decoder that read only the target part of the sequence pads its output back to the full length, so the head's logits line up position by position with the data's targets; the padded positions have no target and cost nothing in the loss.",
    typical: 'before = the source length (seq2seq-reverse: 8).',
    aliases: ['pad', 'left pad'],
    params: ['sequence-pad.before'],
  },
  {
    term: 'ffn',
    kind: 'node',
    title: 'Feed-forward',
    definition:
      'A position-wise MLP: each position goes D → hidden → D through a ReLU, GELU or SwiGLU.',
    formula: 'ReLU/GELU: act(x·W1)·W2;   SwiGLU: (silu(x·W1) ⊙ x·W3)·W2',
    whyItMatters:
      "It holds most of a transformer block's parameters (2·D·hidden, 3·D·hidden for SwiGLU). In a recursive model those parameters are reused at every step, so the FFN is where a tiny model's capacity lives.",
    typical:
      'ratio 4; TRM: SwiGLU with ratio 4 (hidden ⅔·4·D rounded up to a multiple of 256: 1536 at D = 512), no biases.',
    aliases: ['mlp', 'feed-forward', 'feedforward'],
  },
  {
    term: 'rnn',
    kind: 'node',
    title: 'RNN (tanh)',
    definition:
      'A recurrent layer that reads the sequence one position at a time, carrying a hidden state h of width H forward (and backward when bidirectional).',
    formula: 'h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh)',
    whyItMatters:
      'The oldest way to reuse one set of weights many times: TRMs recurse over depth, RNNs over time. Drawn next to a TRM on the same data, it shows what recursion over a latent buys; long sequences train poorly (vanishing gradients), which gated cells fix.',
    typical: 'hidden = D, 1–2 layers; weights uniform ±1/√H as in PyTorch.',
    aliases: ['recurrent', 'elman'],
  },
  {
    term: 'gru',
    kind: 'node',
    title: 'GRU',
    definition:
      'A gated recurrent layer: a reset gate r and an update gate z decide how much of the old state to read and to keep at each position.',
    formula:
      'r, z = σ(x·W_ir,z + h·W_hr,z + b);  n = tanh(x·W_in + b_in + r ⊙ (h·W_hn + b_hn));  h = (1−z)⊙n + z⊙h',
    whyItMatters:
      'Gating keeps gradients alive over long sequences with three gate matrices instead of the LSTM’s four: 3·(D·H + H·H + 2H) parameters per layer and direction, as PyTorch counts them.',
    typical: 'hidden = D, 1–2 layers, bidirectional for encoders that see the whole input.',
  },
  {
    term: 'lstm',
    kind: 'node',
    title: 'LSTM',
    definition:
      'A recurrent layer with a separate cell state c that input, forget and output gates write, keep and read at each position.',
    formula: 'i, f, g, o = x·W_ihᵀ + h·W_hhᵀ + b;  c = σ(f)⊙c + σ(i)⊙tanh(g);  h = σ(o)⊙tanh(c)',
    whyItMatters:
      'The classic baseline for sequences: the cell state carries information across many steps. Returns the sequence, and the final h and c for a head to read. 4·(D·H + H·H + 2H) parameters per layer and direction.',
    typical: 'hidden = D, 1–2 layers; dropout between stacked layers 0–0.3.',
    aliases: ['long short-term memory'],
  },
  {
    term: 'sequence-mlp',
    kind: 'node',
    title: 'Sequence MLP',
    definition:
      'Attention-free token mixing: an MLP applied across the sequence axis, the same for every channel ([B, L, D] → [B, D, L], mix, back).',
    formula: 'out = (MLP(xᵀ))ᵀ, the MLP mapping L → hidden → L',
    whyItMatters:
      "TRM-MLP's replacement for attention: on small fixed-size grids such as 4×4 or 9×9 Sudoku it did better than attention in the paper. It needs a fixed length (the puzzle plus its prefix), so it does not fit text of varying length.",
    typical:
      'hidden 64 in the 4×4 TRM-MLP template; SwiGLU, no biases; follow it with an RMSNorm over the sequence (over: sequence) as the TRM code does.',
    aliases: ['mlp-mixer', 'token mixing', 'trm-mlp'],
    params: ['sequence-mlp.hidden', 'sequence-mlp.length'],
  },
  {
    term: 'layer-norm',
    kind: 'node',
    title: 'LayerNorm',
    definition:
      'Rescales each position to zero mean and unit variance over its D channels, then applies a learned scale and shift.',
    formula: 'y = (x − mean(x)) / √(var(x) + ε) · γ + β',
    whyItMatters:
      'Keeps activations at a steady size however many times a block is applied — in a recursion the same block runs dozens of times, and without normalisation the state can grow or shrink step after step.',
    typical: 'eps 1e-5, bias on (GPT-2 style). TRM uses RMSNorm instead.',
    aliases: ['layernorm', 'ln'],
  },
  {
    term: 'rms-norm',
    kind: 'node',
    title: 'RMSNorm',
    definition:
      'Divides each position by its root mean square (no mean subtraction), optionally times a learned scale.',
    formula: 'y = x / √(mean(x²) + ε) · γ',
    whyItMatters:
      'Cheaper than LayerNorm and what TRM uses, after each residual add (post-norm) and without a learned scale, which keeps the carried state y, z at a fixed size across every recursion step. With over: sequence it normalises each channel across positions, as TRM-MLP does after its token mixing.',
    typical: 'eps 1e-5; TRM: learnedScale off, over width (over sequence after a sequence MLP).',
    aliases: ['rmsnorm', 'root mean square norm'],
    params: ['rms-norm.learnedScale', 'rms-norm.over'],
  },
  {
    term: 'batch-norm',
    kind: 'node',
    title: 'BatchNorm',
    definition:
      'Normalises each channel (the last axis) with statistics over the batch and every position; training updates running statistics that evaluation uses.',
    formula:
      'training: y = (x − μ_batch) / √(σ²_batch + ε) · γ + β;  running ← (1 − momentum)·running + momentum·batch (variance unbiased); evaluation: μ, σ² = running',
    whyItMatters:
      "PyTorch's BatchNorm1d on channels-last tensors: the network for image-like or per-example features. Its running mean and variance are state, saved in checkpoints and exported as ONNX BatchNormalization. On a sequence in a causal model the batch statistics let each position see later ones while training (the canvas warns); LayerNorm or RMSNorm normalise each position alone.",
    typical: 'eps 1e-5, momentum 0.1, affine on (PyTorch defaults).',
    aliases: [
      'batchnorm',
      'bn',
      'batch normalisation',
      'batch normalization',
      'running statistics',
    ],
    params: ['batch-norm.momentum', 'batch-norm.affine'],
  },
  {
    term: 'residual-add',
    kind: 'node',
    title: 'Add',
    definition: 'The element-wise sum of two or three tensors of the same shape.',
    formula: 'out = a + b (+ c)',
    whyItMatters:
      'Residual connections (x + f(x)) let each block refine rather than replace its input. TRM also uses it to combine its inputs: the latent update reads x + y + z, the answer update y + z.',
    typical: "Two inputs for a residual; three for TRM's x + y + z.",
    aliases: ['add', 'residual', 'skip connection', 'sum'],
  },
  {
    term: 'linear',
    kind: 'node',
    title: 'Linear',
    definition: 'An affine map over the last axis: [..., in] → [..., out].',
    formula: 'y = x·W (+ b),  W: [in, out]',
    whyItMatters:
      'The basic projection; in*out parameters. Used to change width between parts of a graph.',
    typical: 'bias off in TRM-style models; init normal (0.02) or lecun.',
    aliases: ['dense', 'projection', 'matmul'],
    params: ['linear.inFeatures', 'linear.outFeatures'],
  },
  {
    term: 'dropout',
    kind: 'node',
    title: 'Dropout',
    definition:
      'While training, zeroes a random fraction of activations and scales the rest up; at evaluation and in exports it does nothing.',
    formula: 'train: y = x · m / (1 − p), m ~ Bernoulli(1 − p);   inference: y = x',
    whyItMatters:
      'A regulariser for small data. Recursive models already reuse their weights heavily and the TRM recipe uses none; the trainer setting dropout turns every dropout off at once. Masks are drawn from the run seed (per recursion trip), and the ONNX export writes it as Identity.',
    typical: 'rate 0.1 for a small language model on a small corpus; 0 in the TRM templates.',
    aliases: ['regularization'],
    params: ['dropout.rate', 'attention.dropout', 'ffn.dropout'],
  },
  {
    term: 'latent-init',
    kind: 'node',
    title: 'Initial state',
    definition:
      "A fixed, not learned, random D-vector broadcast to every position and example: the starting value of a carried state such as TRM's y and z.",
    formula: 'out[b, t] = v, v ~ truncated N(0, std²) at ±2σ, drawn once from seed',
    whyItMatters:
      'A recursion needs something to start from. TRM starts its answer y and latent z from two fixed vectors; give the two states different seeds, or they start identical. corrected rescales the truncated normal so its std is exactly std (uncorrected it is 0.88·std).',
    typical: 'std 1, corrected on, seeds 1 and 2 for y and z (the TRM templates).',
    aliases: ['initial state', 'y_init', 'z_init', 'init state'],
    params: ['latent-init.std', 'latent-init.seed', 'latent-init.corrected'],
  },
  {
    term: 'component',
    kind: 'node',
    title: 'Component',
    definition:
      'An instance of a named sub-graph with its own input and output ports; instances of one component share weights unless told otherwise.',
    whyItMatters:
      "Sharing is how one network is used in several places: TRM applies the same 2-layer net to update z and to update y. Shared weights are counted and stored once; turning shared off gives this instance weights of its own (the TRM net's two layers are two unshared instances of one layer component).",
    typical:
      'shared on (the default) for reuse; off for a stack of distinct layers built from one definition.',
    aliases: ['instance', 'sub-graph', 'subgraph', 'block'],
  },
  {
    term: 'recursion',
    kind: 'node',
    title: 'Recursion',
    definition:
      'Runs a component steps times, feeding named outputs back into inputs (the carried state) while its other inputs stay fixed.',
    formula:
      'state₀ = inputs;  stateₖ₊₁ = component(fixed, stateₖ);  out = component outputs after the last step',
    whyItMatters:
      "The heart of a TRM: depth comes from repetition, not from parameters. With shared weights it lowers to one Loop op (an ONNX Loop on export, so the file does not grow with steps). gradSteps keeps gradients only through the last steps, and deepSupervision turns the outer loop into TRM's supervised steps. Recursions nest: TRM is a latent recursion (n) inside a recursion of T steps inside a deep-supervision recursion of N_sup.",
    typical:
      'TRM paper: n = 6 latent steps, T = 3 with gradSteps 1, N_sup = 16 with deep supervision. 4×4 templates: n 2, T_rec 2, N_sup 4.',
    aliases: ['loop', 'recurrence', 'repeat'],
  },
  {
    term: 'component-input',
    kind: 'node',
    title: 'Component input',
    definition:
      'An input port of the component being edited; instances and recursions bind a value to it by name.',
    whyItMatters:
      "A recursion's carry pairs name these ports: an input that is fed back is part of the carried state (TRM's y, z); the others (x, the question) stay fixed across steps.",
    typical: "TRM's latent step has three: x, y and z.",
    aliases: ['input port', 'port'],
    params: ['component-input.name'],
  },
  {
    term: 'component-output',
    kind: 'node',
    title: 'Component output',
    definition:
      'An output port of the component being edited: what the component returns under that name.',
    whyItMatters:
      'A recursion feeds outputs back into inputs by name, so output and input names together define the carried state.',
    typical: "TRM's latent recursion returns y and z.",
    aliases: ['output port'],
    params: ['component-output.name'],
  },
  {
    term: 'lm-head',
    kind: 'node',
    title: 'LM head',
    definition:
      'Next-token logits at every position: [B, T, D] → [B, T, V], optionally reusing the embedding table.',
    formula: 'logits = x·W (+ b);  tied: W = Eᵀ',
    whyItMatters:
      'In a small language model V·D is a large share of all parameters; tying the head to the token embedding (tiedTo) saves that whole matrix and often trains as well.',
    typical: 'tied for tiny GPTs; bias off; width D, vocab V.',
    aliases: ['language model head', 'output head', 'unembedding'],
  },
  {
    term: 'classifier-head',
    kind: 'node',
    title: 'Classifier head',
    definition:
      'Class logits per position (one answer per puzzle cell) or per sequence (pooled from the first position or the mean); never tied.',
    formula: 'logits = x·W (+ b);  pool first: x[:, 0];  pool mean: mean over t;  skip: x[:, P:]',
    whyItMatters:
      "TRM reads its answer y through this head at every supervision step, and the loss is taken there each time. skip leaves out the puzzle prefix's positions so the logits line up with the cells.",
    typical: 'TRM Sudoku: classes V, pool none, skip P, no bias, lecun init.',
    aliases: ['classification head', 'answer head', 'output head'],
    params: ['classifier-head.classes'],
  },
  {
    term: 'halting-head',
    kind: 'node',
    title: 'Halting head',
    definition:
      'One logit per example, read from position 0: "the answer is already right, stop" (adaptive computation time).',
    formula: 'halt = x[:, 0]·w + b;  stop when halt > 0 (sigmoid > ½)',
    whyItMatters:
      'Trained with a binary cross-entropy against "every scored position is right", it lets training (haltEarly) and inference stop deep supervision early on easy examples, saving steps. initBias −5 gives sigmoid ≈ 0.007: at first it almost never halts.',
    typical: 'initBias −5, initWeight zeros (the TRM code).',
    aliases: ['halt', 'act head', 'q head'],
    params: ['halting-head.initBias', 'halting-head.initWeight'],
  },

  // ── Trainer settings (TrainConfig) ──────────────────────────────────────────────────────────
  {
    term: 'batch',
    kind: 'train',
    title: 'Batch size',
    definition: 'Examples per optimizer step.',
    whyItMatters:
      "Larger batches give smoother gradients at more memory per step. With deep supervision in 'replace' halting the batch is a set of slots: each example stays for up to N_sup steps, so one batch holds examples at different depths.",
    typical: 'default 32; the TRM templates 64; the TRM paper 768 (on GPUs).',
    aliases: ['batch size'],
  },
  {
    term: 'steps',
    kind: 'train',
    title: 'Training steps',
    definition:
      'Optimizer steps in total; with deep supervision each supervision step is one optimizer step.',
    whyItMatters:
      'An example trained with N_sup supervision steps uses up to N_sup optimizer steps, so a recursive model sees fewer distinct examples per step than a plain one. The schedule and the default checkpoint interval are fractions of it.',
    typical:
      'default 1000; the 4×4 Sudoku templates 300–600; larger puzzles need tens of thousands.',
    aliases: ['iterations', 'optimizer steps'],
  },
  {
    term: 'lr',
    kind: 'train',
    title: 'Learning rate',
    definition: 'The peak step size, reached at the end of warmup.',
    formula: 'see schedule: lr_t rises to lr over warmup, then holds or decays to lr·minLrRatio',
    whyItMatters:
      'The setting that most often decides whether a run learns. A recursion multiplies the effect of every weight change by the number of steps, so recursive models are touchy at high rates; a loss that turns NaN asks for a lower lr or clipping.',
    typical: 'default 1e-3; TRM templates 1e-3–3e-3 at batch 64; the TRM paper 1e-4 at batch 768.',
    aliases: ['learning rate', 'step size'],
  },
  {
    term: 'warmup',
    kind: 'train',
    title: 'Warmup',
    definition: 'Steps over which the learning rate rises linearly from lr/warmup to lr.',
    formula: 'lr_t = lr · (t + 1) / warmup   for t < warmup',
    whyItMatters:
      "Adam's moment estimates are noisy in the first steps; small steps then keep a fresh model from jumping somewhere it cannot recover from.",
    typical: 'default 100; the TRM templates 30; a few percent of the run.',
    aliases: ['lr warmup', 'warm-up'],
  },
  {
    term: 'schedule',
    kind: 'train',
    title: 'Learning-rate schedule',
    definition:
      "The learning rate's shape after warmup: cosine or linear decay to lr·minLrRatio, or constant.",
    formula:
      'p = (t − warmup) / (steps − warmup − 1);  cosine: lr_t = m + (lr − m)·½(1 + cos πp);  linear: m + (lr − m)(1 − p);  m = lr·minLrRatio',
    whyItMatters:
      'Decaying the rate lets a run settle at the end; TRM keeps it constant and relies on the EMA of the weights to smooth instead.',
    typical: 'cosine (default) for language models; constant for TRM.',
    aliases: ['lr schedule', 'cosine', 'decay'],
  },
  {
    term: 'minLrRatio',
    kind: 'train',
    title: 'Final learning-rate ratio',
    definition:
      'The learning rate at the last step, as a fraction of the peak (cosine and linear schedules).',
    formula: 'lr_final = lr · minLrRatio',
    whyItMatters: 'Decaying to zero wastes the last steps; a tenth keeps them useful.',
    typical: 'default 0.1; 0 to decay fully.',
    aliases: ['min lr'],
  },
  {
    term: 'betas',
    kind: 'train',
    title: 'Adam betas',
    definition:
      "Decay rates of Adam's running averages of the gradient (β₁) and of its square (β₂).",
    formula: 'm ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²',
    whyItMatters:
      'A lower β₂ (0.95 rather than 0.999) lets the step size react faster when gradients change, which small transformers train better with.',
    typical: '[0.9, 0.95] (default and the TRM paper).',
    aliases: ['beta1', 'beta2', 'adam betas'],
  },
  {
    term: 'optimizer',
    kind: 'train',
    title: 'Optimizer',
    definition:
      "The update rule: AdamW, or the TRM code's AdamATan2, which replaces m̂ / (√v̂ + ε) by atan2(m̂, √v̂).",
    formula:
      'adamw: p ← p·(1 − lr·wd) − lr·m̂/(√v̂ + ε);   adam-atan2: p ← p·(1 − lr·wd) − lr·atan2(m̂, √v̂)',
    whyItMatters:
      "atan2 bounds each coordinate's step by π/2·lr and has no ε to tune, so a parameter with a tiny v̂ cannot take a huge step — a guard for long recursions where one bad step is amplified. Weight decay stays decoupled either way.",
    typical: 'adamw (default, and the TRM templates); adam-atan2 to follow the TRM code exactly.',
    aliases: ['adamw', 'adam-atan2', 'adamatan2', 'adam'],
  },
  {
    term: 'eps',
    kind: 'train',
    title: 'Adam epsilon',
    definition: 'The small constant added to √v̂ in the AdamW update (adam-atan2 has none).',
    formula: 'step = m̂ / (√v̂ + ε)',
    whyItMatters:
      'It caps the step of parameters whose gradients are almost always zero, such as rarely used embedding rows.',
    typical: '1e-8.',
    aliases: ['epsilon', 'adam epsilon'],
  },
  {
    term: 'freeze',
    kind: 'train',
    title: 'Frozen nodes',
    definition:
      'Nodes (ids, or weight-name prefixes) whose weights do not train: no gradient, no optimizer moments, no EMA average.',
    whyItMatters:
      'Fine-tuning a run on new data often keeps what generalises (the embedding, a shared block) and adapts the rest; frozen weights stay bit-identical, and a recursion node freezes its whole body.',
    typical: 'none (default); e.g. ["embed"] when fine-tuning from a run.',
  },
  {
    term: 'lrScale',
    kind: 'train',
    title: 'Learning-rate multipliers',
    definition:
      'A factor on the learning rate per node id or weight-name prefix; the most specific match wins.',
    formula: 'lr(weight) = lr(step) · lrScale[node]',
    whyItMatters:
      'When a run starts from another, the weights it brings usually want smaller steps than the ones it starts afresh.',
    typical: 'none (default); e.g. {"embed": 0.1}. Use freeze instead of 0.',
    aliases: ['lr scale', 'learning-rate multiplier'],
  },
  {
    term: 'lora',
    kind: 'train',
    title: 'LoRA adapters',
    definition:
      'Low-rank adapters on chosen matrix weights: each W is used as W + (α/r)·A·B, where A and B are small new matrices and only they train; every base weight stays frozen.',
    formula: "W' = W + (alpha / rank) · A · B,  A [in, rank] (small random), B [rank, out] (zeros)",
    whyItMatters:
      'Fine-tuning through a few thousand adapter values instead of every weight: far less to train and store, the base model untouched, and B starting at zero means step 0 is exactly the base model. Inside a shared recursion the one adapter follows the shared weight into every step.',
    typical:
      'none (default); e.g. {"targets": ["*/attn/w{q,v}"], "rank": 8, "alpha": 16} when adapting a trained run (--init-from).',
    aliases: ['low-rank adaptation', 'adapter', 'adapters', 'rank', 'alpha'],
  },
  {
    term: 'distill',
    kind: 'train',
    title: 'Knowledge distillation',
    definition:
      "Train against a trained teacher run's softened predictions on the same batch as well as the labels.",
    formula:
      'loss = α · CE(labels) + (1 − α) · T² · KL(softmax(teacher/T) ‖ softmax(student/T)), averaged over scored positions',
    whyItMatters:
      "A teacher's full distribution says which wrong tokens are nearly right, a richer signal per example than one label: a small or recursive student reaches a lower loss in the same steps. T² keeps the soft term's gradient on the labels' scale as T grows. The teacher is frozen and needs the same vocabulary.",
    typical:
      'off (default); {"teacher": "runs/gpt", "alpha": 0.5, "temperature": 1}; T from 1 (measured best for a recursive LM taught by a tiny GPT) to 4, α 0.1 to 0.5.',
    aliases: ['distillation', 'teacher', 'kd', 'knowledge distillation', 'distill-alpha'],
  },
  {
    term: 'weightDecay',
    kind: 'train',
    title: 'Weight decay',
    definition:
      'Shrinks weights towards zero a little every step, apart from the gradient (decoupled, as AdamW).',
    formula:
      'p ← p · (1 − lr · weightDecay)  (norm scales, biases and the halting bias are exempt)',
    whyItMatters:
      'On the tiny data sets TRM learns from (1,000 Sudoku puzzles) strong decay is what keeps the model from memorising: the paper uses 1.0.',
    typical: 'default 0.1; the TRM templates and paper 1.0.',
    aliases: ['wd', 'weight decay', 'l2'],
  },
  {
    term: 'clipNorm',
    kind: 'train',
    title: 'Gradient clipping',
    definition:
      'Scales all gradients down together when their global L2 norm exceeds this value; 0 turns it off.',
    formula: 'g ← g · min(1, clipNorm / √(Σ‖g‖²))',
    whyItMatters:
      "Gradients through many recursion steps can spike; clipping bounds one bad batch's damage. The norm is also the trainer's NaN/Inf check.",
    typical: 'default 1; the TRM templates 0 (off, as the paper).',
    aliases: ['gradient clipping', 'clip', 'grad norm'],
  },
  {
    term: 'dropout',
    kind: 'train',
    title: 'Dropout (trainer switch)',
    definition: "Whether the graph's dropout layers drop while training; evaluation never drops.",
    whyItMatters:
      'One switch to compare a run with and without the regulariser without editing every node.',
    typical: 'on (default); it matters only for graphs with a dropout rate above 0.',
  },
  {
    term: 'ema',
    kind: 'train',
    title: 'EMA of the weights',
    definition:
      "Keeps an exponential moving average of the weights; evaluation, checkpoints' exported weights and ONNX export use the average. 0 is off.",
    formula: 'e ← r·e + (1 − r)·p after every step (r = ema, warmed up with emaWarmup)',
    whyItMatters:
      "TRM trains with a constant, fairly high learning rate on little data; the average of recent weights generalises better and is steadier than the last step's weights. The TRM paper uses it against overfitting and to keep training stable.",
    typical: '0 (off, default); 0.999 in the TRM templates and paper.',
    aliases: ['exponential moving average', 'moving average'],
  },
  {
    term: 'emaWarmup',
    kind: 'train',
    title: 'EMA warm-up',
    definition:
      'Lets the EMA rate grow as (1 + k)/(10 + k) up to its value, so the average forgets the initial weights early.',
    formula: 'r_k = min(ema, (1 + k) / (10 + k))',
    whyItMatters:
      'Without it, after 1,000 steps at 0.999 the average still holds about a third of the untrained initial weights — a short run would evaluate a half-trained mixture.',
    typical: 'on (default).',
  },
  {
    term: 'seed',
    kind: 'train',
    title: 'Seed',
    definition:
      "Seeds the data order, dropout masks, halting exploration and the weights' initialisation.",
    whyItMatters:
      'Same seed, same run: a resumed run continues exactly, and two runs differ only in what you changed. Small models vary a lot between seeds, so compare across a few.',
    typical: '0 (default).',
    aliases: ['random seed'],
  },
  {
    term: 'evalEvery',
    kind: 'train',
    title: 'Evaluation interval',
    definition: 'Steps between evaluations on held-out data; 0 evaluates only at the end.',
    whyItMatters:
      'Held-out exact match is the number that tells whether a puzzle model generalises or memorises; evaluating a recursive model runs every supervision step, so it is not free.',
    typical: 'default 200; the TRM templates 100.',
    aliases: ['eval interval'],
  },
  {
    term: 'evalExamples',
    kind: 'train',
    title: 'Evaluation examples',
    definition: 'Held-out examples scored at each evaluation.',
    whyItMatters:
      'Too few and exact match jumps by whole percentage points from noise (256 examples: one puzzle is 0.4 points).',
    typical: 'default 256; the TRM templates 1000.',
  },
  {
    term: 'checkpointEvery',
    kind: 'train',
    title: 'Checkpoint interval',
    definition:
      'Steps between checkpoints; blank means a tenth of the run, at most 500; 0 only at stop and at the end.',
    formula: 'blank: min(500, max(1, ⌊steps / 10⌋))',
    whyItMatters:
      'A checkpoint is what a crashed or stopped run resumes from, and what export, the playground and the insight view read.',
    typical: 'blank (default).',
    aliases: ['checkpoint'],
  },
  {
    term: 'checkpointSeconds',
    kind: 'train',
    title: 'Checkpoint time limit',
    definition:
      'Also writes a checkpoint once this many seconds passed since the last one; 0 checkpoints by steps only.',
    whyItMatters:
      "On a slow CPU a recursive model's step can take seconds; this bounds the work a crash can lose.",
    typical: '60 (default).',
  },
  {
    term: 'keepCheckpoints',
    kind: 'train',
    title: 'Checkpoints kept',
    definition: 'How many recent checkpoints stay on disk; older ones are deleted.',
    whyItMatters:
      'Keeps disk use bounded while leaving an earlier step to fall back on when the latest diverged.',
    typical: '3 (default).',
  },
  {
    term: 'loss',
    kind: 'train',
    title: 'Loss function',
    definition:
      "Cross-entropy over softmax ('ce'), or over the TRM code's stable-max, which replaces exp by a function that grows only linearly.",
    formula:
      'ce: −log(e^{x_y} / Σe^{x_j});  stablemax: s(x) = 1/(1 − x) for x < 0, x + 1 otherwise; −log(s(x_y) / Σs(x_j))',
    whyItMatters:
      "Stable-max keeps the loss from pushing logits towards ever larger values once the answer is right, a failure seen with softmax on small data ('softmax collapse', Prieto et al. 2025) that the TRM code avoids this way. Positions marked as ignored (a puzzle's givens, padding) are not scored.",
    typical: 'ce (default) for language models; stablemax in the TRM templates.',
    aliases: ['cross-entropy', 'stable-max', 'stablemax', 'ce'],
  },
  {
    term: 'haltWeight',
    kind: 'train',
    title: 'Halting loss weight',
    definition: "Weight of the halting head's binary cross-entropy, added to the answer's loss.",
    formula: 'loss = CE(answer) + haltWeight · BCE(halt, [every scored position right])',
    whyItMatters:
      'Too low and the head never learns when to stop (no early halting); too high and it competes with learning the answer itself.',
    typical: '0.5 (default and TRM).',
    aliases: ['halt loss', 'act loss'],
  },
  {
    term: 'haltEarly',
    kind: 'train',
    title: 'Halt early while training',
    definition:
      'Stops deep supervision for an example (or, in batch halting, the batch) once its halting logit is above 0.',
    whyItMatters:
      'Easy examples leave after a few supervision steps and make room for new ones, so more of the training budget goes to hard examples.',
    typical: 'on (default).',
    aliases: ['early halting'],
  },
  {
    term: 'haltExplore',
    kind: 'train',
    title: 'Halting exploration',
    definition:
      'The probability that an example draws a minimum number of supervision steps (uniform in 2..N_sup) and cannot halt before it.',
    whyItMatters:
      'Without it the halting head only ever sees the steps where it already stopped; exploration shows it later steps too. Draws follow the seed and the example index, so a resumed run draws the same.',
    typical: '0 (off, default); 0.1 in the TRM templates and code.',
    aliases: ['exploration', 'halt exploration'],
  },
  {
    term: 'halting',
    kind: 'train',
    title: 'Deep-supervision scheme',
    definition:
      "How deep supervision moves through the data: 'replace' swaps each finished example for a new one; 'batch' moves on when the whole batch is done.",
    whyItMatters:
      "'replace' (the TRM code's) keeps every slot busy: an example that halted or ran N_sup steps is replaced by a fresh one at the initial state, while the others carry their state on. 'batch' is simpler to reason about but idles finished examples. Graphs without deep supervision train the same either way.",
    typical: 'replace (default).',
    aliases: ['slots', 'replace', 'halting mode'],
  },
  {
    term: 'supervisionSteps',
    kind: 'train',
    title: 'Supervision steps override',
    definition:
      "Overrides the graph's number of deep-supervision steps (N_sup) for this run; 0 keeps the graph's.",
    whyItMatters:
      'More supervision steps give the model more chances to improve its answer, at the cost of optimizer steps per example; try a depth without editing the graph.',
    typical: "0 (the graph's); TRM paper N_sup 16, 4×4 templates 4.",
    aliases: ['n_sup override'],
  },
  {
    term: 'backend',
    kind: 'train',
    title: 'Compute backend',
    definition:
      'Which tensor backend trains: auto takes the first that loads of tensorflow-gpu → webgpu (a GPU of any vendor through Dawn; a software adapter only when chosen) → tensorflow → native → wasm → cpu.',
    whyItMatters:
      'The same run is orders of magnitude faster on a native backend than on pure-JS cpu; results match within rounding. The backend used is always reported (trm doctor says which load here).',
    typical: 'auto (default).',
    aliases: ['device', 'tfjs backend'],
  },

  // ── Export options (trm export, the Export dialog) ─────────────────────────────────────────
  {
    term: 'precision',
    kind: 'export',
    title: 'Export precision',
    definition:
      'How the exported weights are stored and multiplied: fp32, fp16, int8, int8-weight or int4.',
    whyItMatters:
      'Smaller weights load faster and fit smaller devices; quantized MatMuls also run faster on CPU. Every export is verified against the tfjs model, so the cost in accuracy is measured, not guessed.',
    typical: 'fp32 to check a model; int8 for CPU serving; int4 when size matters most.',
    aliases: ['dtype', 'quantization level'],
  },
  {
    term: 'fp32',
    kind: 'export',
    title: 'fp32 export',
    definition: 'Weights and compute in 32-bit floats, exactly as trained.',
    whyItMatters:
      'The reference: any difference from tfjs is rounding, so it is the first export to try when checking a graph exports faithfully.',
    typical: '4 bytes per weight; the verdict allows 0.1 point of task accuracy.',
    aliases: ['float32', 'full precision'],
  },
  {
    term: 'fp16',
    kind: 'export',
    title: 'fp16 export',
    definition:
      'Weights stored as 16-bit halves, widened to fp32 once at load; compute stays fp32.',
    whyItMatters:
      'Half the file at almost no accuracy cost; measured fp16 compute was slower on CPU and no more accurate, so only storage is halved.',
    typical: '2 bytes per weight; verdict allows 1 point of accuracy, 2% perplexity.',
    aliases: ['float16', 'half'],
  },
  {
    term: 'int8',
    kind: 'export',
    title: 'int8 export (dynamic)',
    definition:
      'Weights quantized to int8 per output column; activations quantized per call at run time (DynamicQuantizeLinear + MatMulInteger).',
    formula: 'w ≈ s_n · q,  q = round(w / s_n),  s_n = max|W[:, n]| / 127',
    whyItMatters:
      'Measured 4–8× faster than fp32 on CPU MatMuls at batch ≥ 64, at a quarter of the weight size. Embedding tables and weights under 1,024 elements (a halting head) stay fp32.',
    typical: 'verdict allows 1 point of accuracy, 2% perplexity.',
    aliases: ['dynamic quantization', 'int8 dynamic'],
  },
  {
    term: 'int8-weight',
    kind: 'export',
    title: 'int8 weight-only export',
    definition:
      'Weights stored as 8-bit blocks (32 per scale and zero point); activations and compute stay float (MatMulNBits).',
    whyItMatters:
      'A quarter of the weight size with float maths, the faster choice at batch 1 (one sequence at a time).',
    typical: 'verdict allows 1 point of accuracy, 2% perplexity.',
    aliases: ['weight-only int8', 'quantized'],
  },
  {
    term: 'int4',
    kind: 'export',
    title: 'int4 export',
    definition:
      'Weights stored as 4-bit blocks of 32 with a scale and zero point each (MatMulNBits); the heads keep 8 bits.',
    formula:
      'per block: q = clamp(round(w / s) + z, 0, 15), the range clipped to minimise squared error',
    whyItMatters:
      'About an eighth of the fp32 weight size. With only 16 levels a tiny model loses more than a large one, since each weight carries more of the function; the heads stay 8-bit because their error lands straight on the logits.',
    typical: 'verdict allows 3 points of accuracy, 5% perplexity, 10 points of top-1.',
    aliases: ['4-bit', 'q4'],
  },
  {
    term: 'format',
    kind: 'export',
    title: 'Export format',
    definition:
      'What trm export writes: onnx (a verified model folder for deployment) or pytorch (a PyTorch project that trains the same graph with the same recipe).',
    whyItMatters:
      'A laptop trains a 4×4 Sudoku TRM; the paper-size 9×9 model needs GPUs. The PyTorch project runs the graph on any GPU PyTorch supports and on several with torchrun, from the same initial weights and batches as the Studio (its first losses agree to about 1e-7), and its run comes back with trm import.',
    typical: 'onnx (default); pytorch to train past CPU scale.',
  },
  {
    term: 'data',
    kind: 'export',
    title: 'Training data of a PyTorch export',
    definition:
      'The data the PyTorch project trains on, written into it as the Studio produces it (same syntax as trm train --data).',
    whyItMatters:
      'Python does not re-implement the generators and augmentations: the project reads the Studio’s own training stream and held-out set, so both engines see the same examples in the same order.',
    typical: "The document's task (default), e.g. sudoku4, brown, or a text file.",
  },
  {
    term: 'steps',
    kind: 'export',
    title: 'Steps of a PyTorch export',
    definition:
      "Optimizer steps the PyTorch project trains for, over the document's meta.training; also sets how much of the training stream is written.",
    whyItMatters:
      'The stream holds one batch per step (capped at 64 Mi tokens, after which it repeats), so a longer run written with a short one would repeat its data.',
    typical: "The document's (default); python train.py --steps N overrides it again.",
  },
  {
    term: 'batch',
    kind: 'export',
    title: 'Batch of a PyTorch export',
    definition:
      'Examples per optimizer step over all processes together; under torchrun each of N processes takes batch / N of them.',
    whyItMatters:
      'The stream of examples and deep supervision’s slots are laid out for the global batch, so one process with batch 64 and two with 32 each train the same run.',
    typical: "The document's (default); a multiple of the number of processes.",
  },
  {
    term: 'opset',
    kind: 'export',
    title: 'ONNX opset',
    definition:
      'The ONNX operator-set version the file targets: 17 (decomposed norms, attention and RoPE) or 23 (fused operators).',
    whyItMatters:
      'Opset 17 runs on nearly every ONNX runtime; 23 writes LayerNormalization, RMSNormalization, Attention and RotaryEmbedding as single fused operators, which a runtime that has them runs as one kernel each.',
    typical: '17 (default).',
  },
  {
    term: 'mode',
    kind: 'export',
    title: 'Export mode',
    definition:
      'What the file computes: full (the whole fixed-depth model), step (one deep-supervision step), decode (a language model with a KV cache) or encoder-decoder (an encoder file and a decoder file).',
    whyItMatters:
      "A TRM's host can only halt early with the step model: it feeds y and z back in and reads the halting logit after each step. The full model always runs all N_sup steps. decode lets text generation reuse past keys and values instead of recomputing them. encoder-decoder writes onnx/encoder.onnx (the source to its memory, run once) and onnx/decoder.onnx (the target so far and that memory to the next token), the pair seq2seq runtimes expect, and decoder_model.onnx + decoder_with_past_model.onnx, the decoder with a KV cache (the cross-attention keys and values computed once, one new token per call).",
    typical:
      'full for puzzles solved at fixed depth; step for early halting; decode for generation (trm generate, transformers.js); encoder-decoder for a trained seq2seq model with cross-attention: the encoder, the full decoder, and the decoder with a KV cache (decoder_model + decoder_with_past_model, the layout Optimum writes), each decoding held-out sources greedily against the tfjs model.',
    aliases: ['export mode', 'step model', 'decode', 'encoder-decoder', 'encoder.onnx'],
  },
  {
    term: 'unroll',
    kind: 'export',
    title: 'Unroll recursions',
    definition: 'Writes every recursion step out in the graph instead of as an ONNX Loop.',
    whyItMatters:
      'A Loop keeps the file the same size whatever the depth and loads 5–40× faster; unrolled is larger and slower to load but sometimes faster at batch 1, and some runtimes lack Loop.',
    typical: 'off (default).',
    aliases: ['unrolled', 'loops'],
  },
  {
    term: 'weights',
    kind: 'export',
    title: 'Weights to export',
    definition:
      "The run folder (or one of its step-NNNNNN checkpoints) whose trained weights are exported; without one, the graph's deterministic initial weights.",
    whyItMatters:
      "With EMA on, the checkpoint's averaged weights are what gets exported. Initial weights still prove that a graph exports faithfully.",
    typical: "the run's latest checkpoint.",
    aliases: ['run', 'checkpoint'],
  },
  {
    term: 'out',
    kind: 'export',
    title: 'Output folder',
    definition:
      'Where the model folder is written (Hugging Face layout: onnx/model*.onnx, config.json, tokenizer.json, README.md); a path ending in .onnx writes that file alone.',
    whyItMatters:
      'The folder is self-contained: a deployment needs nothing else, and a decode folder of a GPT-2- or Llama-shaped graph loads in transformers.js unchanged.',
    typical: 'RUN/exports/NAME-MODE (default).',
    aliases: ['output'],
  },
  {
    term: 'tokenizer',
    kind: 'export',
    title: 'Tokenizer',
    definition:
      "A BPE tokenizer.json (Hugging Face format) embedded in the model's metadata, so text becomes the ids the model was trained on.",
    whyItMatters:
      'A language model is useless without the exact vocabulary it learned; puzzle models encode their cells with a fixed table instead.',
    typical: 'none (default); give the tokenizer.json the model was trained with BPE tokens from.',
    aliases: ['vocab file', 'tokenizer.json'],
  },
  {
    term: 'preset',
    kind: 'export',
    title: 'Preset',
    definition:
      "Applies one of the document's named presets (meta.presets) before exporting, e.g. the TRM paper's 9×9 size.",
    whyItMatters:
      'One document can hold a small size to try and the full size to ship; the preset must match the size the weights were trained at.',
    typical: 'none (default).',
  },
  {
    term: 'backend',
    kind: 'export',
    title: 'Reference backend',
    definition:
      'The tfjs backend that computes the reference outputs the export is verified against.',
    whyItMatters:
      'Verification compares onnxruntime with tfjs on held-out inputs; a faster backend makes the check quicker, the verdict is the same.',
    typical: 'auto (the first that loads).',
  },
  {
    term: 'task-data',
    kind: 'export',
    title: 'Task data',
    definition:
      "Held-out data with targets on which the reference and the export are both scored (as trm train's --data).",
    whyItMatters:
      'A trained model is judged by its task metric — exact match, cell accuracy or perplexity — because that is what a user of the model would notice.',
    typical: "default: the data the weights were trained on, else the document's meta.task.",
    aliases: ['task check'],
  },
  {
    term: 'task-examples',
    kind: 'export',
    title: 'Task examples',
    definition: 'Held-out rows scored in the task check.',
    whyItMatters:
      'More rows make the accuracy difference less noisy and the check slower, especially for a recursive model run to full depth.',
    typical: '32 text windows or 256 puzzles (default).',
  },
  {
    term: 'merge-lora',
    kind: 'export',
    title: 'Merge LoRA adapters',
    definition:
      "For a run trained with LoRA, folds each adapter into its base weight before export (W' = W + (α/r)·A·B), so the file is an ordinary model of the graph.",
    whyItMatters:
      "The merged model runs at the base model's speed and size in any runtime, and is verified against the adapted model like any export.",
    typical: 'on (default) for a LoRA run; no effect on other runs.',
    aliases: ['merge adapters', 'merged'],
  },
  {
    term: 'lora-only',
    kind: 'export',
    title: 'Export the adapters alone',
    definition:
      "Writes just a LoRA run's adapter matrices (A and B per adapted weight, with rank, alpha and targets in the metadata) to a safetensors file, instead of a model.",
    whyItMatters:
      "An adapter file is a few kilobytes: several tasks can share one base model and swap adapters. Its layout is the IR's ([in, out]); PEFT stores the transposes.",
    typical: 'off (default); e.g. --lora-only adapters.safetensors.',
    aliases: ['adapter file', 'adapters only'],
  },
  {
    term: 'no-task',
    kind: 'export',
    title: 'Skip the task check',
    definition:
      "Exports without scoring held-out task data; the outputs' error and top-1 agreement then decide.",
    whyItMatters:
      'Quicker, but blind to what matters: a small logit error can still flip a puzzle cell.',
    typical: 'off (default).',
  },
  {
    term: 'max-accuracy-drop',
    kind: 'export',
    title: 'Allowed accuracy drop',
    definition:
      'Fails the verdict when a task accuracy (exact match, cell accuracy) falls more than this many points.',
    whyItMatters:
      'Exact match on puzzles is all-or-nothing per puzzle, so quantization that barely moves the logits can still cost whole points.',
    typical: '0.1 fp32; 1 fp16, int8, int8-weight; 3 int4 (defaults).',
  },
  {
    term: 'max-perplexity-rise',
    kind: 'export',
    title: 'Allowed perplexity rise',
    definition: 'Fails the verdict when the task perplexity rises more than this many percent.',
    whyItMatters:
      "Perplexity is the language model's task metric; 2% is about the gap between two neighbouring checkpoints of a small run.",
    typical: '0.1 fp32; 2 fp16, int8, int8-weight; 5 int4 (defaults).',
  },
  {
    term: 'max-top1-drop',
    kind: 'export',
    title: 'Allowed top-1 drop',
    definition:
      'Without a task metric, fails the verdict when top-1 agreement falls more than this many points below 100%.',
    whyItMatters:
      'When there is no held-out task, whether the exported model still picks the same token or class is the next best check.',
    typical: '1 (default), 10 for int4.',
  },

  // ── Concepts ───────────────────────────────────────────────────────────────────────────────
  {
    term: 'trm',
    kind: 'concept',
    title: 'Tiny Recursive Model (TRM)',
    definition:
      'A small network applied over and over to improve an answer y using a latent scratchpad z, trained with deep supervision (Jolicoeur-Martineau, 2025).',
    formula:
      'repeat n: z ← net(x + y + z);  then y ← net(y + z);  T times (last with gradients);  N_sup supervised steps',
    whyItMatters:
      'Depth through recursion instead of parameters: a 2-layer network with about 7M parameters solves hard Sudoku and mazes that much larger models fail. This app builds one from nodes — see the trm-sudoku template.',
    typical:
      'TRM paper: D 512, 2 layers, n 6, T 3, N_sup 16; the 4×4 templates: D 64, n 2, T_rec 2, N_sup 4.',
    aliases: ['tiny recursive model', 'trm-att', 'recursive model'],
  },
  {
    term: 'latent-recursion',
    kind: 'concept',
    title: 'Latent recursion',
    definition:
      'The inner loop of a TRM: the latent z is updated n times from the question x, the answer y and itself, then y once from y and z.',
    formula: 'for i in 1..n: z ← net(x + y + z);   y ← net(y + z)',
    whyItMatters:
      'Its steps parameter is the number of times the body runs; every step costs compute, none adds parameters. In the graph it is a recursion node whose carry feeds z back to z.',
    typical: 'n 6 (paper), 2 (4×4 templates); steps may name a dim such as n.',
    aliases: ['recursion steps', 'n', 'T_rec', 'latent reasoning'],
    params: ['recursion.steps'],
  },
  {
    term: 'deep-supervision',
    kind: 'concept',
    title: 'Deep supervision',
    definition:
      'The outer loop of a TRM: the model runs up to N_sup steps per example, each step scored and trained by its own optimizer step, the state detached between steps.',
    formula:
      'for s in 1..N_sup: (y, z) ← step(x, y, z); loss on y; optimizer step; y, z ← stop_gradient(y, z)',
    whyItMatters:
      'It trains the model to improve any answer it is given, which is what lets more steps help at test time, and it keeps memory to one step however deep the model runs. In this app a recursion with deepSupervision on is trained one step per program, with the state carried by the trainer.',
    typical: 'N_sup 16 (paper), 4 (4×4 templates); needs shared weights.',
    aliases: ['N_sup', 'supervision steps', 'outer loop'],
    params: ['recursion.deepSupervision'],
  },
  {
    term: 'gradient-steps',
    kind: 'concept',
    title: 'Gradient steps (one-step gradient)',
    definition:
      'Only the last gradSteps repetitions of a recursion keep gradients; the earlier ones run without them, their values freed as soon as they are used.',
    whyItMatters:
      'TRM runs T − 1 recursions without gradients and backpropagates through the last one only: training memory stays that of one recursion whatever T is, and the earlier steps still move the state to where the last one learns from.',
    typical: 'empty (all steps) by default; TRM 1.',
    aliases: ['gradSteps', 'truncated backprop', 'no-grad steps', '1-step gradient'],
    params: ['recursion.gradSteps'],
  },
  {
    term: 'shared-weights',
    kind: 'concept',
    title: 'Shared weights',
    definition:
      'Several uses of one component — instances or recursion steps — read the same parameters.',
    whyItMatters:
      'Sharing is what makes a recursive model tiny: the count and the file hold the weights once, however many steps run (an ONNX Loop references one initializer). per-step weights make a recursion an ordinary deep stack, unrolled, with steps× the parameters.',
    typical:
      'shared (default) for a TRM; per-step to compare against a plain deep model of equal compute.',
    aliases: ['weight sharing', 'tied weights', 'parameter sharing'],
    params: ['recursion.weights', 'component.shared', 'recursion.component', 'component.component'],
  },
  {
    term: 'carried-state',
    kind: 'concept',
    title: 'Carried state',
    definition:
      "The outputs a recursion feeds back into its component's inputs at the next step; the inputs not fed back stay fixed.",
    whyItMatters:
      'In a TRM the state is the answer y and the latent z; the question x is fixed. Each carry pair must match in shape, and an input can be fed only once.',
    typical: 'TRM: y → y and z → z; the latent recursion only z → z.',
    aliases: ['carry', 'state', 'recurrent state'],
    params: ['recursion.carry'],
  },
  {
    term: 'act',
    kind: 'concept',
    title: 'Halting (adaptive computation time)',
    definition:
      'Learning when to stop: a halting head predicts whether the current answer is already right, and deep supervision stops when its logit turns positive.',
    formula:
      'target = [every scored position of y is correct];  loss += haltWeight · BCE(halt, target)',
    whyItMatters:
      'Easy puzzles stop after a step or two, hard ones use all N_sup: training spends its steps where they are needed and inference runs faster on average (with a step export).',
    typical: 'TRM: a 1-logit head on position 0, bias −5, weight zeros, exploration 0.1.',
    aliases: ['halting', 'adaptive computation time', 'early stopping', 'q-learning halt'],
  },
  {
    term: 'model-width',
    kind: 'concept',
    title: 'Model width (D)',
    definition:
      "The number of channels each position carries through the network; most nodes' width parameter is D.",
    whyItMatters:
      'Parameters grow with D² (attention 4·D², SwiGLU FFN about 8·D²), so halving D quarters the model. A TRM keeps D small and buys depth with recursion instead.',
    typical: '64 (4×4 templates), 128 (tiny GPT), 512 (TRM paper).',
    aliases: ['D', 'width', 'hidden size', 'd_model'],
    params: ['*.width'],
  },
  {
    term: 'vocabulary',
    kind: 'concept',
    title: 'Vocabulary (V)',
    definition: 'How many distinct token ids the model reads and predicts; ids are in [0, V).',
    whyItMatters:
      'The embedding and the head each cost V·D. For puzzles V is tiny (digits plus blank and padding), so nearly all parameters go to the reasoning network.',
    typical: '6 (4×4 Sudoku), 11 (9×9 Sudoku), 96 (characters of English text).',
    aliases: ['V', 'vocab', 'vocab size'],
    params: ['*.vocab'],
  },
  {
    term: 'context-length',
    kind: 'concept',
    title: 'Context length (T, L)',
    definition:
      'The longest sequence the model takes; puzzles use a fixed length (L cells), text any length up to the maximum.',
    whyItMatters:
      'Attention costs grow with T² per layer per step — multiplied by every recursion step. A fixed length is what a sequence MLP needs.',
    typical: '16 (4×4 Sudoku), 81 (9×9), 900 (30×30 maze/ARC), 64–256 for text.',
    aliases: ['T', 'L', 'maxLength', 'sequence length', 'context'],
    params: ['*.maxLength'],
  },
  {
    term: 'attention-heads',
    kind: 'concept',
    title: 'Attention heads',
    definition:
      'Attention runs H times in parallel on slices of width Dh = D / H, each free to look at different positions.',
    whyItMatters:
      'More heads let a position gather several kinds of relation at once (same row, same column, same box in Sudoku); too many make each head too narrow.',
    typical: 'H 4 at D 64–128; 8 at D 512; Dh 16–64.',
    aliases: ['heads', 'H', 'head dim', 'Dh'],
    params: ['attention.heads', 'attention.headDim'],
  },
  {
    term: 'gqa',
    kind: 'concept',
    title: 'Grouped-query attention',
    definition:
      'Fewer key/value heads than query heads: each group of query heads shares one key and value head.',
    whyItMatters:
      'Smaller K and V projections and a smaller KV cache when generating; in a tiny model the savings are small and quality can drop, so it is off unless set.',
    typical: 'kvHeads = heads (off, default); heads/2 or heads/4 for a cheaper cache.',
    aliases: ['kvHeads', 'grouped query attention', 'multi-query'],
    params: ['attention.kvHeads'],
  },
  {
    term: 'kv-cache',
    kind: 'concept',
    title: 'KV cache',
    definition:
      'The keys and values attention has computed for the tokens written so far, kept between decoding calls so that each call runs only the new token through the model.',
    formula:
      'call k: new token [B, 1] + past K, V [B, P, W] per attention → logits [B, 1, V] + present K, V [B, P+1, W]',
    whyItMatters:
      'Without it, writing n tokens runs the whole prefix again for every token (about n²/2 positions); with it, n. The decode export carries one for a language model; the encoder–decoder export writes decoder_model.onnx (the first call, which also computes the cross-attention keys and values of the source once) and decoder_with_past_model.onnx (every later call, one token each), and its report says how often the cached pair decodes held-out sources exactly as tfjs does.',
    typical:
      'Export mode decode (language models); encoder–decoder exports write it beside encoder.onnx and decoder.onnx, in the layout Optimum and transformers.js read. kvHeads below heads shrinks it.',
    aliases: [
      'kv cache',
      'key-value cache',
      'past key values',
      'decoder_with_past_model',
      'decoder_model',
    ],
  },
  {
    term: 'decoding',
    kind: 'concept',
    title: 'Decoding: greedy, sampling, beam search',
    definition:
      'How a trained model writes, token by token: greedy takes the likeliest token; sampling draws one; beam search keeps the W likeliest partial outputs and returns the best.',
    formula:
      'greedy: argmax p(t | prefix);  sample: t ~ softmax(logits / temperature) within top-k and top-p;  beam: keep the W prefixes with the largest Σ log p',
    whyItMatters:
      "Greedy and beam search are deterministic, so they show what a model has learned: on a task with one right answer (a reversed sequence) both should write it, and the Export dialog's encoder–decoder check decodes greedily. Beam search can find a likelier whole output that greedy misses by committing early; sampling is for varied text.",
    typical:
      'Playground: Greedy; Sample at temperature 0.8, top-p 0.95; Beam search of width 4 (2–16). trm generate: --temperature, --top-k, --top-p, --beams.',
    aliases: [
      'greedy',
      'beam search',
      'beams',
      'beam width',
      'sampling',
      'sample',
      'top-k',
      'top-p',
    ],
  },
  {
    term: 'causal-mask',
    kind: 'concept',
    title: 'Causal attention',
    definition: 'Each position may attend only to itself and earlier positions.',
    whyItMatters:
      "Required for a language model predicting the next token. A puzzle model sees the whole grid at once and refines every cell, so TRM's attention is bidirectional (causal off).",
    typical: 'on for language models, off for puzzles.',
    aliases: ['causal', 'bidirectional', 'mask', 'autoregressive'],
    params: ['attention.causal'],
  },
  {
    term: 'rope',
    kind: 'concept',
    title: 'Rotary position embedding (RoPE)',
    definition:
      'Encodes position by rotating pairs of query and key channels by an angle proportional to the position, so scores depend on relative offsets.',
    formula: 'angle(t, i) = t · θ^(−2i/Dh) for channel pair i;  q, k rotated by it before Q·Kᵀ',
    whyItMatters:
      'No position table to learn or store, and the same rotation applies at every recursion step. TRM uses it.',
    typical: 'rope on, ropeTheta 10000 (TRM).',
    aliases: ['rotary', 'rotary embedding', 'ropeTheta'],
    params: ['attention.rope', 'attention.ropeTheta'],
  },
  {
    term: 'weight-init',
    kind: 'concept',
    title: 'Weight initialisation',
    definition:
      "How a weight matrix starts: 'normal' is N(0, 0.02) (GPT-2's habit), 'lecun' a truncated normal with std 1/√fan-in (the TRM code's).",
    formula: 'lecun: w ~ N(0, 1/fan_in) truncated at ±2σ, std corrected for the truncation',
    whyItMatters:
      'A recursion applies the same matrices many times, so their starting scale compounds: at D 64 a LeCun matrix starts 6× wider than 0.02, and that scale decides how fast the state grows or fades from step to step.',
    typical: 'normal for GPT-style models; lecun in the TRM templates.',
    aliases: ['init', 'initialization', 'lecun', 'truncated normal'],
    params: ['*.init'],
  },
  {
    term: 'activation',
    kind: 'concept',
    title: 'Activation (ReLU, GELU, SwiGLU)',
    definition:
      'The non-linearity inside an MLP: ReLU max(0, x), GELU x·Φ(x), or SwiGLU, a SiLU-gated product of two projections.',
    formula: 'SwiGLU(x) = silu(x·W1) ⊙ (x·W3),  silu(u) = u·σ(u)',
    whyItMatters:
      'SwiGLU trains better per parameter; it has a third matrix, so the hidden width is taken as ⅔·ratio·D to keep the count close to a plain MLP. TRM uses it.',
    typical: 'gelu (FFN default), swiglu (TRM and the sequence MLP default).',
    aliases: ['relu', 'gelu', 'swiglu', 'silu', 'nonlinearity'],
    params: ['*.activation'],
  },
  {
    term: 'hidden-width',
    kind: 'concept',
    title: 'FFN hidden width',
    definition:
      'The inner width of a feed-forward block: ratio·D (⅔·ratio·D for SwiGLU), rounded up to multipleOf, unless hidden is given.',
    formula: 'hidden = ⌈round(ratio·D·(⅔ if SwiGLU)) / multipleOf⌉ · multipleOf',
    whyItMatters:
      "The FFN's parameters scale with it directly. multipleOf 256 rounds to sizes fast hardware likes, but at a tiny D it can double the FFN (D 64: ⅔·4·64 = 171 → 256).",
    typical: 'ratio 4, multipleOf 1; TRM multipleOf 256.',
    aliases: ['ratio', 'hidden', 'multipleOf', 'intermediate size', 'd_ff'],
    params: ['ffn.ratio', 'ffn.hidden', 'ffn.multipleOf'],
  },
  {
    term: 'norm-epsilon',
    kind: 'concept',
    title: 'Normalisation epsilon',
    definition:
      'A small constant added under the square root of a norm so a near-zero vector does not divide by zero.',
    formula: 'x / √(mean(x²) + ε)',
    whyItMatters:
      "Too large and small states are not normalised, which lets a recursion's state shrink; too small risks overflow in fp16.",
    typical: '1e-5.',
    aliases: ['eps', 'epsilon'],
    params: ['layer-norm.eps', 'rms-norm.eps', 'batch-norm.eps'],
  },
  {
    term: 'bias',
    kind: 'concept',
    title: 'Bias terms',
    definition: 'A learned constant vector added after a projection or normalisation.',
    whyItMatters:
      'They add few parameters but TRM (like most modern small transformers) leaves them out: with normalisation after each block they add little.',
    typical: "off in TRM and on most nodes by default; LayerNorm's β on.",
    aliases: ['biases'],
    params: ['*.bias'],
  },
  {
    term: 'embedding-scale',
    kind: 'concept',
    title: 'Embedding scale',
    definition: 'Multiplies token embeddings by √D; the table then starts with std 1/√D.',
    formula: 'out = √D · E[id],  E ~ N(0, 1/D)',
    whyItMatters:
      "Gives the embedded question x a unit scale to match the std-1 initial states y and z it is added to in TRM's x + y + z,.",
    typical: 'none (default); sqrt-width in the TRM templates.',
    aliases: ['sqrt-width', 'scale'],
    params: ['token-embedding.scale'],
  },
  {
    term: 'weight-tying',
    kind: 'concept',
    title: 'Weight tying',
    definition:
      'The LM head reuses the token embedding table, transposed, instead of a matrix of its own.',
    formula: 'logits = x · Eᵀ',
    whyItMatters:
      'Saves V·D parameters — a large share of a tiny language model — and ties what a token means going in to what it means coming out.',
    typical: 'tiedTo the token-embedding node in tiny GPT-style models.',
    aliases: ['tied head', 'tiedTo', 'tied embeddings'],
    params: ['lm-head.tiedTo'],
  },
  {
    term: 'pooling',
    kind: 'concept',
    title: 'Pooling',
    definition:
      'How a classifier head turns a sequence into one prediction: none (one per position), first (position 0) or mean (average over positions).',
    whyItMatters:
      'Puzzle models answer per cell, so TRM uses none; pooled heads suit whole-sequence labels.',
    typical: 'none for puzzles; first or mean for sequence classification.',
    aliases: ['pool', 'mean pooling', 'cls'],
    params: ['classifier-head.pool'],
  },
  {
    term: 'quantization',
    kind: 'concept',
    title: 'Quantization (int8, int4)',
    definition:
      'Storing weights (and for dynamic int8, activations) as small integers with a scale, to shrink a model and speed it up.',
    formula:
      'w ≈ s · (q − z);  int8: per column, z = 0, s = max|w|/127;  int4/int8-weight: blocks of 32, s and z per block',
    whyItMatters:
      'A tiny model is already small, so quantization is about speed and edge devices; but each of its few weights matters more, and a recursion applies the rounding error at every step. That is why every export is verified on the task, and embeddings and tiny matrices stay fp32.',
    typical:
      'int8 dynamic for CPU batch work, int8-weight for batch 1, int4 for the smallest file.',
    aliases: ['int8', 'int4', 'quantize', 'qdq', 'matmulnbits'],
  },
  {
    term: 'perplexity',
    kind: 'concept',
    title: 'Perplexity',
    definition:
      "A language model's held-out loss as an effective number of choices per token: the exponential of the mean cross-entropy.",
    formula: 'ppl = exp(mean over tokens of −log p(token))',
    whyItMatters:
      'Lower is better; a character model guessing uniformly among 96 characters scores 96. It is the task metric exports of language models are judged by.',
    typical:
      '96 is uniform guessing over 96 characters; a trained small character model scores in single digits.',
    aliases: ['ppl'],
  },
  {
    term: 'exact-match',
    kind: 'concept',
    title: 'Exact match',
    definition:
      'The share of held-out examples whose every scored position is right — a whole Sudoku solved, not most of its cells.',
    whyItMatters:
      'The metric TRM reports and the target of its halting head: a puzzle with one wrong cell is unsolved. It moves in whole examples, so evaluate enough of them.',
    typical: 'TRM paper: 87% on Sudoku-Extreme (MLP variant), 85% on Maze-Hard (attention).',
    aliases: ['exact match', 'em', 'solve rate', 'puzzle accuracy'],
  },
  {
    term: 'accuracy',
    kind: 'concept',
    title: 'Cell accuracy',
    definition:
      'The share of held-out scored positions (puzzle cells, next tokens) predicted right.',
    whyItMatters:
      'It rises long before exact match does and shows whether a puzzle model is learning at all; givens and padding are not scored.',
    typical: 'Reported beside exact match at every evaluation and export of a puzzle model.',
    aliases: ['cell accuracy', 'token accuracy'],
  },
  {
    term: 'top1-agreement',
    kind: 'concept',
    title: 'Top-1 agreement',
    definition:
      "The share of positions where the exported model's highest-scoring token or class equals the tfjs reference's.",
    whyItMatters:
      'Shows whether quantization changed a decision, not just a number; untrained weights have near-tied logits, so their agreement says little.',
    typical: '100% for fp32, ≥ 99% for fp16 and int8, ≥ 90% for int4.',
    aliases: ['top-1', 'argmax agreement'],
  },
  {
    term: 'parameters',
    kind: 'concept',
    title: 'Parameter count',
    definition:
      "The number of trained weights, shared weights counted once; TRM's puzzle embedding is trained but not counted, as in the paper.",
    whyItMatters:
      "A TRM's claim is a small count: it is what the file size, memory and the paper's comparisons are about. The canvas shows it per node and in total.",
    typical: "131,905 for the 4×4 TRM template; about 7M for the paper's 9×9 TRM.",
    aliases: ['params', 'parameter count', 'weights count', 'model size'],
  },
  {
    term: 'dims',
    kind: 'concept',
    title: 'Symbolic dimensions',
    definition:
      'Named sizes of a document (B batch, T or L length, D width, V vocabulary, n, N_sup, …) that node parameters may use instead of numbers.',
    whyItMatters:
      "Change D or n once and every node using it follows; presets swap a whole set of dims (the 4×4 size for the paper's 9×9).",
    typical: 'V, L, D, H, n, T_rec, N_sup, P in the TRM templates.',
    aliases: ['dim', 'dimensions', 'sizes'],
  },
];
