import { totalmem } from 'node:os';
import type { GraphDocument } from '../graph/schema.ts';
import type { Precision } from '../onnx/context.ts';
import { analyzeDocument } from '../graph/analyze.ts';

/**
 * Size and memory checks made before anything is allocated, by the service (train.start,
 * export.run) and the CLI (train, export) alike, so a model far too large is refused at once
 * with the size that fits instead of taking the machine down. The estimates are deliberately
 * rough and err high.
 */

/** A refusal with a stable code, for the service to pass on as it is. */
export class PreflightError extends Error {
  constructor(
    readonly code: 'out-of-memory' | 'too-large-for-onnx',
    message: string,
  ) {
    super(message);
    this.name = 'PreflightError';
  }
}

/**
 * A training run's memory:
 * - parameters (uncounted ones too): weights, gradients and AdamW's two moments (4 float32
 *   copies), a fifth with EMA;
 * - activations: every float node output a training step holds per token (the analysis's
 *   figure: repetitions without gradients run off the tape and count once, a deep-supervision
 *   loop trains one step per program) × context × batch, ×7 for what the backward pass keeps
 *   and creates besides.
 */
export interface MemoryEstimate {
  paramBytes: number;
  activationBytes: number;
  total: number;
}

/**
 * Forward outputs, their gradients and the backward's temporaries (inner tensors of fused
 * nodes, attention scores), relative to the node outputs counted. Measured: the 4×4 TRM-MLP at
 * n 6, batch 64 peaks at 643 MB of tfjs tensors in a training step at any T_rec and N_sup
 * (bench/memory.ts), where its held node outputs are 100 MB: 6.4×, rounded up to err high.
 */
const ACTIVATION_FACTOR = 7;
/** Keep this share of the machine's memory for the OS, the app and the data. */
const USABLE_SHARE = 0.8;
/** wasm32 addresses at most 4 GiB, whatever the machine has; beyond it wasm aborts. */
export const WASM_MEMORY_LIMIT = 4 * 2 ** 30;
/** protobuf refuses messages of 2 GiB or more, so one ONNX file holds less than that. */
export const ONNX_FILE_LIMIT = 2 ** 31;

export function estimateTrainingMemory(
  doc: GraphDocument,
  batch: number,
  opts: { ema: boolean; context?: number },
): MemoryEstimate {
  const totals = analyzeDocument(doc).totals;
  // Uncounted values (a per-puzzle table) train like any weight.
  const paramBytes = (totals.params + totals.uncountedParams) * 4 * (opts.ema ? 5 : 4);
  const context = opts.context ?? totals.context ?? 1;
  const activationBytes =
    totals.trainingActivationBytesPerToken * context * batch * ACTIVATION_FACTOR;
  return { paramBytes, activationBytes, total: paramBytes + activationBytes };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Where a run would go: the machine's memory, the backend, and the runs already going. */
export interface Room {
  /** @default the machine's total memory */
  available?: number;
  /** The tfjs backend; `wasm` caps the room at 4 GiB. */
  backend?: string;
  /** Estimates of the runs already going, which hold their memory until they end. */
  going?: { runId: string; bytes: number }[];
}

/** Refuses, naming the sizes and the largest batch that fits, when the run cannot fit. */
export function checkTrainingFits(estimate: MemoryEstimate, batch: number, room: Room = {}): void {
  const machine = room.available ?? totalmem();
  const wasm = room.backend === 'wasm' && machine > WASM_MEMORY_LIMIT;
  const limit = wasm ? WASM_MEMORY_LIMIT : machine;
  const going = room.going ?? [];
  const held = going.reduce((s, r) => s + r.bytes, 0);
  const usable = limit * USABLE_SHARE - (wasm ? 0 : held);
  if (estimate.total <= usable) return;
  const perExample = estimate.activationBytes / batch;
  const fits = perExample > 0 ? Math.floor((usable - estimate.paramBytes) / perExample) : 0;
  const next =
    fits >= 1
      ? `set batch to ${fits} or less`
      : 'the weights and optimizer state alone do not fit: shrink the model (d_model, layers)';
  const where = wasm
    ? `but the wasm backend can address at most ${formatBytes(WASM_MEMORY_LIMIT)}`
    : `but this machine has ${formatBytes(machine)}` +
      (held > 0
        ? ` and ${going.length === 1 ? 'run' : 'runs'} ${going.map((r) => r.runId).join(', ')} already ${going.length === 1 ? 'holds' : 'hold'} about ${formatBytes(held)}`
        : '');
  throw new PreflightError(
    'out-of-memory',
    `This run would need about ${formatBytes(estimate.total)} of memory ` +
      `(${formatBytes(estimate.paramBytes)} weights and optimizer state, ` +
      `${formatBytes(estimate.activationBytes)} activations at batch ${batch}), ` +
      `${where}. Next: ${next}, or shorten the context${held > 0 && !wasm ? ', or wait for those runs to finish' : ''}.`,
  );
}

/** Bytes per parameter in the file, by precision (int4 packs two to a byte). */
const FILE_BYTES_PER_PARAM: Record<Precision, number> = {
  fp32: 4,
  fp16: 2,
  int8: 1,
  'int8-weight': 1,
  int4: 0.5,
};

/**
 * Refuses an export whose file would pass ONNX's 2 GiB limit (naming a precision under it), or
 * whose weights, file and verification sessions would not fit in memory: float32 weights are
 * held twice (the export's and the tfjs reference's), the file twice (bytes and onnxruntime).
 */
export function checkExportFits(
  params: number,
  precision: Precision,
  available: number = totalmem(),
): void {
  const file = params * FILE_BYTES_PER_PARAM[precision];
  if (file >= ONNX_FILE_LIMIT) {
    const smaller = (Object.keys(FILE_BYTES_PER_PARAM) as Precision[]).find(
      (p) => params * FILE_BYTES_PER_PARAM[p] < ONNX_FILE_LIMIT,
    );
    throw new PreflightError(
      'too-large-for-onnx',
      `A ${precision} export of ${params.toLocaleString('en-US')} parameters would be about ${formatBytes(file)}, ` +
        `over ONNX's ${formatBytes(ONNX_FILE_LIMIT)} limit for one file. Next: ` +
        (smaller
          ? `export at ${smaller} (a smaller precision), or shrink the model (d_model, vocabulary).`
          : 'shrink the model (d_model, vocabulary, layers): no precision brings it under the limit.'),
    );
  }
  const need = params * 4 * 2 + file * 2;
  if (need > available * USABLE_SHARE) {
    throw new PreflightError(
      'out-of-memory',
      `Exporting ${params.toLocaleString('en-US')} parameters at ${precision} would need about ${formatBytes(need)} of memory ` +
        `(float32 weights for the export and its check, the file and onnxruntime's copy), but this machine has ${formatBytes(available)}. ` +
        'Next: shrink the model (d_model, vocabulary, layers).',
    );
  }
}
