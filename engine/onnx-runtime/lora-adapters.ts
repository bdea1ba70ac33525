import { adapterA, adapterB, isAdapter, type LoraConfig } from '../graph/lora.ts';
import {
  decodeSafetensors,
  encodeSafetensors,
  safetensorsMetadata,
  type NamedTensor,
} from '../pytorch/safetensors.ts';

/**
 * A LoRA run's adapters alone, as a safetensors file: `<W>@lora/A` [in, r] and `<W>@lora/B`
 * [r, out] in the IR's layout (y = x·W, so W' = W + (α/r)·A·B), with the rank, α and targets in
 * the header's `__metadata__`. PEFT stores the transposes (lora_A [r, in], lora_B [out, r]).
 */

export interface AdapterFile {
  lora: Pick<LoraConfig, 'rank' | 'alpha' | 'targets'>;
  /** Adapter values by name (`<W>@lora/A`, `<W>@lora/B`). */
  adapters: Map<string, Float32Array>;
}

/** The file's bytes; shapes follow from the rank (A [in, r], B [r, out]). */
export function encodeAdapterFile(file: AdapterFile): Uint8Array {
  const r = file.lora.rank;
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, data] of file.adapters) {
    const isA = name.endsWith(adapterA(''));
    if (!isA && !name.endsWith(adapterB(''))) continue;
    tensors[name] = { shape: isA ? [data.length / r, r] : [r, data.length / r], data };
  }
  if (Object.keys(tensors).length === 0)
    throw new Error('The run has no LoRA adapters to write; it was not trained with lora.');
  return encodeSafetensors(tensors, {
    format: 'trm-lora',
    layout: "ir: y = x·W, W [in, out]; W' = W + (alpha/rank)·A·B",
    rank: String(r),
    alpha: String(file.lora.alpha),
    targets: JSON.stringify(file.lora.targets),
  });
}

/** An adapter file read back: its settings and adapters (see `encodeAdapterFile`). */
export function decodeAdapterFile(bytes: Uint8Array, what = 'the adapter file'): AdapterFile {
  const meta = safetensorsMetadata(bytes);
  const rank = Number(meta.rank);
  const alpha = Number(meta.alpha);
  if (meta.format !== 'trm-lora' || !(rank >= 1) || !(alpha > 0))
    throw new Error(
      `${what} is not a TRM Studio LoRA adapter file (its metadata names no rank and alpha); write one with trm export RUN --lora-only FILE.safetensors.`,
    );
  const tensors = decodeSafetensors(bytes, what);
  const adapters = new Map(
    Object.entries(tensors)
      .filter(([name]) => isAdapter(name))
      .map(([name, t]) => [name, t.data] as const),
  );
  return { lora: { rank, alpha, targets: JSON.parse(meta.targets ?? '[]') as string[] }, adapters };
}
