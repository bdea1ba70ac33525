import { parseCommand, type Out } from '../command.ts';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDataArg } from '../../data/data-arg.ts';
import { configFromDocument } from '../../train/document-config.ts';
import type { EvalReport, StepMetrics, TrainEvent } from '../../contract/events.ts';
import { loadDocument } from '../main.ts';
import { resumeCommand } from '../../io/checkpoint-integrity.ts';

export const TRAIN_USAGE = `Usage: trm train GRAPH [--data SPEC] [options]

  --data SPEC          sudoku4, sudoku9, maze, copy, reverse, sort, addition, brown,
                       brown-bpe (fields: copy:length=8), a text file, or a JSON data spec;
                       default: the document's meta.task
  --steps N            optimizer steps (default: the document's, else 1000)
  --batch N            examples per step
  --lr X               peak learning rate
  --config JSON        any other training setting, e.g. '{"ema":0.999,"schedule":"constant"}'
                       or '{"halting":"batch"}' (deep supervision moves on per batch, not
                       per example)
  --out DIR            run folder for checkpoints (latest.json + step-NNNNNN/)
  --resume DIR         continue a run folder or checkpoint exactly where it stopped
  --init-from RUN[/step-N]
                       start a new run from an earlier run's weights (fine-tuning): weights
                       are matched by name; changed or new ones start afresh and are listed
  --freeze NODE,…      node ids or weight-name prefixes that do not train (no gradient, no
                       optimizer state), e.g. --freeze embed,block1
  --lr-scale NODE=X,…  learning-rate multiplier per node, e.g. --lr-scale embed=0.1
  --lora SPEC          LoRA adapters W + (α/r)·A·B; only they train, every base weight is
                       frozen: 'targets=*/attn/w{q,v},block1/ffn/w1,rank=8,alpha=16'
                       (weight names, globs or node ids; rank default 8, alpha 16) or JSON
                       '{"targets":["*/attn/wq"],"rank":4}'; export merges them
  --resize-embedding   with --init-from on data of another vocabulary: keep the shared
                       tokens' rows of the embedding (and other vocabulary-sized weights)
  --teacher RUN[/step-N]
                       knowledge distillation: a trained run (same vocabulary) whose logits
                       teach this one on the same batch; loss = α·CE + (1−α)·T²·KL
  --distill-alpha A    weight α of the labels' loss, 0 to 1 (default 0.5)
  --distill-temperature T
                       softmax temperature of the teacher's term (default 1)
  --preset NAME        apply one of the document's presets first
  --backend NAME       tensorflow-gpu, tensorflow, native, wasm or cpu (default: first that loads)
The document's own training settings (meta.training: a template's recipe) apply unless a flag
or --config sets them; a field the trainer does not know is refused.`;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** One progress line: steps, loss, accuracy, tokens/s, ETA (with a bar when on a terminal). */
export function progressLine(m: StepMetrics, total: number, bar: boolean): string {
  const width = 20;
  const filled = Math.round((width * m.step) / total);
  const parts = [
    `step ${m.step}/${total}`,
    ...(bar ? [`${'█'.repeat(filled)}${'░'.repeat(width - filled)}`] : []),
    `loss ${m.loss.toFixed(4)}`,
    `acc ${pct(m.accuracy)}`,
    ...(m.exactMatch !== undefined ? [`exact ${pct(m.exactMatch)}`] : []),
    `${Math.round(m.tokensPerSec).toLocaleString('en-US')} tok/s`,
    `ETA ${m.etaSec === undefined ? '…' : formatDuration(m.etaSec)}`,
  ];
  return parts.join('  ');
}

