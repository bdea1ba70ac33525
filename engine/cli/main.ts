import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Out } from './command.ts';
import { compile } from '../graph/compile.ts';
import { formatDiagnostic, hasErrors } from '../graph/diagnostics.ts';
import { parseDocument } from '../graph/parse.ts';
import { applyPreset } from '../graph/presets.ts';
import { formatCount, summarize } from '../graph/summary.ts';
import type { GraphDocument } from '../graph/schema.ts';

const USAGE = `Usage: trm <command> [options]

Commands:
  validate FILE            check a graph document; exit 1 when it has errors
  summary FILE [--json]    per-node output shapes, parameters and FLOPs per token
  doctor                   which compute backend loads here, why the others do not, and
                           whether the PyTorch engine (python with torch) is there
  templates                the graph templates: parameters and what each is for
  train GRAPH [--data SPEC]       train with live progress and checkpoints (trm train --help)
  eval RUN [GRAPH]                held-out metrics, accuracy by recursion depth
  export RUN|GRAPH [options]      ONNX model + onnxruntime verification (trm export --help)
  prune RUN --sparsity S --out NEWRUN   magnitude or head/channel pruning (trm prune --help)
  generate RUN|MODEL --prompt TEXT   continue a text with a checkpoint or an .onnx file
  solve RUN|MODEL --puzzle CELLS     solve a Sudoku step by step with a TRM model
  diff BEFORE AFTER        what changed between two graphs or two runs' graphs
  explain [TERM]           what a node kind, setting or concept is (no TERM: list them)
  import PT_RUN [--out DIR] a PyTorch package's run as a Studio run (trm import --help)

Every command takes --help. RUN is a run folder (trm train --out) or one of its
step-NNNNNN checkpoints.

Options:
  --preset NAME            apply one of the document's presets (meta.presets) first
  -h, --help               this text`;

const console_: Out = {
  log: (s) => console.log(s),
  error: (s) => console.error(s),
  write: (s) => process.stdout.write(s),
};

/** Load a document from a file, applying a preset; prints diagnostics; undefined on failure. */
export async function loadDocument(
  file: string,
  preset: string | undefined,
  out: Out,
): Promise<GraphDocument | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    out.error(`Cannot read ${file}: ${readError(e as NodeJS.ErrnoException)}. Check the path.`);
    return undefined;
  }
  const parsed = parseDocument(text);
  if (!parsed.ok) {
    for (const d of parsed.diagnostics) out.error(`${file}: ${formatDiagnostic(d)}`);
    return undefined;
  }
  if (!preset) return parsed.doc;
  const applied = applyPreset(parsed.doc, preset);
  if ('error' in applied) {
    out.error(`${file}: ${applied.error}`);
    return undefined;
  }
  return applied.doc;
}

