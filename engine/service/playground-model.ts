import type { DataSource } from '../data/types.ts';
import type { TextTokenizer } from '../data/text-tokenizer.ts';
import type { LoadedModel } from '../infer/load.ts';
import type { ModelInfo } from '../contract/api.ts';
import { seq2seqLayoutOf } from '../infer/seq2seq.ts';
import { ServiceError } from './errors.ts';

/**
 * What the playground needs to know about a loaded model: is it a language model (prompt
 * box), an encoder–decoder (source box) or a step-by-step puzzle solver (grid), and for a
 * puzzle, its cells and symbols.
 */
export interface PlaygroundModel {
  model: LoadedModel;
  info: ModelInfo;
  /** The training data (held-out puzzles, vocabulary), when recorded. */
  source: DataSource | undefined;
  /** A language model's tokenizer, restored once (an ONNX export rebuilds it from its data). */
  tokenizer: TextTokenizer | undefined;
  dispose(): Promise<void>;
}

/** Tasks drawn on a square grid. */
const SQUARE_TASKS = new Set(['sudoku', 'maze']);
/** Maze tokens a person may place: wall, open, start, goal (the path is the model's). */
const MAZE_EDITABLE = [1, 2, 3, 4];

function taskOf(spec: unknown): string | null {
  const type = (spec as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' ? type : null;
}

function puzzleInfo(model: LoadedModel, source: DataSource, task: string | null) {
  const cells = model.fixedLength ?? source.length;
  const vocab = source.describe().vocab ?? [];
  const symbols = vocab.map((s, i) => (i === 0 ? '' : s));
  const square = task !== null && SQUARE_TASKS.has(task);
  const side = Math.round(Math.sqrt(cells));
  const editable =
    task === 'maze' ? MAZE_EDITABLE : Array.from({ length: vocab.length - 1 }, (_, i) => i + 1);
  // Every cells task but the maze marks the cells to fill with token 1 (data README).
  const blank = task === 'maze' ? null : 1;
  const supervisionSteps = model.stepModel().supervisionSteps;
  return {
    cells,
    width: square && side * side === cells ? side : cells,
    symbols,
    blank,
    editable,
    supervisionSteps,
  };
}

/** Classifies a freshly loaded model; refuses with a sentence one the playground cannot try. */
export async function describeModel(model: LoadedModel, path: string): Promise<PlaygroundModel> {
  const source = await model.dataSource();
  const task = taskOf(model.dataSpec);
  const base = {
    name: model.doc.name,
    runtime: model.kind === 'onnx' ? ('onnx' as const) : ('tfjs' as const),
    path,
    task,
    contextLength: model.contextLength,
    vocabSize: source?.vocabSize ?? 0,
  };
  const wrap = (info: ModelInfo, tokenizer?: TextTokenizer): PlaygroundModel => ({
    model,
    info,
    source,
    tokenizer,
    dispose: async () => {
      await model.dispose();
    },
  });
  if (source?.kind === 'mlm') {
    throw new ServiceError(
      'not-playable',
      `${model.doc.name} is a masked language model: it fills in hidden tokens and cannot continue a prompt. Train a causal model (tiny GPT, recursive LM) to generate text.`,
    );
  }
  // An encoder–decoder's rows are cells too, but it translates a source rather than solving.
  const seq2seq = seq2seqLayoutOf(model.dataSpec);
  if (seq2seq) {
    return wrap({
      ...base,
      kind: 'seq2seq',
      puzzle: null,
      seq2seq: { sourceLength: seq2seq.source },
    });
  }
  if (source?.kind === 'cells') {
    let puzzle;
    try {
      puzzle = puzzleInfo(model, source, task);
    } catch (e) {
      throw new ServiceError(
        'not-playable',
        `${model.doc.name} answers ${task ?? 'a per-cell task'} but cannot solve step by step: ${(e as Error).message}`,
      );
    }
    return wrap({ ...base, kind: 'puzzle', puzzle, seq2seq: null });
  }
  const tokenizer = await model.tokenizer();
  if (!tokenizer) {
    throw new ServiceError(
      'not-playable',
      `${path} records neither its training data nor a tokenizer, so its tokens mean nothing to the playground. Export a trained run (its data is recorded) or pick the run's checkpoint.`,
    );
  }
  return wrap({ ...base, kind: 'lm', puzzle: null, seq2seq: null }, tokenizer);
}
