import { describeDiff } from '../../graph/diff-text.ts';
import { diffDocuments } from '../../graph/diff.ts';
import { analyzeDocument } from '../../graph/analyze.ts';
import { parseCommand, type Out } from '../command.ts';
import { loadDocument } from '../main.ts';
import { isFolder, loadRunDocument } from '../run-folder.ts';

export const DIFF_USAGE = `Usage: trm diff BEFORE AFTER [--json]

  BEFORE, AFTER   graph documents, or run folders (trm train --out folders and their
                  step-NNNNNN checkpoints, or the app's runs)
  --json          print the diff as JSON
One line per change: dims, components, nodes (parameters before → after, with the weights
each change adds or removes), wires, and the total. Exit 0 when the graphs are the same,
1 when they differ.`;

/** A run folder stands for the graph it trained. */
function load(path: string, out: Out) {
  return isFolder(path) ? loadRunDocument(path, out) : loadDocument(path, undefined, out);
}

export async function diffCommand(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(argv, { json: { type: 'boolean' } }, DIFF_USAGE, out);
  if (typeof args === 'number') return args;
  const [a, b] = args.positionals;
  if (!a || !b || args.positionals.length > 2) {
    out.error(`trm diff: give exactly two documents or run folders.\n\n${DIFF_USAGE}`);
    return 2;
  }
  const before = await load(a, out);
  const after = await load(b, out);
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
