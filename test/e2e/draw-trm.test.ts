import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator } from 'playwright-core';
import {
  handle,
  hasChromium,
  loadTemplate,
  node,
  openApp,
  runStatus,
  SKIP_REASON,
  until,
  type Session,
} from './harness.ts';

/**
 * #13's "Checked by": a person draws the TRM-MLP 4×4 network of templates/trm-mlp-sudoku.json
 * from an empty canvas — dims from the DIMS panel, its task from the document panel, nodes
 * dragged from the palette (and added from a wire let go on empty canvas) and set in the
 * inspector (the puzzle prefix's P positions, the norm over the sequence after token mixing, the
 * answer skipping the prefix; the sequence MLP's length left empty), the layer grouped
 * with Ctrl+G, its second copy dragged from the Components list with weights of its own,
 * `net`, `latent_step`, `latent_recursion` and `deep_step` grouped in turn and wrapped in
 * recursions whose carry is set through the carry table — and ends with the template's
 * parameter count (read from the template in the same test), then trains it from the Train
 * panel as it opens to a falling loss. Every click, drag and key press is counted.
 */
describe(
  'draw TRM-MLP from an empty canvas (browser mode)',
  { skip: SKIP_REASON, timeout: 300_000 },
  () => {
    let s: Session;
    const SHOTS = 'test-results/screenshots';
    before(async () => {
      if (hasChromium) s = await openApp();
      mkdirSync(SHOTS, { recursive: true });
    });
    after(async () => {
      await s?.close();
    });

    /** What the person did, counted as they do it. */
    const count = { clicks: 0, drags: 0, keys: 0 };
    let stage = 0;
    const shot = async (name: string) =>
      s.page.screenshot({
        path: `${SHOTS}/draw-trm-${String(++stage).padStart(2, '0')}-${name}.png`,
      });

    const click = async (l: Locator, options: Parameters<Locator['click']>[0] = {}) => {
      count.clicks++;
      await l.click(options);
    };
    const press = async (key: string) => {
      count.keys++;
      await s.page.keyboard.press(key);
    };
    /** Click a field, type into it, press Enter (or Tab): keystrokes are the characters typed. */
    const typeIn = async (l: Locator, text: string, end = 'Enter') => {
      count.clicks++;
      count.keys += text.length + 1;
      await l.fill(text);
      await l.press(end);
    };
    const pane = () => s.page.locator('.react-flow__pane');
    /** Drag a palette item onto the canvas at a point of the pane. */
    const drop = async (kind: string, x: number, y: number) => {
      count.drags++;
      await s.page
        .locator(`.palette-item[data-kind="${kind}"]`)
        .dragTo(pane(), { targetPosition: { x, y } });
    };
    const row = (name: string) => s.page.locator(`.component-row[data-component="${name}"]`);
    /** Drag a wire from an output handle to an input handle. */
    const wire = async (from: string, fromPort: string, to: string, toPort: string) => {
      count.drags++;
      const { page } = s;
      const a = await handle(page, from, fromPort, 'source').boundingBox();
      const b = await handle(page, to, toPort, 'target').boundingBox();
      if (!a || !b) throw new Error(`handles not visible: ${from}.${fromPort} → ${to}.${toPort}`);
      await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
      await page.mouse.down();
      await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
      await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
      await page.mouse.up();
    };
    const select = async (...ids: string[]) => {
      for (const [i, id] of ids.entries())
        await click(node(s.page, id).locator('.trm-node-title'), i ? { modifiers: ['Shift'] } : {});
    };
    const edges = () => s.page.locator('.react-flow__edge').count();
    const exactParams = async () =>
      Number(
        /^([\d,]+) parameters/
          .exec((await s.page.locator('.stat-params').getAttribute('title')) ?? '')?.[1]
          ?.replaceAll(',', '') ?? NaN,
      );
    let target = 0;

    it('reads the parameter count the template shows, then starts from an empty canvas', async () => {
      const { page } = s;
      await loadTemplate(page, 'trm-mlp-sudoku');
      target = await exactParams();
      assert.ok(target > 0, 'the header names the exact count');
      await shot('template');
      await click(page.getByRole('button', { name: 'Templates' }));
      await click(page.getByRole('button', { name: /Empty canvas/ }));
      await page.locator('.modal-backdrop').waitFor({ state: 'detached' });
      assert.equal(await page.locator('.react-flow__node').count(), 0);
      // Reading the template is not part of drawing: count from here.
      Object.assign(count, { clicks: 0, drags: 0, keys: 0 });
    });

    it('sets the dims and the task from the document panel', async () => {
      const { page } = s;
      for (const [dim, value] of [
        ['V', '6'],
        ['L', '16'],
        ['D', '64'],
        ['n', '2'],
        ['T_rec', '2'],
        ['N_sup', '4'],
        ['F_seq', '64'],
        ['P', '1'],
      ] as const) {
        count.clicks++;
        count.keys += dim.length + 1; // name, Tab
        await page.getByLabel('New dim name').fill(dim);
        await typeIn(page.getByLabel('New dim value'), value);
      }
      assert.equal(await page.getByLabel('Value of dim F_seq', { exact: true }).inputValue(), '64');
      assert.equal(await page.getByLabel('Value of dim P', { exact: true }).inputValue(), '1');
      count.clicks += 2;
      await page.getByLabel('What the model is for').selectOption('sudoku-4x4');
      await shot('dims');
    });

    it('draws the input, its puzzle prefix, the initial states, their sum and one layer', async () => {
      const { page } = s;
      await drop('token-input', 130, 70);
      await node(page, 'token_input').waitFor();
      await click(page.locator('#param-fixedLength'));
      await drop('token-embedding', 130, 240);
      await wire('token_input', 'tokens', 'token_embedding', 'tokens');
      // P positions before the puzzle, the first a learned vector (its width is already D).
      await drop('puzzle-prefix', 390, 240);
      await typeIn(page.locator('#param-positions'), 'P');
      await wire('token_embedding', 'out', 'puzzle_prefix', 'x');
      await drop('latent-init', 650, 70);
      await drop('latent-init', 910, 70);
      await wire('puzzle_prefix', 'out', 'latent_init', 'like');
      await wire('puzzle_prefix', 'out', 'latent_init_2', 'like');
      await drop('residual-add', 390, 410);
      await wire('puzzle_prefix', 'out', 'residual_add', 'a');
      await wire('latent_init', 'out', 'residual_add', 'b');
      await wire('latent_init_2', 'out', 'residual_add', 'c');

      // The layer: h = norm(h + seqMLP(h)); h = norm(h + SwiGLU(h)), post-norm, no norm scale.
      // The sequence MLP's length stays empty: it mixes its input's own (prefix included).
      await drop('sequence-mlp', 130, 580);
      assert.equal(await page.locator('#param-length').inputValue(), '');
      await typeIn(page.locator('#param-hidden'), 'F_seq');
      await drop('residual-add', 390, 580);
      // The norm after token mixing runs over the sequence, as TRM-MLP's code does.
      await drop('rms-norm', 650, 580);
      await click(page.locator('#param-learnedScale'));
      count.clicks += 2;
      await page.locator('#param-over').selectOption('sequence');
      await drop('ffn', 130, 750);
      count.clicks += 2;
      await page.locator('#param-activation').selectOption('swiglu');
      await typeIn(page.locator('#param-multipleOf'), '256');
      await drop('residual-add', 390, 750);
      await drop('rms-norm', 650, 750);
      await click(page.locator('#param-learnedScale'));
      await wire('residual_add', 'out', 'sequence_mlp', 'x');
      await wire('residual_add', 'out', 'residual_add_2', 'a');
      await wire('sequence_mlp', 'out', 'residual_add_2', 'b');
      await wire('residual_add_2', 'out', 'rms_norm', 'x');
      await wire('rms_norm', 'out', 'ffn', 'x');
      await wire('rms_norm', 'out', 'residual_add_3', 'a');
      await wire('ffn', 'out', 'residual_add_3', 'b');
      await wire('residual_add_3', 'out', 'rms_norm_2', 'x');
      await shot('layer-drawn');
      assert.equal(await until(edges, 15), 15);
    });

    /** Rename a component from the Components list (its pencil, then the new name, Enter). */
    const rename = async (from: string, to: string) => {
      await click(row(from).getByLabel(`Rename component ${from}`));
      await typeIn(s.page.getByLabel(`New name for component ${from}`), to);
      await row(to).waitFor();
    };
    /** Give a selected instance weights of its own with its switch. */
    const ownWeights = async (id: string) => {
      await select(id);
      await click(node(s.page, id).getByTestId('shared-toggle'));
      await until(
        async () => /own weights/.test((await node(s.page, id).textContent()) ?? ''),
        true,
      );
    };
    /** Wrap a component instance in a recursion from its right-click menu. */
    const wrap = async (id: string) => {
      await click(node(s.page, id).locator('.trm-node-title'), { button: 'right' });
      await click(s.page.getByTestId('menu-wrapRecursion'));
      await node(s.page, `${id}_loop`).waitFor();
    };
    /** Set the carry table's rows, adding rows as needed. */
    const carry = async (pairs: [string, string][]) => {
      const table = s.page.getByTestId('carry-table');
      for (const [i, [output, input]] of pairs.entries()) {
        if ((await table.getByLabel(`Carry ${i + 1} output`).count()) === 0)
          await click(table.getByRole('button', { name: '+ Add carried pair' }));
        count.clicks += 4;
        await table.getByLabel(`Carry ${i + 1} output`).selectOption(output);
        await table.getByLabel(`Carry ${i + 1} input`).selectOption(input);
      }
    };

    it('groups the layer with Ctrl+G, names it, and chains two with weights of their own into net', async () => {
      const { page } = s;
      await select(
        'sequence_mlp',
        'residual_add_2',
        'rms_norm',
        'ffn',
        'residual_add_3',
        'rms_norm_2',
      );
      await press('Control+g');
      await node(page, 'group').waitFor();
      await rename('group', 'layer');
      await ownWeights('group');
      count.drags++;
      await row('layer').dragTo(pane(), { targetPosition: { x: 390, y: 750 } });
      await node(page, 'layer').waitFor();
      await ownWeights('layer');
      await wire('group', 'out', 'layer', 'x');
      await shot('layers');
      await select('group', 'layer');
      await press('Control+g');
      await node(page, 'group_2').waitFor();
      await rename('group_2', 'net');
      await shot('net');
    });

    it('groups x + y + z → net into latent_step and recurses it n times, carrying z', async () => {
      const { page } = s;
      await select('residual_add', 'group_2');
      await press('Control+g');
      await node(page, 'group').waitFor();
      await rename('group', 'latent_step');
      await wrap('group');
      await carry([['out', 'c']]);
      await typeIn(page.locator('#param-steps'), 'n');
      await until(
        async () => /×n=2/.test((await node(page, 'group_loop').textContent()) ?? ''),
        true,
      );
      await shot('latent-step');
    });

    /**
     * Let a wire from an output go on empty canvas, type in the menu that opens, Enter: the
     * picked node arrives wired. The spot is the first point near the port with only canvas
     * under it.
     */
    const looseWire = async (from: string, port: string, query: string) => {
      const { page } = s;
      const a = await handle(page, from, port, 'source').boundingBox();
      assert.ok(a);
      const x0 = a.x + a.width / 2;
      const y0 = a.y + a.height / 2;
      const around: [number, number][] = [];
      for (const r of [140, 200, 260, 320])
        for (const [dx, dy] of [
          [0, 1],
          [0.7, 0.7],
          [-0.7, 0.7],
          [1, 0],
          [-1, 0],
          [0.7, -0.7],
          [-0.7, -0.7],
        ])
          around.push([x0 + dx! * r, y0 + dy! * r]);
      // Only canvas under the point and a margin around it (a node menu needs no node there).
      const margin = [-60, 0, 60].flatMap((dx) => [-40, 0, 40].map((dy) => [dx, dy] as const));
      const bare = await pane().evaluate(
        (el, [points, pad]) =>
          points.map(([x, y]) =>
            pad.every(([dx, dy]) => el.ownerDocument.elementFromPoint(x + dx, y + dy) === el),
          ),
        [around, margin] as const,
      );
      const at = around[bare.indexOf(true)];
      const spot = at ? { x: at[0], y: at[1] } : null;
      assert.ok(spot, `no empty canvas near ${from}.${port}`);
      count.drags++;
      await page.mouse.move(x0, y0);
      await page.mouse.down();
      await page.mouse.move((x0 + spot.x) / 2, (y0 + spot.y) / 2, { steps: 5 });
      await page.mouse.move(spot.x, spot.y, { steps: 5 });
      await page.mouse.up();
      await page.getByTestId('node-menu').waitFor();
      count.keys += query.length;
      await page.keyboard.type(query);
      await press('Enter');
      await page.getByTestId('node-menu').waitFor({ state: 'detached' });
    };

    it('adds y ← net(y + z) and the heads, groups them into latent_recursion, exposes z', async () => {
      const { page } = s;
      await drop('residual-add', 390, 560);
      count.drags++;
      await row('net').dragTo(pane(), { targetPosition: { x: 390, y: 730 } });
      await node(page, 'net').waitFor();
      await drop('classifier-head', 650, 640);
      // The answer leaves out the P prefix positions; the halting head reads position 0.
      await typeIn(page.locator('#param-skip'), 'P');
      await drop('halting-head', 650, 820);
      await wire('latent_init', 'out', 'residual_add', 'a');
      await wire('group_loop', 'out', 'residual_add', 'b');
      await wire('residual_add', 'out', 'net', 'x');
      await wire('net', 'out', 'classifier_head', 'x');
      await wire('net', 'out', 'halting_head', 'x');
      await shot('latent-recursion-drawn');
      await select('group_loop', 'residual_add', 'net');
      await press('Control+g');
      await node(page, 'group').waitFor();
      await rename('group', 'latent_recursion');
      // Nothing outside reads z yet: open the body (Tab) and give think's z an output port.
      await select('group');
      await press('Tab');
      await node(page, 'group_loop').waitFor();
      await looseWire('group_loop', 'out', 'output');
      await node(page, 'component_output').waitFor();
      assert.equal(await page.locator('#param-name').inputValue(), 'out_2');
      await shot('latent-recursion-body');
      await press('Escape');
      await node(page, 'classifier_head').waitFor();
      await wrap('group');
      await carry([
        ['out', 'b'],
        ['out_2', 'c'],
      ]);
      await typeIn(page.locator('#param-steps'), 'T_rec');
      await typeIn(page.locator('#param-gradSteps'), '1');
      await until(
        async () => /×T_rec=2/.test((await node(page, 'group_loop').textContent()) ?? ''),
        true,
      );
      await shot('latent-recursion');
    });

    it('groups the deep recursion and its heads into deep_step and supervises it N_sup times', async () => {
      const { page } = s;
      await select('group_loop', 'classifier_head', 'halting_head');
      await press('Control+g');
      await node(page, 'group').waitFor();
      await rename('group', 'deep_step');
      await select('group');
      await press('Tab');
      await node(page, 'group_loop').waitFor();
      await shot('deep-step-grouped');
      // The group exposed a head's output; deep_step hands on y and z instead.
      await select('out_halt');
      await press('Delete');
      await node(page, 'out_halt').waitFor({ state: 'detached' });
      await looseWire('group_loop', 'out', 'output');
      await node(page, 'component_output').waitFor();
      await looseWire('group_loop', 'out_2', 'output');
      await node(page, 'component_output_2').waitFor();
      await shot('deep-step-body');
      await press('Escape');
      await node(page, 'group').waitFor();
      await wrap('group');
      await carry([
        ['out', 'b'],
        ['out_2', 'c'],
      ]);
      await typeIn(page.locator('#param-steps'), 'N_sup');
      await click(page.locator('#param-deepSupervision'));
      await until(
        async () => /deep supervision/.test((await node(page, 'group_loop').textContent()) ?? ''),
        true,
      );
      await press('f');
      await shot('drawn');
      assert.equal(await until(exactParams, target), target, 'the template’s parameter count');
      assert.equal(await page.getByTestId('total-params').textContent(), '105.7k');
    });

    it('trains from the Train panel as it opens, on the task the document declares, to a falling loss', async () => {
      const { page } = s;
      await click(page.getByTestId('toggle-train'));
      const source = page.getByRole('radiogroup', { name: 'Data source' });
      assert.equal(
        await source.getByRole('radio', { name: 'Generated task' }).getAttribute('aria-checked'),
        'true',
      );
      assert.equal(await page.getByLabel('Task', { exact: true }).inputValue(), 'sudoku');
      assert.equal(await page.locator('#task-size').inputValue(), '4');
      // A short run: a few steps, a quick warm-up, the template's learning rate.
      for (const [key, value] of Object.entries({ steps: '30', warmup: '3', lr: '0.003' }))
        await typeIn(page.locator(`#train-${key}`), value, 'Tab');
      await click(page.getByRole('button', { name: /Start training/ }));
      assert.equal(await until(() => runStatus(page), 'completed', 180_000), 'completed');
      await shot('trained');
      const runs = join(s.workspace, 'runs');
      const [run] = readdirSync(runs);
      assert.ok(run);
      const losses = readFileSync(join(runs, run, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type?: string; metrics?: { loss?: number } })
        .flatMap((e) =>
          e.type === 'step' && typeof e.metrics?.loss === 'number' ? [e.metrics.loss] : [],
        );
      assert.ok(losses.length >= 20, `${losses.length} steps recorded`);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const first = mean(losses.slice(0, 5));
      const last = mean(losses.slice(-5));
      assert.ok(last < first * 0.9, `loss fell: ${first.toFixed(3)} → ${last.toFixed(3)}`);
      console.log(
        `draw-trm: TRM-MLP 4×4 drawn from an empty canvas and trained with ${count.clicks} clicks, ${count.drags} drags and ${count.keys} keystrokes (${count.clicks + count.drags + count.keys} actions); loss ${first.toFixed(3)} → ${last.toFixed(3)} over ${losses.length} steps`,
      );
      assert.deepEqual(s.pageErrors, []);
    });
  },
);
