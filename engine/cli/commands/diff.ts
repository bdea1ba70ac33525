import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeDiff } from '../../graph/diff-text.ts';
import { diffDocuments } from '../../graph/diff.ts';
import { analyzeDocument } from '../../service/analyze.ts';
import { parseCommand, type Out } from '../command.ts';
import { loadDocument } from '../main.ts';

export const DIFF_USAGE = `Usage: trm diff BEFORE AFTER [--json]

  BEFORE, AFTER   graph documents, or run folders (their graph.json snapshot)
  --json          print the diff as JSON
One line per change: dims, components, nodes (parameters before → after, with the weights
each change adds or removes), wires, and the total. Exit 0 when the graphs are the same,
1 when they differ.`;

/** A run folder stands for the graph snapshot it recorded. */
async function documentPath(path: string): Promise<string> {
  const s = await stat(path).catch(() => null);
  return s?.isDirectory() ? join(path, 'graph.json') : path;
}

export async function diffCommand(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(argv, { json: { type: 'boolean' } }, DIFF_USAGE, out);
  if (typeof args === 'number') return args;
  const [a, b] = args.positionals;
  if (!a || !b || args.positionals.length > 2) {
    out.error(`trm diff: give exactly two documents or run folders.\n\n${DIFF_USAGE}`);
    return 2;
  }
  const before = await loadDocument(await documentPath(a), undefined, out);
  const after = await loadDocument(await documentPath(b), undefined, out);
  if (!before || !after) return 2;
  const diff = diffDocuments(before, after, {
    before: analyzeDocument(before),
    after: analyzeDocument(after),
  });
  if (args.values.json) out.log(JSON.stringify(diff, null, 2));
  else if (diff.same) out.log('The graphs are the same (positions aside).');
  else for (const line of describeDiff(diff)) out.log(line.text);
  return diff.same ? 0 : 1;
}
