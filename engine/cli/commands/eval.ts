import { parseCommand, type Out } from '../command.ts';
import { TrainConfig } from '../../train/config.ts';
import { parseDataArg } from '../../data/data-arg.ts';
import { documentFrom } from '../../runtime/trainable-program.ts';
import { loadDocument } from '../main.ts';
import { evalLines } from './train.ts';

export const EVAL_USAGE = `Usage: trm eval RUN [GRAPH] [options]

RUN is a run folder (its latest.json) or one step-NNNNNN folder.

  --checkpoint DIR     RUN given as a flag (then GRAPH is the only positional)
  --data SPEC          held-out data (default: the data the run trained on)
  --examples N         held-out examples (default: the run's evalExamples)
  --preset NAME        apply one of GRAPH's presets first
  --backend NAME       tensorflow-gpu, tensorflow, native, wasm or cpu
  --json               print the report as JSON
GRAPH defaults to the document saved in the checkpoint. Recursive models report accuracy
after every supervision step: how much each extra step of recursion buys.`;

export async function evalCommand(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(
    argv,
    {
      checkpoint: { type: 'string' },
      data: { type: 'string' },
      examples: { type: 'string' },
      preset: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
    },
    EVAL_USAGE,
    out,
  );
  if (typeof args === 'number') return args;
  const v = args.values;
  // The run is the first positional; `--checkpoint DIR` names it the older way.
  const [checkpoint, file] = v.checkpoint
    ? [v.checkpoint, args.positionals[0]]
    : [args.positionals[0], args.positionals[1]];
  if (!checkpoint) {
    out.error(`trm eval: missing RUN.\n\n${EVAL_USAGE}`);
    return 2;
  }
  try {
    const { evaluateCheckpoint } = await import('../../train/load-model.ts');
    const { readCheckpoint, disposeCheckpoint } = await import('../../train/checkpoint.ts');
    const doc = file ? await loadDocument(file, v.preset, out) : undefined;
    if (file && !doc) return 1;
    let data;
    if (v.data) {
      const saved = await readCheckpoint(checkpoint);
      disposeCheckpoint(saved);
      data = parseDataArg(v.data, doc ?? documentFrom(saved.meta.document));
    }
    const examples = v.examples === undefined ? undefined : Number(v.examples);
    if (examples !== undefined && !(Number.isInteger(examples) && examples > 0)) {
      out.error(`--examples must be a positive whole number, not "${v.examples}".`);
      return 2;
    }
    const backend = v.backend ? TrainConfig.shape.backend.parse(v.backend) : undefined;
    const report = await evaluateCheckpoint(checkpoint, {
      ...(doc ? { document: doc } : {}),
      ...(data ? { data } : {}),
      ...(examples ? { examples } : {}),
      ...(backend ? { backend } : {}),
    });
    if (v.json) out.log(JSON.stringify(report, null, 2));
    else for (const line of evalLines(report)) out.log(line);
    return 0;
  } catch (e) {
    out.error((e as Error).message);
    return 1;
  }
}
