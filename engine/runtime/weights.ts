import * as tf from '@tensorflow/tfjs-core';
import { matchSavedNames } from '../graph/saved-names.ts';
import { numel } from '../graph/dims.ts';
import { hashSeed, materialize } from '../graph/init.ts';
import type { IrProgram } from '../graph/ir.ts';

/** The tensors behind a program's weights: trainable params and fixed buffers, by IR name. */
export interface WeightStore {
  /** One tf.Variable per IrParam (trainable), with unique tfjs names. */
  params: Map<string, tf.Variable>;
  /** IrBuffer values (not trainable). */
  buffers: Map<string, tf.Tensor>;
  dispose(): void;
}

export interface WeightEntry {
  name: string;
  shape: number[];
  /** Byte offset of the entry's float32 values in the blob. */
  offset: number;
}

/** Seed of one weight: its name's hash mixed with the run's seed (seed 0 = the name's hash). */
export function seedFor(name: string, seed: number): number {
  return (hashSeed(name) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
}

// tfjs variable names must be unique until disposed; stores may coexist (EMA, checkpoints).
let storeCounter = 0;

/**
 * Variables initialised with `materialize`, so the executor and ONNX export agree. Safe to
 * call inside tf.tidy: the store owns its tensors until `dispose()`.
 */
export function createWeights(program: IrProgram, seed = 0): WeightStore {
  const id = ++storeCounter;
  const params = new Map<string, tf.Variable>();
  const buffers = new Map<string, tf.Tensor>();
  for (const p of program.params.values()) {
    const init = tf.tensor(materialize(p.init, p.shape, seedFor(p.name, seed)), p.shape);
    params.set(p.name, tf.variable(init, true, `trm${id}/${p.name}`));
    init.dispose();
  }
  for (const b of program.buffers.values()) {
    // Buffers carry their own seed: identical in every run and every export.
    buffers.set(b.name, tf.keep(tf.tensor(materialize(b.init, b.shape, b.seed), b.shape)));
  }
  return {
    params,
    buffers,
    dispose() {
      for (const v of params.values()) v.dispose();
      for (const t of buffers.values()) t.dispose();
      params.clear();
      buffers.clear();
    },
  };
}

function entries(store: WeightStore): [string, tf.Tensor][] {
  return [...store.params.entries(), ...store.buffers.entries()];
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Params then buffers as a manifest plus one little-endian float32 blob, read asynchronously (a
 * device backend in Node has no synchronous read).
 */
export async function encodeWeightsAsync(
  store: WeightStore,
): Promise<{ manifest: WeightEntry[]; data: Uint8Array }> {
  const all = entries(store);
  return packWeights(all, await Promise.all(all.map(([, t]) => t.data() as Promise<Float32Array>)));
}

function packWeights(
  all: readonly [string, tf.Tensor][],
  read: readonly Float32Array[],
): { manifest: WeightEntry[]; data: Uint8Array } {
  const total = all.reduce((n, [, t]) => n + t.size, 0);
  const data = new Uint8Array(total * 4);
  const view = new DataView(data.buffer);
  const manifest: WeightEntry[] = [];
  let offset = 0;
  for (const [i, [name, t]] of all.entries()) {
    const values = read[i]!;
    if (littleEndian) new Float32Array(data.buffer, offset, values.length).set(values);
    else values.forEach((v, i) => view.setFloat32(offset + 4 * i, v, true));
    manifest.push({ name, shape: [...t.shape], offset });
    offset += values.length * 4;
  }
  return { manifest, data };
}

function readFloats(data: Uint8Array, offset: number, count: number): Float32Array {
  const start = data.byteOffset + offset;
  if (littleEndian && start % 4 === 0) {
    return new Float32Array(data.buffer, start, count).slice();
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
  return out;
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** The saved manifest entry of each of the store's weights (see `matchSavedNames`). */
export function savedEntries(
  store: WeightStore,
  manifest: readonly WeightEntry[],
): Map<string, WeightEntry> {
  const byName = new Map(manifest.map((e) => [e.name, e]));
  const names = matchSavedNames(
    entries(store).map(([name, t]) => ({ name, size: t.size })),
    manifest.map((e) => ({ name: e.name, size: numel(e.shape) })),
  );
  return new Map([...names].map(([name, savedName]) => [name, byName.get(savedName)!]));
}

/**
 * Overwrite the store's weights from `encodeWeightsAsync` output. Checks everything first, so a
 * mismatched file changes nothing; the error names the offending weight. Weights saved before
 * the document was grouped or ungrouped load under their new names (see `savedEntries`).
 */
export function loadWeights(
  store: WeightStore,
  manifest: readonly WeightEntry[],
  data: Uint8Array,
): void {
  const saved = savedEntries(store, manifest);
  for (const [name, t] of entries(store)) {
    const e = saved.get(name);
    if (!e) {
      throw new Error(
        `The saved weights have no "${name}" ${fmt(t.shape)}: they belong to a different graph. Load weights saved from this graph.`,
      );
    }
    if (!sameShape(e.shape, t.shape)) {
      throw new Error(
        `Saved weight "${name}" is ${fmt(e.shape)} but this graph needs ${fmt(t.shape)}: the graph changed since they were saved. Undo that change, or train this graph afresh.`,
      );
    }
    if (e.offset < 0 || e.offset % 4 !== 0 || e.offset + 4 * numel(e.shape) > data.byteLength) {
      throw new Error(
        `Saved weight "${name}" lies outside the weight data: the file is damaged. Load an intact copy, or train the model again.`,
      );
    }
  }
  const used = new Set([...saved.values()].map((e) => e.name));
  for (const e of manifest) {
    if (!used.has(e.name)) {
      throw new Error(
        `The saved weights contain "${e.name}" ${fmt(e.shape)}, which this graph does not have: they belong to a different graph. Load weights saved from this graph.`,
      );
    }
  }
  for (const [name, e] of saved) {
    const values = readFloats(data, e.offset, numel(e.shape));
    const param = store.params.get(name);
    if (param) {
      const t = tf.tensor(values, e.shape);
      param.assign(t);
      t.dispose();
    } else {
      store.buffers.get(name)?.dispose();
      store.buffers.set(name, tf.keep(tf.tensor(values, e.shape)));
    }
  }
}
