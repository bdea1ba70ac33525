/**
 * Brown corpus files (`word/tag word/tag ...`, one tab-indented sentence per line) → plain
 * text: tags stripped, tokens joined with English spacing (no space before closing
 * punctuation, none after opening brackets and quotes), `` and '' turned into " (also inch marks), one sentence
 * per line. Pure.
 */

const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', "''", "'", '%']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '``', '`', '$']);
const REPLACE: Record<string, string> = { '``': '"', "''": '"', '`': "'" };

/** `word/tag` → `word` (the tag follows the last slash; words may contain slashes). */
export function stripTag(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

export function detokenize(words: readonly string[]): string {
  let text = '';
  let glueNext = true;
  for (const word of words) {
    if (word === '.' && text.endsWith('.')) continue; // "Jr." ending a sentence
    if (!glueNext && !NO_SPACE_BEFORE.has(word)) text += ' ';
    text += REPLACE[word] ?? word.replaceAll("''", '"'); // inch marks: 1/8''
    glueNext = NO_SPACE_AFTER.has(word);
  }
  return text;
}

/** One Brown file → sentences, one per line. */
export function brownToText(raw: string): string {
  const lines: string[] = [];
  for (const line of raw.split('\n')) {
    const tokens = line.trim().split(/\s+/).filter(Boolean);
    if (tokens.length > 0) lines.push(detokenize(tokens.map(stripTag)));
  }
  return lines.join('\n');
}
