import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

type Doc = Record<string, unknown>;

export function template(name: string): Doc {
  return JSON.parse(readFileSync(join(root, 'templates', `${name}.json`), 'utf8')) as Doc;
}

/**
 * The tiny GPT benchmark preset of issue 8: the tiny-gpt template (V 96, D 128, 4 heads,
 * 2 layers, T 64, head tied to the embedding) with RMSNorm instead of LayerNorm and FFN 2×.
 */
export function gptPreset(): Doc {
  const doc = template('tiny-gpt');
  doc.name = 'Tiny GPT benchmark preset (RMSNorm, FFN 2x)';
  const visit = (nodes: { kind: string; params: Record<string, unknown> }[]) => {
    for (const n of nodes) {
      if (n.kind === 'layer-norm') n.kind = 'rms-norm';
      if (n.kind === 'ffn') n.params.ratio = 2;
    }
  };
  visit(((doc.main as { nodes?: never }).nodes ?? []) as never);
  for (const c of Object.values((doc.components ?? {}) as Record<string, { nodes: never }>)) {
    visit(c.nodes);
  }
  return doc;
}
