import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IrProgram } from '../graph/ir.ts';
import { ENCODER_STATES } from '../graph/ir/encoder-decoder.ts';
import { seq2seqLayout, type Seq2SeqLayout } from '../data/seq2seq-tasks.ts';
import { lastPositions, padBatch } from '../infer/batch.ts';
import type { NextLogits } from '../infer/generate.ts';
import { createSession, runOnnx } from './verify.ts';
import { withPastNextLogits, type WithPastShape } from './decoder-with-past-session.ts';

type Session = Awaited<ReturnType<typeof createSession>>;

/** What the pair's next-token function needs to know of the files. */
interface PairShape {
  /** Row length L (the source, the start token, the target so far). */
  length: number;
  /** Source positions S: the memory is [B, S, D]. */
  source: number;
  /** The decoder's logits output. */
  logits: string;
}

function pairNext(encoder: Session, decoder: Session, shape: PairShape): NextLogits {
  return async (sequences) => {
    const { length, source } = shape;
    const { data } = padBatch(sequences, length);
    const tokens = { data, dims: [sequences.length, length] };
    const states = (await runOnnx(encoder, { tokens }))[ENCODER_STATES]!;
    const width = states.length / sequences.length / source;
    const memory = { data: states, dims: [sequences.length, source, width] };
    // [B, L, V] -> one [V] per row, at its last token.
    const logits = (await runOnnx(decoder, { tokens, [ENCODER_STATES]: memory }))[shape.logits]!;
    return lastPositions(logits, sequences, length, logits.length / sequences.length / length);
  };
}

/**
 * Next-token logits from an exported encoder–decoder pair: each call runs the encoder on the
 * rows (padded to the fixed row length), then the decoder on the rows and the memory, and
 * keeps each row's logits at its last filled position. The encoder reruns on every call (the
 * source part of the rows does not change while decoding; caching it is the caller's choice).
 */
export function onnxPairNextLogits(
  encoder: Session,
  decoder: Session,
  pair: { encoder: IrProgram; decoder: IrProgram },
  length: number,
): NextLogits {
  const source = pair.encoder.outputs[0]!.shape[1] as number;
  return pairNext(encoder, decoder, { length, source, logits: pair.decoder.outputs[0]!.name });
}

/** An encoder–decoder model folder (`trm export --mode encoder-decoder`), loaded for decoding. */
export interface PairFolder {
  layout: Seq2SeqLayout;
  next: NextLogits;
  /** Whether `next` runs the cached decoder (decoder_with_past) rather than the full one. */
  withPast: boolean;
  dispose(): Promise<void>;
}

interface PairConfig {
  is_encoder_decoder?: unknown;
  trm?: {
    layout?: { source?: unknown };
    encoder?: { file?: unknown };
    decoder?: { file?: unknown; outputs?: unknown };
    decoder_with_past?: {
      init?: { file?: unknown };
      step?: { file?: unknown };
      start?: unknown;
      pad_id?: unknown;
      cache?: { decoder?: unknown; encoder?: unknown };
    };
  };
}

/** The folder's pair when its config.json says it holds one; null for any other folder. */
export async function loadPairFolder(
  dir: string,
  /** false: decode through the full decoder even where the folder has the cached one. */
  opts: { withPast?: boolean } = {},
): Promise<PairFolder | null> {
  const text = await readFile(join(dir, 'config.json'), 'utf8').catch(() => null);
  if (text === null) return null;
  const config = JSON.parse(text) as PairConfig;
  if (config.is_encoder_decoder !== true) return null;
  const source = config.trm?.layout?.source;
  const files = [config.trm?.encoder?.file, config.trm?.decoder?.file];
  const logits = (config.trm?.decoder?.outputs as unknown[] | undefined)?.[0];
  if (typeof source !== 'number' || files.some((f) => typeof f !== 'string') || !logits)
    throw new Error(
      `${join(dir, 'config.json')} says the folder holds an encoder–decoder but lacks its layout or files; export it again with trm export --mode encoder-decoder.`,
    );
  // The full decoder is opened only where the cached one is not used (a deployment may keep
  // just the files it decodes with).
  const [encoder] = await openSessions(dir, [files[0] as string]);
  const layout = seq2seqLayout(source);
  let cached;
  let decoder: Session | undefined;
  try {
    cached = opts.withPast === false ? undefined : await loadWithPast(dir, config, layout);
    if (!cached) [decoder] = await openSessions(dir, [files[1] as string]);
  } catch (e) {
    await encoder!.release();
    throw e;
  }
  const next = cached
    ? withPastNextLogits(encoder!, cached.init, cached.step, cached.shape)
    : pairNext(encoder!, decoder!, { length: layout.length, source, logits: String(logits) });
  return {
    layout,
    next,
    withPast: cached !== undefined,
    dispose: async () => {
      await encoder!.release();
      await decoder?.release();
      await cached?.init.release();
      await cached?.step.release();
    },
  };
}

/** The cached decoder's two sessions when config.json names them and both files are there. */
async function loadWithPast(dir: string, config: PairConfig, layout: Seq2SeqLayout) {
  const w = config.trm?.decoder_with_past;
  const files = [w?.init?.file, w?.step?.file];
  const labels = [w?.cache?.decoder, w?.cache?.encoder];
  if (
    !w ||
    files.some((f) => typeof f !== 'string') ||
    typeof w.start !== 'number' ||
    typeof w.pad_id !== 'number' ||
    labels.some((l) => !Array.isArray(l))
  )
    return undefined;
  const bytes = await Promise.all(
    files.map((f) => readFile(join(dir, f as string)).catch(() => null)),
  );
  // A folder copied without the cached files decodes with the full decoder.
  if (bytes.some((b) => b === null)) return undefined;
  const [init, step] = await openSessions(dir, files as string[], bytes as Uint8Array[]);
  const shape: WithPastShape = {
    length: layout.length,
    source: layout.source,
    start: w.start,
    padId: w.pad_id,
    decoder: (labels[0] as unknown[]).map(String),
    encoder: (labels[1] as unknown[]).map(String),
  };
  return { init: init!, step: step!, shape };
}

/**
 * A session for each of the folder's `files` (from `bytes` where already read), or a sentence
 * naming the file onnxruntime cannot load; none is left open when one fails.
 */
async function openSessions(dir: string, files: string[], bytes?: Uint8Array[]) {
  const sessions: Session[] = [];
  try {
    for (const [i, f] of files.entries()) {
      const path = join(dir, f);
      const data = bytes?.[i] ?? (await readFile(path));
      sessions.push(
        await createSession(data).catch((e: unknown) => {
          throw new Error(
            `${path} cannot be loaded (${(e as Error).message.split('\n')[0]}); it is damaged or not the file config.json names. Export the folder again with trm export --mode encoder-decoder.`,
          );
        }),
      );
    }
    return sessions;
  } catch (e) {
    await Promise.all(sessions.map((s) => s.release()));
    throw e;
  }
}
