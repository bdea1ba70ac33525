import { existsSync } from 'node:fs';
import type { DataSpec } from './spec.ts';
import { parseJsonText } from '../graph/json-text.ts';
import type { GraphDocument } from '../graph/schema.ts';

/**
 * `--data` accepts a JSON data spec, a text file path, or a shorthand with optional fields:
 * `sudoku4`, `sudoku9`, `maze`, `copy`, `reverse`, `sort`, `addition`, `seq2seq` (an
 * encoder–decoder's source → reversed rows; `seq2seq-copy`, `seq2seq-reverse`, `seq2seq-sort` name the target), `brown`, `brown-bpe`,
 * `brown-mlm` (masked-token prediction),
 * e.g. `copy:length=8,symbols=5`. Text sources default their sequence length to the graph's
 * `T` so the two fit. Puzzle files name their path first (`sudoku-csv:PATH`, `maze-csv:PATH`,
 * `arc:DIR`, then `,key=value` fields) or as a field (`sudoku-csv:path=PATH,limit=1000`).
 */
const SHORTHANDS: Record<string, Record<string, unknown>> = {
  sudoku4: { type: 'sudoku', size: 4 },
  sudoku9: { type: 'sudoku', size: 9 },
  sudoku: { type: 'sudoku', size: 9 },
  maze: { type: 'maze' },
  copy: { type: 'copy' },
  reverse: { type: 'reverse' },
  sort: { type: 'sort' },
  addition: { type: 'addition' },
  seq2seq: { type: 'seq2seq' },
  'seq2seq-copy': { type: 'seq2seq', task: 'copy' },
  'seq2seq-reverse': { type: 'seq2seq', task: 'reverse' },
  'seq2seq-sort': { type: 'seq2seq', task: 'sort' },
  brown: { type: 'corpus', name: 'brown' },
  'brown-bpe': { type: 'corpus', name: 'brown', tokenizer: 'bpe' },
  'brown-mlm': { type: 'mlm', base: { type: 'corpus', name: 'brown' } },
};

/** Layouts of puzzle files people hold: the shorthand names the spec type, then the path. */
const FILE_LAYOUTS = new Set(['sudoku-csv', 'maze-csv', 'arc']);
const FILE_USAGE = 'sudoku-csv:PATH, maze-csv:PATH, arc:DIR';

/** What a document's `meta.task` trains on when no --data is given. */
const TASK_DATA: Record<string, string> = {
  'sudoku-4x4': 'sudoku4',
  'sudoku-9x9': 'sudoku9',
  'causal-lm': 'brown',
  'masked-lm': 'brown-mlm',
  maze: 'maze',
  'maze-30x30': 'maze:size=30',
  'seq2seq-copy': 'seq2seq-copy',
  'seq2seq-reverse': 'seq2seq-reverse',
  'seq2seq-sort': 'seq2seq-sort',
};

function scalar(v: string): unknown {
  if (v === 'true' || v === 'false') return v === 'true';
  const n = Number(v);
  return v !== '' && Number.isFinite(n) ? n : v;
}

/** `a=1,b=x` as fields, numbers and booleans parsed. */
function keyValues(fields: string | undefined): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  for (const pair of fields ? fields.split(',') : []) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new Error(`--data field "${pair}" must look like key=value (e.g. copy:length=8).`);
    }
    spec[pair.slice(0, at).trim()] = scalar(pair.slice(at + 1).trim());
  }
  return spec;
}

/**
 * `PATH[,key=value...]` or `path=PATH[,key=value...]`. The path runs to the first comma that
 * starts a `key=` field, so it may hold ':' (a Windows drive) or '=' and ',' elsewhere; it is
 * kept as typed (a string even when it looks like a number).
 */
function puzzleFileFields(name: string, rest: string | undefined): Record<string, unknown> {
  const usage = `--data ${name} needs a ${name === 'arc' ? 'folder' : 'file'}: ${name}:${name === 'arc' ? 'DIR' : 'PATH'} (then optional ,key=value fields such as limit=1000,validationSize=100).`;
  if (!rest?.trim()) throw new Error(usage);
  const fieldAt = rest.search(/,\s*\w+\s*=/);
  const head = fieldAt < 0 ? rest : rest.slice(0, fieldAt);
  const tail = fieldAt < 0 ? undefined : rest.slice(fieldAt + 1);
  const named = /^\s*path\s*=(.*)$/s.exec(head);
  const path = (named ? named[1]! : head).trim();
  if (!path) throw new Error(usage);
  return { path, ...keyValues(tail) };
}

export function parseDataArg(arg: string | undefined, doc: GraphDocument): DataSpec {
  const task = (doc.meta as { task?: unknown } | undefined)?.task;
  const text = arg ?? (typeof task === 'string' ? TASK_DATA[task] : undefined);
  if (!text) {
    throw new Error(
      `No training data: pass --data (one of ${Object.keys(SHORTHANDS).join(', ')}, a text file, or a JSON data spec).`,
    );
  }
  let spec: Record<string, unknown>;
  if (text.trim().startsWith('{')) {
    try {
      spec = parseJsonText(text) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`--data is not valid JSON: ${(e as Error).message}.`);
    }
  } else {
    const [name = '', fields] = text.split(/:(.*)/s);
    const known = SHORTHANDS[name];
    if (known) {
      spec = { ...known, ...keyValues(fields) };
    } else if (FILE_LAYOUTS.has(name)) {
      spec = { type: name, ...puzzleFileFields(name, fields) };
    } else if (existsSync(text)) {
      spec = { type: 'text', path: text };
    } else {
      throw new Error(
        `--data "${text}" is neither a file nor a known dataset; use one of ${Object.keys(SHORTHANDS).join(', ')}, ${FILE_USAGE}, a text file, or a JSON data spec.`,
      );
    }
  }
  const T = doc.dims?.T;
  const base = spec.base as Record<string, unknown> | undefined;
  if (spec.type === 'mlm' && base && base.length === undefined && typeof T === 'number') {
    spec.base = { ...base, length: T };
  }
  if (
    (spec.type === 'text' || spec.type === 'corpus') &&
    spec.length === undefined &&
    typeof T === 'number'
  ) {
    spec.length = T;
  }
  return spec as DataSpec;
}
