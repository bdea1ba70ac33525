import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compile } from '../../graph/compile.ts';
import { parseDocument } from '../../graph/parse.ts';
import { formatCount } from '../../graph/summary.ts';
import { parseCommand, type Out } from '../command.ts';

export const TEMPLATES_USAGE = `Usage: trm templates

Lists the graph documents in templates/: name, parameters and the one-liner of its card.`;

const TEMPLATES = resolve(import.meta.dirname, '../../../templates');

/** A card's one-liner: its `what`, else the document's description. */
function oneLiner(meta: unknown, description: string | undefined): string {
  const what = (meta as { card?: { what?: unknown } } | undefined)?.card?.what;
  return typeof what === 'string' ? what : (description ?? '');
}

export async function templatesCommand(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(argv, {}, TEMPLATES_USAGE, out);
  if (typeof args === 'number') return args;
  const files = (await readdir(TEMPLATES)).filter((f) => f.endsWith('.json')).sort();
  const rows: string[][] = [];
  for (const file of files) {
    const parsed = parseDocument(await readFile(join(TEMPLATES, file), 'utf8'));
    if (!parsed.ok) continue;
    const doc = parsed.doc;
    rows.push([
      `templates/${file}`,
      formatCount(compile(doc).totalParams),
      oneLiner(doc.meta, doc.description),
    ]);
  }
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  for (const [file, params, what] of rows)
    out.log(`${file!.padEnd(w0)}  ${params!.padStart(w1)}  ${what}`);
  out.log('Train one with: trm train templates/NAME.json (trm train --help).');
  return 0;
}