export function evalLines(r: EvalReport): string[] {
  const head = [
    `eval @ step ${r.step}${r.ema ? ' (EMA weights)' : ''}: ${r.examples} held-out examples`,
    `loss ${r.loss.toFixed(4)}`,
    `accuracy ${pct(r.accuracy)}`,
    ...(r.openAccuracy !== undefined ? [`open cells ${pct(r.openAccuracy)}`] : []),
    ...(r.exactMatch !== undefined ? [`exact match ${pct(r.exactMatch)}`] : []),
    ...(r.perplexity !== undefined ? [`perplexity ${r.perplexity.toFixed(2)}`] : []),
  ].join(', ');
  const lines = [head];
  if (r.byDepth && r.byDepth.length > 1) {
    lines.push('  accuracy by supervision step (recursion depth):');
    for (const d of r.byDepth) {
      const bar = '█'.repeat(Math.round(d.accuracy * 30));
      lines.push(
        `  ${String(d.depth).padStart(3)} ${bar.padEnd(30)} cells ${pct(d.accuracy).padStart(6)}  exact ${pct(d.exactMatch).padStart(6)}${d.haltRate !== undefined ? `  halted ${pct(d.haltRate).padStart(6)}` : ''}`,
      );
    }
  }
  return lines;
}

/** A flag's positive number (a whole one when `whole`); the config schema checks the upper bounds. */
function number(v: string | undefined, flag: string, whole: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !(n > 0) || !Number.isFinite(n) || (whole && !Number.isInteger(n)))
    throw new Error(
      `${flag} must be a ${whole ? 'whole number ≥ 1' : 'number above 0'}, not "${v}".`,
    );
  return n;
}

/** A comma-separated flag's entries (`--freeze embed,block1`), none blank. */
function list(v: string | undefined, flag: string): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v.split(',').map((x) => x.trim());
  if (items.some((x) => x === ''))
    throw new Error(
      `${flag} takes node ids separated by commas, such as embed,block1; not "${v}".`,
    );
  return items;
}

/** `--lr-scale embed=0.1,ln_f=0.5` as multipliers by node. */
function scales(v: string | undefined): Record<string, number> | undefined {
  const items = list(v, '--lr-scale');
  if (!items) return undefined;
  return Object.fromEntries(
    items.map((item) => {
      const [node, x, ...rest] = item.split('=');
      const n = Number(x);
      if (
        !node ||
        x === undefined ||
        rest.length ||
        x.trim() === '' ||
        !(n > 0) ||
        !Number.isFinite(n)
      )
        throw new Error(
          `--lr-scale takes NODE=MULTIPLIER pairs with a multiplier above 0, such as embed=0.1; "${item}" is not one (to stop a node training, --freeze it).`,
        );
      return [node, n];
    }),
  );
}

/** Commas outside braces: `a,b{q,v},c` → a | b{q,v} | c. */
function splitTop(v: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of v) {
    if (c === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    cur += c;
  }
  parts.push(cur.trim());
  return parts;
}

/**
 * `--lora`: JSON, or `targets=T1,T2,rank=8,alpha=16` — an entry without `=` is one more
 * target, and commas inside `{q,v}` stay in their pattern.
 */
export function loraFlag(v: string | undefined): Record<string, unknown> | undefined {
  if (v === undefined) return undefined;
  if (v.trim().startsWith('{')) {
    try {
      return JSON.parse(v) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`--lora is not valid JSON (${(e as Error).message}).`);
    }
  }
  const targets: string[] = [];
  const out: Record<string, unknown> = { targets };
  let key = '';
  for (const part of splitTop(v)) {
    const eq = part.indexOf('=');
    const [k, value] = eq < 0 ? [key, part] : [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    if (k === 'targets' && value) targets.push(value);
    else if ((k === 'rank' || k === 'alpha') && value !== '' && Number.isFinite(Number(value)))
      out[k] = Number(value);
    else
      throw new Error(
        `--lora takes targets=PATTERN,…,rank=R,alpha=A (such as 'targets=*/attn/w{q,v},rank=8,alpha=16'); "${part}" is not part of that.`,
      );
    key = k;
  }
  return out;
}

