import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parsePuzzle } from '../../engine/cli/commands/solve.ts';
import { main } from '../../engine/cli/main.ts';
import { uniqueSudokuSolution } from '../../engine/service/playground-solve.ts';

/** Runs the CLI in-process, capturing what it prints. */
async function trm(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (s) => out.push(s), error: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// tiny-gpt: V=96, D=128, T=64, two unshared pre-norm blocks, tied head.
const V = 96;
const D = 128;
const T = 64;
const BLOCK = 2 * 2 * D + 4 * D * D + 2 * D * 4 * D; // two LayerNorms, attention, GELU FFN ×4
const TINY_GPT = V * D + T * D + 2 * BLOCK + 2 * D; // embeddings, blocks, final LN, tied head

describe('trm CLI', () => {
  it('validate: exit 0 and the parameter count for a valid document', async () => {
    const r = await trm('validate', 'templates/tiny-gpt.json');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'templates/tiny-gpt.json: valid (415.0k parameters).');
    assert.equal(TINY_GPT, 414_976);
  });

  it('validate: exit 1 with the file, node, port and fix of each error', async () => {
    const file = 'test/fixtures/broken/width-mismatch.json';
    const r = await trm('validate', file);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.equal(
      r.err,
      `${file}: error [main, node attn, port x]: Input "x" of node "attn" expects width 256 but receives 128. Set the node's width to 128 or change the upstream node's output width to 256.`,
    );
  });

  it('validate: exit 1 for unreadable or unparsable files', async () => {
    const missing = await trm('validate', 'test/fixtures/nope.json');
    assert.equal(missing.code, 1);
    assert.equal(missing.err, 'Cannot read test/fixtures/nope.json: no such file. Check the path.');
    const folder = await trm('validate', 'test/fixtures');
    assert.equal(folder.code, 1);
    assert.equal(
      folder.err,
      'Cannot read test/fixtures: it is a folder, not a document. Check the path.',
    );
    const bad = await trm('validate', 'test/fixtures/broken/bad-json.json');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /bad-json\.json: error: The file is not valid JSON/);
  });

  it('usage errors exit 2, help exits 0', async () => {
    for (const argv of [
      [],
      ['validate'],
      ['summary'],
      ['frobnicate'],
      ['validate', '--nope', 'x'],
    ]) {
      const r = await trm(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.out + r.err, /Usage: trm <command>/, argv.join(' '));
    }
    assert.match((await trm('validate')).err, /trm validate: missing FILE/);
    assert.match((await trm('frobnicate')).err, /Unknown command "frobnicate"/);
    const help = await trm('--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /validate FILE/);
  });

  it('summary: one row per main node and the closed-form total', async () => {
    const r = await trm('summary', 'templates/tiny-gpt.json');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    for (const id of ['tokens', 'embed', 'pos', 'block1', 'block2', 'ln_f', 'head'])
      assert.ok(
        lines.some((l) => l.startsWith(`${id} `)),
        `row for ${id}`,
      );
    assert.match(
      lines.find((l) => l.startsWith('embed '))!,
      /token-embedding\s+B×T×128\s+12,288\s/,
    );
    assert.match(
      lines.find((l) => l.startsWith('block1 '))!,
      /component\s+B×T×128\s+197,120\s/,
    );
    assert.match(
      lines.find((l) => l.startsWith('head '))!,
      /lm-head\s+B×T×96\s+0\s/,
    );
    assert.ok(
      r.out.includes(`total parameters: ${TINY_GPT.toLocaleString('en-US')} (415.0k)`),
      r.out,
    );
  });

  it('summary --json parses and matches the closed form', async () => {
    const r = await trm('summary', 'templates/tiny-gpt.json', '--json');
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as {
      rows: { node: string; params: number; output: string }[];
      totalParams: number;
    };
    assert.equal(s.totalParams, TINY_GPT);
    assert.equal(
      s.rows.reduce((n, row) => n + row.params, 0),
      TINY_GPT,
    );
    assert.deepEqual(
      s.rows.map((row) => row.node),
      ['tokens', 'embed', 'pos', 'block1', 'block2', 'ln_f', 'head'],
    );
    assert.equal(s.rows.find((row) => row.node === 'pos')?.params, T * D);
  });

  it('summary --preset sudoku-9x9 of the TRM template shows ≈6.83M', async () => {
    const r = await trm('summary', 'templates/trm-sudoku.json', '--preset', 'sudoku-9x9');
    assert.equal(r.code, 0, r.err);
    const exact = 2 * (4 * 512 * 512 + 3 * 512 * 1536) + 2 * 11 * 512 + 513;
    assert.ok(r.out.includes(`total parameters: ${exact.toLocaleString('en-US')} (6.83M)`), r.out);
    const json = JSON.parse(
      (await trm('summary', 'templates/trm-sudoku.json', '--preset', 'sudoku-9x9', '--json')).out,
    ) as { totalParams: number };
    assert.equal(json.totalParams, exact);
  });

  it('an unknown preset is an error naming the presets there are', async () => {
    const r = await trm('summary', 'templates/trm-sudoku.json', '--preset', 'sudoku-99x99');
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /No preset "sudoku-99x99" in this document; use one of its presets: .*sudoku-9x9/,
    );
  });

  it("the README's trm solve example is a puzzle trm solve takes, with one solution", () => {
    const readme = readFileSync('README.md', 'utf8');
    const example = /trm solve [\s\S]*?--puzzle "([^"]*)"/.exec(readme)?.[1];
    assert.ok(example !== undefined, 'no trm solve --puzzle example in README.md');
    const tokens = parsePuzzle(example);
    assert.ok(!(tokens instanceof Error), tokens instanceof Error ? tokens.message : '');
    assert.ok(uniqueSudokuSolution(Array.from(tokens)), `"${example}" has no single solution`);
  });

  it('a preset named like an Object property ("constructor") is no preset either', async () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      const r = await trm('summary', 'templates/trm-sudoku.json', '--preset', name);
      assert.equal(r.code, 1, name);
      assert.match(
        r.err,
        new RegExp(`No preset "${name}" in this document; use one of its presets: .*sudoku-9x9`),
      );
      assert.doesNotMatch(r.err, /received function|expected object/);
    }
    const none = await trm('summary', 'templates/tiny-gpt.json', '--preset', 'constructor');
    assert.equal(none.code, 1);
    assert.match(none.err, /No preset "constructor": this document has no presets/);
  });

  it('summary of a broken document exits 1 but still prints what it could infer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trm-cli-'));
    const file = join(dir, 'doc.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        name: 'half',
        main: {
          nodes: [
            { id: 'tok', kind: 'token-input', params: { vocab: 10, maxLength: 8 } },
            { id: 'emb', kind: 'token-embedding', params: { vocab: 10, width: 16 } },
            { id: 'head', kind: 'lm-head', params: { width: 32, vocab: 10 } },
          ],
          edges: [
            { from: { node: 'tok', port: 'tokens' }, to: { node: 'emb', port: 'tokens' } },
            { from: { node: 'emb', port: 'out' }, to: { node: 'head', port: 'x' } },
          ],
        },
      }),
    );
    const r = await trm('summary', file);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /node head, port x\]: Input "x" of node "head" expects width 32 but receives 16/,
    );
    assert.match(r.out, /emb\s+token-embedding\s+B×T×16\s+160\s/);
  });
});
