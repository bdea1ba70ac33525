import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brownToText, detokenize, stripTag } from './brown-text.ts';
import { brownCategories, loadBrown } from './brown.ts';
import { createDataSource } from './index.ts';

describe('Brown corpus text', () => {
  it('strips tags at the last slash and detokenizes punctuation and quotes', () => {
    assert.equal(stripTag("Atlanta's/np$"), "Atlanta's");
    assert.equal(stripTag('and/or/cc'), 'and/or');
    assert.equal(
      brownToText(
        "\n\n\tHe/pps said/vbd ``/`` no/at ''/'' ,/, (/( twice/rb )/) ./.\n\n\tJr./np ./.\n",
      ),
      'He said "no", (twice).\nJr.',
    );
    assert.equal(
      detokenize(['It', 'cost', '$', '5', '--', 'or', 'so', '?']),
      'It cost $5 -- or so?',
    );
  });

  it('loads the whole corpus with no part-of-speech tags left', () => {
    const text = loadBrown();
    assert.equal(brownCategories().size, 15);
    assert.ok(text.length > 5_000_000, `${text.length} characters`);
    assert.ok(text.startsWith('The Fulton County Grand Jury said Friday an investigation of'));
    assert.doesNotMatch(
      text,
      /\S\/(at|nn|nns|np|vb|vbd|vbn|jj|in|cc|rb|dt|pps|cs|to)(-tl|-hl)?(\s|$)/m,
    );
    assert.doesNotMatch(text, /``|''/);
    assert.equal(loadBrown(), text, 'memoized');
  });

  it('serves a category as a char-level LM source, and names unknown categories', async () => {
    const source = await createDataSource({ type: 'corpus', categories: ['humor'], length: 64 }, 1);
    assert.equal(source.kind, 'lm');
    assert.ok(source.vocabSize > 60 && source.vocabSize < 100);
    const batch = source.trainBatch(0, 2);
    assert.equal(batch.inputs.length, 128);
    assert.ok(loadBrown(['humor']).includes(source.decode(batch.inputs.subarray(0, 64))));
    await assert.rejects(
      createDataSource({ type: 'corpus', categories: ['poetry'] }, 1),
      /no category "poetry".*humor/,
    );
  });
});
