import { GLOSSARY, type GlossaryEntry, type GlossaryKind } from '../../contract/glossary.ts';
import {
  closestTerms,
  findEntries,
  KIND_LABELS,
  searchGlossary,
} from '../../contract/glossary-lookup.ts';
import { parseCommand, type Out } from '../command.ts';

export const EXPLAIN_USAGE = `Usage: trm explain [TERM]

Prints the glossary entry for TERM: a node kind (attention, recursion), a trainer setting
(lr, haltWeight), an export option (opset, int4) or a concept (deep-supervision, perplexity):
its definition, the formula where there is one, why it matters for small recursive models,
and typical values. The same text as the app's "?" buttons and Glossary panel (G).
Spelling is loose (halt-weight = haltWeight); kind:TERM picks one of several entries of a
name (train:dropout). Without TERM, lists every term.`;

const WIDTH = 88;

/** `text` after `first`, filled into lines of at most WIDTH characters; later lines indented. */
function wrap(first: string, text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/)) {
    if (line.trim() && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent + word;
    } else line = line.trim() ? `${line} ${word}` : line + word;
  }
  if (line.trim()) lines.push(line);
  return lines;
}

/** One entry as the terminal shows it. */
export function formatEntry(e: GlossaryEntry): string {
  const field = (label: string, text: string) => wrap(`  ${label}:`, text, '    ');
  return [
    `${e.term} — ${e.title} (${KIND_LABELS[e.kind]})`,
    ...wrap('  ', e.definition, '  '),
    ...(e.formula ? field('Formula', e.formula) : []),
    ...field('Why it matters', e.whyItMatters),
    ...field('Typical', e.typical),
    ...(e.aliases?.length ? field('Also', e.aliases.join(', ')) : []),
  ].join('\n');
}

function listTerms(): string[] {
  const lines: string[] = [];
  const headings: Record<GlossaryKind, string> = {
    concept: 'Concepts',
    node: 'Node kinds',
    train: 'Trainer settings (trm train --config, the Train panel)',
    export: 'Export options (trm export, the Export dialog)',
  };
  for (const kind of ['concept', 'node', 'train', 'export'] as const) {
    const entries = GLOSSARY.filter((e) => e.kind === kind);
    const w = Math.max(...entries.map((e) => e.term.length));
    lines.push(`${headings[kind]}:`);
    for (const e of entries) lines.push(`  ${e.term.padEnd(w)}  ${e.title}`);
    lines.push('');
  }
  lines.push('Read one with: trm explain TERM');
  return lines;
}

export async function explainCommand(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(argv, {}, EXPLAIN_USAGE, out);
  if (typeof args === 'number') return args;
  const query = args.positionals.join(' ').trim();
  if (!query) {
    for (const line of listTerms()) out.log(line);
    return 0;
  }
  const found = findEntries(query);
  if (found.length) {
    out.log(found.map(formatEntry).join('\n\n'));
    return 0;
  }
  // Not a name: the closest names, and entries that mention the words, in one sentence.
  const mentioned = searchGlossary(query).map((e) => e.term);
  const near = [...new Set([...mentioned.slice(0, 2), ...closestTerms(query)])].slice(0, 4);
  out.error(
    `trm explain: no entry is called "${query}"; the closest are ${near.join(', ')} (trm explain lists them all).`,
  );
  return 1;
}
