import { GLOSSARY, type GlossaryEntry, type GlossaryKind } from './glossary.ts';

/** How each kind of entry is named to people, in the CLI and the Glossary panel. */
export const KIND_LABELS: Record<GlossaryKind, string> = {
  node: 'node kind',
  train: 'trainer setting',
  export: 'export option',
  concept: 'concept',
};

/** The same words however they are spelt: `haltWeight`, `halt-weight` and `Halt weight` match. */
export function normalizeTerm(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/** A stable id for an entry: its kind and term (`train:dropout` beside `node:dropout`). */
export function entryId(e: GlossaryEntry): string {
  return `${e.kind}:${e.term}`;
}

export function glossaryEntry(kind: GlossaryKind, term: string): GlossaryEntry | undefined {
  return GLOSSARY.find((e) => e.kind === kind && e.term === term);
}

/**
 * The entry the inspector's "?" shows beside a node parameter: the one whose `params` names
 * `kind.param`, else `*.param`, else the node kind's own entry.
 */
export function paramEntry(kind: string, param: string): GlossaryEntry | undefined {
  return (
    GLOSSARY.find((e) => e.params?.includes(`${kind}.${param}`)) ??
    GLOSSARY.find((e) => e.params?.includes(`*.${param}`)) ??
    glossaryEntry('node', kind)
  );
}

/**
 * Entries a query names exactly: `kind:term` picks one; otherwise every entry whose term
 * matches (a trainer setting and a node kind may share one, such as dropout), else those whose
 * title or an alias does.
 */
export function findEntries(query: string): GlossaryEntry[] {
  const colon = /^(node|train|export|concept):(.+)$/.exec(query.trim());
  if (colon) {
    const q = normalizeTerm(colon[2]!);
    return GLOSSARY.filter((e) => e.kind === colon[1] && normalizeTerm(e.term) === q);
  }
  const q = normalizeTerm(query);
  if (!q) return [];
  const byTerm = GLOSSARY.filter((e) => normalizeTerm(e.term) === q);
  if (byTerm.length) return byTerm;
  return GLOSSARY.filter(
    (e) => normalizeTerm(e.title) === q || (e.aliases ?? []).some((a) => normalizeTerm(a) === q),
  );
}

/** Levenshtein distance, for naming the closest terms to a misspelt one. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The terms nearest a query that names none: edit distance to each term and alias, a name that
 * contains the query (or is contained in it) counting as close when both have four letters or more. Terms as `trm explain` takes them.
 */
export function closestTerms(query: string, count = 3): string[] {
  const q = normalizeTerm(query);
  const scored = GLOSSARY.map((e) => {
    const names = [e.term, e.title, ...(e.aliases ?? [])].map(normalizeTerm);
    const score = Math.min(
      ...names.map((n) =>
        Math.min(q.length, n.length) >= 4 && (n.includes(q) || q.includes(n))
          ? Math.abs(n.length - q.length) / 10
          : distance(q, n),
      ),
    );
    return { term: e.term, score };
  });
  scored.sort((a, b) => a.score - b.score || a.term.localeCompare(b.term));
  const terms: string[] = [];
  for (const { term } of scored) {
    if (!terms.includes(term)) terms.push(term);
    if (terms.length === count) break;
  }
  return terms;
}

/**
 * Entries for a search box, best first: a term, title or alias that starts with the words,
 * then one that contains them, then entries whose text mentions them. Every word must match
 * somewhere. An empty query lists every entry, concepts first.
 */
export function searchGlossary(query: string): GlossaryEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const order: GlossaryKind[] = ['concept', 'node', 'train', 'export'];
  if (!words.length)
    return [...GLOSSARY].sort(
      (a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.title.localeCompare(b.title),
    );
  const q = normalizeTerm(query);
  const ranked: { e: GlossaryEntry; rank: number }[] = [];
  for (const e of GLOSSARY) {
    const names = [e.term, e.title, ...(e.aliases ?? [])].map(normalizeTerm);
    const text = [e.term, e.title, ...(e.aliases ?? []), e.definition, e.whyItMatters, e.formula]
      .join(' ')
      .toLowerCase();
    if (!words.every((w) => text.includes(w))) continue;
    const rank = names.some((n) => n === q)
      ? 0
      : names.some((n) => n.startsWith(q))
        ? 1
        : names.some((n) => n.includes(q))
          ? 2
          : 3;
    ranked.push({ e, rank });
  }
  ranked.sort((a, b) => a.rank - b.rank || a.e.title.localeCompare(b.e.title));
  return ranked.map((r) => r.e);
}
