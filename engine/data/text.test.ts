import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CharTokenizer } from './char-tokenizer.ts';
import { createDataSource, restoreTokenizer } from './index.ts';
import { splitText } from './text-split.ts';
import { IGNORE } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'trm-data-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const lines = Array.from(
  { length: 400 },
  (_, i) => `Line ${i}: the quick brown fox ${i % 7} jumps — naïve café 🙂.`,
);
const corpus = lines.join('\n') + '\n';
const corpusFile = join(dir, 'corpus.txt');
writeFileSync(corpusFile, corpus);

describe('char tokenizer', () => {
  it('round-trips text, including non-BMP characters, and maps unknown characters to id 0', () => {
    const tok = CharTokenizer.fromText(corpus);
    assert.equal(tok.decode(tok.encodeSync(corpus)), corpus);
    assert.equal(tok.encodeSync('🙂').length, 1);
    assert.deepEqual(Array.from(tok.encodeSync('Z')), [0]);
    assert.equal(tok.decode(tok.encodeSync('aZ')), 'a\uFFFD');
    const again = CharTokenizer.fromVocab(tok.describe().vocab);
    assert.deepEqual(again.encodeSync(corpus), tok.encodeSync(corpus));
  });

  it('is restored from a source description', async () => {
    const source = await createDataSource({ type: 'text', path: corpusFile, length: 8 }, 1);
    const tok = await restoreTokenizer(source.describe());
    const batch = source.trainBatch(0, 1);
    assert.deepEqual(await tok.encode(source.decode(batch.inputs)), batch.inputs);
  });
});

describe('text split', () => {
  it('is a deterministic partition of the text into blocks, seeded', () => {
    const a = splitText(corpus, 0.1, 1);
    assert.deepEqual(a, splitText(corpus, 0.1, 1));
    assert.notDeepEqual(a, splitText(corpus, 0.1, 2));
    assert.equal(a.train.length + a.validation.length, corpus.length);
    const share = a.validation.length / corpus.length;
    assert.ok(share > 0.05 && share < 0.2, `validation share ${share}`);
    // Blocks end at line ends, so every validation line is a whole corpus line.
    for (const line of a.validation.split('\n').filter(Boolean))
      assert.ok(lines.includes(line), line);
  });
});

describe('text sources', () => {
  it('lm: windows with targets shifted by one, deterministic per (seed, index)', async () => {
    const source = await createDataSource({ type: 'text', path: corpusFile, length: 32 }, 7);
    assert.equal(source.kind, 'lm');
    assert.equal(source.name, 'corpus.txt');
    const batch = source.trainBatch(0, 8);
    for (let r = 0; r < 8; r++) {
      const inputs = batch.inputs.subarray(r * 32, r * 32 + 32);
      const targets = batch.targets.subarray(r * 32, r * 32 + 32);
      assert.deepEqual(inputs.subarray(1), targets.subarray(0, 31));
      assert.ok(corpus.includes(source.decode(inputs) + source.decode(targets).slice(-1)));
    }
    const same = await createDataSource({ type: 'text', path: corpusFile, length: 32 }, 7);
    assert.deepEqual(same.trainBatch(0, 8), batch);
    assert.deepEqual(same.validation(4), source.validation(4));
    assert.notDeepEqual(source.trainBatch(1, 8).inputs, batch.inputs);
  });

  it('lm: validation windows come from the held-out blocks only', async () => {
    const source = await createDataSource({ type: 'text', path: corpusFile, length: 16 }, 7);
    const { train, validation } = splitText(corpus, 0.1, 7);
    const val = source.validation(20);
    for (let r = 0; r < 20; r++) {
      assert.ok(validation.includes(source.decode(val.inputs.subarray(r * 16, r * 16 + 16))));
    }
    const batch = source.trainBatch(0, 20);
    for (let r = 0; r < 20; r++)
      assert.ok(train.includes(source.decode(batch.inputs.subarray(r * 16, r * 16 + 16))));
  });

  it('mlm: BERT masking, targets only at selected positions', async () => {
    const source = await createDataSource(
      { type: 'mlm', base: { type: 'text', path: corpusFile, length: 64 } },
      3,
    );
    const base = await createDataSource({ type: 'text', path: corpusFile, length: 64 }, 3);
    assert.equal(source.kind, 'mlm');
    const maskId = base.vocabSize;
    assert.equal(source.vocabSize, maskId + 1);
    let selected = 0;
    let masked = 0;
    let kept = 0;
    let positions = 0;
    for (let i = 0; i < 20; i++) {
      const batch = source.trainBatch(i, 32);
      positions += batch.inputs.length;
      batch.targets.forEach((t, p) => {
        const input = batch.inputs[p] as number;
        if (t === IGNORE) {
          assert.notEqual(input, maskId);
          return;
        }
        selected++;
        if (input === maskId) masked++;
        else if (input === t) kept++;
      });
    }
    const rate = selected / positions;
    assert.ok(rate > 0.13 && rate < 0.17, `selected ${rate}`);
    assert.ok(masked / selected > 0.75 && masked / selected < 0.85, `masked ${masked / selected}`);
    assert.ok(kept / selected > 0.07 && kept / selected < 0.15, `kept ${kept / selected}`);
    assert.match(
      source.decode([...base.trainBatch(0, 1).inputs.subarray(0, 3), maskId]),
      /\[MASK\]$/,
    );
    assert.deepEqual(
      source.validation(4),
      (
        await createDataSource(
          { type: 'mlm', base: { type: 'text', path: corpusFile, length: 64 } },
          3,
        )
      ).validation(4),
    );
  });
});

describe('text file errors', () => {
  const expectError = async (path: string, pattern: RegExp) => {
    await assert.rejects(createDataSource({ type: 'text', path, length: 8 }, 1), (error: Error) => {
      assert.match(error.message, pattern);
      assert.ok(error.message.includes(path), 'names the file');
      return true;
    });
  };

  it('names the file and the problem', async () => {
    await expectError(join(dir, 'missing.txt'), /does not exist/);
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    await expectError(empty, /is empty/);
    const blank = join(dir, 'blank.txt');
    writeFileSync(blank, '  \n\n');
    await expectError(blank, /is empty/);
    const latin1 = join(dir, 'latin1.txt');
    writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in Latin-1
    await expectError(latin1, /not valid UTF-8.*offset 3/);
    const binary = join(dir, 'binary.bin');
    writeFileSync(binary, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x01]));
    await expectError(binary, /binary file/);
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    await expectError(folder, /folder/);
    const short = join(dir, 'short.txt');
    writeFileSync(short, 'tiny text');
    await expectError(short, /fewer than/);
  });
});
