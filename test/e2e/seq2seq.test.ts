import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  hasChromium,
  loadTemplate,
  openApp,
  runStatus,
  SKIP_REASON,
  until,
  type Session,
} from './harness.ts';

/**
 * An encoder–decoder as a person meets it: the seq2seq-reverse template opens the Train panel
 * on its own data (the seq2seq task, reverse) and trains from it with only the step count cut
 * (to keep CI short); the held-out line shows; the Playground takes a source of digits and
 * writes its target greedily and with beams, and refuses a source with a letter in a sentence;
 * the Export dialog writes the pair with its decode.mjs, and its snippet runs that script.
 */
describe('seq2seq in the app (browser mode)', { skip: SKIP_REASON, timeout: 240_000 }, () => {
  let s: Session;
  before(async () => {
    if (hasChromium) s = await openApp();
    mkdirSync('test-results/screenshots', { recursive: true });
  });
  after(async () => {
    await s?.close();
  });

  it('opens the Train panel on the seq2seq task and trains to a held-out line', async () => {
    const { page } = s;
    await loadTemplate(page, 'seq2seq-reverse');
    await page.getByTestId('toggle-train').click();
    await page.getByTestId('train-panel').waitFor();
    const source = page.getByRole('radiogroup', { name: 'Data source' });
    await source.getByRole('radio', { name: 'Generated task', checked: true }).waitFor();
    assert.equal(await page.getByLabel('Task', { exact: true }).inputValue(), 'seq2seq');
    assert.equal(await page.locator('#task-task').inputValue(), 'reverse');
    // The template's recipe is what a run uses when nothing is typed.
    assert.equal(await page.locator('#train-steps').getAttribute('placeholder'), '400');
    assert.equal(await page.locator('#train-batch').getAttribute('placeholder'), '64');
    await page.locator('#train-steps').fill('60');
    await page.getByRole('button', { name: /Start training/ }).click();
    await until(async () => (await runStatus(page)) !== 'completed', true, 10_000);
    assert.equal(await until(() => runStatus(page), 'completed', 150_000), 'completed');
    const summary = page.getByTestId('eval-summary');
    await summary.waitFor({ timeout: 10_000 });
    const line = (await summary.textContent()) ?? '';
    // A sequence task's answer positions are all blanks: no puzzle's "open cells" here.
    assert.match(line, /^Held-out @ step 60 exact [\d.]+% · accuracy [\d.]+% \(1,000 examples\)$/);
    await page.screenshot({ path: 'test-results/screenshots/seq2seq-trained.png' });
    assert.deepEqual(s.pageErrors, []);
  });

  it('decodes a typed source in the Playground, greedy and with beams', async () => {
    const { page } = s;
    await page.getByRole('button', { name: 'Try it…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Playground' });
    await dialog.waitFor();
    const model = page.getByTestId('playground-model');
    assert.equal(
      await until(
        async () => (await model.textContent()) ?? '',
        'encoder–decoder (seq2seq) · tfjs',
        30_000,
      ),
      'encoder–decoder (seq2seq) · tfjs',
    );
    const stats = page.getByTestId('generation-stats');
    const decode = async (strategy: 'Greedy' | 'Beam search') => {
      await dialog.getByRole('radio', { name: strategy }).click();
      await dialog.getByLabel('Source').fill('31415');
      await dialog.getByRole('button', { name: 'Generate' }).click();
      await stats.filter({ hasText: /· done$/ }).waitFor({ timeout: 30_000 });
      const output = (await page.getByTestId('generation-output').textContent()) ?? '';
      const target = (await page.getByTestId('generated-text').textContent()) ?? '';
      assert.ok(output.startsWith('31415 → '), output);
      // At most the 8 positions of a target; digits only (the end token is not shown).
      assert.match(target, /^\d{0,8}$/, `${strategy}: ${target}`);
      return target;
    };
    const greedy = await decode('Greedy');
    await page.screenshot({ path: 'test-results/screenshots/seq2seq-playground-greedy.png' });
    const beam = await decode('Beam search');
    assert.ok(greedy.length + beam.length > 0, 'a trained model writes some target');
    await page.screenshot({ path: 'test-results/screenshots/seq2seq-playground-beam.png' });
    // A source the model cannot read gets the engine's sentence.
    await dialog.getByRole('radio', { name: 'Greedy' }).click();
    await dialog.getByLabel('Source').fill('12a4');
    await dialog.getByRole('button', { name: 'Generate' }).click();
    assert.match(
      (await page.getByTestId('generation-error').textContent()) ?? '',
      /The source may hold only digits 0–9; remove "a"\./,
    );
    await page.screenshot({ path: 'test-results/screenshots/seq2seq-playground-error.png' });
    await dialog.getByRole('button', { name: 'Close' }).click();
    assert.deepEqual(s.pageErrors, []);
  });

  it('exports the run as an encoder and a decoder from the Export dialog', async () => {
    const { page } = s;
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export ONNX' });
    await dialog.waitFor();
    await dialog.getByText('exact, largest').click();
    const pair = dialog.locator('label.export-pair');
    // The box names every file the export writes, the decoder with a KV cache among them.
    assert.match(
      (await pair.textContent()) ?? '',
      /onnx\/encoder\.onnx and onnx\/decoder\.onnx.*decoder_model\.onnx \+ decoder_with_past_model\.onnx/,
    );
    await dialog.getByTestId('export-pair').check();
    await dialog.getByRole('button', { name: 'Export fp32 encoder + decoder' }).click();
    const table = page.getByTestId('verify-table');
    await table.waitFor({ timeout: 60_000 });
    const text = (await table.textContent()) ?? '';
    assert.match(text, /fp32 encoder \+ decoder/);
    assert.match(text, /Verdict✓ pass/);
    assert.match(text, /Top-1 agreement100\.0% \(held-out\)/);
    // The pair's top-1 agreement is measured on held-out sources: shown once, not twice.
    assert.equal(text.match(/100\.0% \(held-out\)/g)?.length, 1, text);
    assert.doesNotMatch(text, /Top-1, held-out/);
    // The snippet decodes with the folder's decode.mjs, not the encoder on dummy inputs.
    const head = (await page.locator('.snippet-head').textContent()) ?? '';
    assert.match(head, /^Decode a source with the folder's decode\.mjs, from/);
    const snippet = (await page.getByTestId('snippet').textContent()) ?? '';
    const cd = /\ncd "(.+)"\nnpm i onnxruntime-node\nnode decode\.mjs 31415926$/.exec(snippet);
    assert.ok(cd, snippet);
    assert.doesNotMatch(snippet, /InferenceSession/);
    for (const f of ['decode.mjs', 'README.md', 'config.json', 'onnx/decoder_with_past_model.onnx'])
      assert.ok(existsSync(join(cd[1]!, f)), `${f} in ${cd[1]}`);
    await page.getByRole('button', { name: 'Python', exact: true }).click();
    assert.match(
      (await page.getByTestId('snippet').textContent()) ?? '',
      /\["node", "decode\.mjs", "31415926"\], cwd=folder/,
    );
    // The note lists the four files and how the decoder with a KV cache agrees with tfjs.
    const note = (await page.getByTestId('verify-note').textContent()) ?? '';
    assert.match(
      note,
      /^onnx\/encoder\.onnx, onnx\/decoder\.onnx, onnx\/decoder_model\.onnx, onnx\/decoder_with_past_model\.onnx\./,
    );
    assert.match(
      note,
      /With the KV cache \(decoder_model \+ decoder_with_past_model\): 100\.0% of them decode the same, \d+ of \d+ decoder calls from the cache\./,
    );
    await page.screenshot({ path: 'test-results/screenshots/seq2seq-export.png' });
    assert.deepEqual(s.pageErrors, []);
  });
});
