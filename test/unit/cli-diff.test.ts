import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';

async function trm(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (s) => out.push(s), error: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('trm diff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-diff-'));
  const tiny = 'templates/tiny-gpt.json';
  const doc = JSON.parse(readFileSync(tiny, 'utf8')) as {
    dims: Record<string, number>;
    components: { block: { nodes: { id: string; params: Record<string, unknown> }[] } };
  };

  it('prints one line per change, reading a run folder as its graph snapshot', async () => {
    doc.components.block.nodes.find((n) => n.id === 'ffn')!.params.ratio = 2;
    const run = join(dir, 'run-1');
    mkdirSync(run);
    writeFileSync(join(run, 'graph.json'), JSON.stringify(doc));
    const r = await trm('diff', tiny, run);
    assert.equal(r.code, 1, r.err);
    assert.equal(
      r.out,
      [
        'block1: resized by its component (−65,536 params)',
        'block2: resized by its component (−65,536 params)',
        'block/ffn.ratio 4 → 2 (−65,536 params)',
        'total 414,976 → 283,904 params (−131,072)',
      ].join('\n'),
    );
    const json = JSON.parse((await trm('diff', tiny, run, '--json')).out) as {
      totalParams: { delta: number };
    };
    assert.equal(json.totalParams.delta, -131_072);
  });

  it('says when the graphs are the same, and refuses a wrong call in a sentence', async () => {
    const same = await trm('diff', tiny, tiny);
    assert.deepEqual([same.code, same.out], [0, 'The graphs are the same (positions aside).']);
    const one = await trm('diff', tiny);
    assert.equal(one.code, 2);
    assert.match(one.err, /give exactly two documents or run folders/);
    const missing = await trm('diff', tiny, join(dir, 'nope'));
    assert.equal(missing.code, 2);
    assert.match(missing.err, /Cannot read .*nope: no such file/);
  });
});
