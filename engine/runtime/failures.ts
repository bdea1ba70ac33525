/**
 * Failures a person can act on. The trainer, the worker and the session see raw errors from
 * V8, tfjs, the wasm runtime and native libraries; the UI and CLI show the sentence this file
 * makes of them: what happened, in words, and the next step. The raw text is kept at the end
 * (after "Details:") so a bug report still has it.
 */

export interface FailureContext {
  /** Examples per optimizer step, when known: the first thing to lower on out-of-memory. */
  batch?: number;
  /** The step the run was at. */
  step?: number;
}

export type FailureKind = 'out-of-memory' | 'gpu-driver' | 'other';

const OUT_OF_MEMORY = [
  /Array buffer allocation failed/i,
  /Invalid typed array length/i,
  /Cannot allocate Wasm memory/i,
  /WebAssembly\.Memory\.grow|Maximum memory size exceeded/i,
  /ERR_WORKER_OUT_OF_MEMORY/,
  /heap out of memory|Reached heap limit/i,
  /\bbad_alloc\b/,
  /\bout of memory\b|\bOOM\b/i,
  /Failed to allocate|Resource exhausted|OOM when allocating/i,
];

const GPU_DRIVER = [
  /lib(cudart|cublas|cudnn|cufft|curand|cusolver|cusparse|nvinfer)[\w.]*\.so/i,
  /CUDA (driver|runtime)|cuInit|CUDA_ERROR|no CUDA-capable device/i,
  /NVIDIA (driver|kernel module)|nvidia-smi/i,
  /could not (load|find) (the )?(CUDA|cuDNN)/i,
];

export function classifyFailure(message: string): FailureKind {
  if (GPU_DRIVER.some((r) => r.test(message))) return 'gpu-driver';
  if (OUT_OF_MEMORY.some((r) => r.test(message))) return 'out-of-memory';
  return 'other';
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').trim();
}

/** `message` as a sentence with the next step; unknown failures pass through unchanged. */
export function explainFailure(message: string, ctx: FailureContext = {}): string {
  const at = ctx.step !== undefined && ctx.step > 0 ? ` at step ${ctx.step}` : '';
  switch (classifyFailure(message)) {
    case 'out-of-memory': {
      const half = ctx.batch && ctx.batch > 1 ? Math.max(1, Math.floor(ctx.batch / 2)) : undefined;
      const lower = half
        ? `lower the batch size (batch ${ctx.batch} → ${half})`
        : 'lower the batch size';
      return (
        `Training ran out of memory${at}. Next: ${lower}, shorten the context (the graph's T), ` +
        `or shrink the model (d_model, layers, recursion steps); the last checkpoint is kept, ` +
        `so resuming loses nothing. Details: ${firstLine(message)}`
      );
    }
    case 'gpu-driver':
      return (
        `The GPU could not be used${at}: its CUDA libraries did not load. tfjs-node-gpu needs the ` +
        `NVIDIA driver, CUDA 11.2 and cuDNN 8.1 on the library path (LD_LIBRARY_PATH); install ` +
        `them, or set the backend to "native" to train on the CPU. Details: ${firstLine(message)}`
      );
    default:
      return message;
  }
}