/** `--teacher RUN --distill-alpha A --distill-temperature T` as the `distill` setting. */
function distillFlags(
  teacher: string | undefined,
  alpha: string | undefined,
  temperature: string | undefined,
): { teacher: string; alpha?: number; temperature?: number } | undefined {
  if (teacher === undefined) {
    if (alpha !== undefined || temperature !== undefined)
      throw new Error(
        `${alpha !== undefined ? '--distill-alpha' : '--distill-temperature'} goes with --teacher RUN: it weighs what that run teaches.`,
      );
    return undefined;
  }
  const a = alpha === undefined ? undefined : Number(alpha);
  if (a !== undefined && (alpha!.trim() === '' || !(a >= 0 && a <= 1)))
    throw new Error(`--distill-alpha must be a number from 0 to 1, not "${alpha}".`);
  return {
    teacher,
    ...(a !== undefined ? { alpha: a } : {}),
    ...(temperature !== undefined
      ? { temperature: number(temperature, '--distill-temperature', false)! }
      : {}),
  };
}

/** `--config`'s JSON object of training settings, or a sentence naming the flag. */
function configFlag(v: string | undefined): Record<string, unknown> {
  if (v === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch (e) {
    throw new Error(
      `--config is not valid JSON (${(e as Error).message}); give an object such as --config '{"ema":0.999}'.`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(
      `--config must be a JSON object of training settings, not ${JSON.stringify(v)}; give one such as --config '{"ema":0.999}'.`,
    );
  return parsed as Record<string, unknown>;
}

export async function trainCommand(
  argv: string[],
  out: Out,
  tty: NodeJS.WriteStream | undefined = process.stdout.isTTY ? process.stdout : undefined,
): Promise<number> {
  const args = parseCommand(
    argv,
    {
      data: { type: 'string' },
      steps: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      config: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'string' },
      preset: { type: 'string' },
      backend: { type: 'string' },
      'init-from': { type: 'string' },
      freeze: { type: 'string' },
      'lr-scale': { type: 'string' },
      lora: { type: 'string' },
      'resize-embedding': { type: 'boolean' },
      teacher: { type: 'string' },
      'distill-alpha': { type: 'string' },
      'distill-temperature': { type: 'string' },
    },
    TRAIN_USAGE,
    out,
  );
  if (typeof args === 'number') return args;
  const v = args.values;
  const file = args.positionals[0];
  if (!file && !v.resume) {
    out.error(`trm train: missing GRAPH.\n\n${TRAIN_USAGE}`);
    return 2;
  }
  const { train } = await import('../../train/trainer.ts');
  const { TrainControl } = await import('../../train/control.ts');
  const { describeInit } = await import('../../train/init-from.ts');
  let request: Parameters<typeof train>[0];
  try {
    const doc = file ? await loadDocument(file, v.preset, out) : undefined;
    if (file && !doc) return 1;
    const extra = configFlag(v.config);
    const flags = {
      steps: number(v.steps, '--steps', true),
      batch: number(v.batch, '--batch', true),
      lr: number(v.lr, '--lr', false),
      backend: v.backend,
      freeze: list(v.freeze, '--freeze'),
      lrScale: scales(v['lr-scale']),
      lora: loraFlag(v.lora),
    };
    if (v['resize-embedding'] && !v['init-from'])
      throw new Error(
        '--resize-embedding goes with --init-from RUN: it resizes the weights taken from that run.',
      );
    const distill = distillFlags(v.teacher, v['distill-alpha'], v['distill-temperature']);
    const config = {
      ...(doc && !v.resume ? configFromDocument(doc) : {}),
      ...extra,
      ...Object.fromEntries(Object.entries(flags).filter(([, x]) => x !== undefined)),
      ...(distill ? { distill } : {}),
    };
    request = {
      ...(doc ? { document: doc } : {}),
      ...(doc && (v.data || !v.resume) ? { data: parseDataArg(v.data, doc) } : {}),
      config,
      // Resuming keeps writing into the run folder (the parent of a step-NNNNNN folder).
      ...(v.out
        ? { outDir: v.out }
        : v.resume
          ? { outDir: existsSync(join(v.resume, 'checkpoint.json')) ? dirname(v.resume) : v.resume }
          : {}),
      ...(v.resume ? { resume: v.resume } : {}),
      ...(v['init-from']
        ? {
            initFrom: {
              path: v['init-from'],
              ...(v['resize-embedding'] ? { resizeEmbedding: true } : {}),
            },
          }
        : {}),
    };
  } catch (e) {
    out.error((e as Error).message);
    return 1;
  }
  const control = new TrainControl();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    clear();
    out.log('Stopping after this step (a checkpoint is written); press Ctrl-C again to quit now.');
    control.stop();
  };
  process.on('SIGINT', onSigint);
  let total = 0;
  let every = 1;
  let hinted = false;
  // The exact command that continues this run; printed once its first checkpoint exists, so
  // a run killed (SIGKILL, power cut) before it could say anything else still showed it.
  const resume = resumeCommand(request.outDir ?? '');
  let barShown = false;
  const clear = () => {
    if (tty && barShown) tty.write('\r\x1b[2K');
    barShown = false;
  };
  const onEvent = (e: TrainEvent) => {
    switch (e.type) {
      case 'started':
        total = e.steps;
        every = Math.max(1, Math.floor(total / 20));
        out.log(
          `Training ${e.params.toLocaleString('en-US')} parameters on ${e.data} with the ${e.backend} backend${e.resumedFrom ? `, resuming ${e.resumedFrom} at step ${e.startStep}` : ''}.`,
        );
        if (e.initFrom) out.log(describeInit(e.initFrom));
        if (e.notice) out.log(e.notice);
        if (e.trainableParams !== undefined && e.frozenParams)
          out.log(
            `Trainable: ${e.trainableParams.toLocaleString('en-US')} parameters; frozen: ${e.frozenParams.toLocaleString('en-US')}.`,
          );
        if (e.frozen) {
          const shown = e.frozen.length > 8 ? [...e.frozen.slice(0, 8), '…'] : e.frozen;
          out.log(`Frozen (not trained): ${e.frozen.length} weights: ${shown.join(', ')}.`);
        }
        if (!request.outDir) {
          out.log('No --out folder was given, so this run writes no checkpoints to resume from.');
        }
        return;
      case 'step':
        if (tty) {
          tty.write(`\r\x1b[2K${progressLine(e.metrics, total, true)}`);
          barShown = true;
        } else if (e.metrics.step % every === 0 || e.metrics.step === total) {
          out.log(progressLine(e.metrics, total, false));
        }
        return;
      case 'eval':
        clear();
        for (const line of evalLines(e.report)) out.log(line);
        return;
      case 'checkpoint':
        clear();
        out.log(`checkpoint: ${e.path}`);
        if (!hinted && e.step < total)
          out.log(`If this run is interrupted, continue it with: ${resume}`);
        hinted = true;
        return;
      case 'paused':
      case 'resumed':
        return;
      case 'stopped':
        clear();
        out.log(
          e.reason === 'completed'
            ? `Finished at step ${e.step}; the run is complete.${e.lastCheckpoint ? ` Its last checkpoint is ${e.lastCheckpoint}.` : ''}`
            : `Stopped at step ${e.step}.${e.lastCheckpoint ? ` Resume with: ${resume}` : ''}`,
        );
        return;
      case 'error':
        clear();
        out.error(e.message);
        return;
    }
  };
  try {
    const result = await train({ ...request, control, onEvent });
    result.model.dispose();
    return result.status === 'failed' ? 1 : 0;
  } catch (e) {
    clear();
    out.error((e as Error).message);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