function readError(e: NodeJS.ErrnoException): string {
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EISDIR') return 'it is a folder, not a document';
  if (e.code === 'EACCES') return 'permission denied';
  return e.message.replace(/\.$/, '');
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export async function main(argv: string[], out: Out = console_): Promise<number> {
  if (argv[0] === 'export')
    return (await import('./commands/export.ts')).exportCommand(argv.slice(1), out);
  if (argv[0] === 'train')
    return (await import('./commands/train.ts')).trainCommand(argv.slice(1), out);
  if (argv[0] === 'eval')
    return (await import('./commands/eval.ts')).evalCommand(argv.slice(1), out);
  if (argv[0] === 'generate')
    return (await import('./commands/generate.ts')).generateCommand(argv.slice(1), out);
  if (argv[0] === 'prune')
    return (await import('./commands/prune.ts')).pruneCommand(argv.slice(1), out);
  if (argv[0] === 'diff')
    return (await import('./commands/diff.ts')).diffCommand(argv.slice(1), out);
  if (argv[0] === 'templates')
    return (await import('./commands/templates.ts')).templatesCommand(argv.slice(1), out);
  if (argv[0] === 'explain')
    return (await import('./commands/explain.ts')).explainCommand(argv.slice(1), out);
  if (argv[0] === 'import')
    return (await import('./commands/import.ts')).importCommand(argv.slice(1), out);
  if (argv[0] === 'solve')
    return (await import('./commands/solve.ts')).solveCommand(argv.slice(1), out);
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        json: { type: 'boolean' },
        preset: { type: 'string' },
        backend: { type: 'string' },
      },
    });
  } catch (e) {
    out.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, file] = args.positionals;
  if (args.values.help || !command) {
    out.log(USAGE);
    return command || args.values.help ? 0 : 2;
  }
  switch (command) {
    case 'validate':
    case 'summary': {
      if (!file) {
        out.error(`trm ${command}: missing FILE.\n\n${USAGE}`);
        return 2;
      }
      const doc = await loadDocument(file, args.values.preset, out);
      if (!doc) return 1;
      const result = compile(doc);
      if (command === 'validate' && !hasErrors(result.diagnostics)) {
        // What training and export would refuse, as the service's document.validate says.
        const { readinessDiagnostics } = await import('../service/validate.ts');
        result.diagnostics.push(
          ...readinessDiagnostics(doc, result.totalParams + result.uncountedParams),
        );
      }
      for (const d of result.diagnostics) out.error(`${file}: ${formatDiagnostic(d)}`);
      if (command === 'validate') {
        if (!hasErrors(result.diagnostics))
          out.log(`${file}: valid (${formatCount(result.totalParams)} parameters).`);
        return hasErrors(result.diagnostics) ? 1 : 0;
      }
      const summary = summarize(doc, result);
      if (args.values.json) {
        out.log(JSON.stringify(summary, null, 2));
        return hasErrors(result.diagnostics) ? 1 : 0;
      }
      const w = [16, 20, 26, 12, 14];
      out.log(`${doc.name}`);
      out.log(
        [
          pad('node', w[0]!),
          pad('kind', w[1]!),
          pad('output', w[2]!),
          pad('params', w[3]!, true),
          pad('FLOPs/token', w[4]!, true),
        ].join(' '),
      );
      for (const r of summary.rows) {
        out.log(
          [
            pad(r.node, w[0]!),
            pad(r.kind, w[1]!),
            pad(r.output, w[2]!),
            pad(r.params.toLocaleString('en-US'), w[3]!, true),
            pad(formatCount(r.flopsPerToken), w[4]!, true),
          ].join(' '),
        );
      }
      out.log(
        `total parameters: ${summary.totalParams.toLocaleString('en-US')} (${formatCount(summary.totalParams)})` +
          (summary.uncountedParams > 0
            ? `, plus ${summary.uncountedParams.toLocaleString('en-US')} puzzle-embedding values not counted (as the paper counts)`
            : ''),
      );
      out.log(`forward FLOPs per token: ${formatCount(summary.totalFlopsPerToken)}`);
      return hasErrors(result.diagnostics) ? 1 : 0;
    }
    case 'doctor': {
      const { backendNotice, selectBackend } = await import('../runtime/backend.ts');
      try {
        const report = await selectBackend(args.values.backend);
        for (const a of report.attempts)
          out.log(`${a.ok ? '✓' : '✗'} ${a.backend}${a.reason ? `: ${a.reason}` : ''}`);
        out.log(`active backend: ${report.active} (${report.device.toUpperCase()})`);
        const a = report.adapter;
        if (a) {
          out.log(
            `WebGPU adapter: ${a.vendor}, ${a.architecture}${a.description ? ` (${a.description})` : ''}${a.software ? ', software' : ''}`,
          );
        }
        const notice = backendNotice(report);
        if (notice) out.log(notice);
        out.log(`node ${process.version}, ${process.platform}-${process.arch}`);
        // The PyTorch engine (trm export --format pytorch, the Train panel's engine choice).
        const { findTorchPython, torchMissing } = await import('../pytorch/python-env.ts');
        const torch = await findTorchPython();
        out.log(
          torch.ok
            ? `✓ pytorch engine: torch ${torch.torch} on ${torch.python} (Python ${torch.pythonVersion}); devices: ${torch.devices.join(', ')}${torch.safetensors ? '' : '; safetensors not installed (the engine writes the format itself)'}`
            : `✗ pytorch engine: ${torchMissing(torch)}`,
        );
        return 0;
      } catch (e) {
        out.error((e as Error).message);
        return 1;
      }
    }
    default:
      out.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}
