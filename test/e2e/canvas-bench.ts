/**
 * Canvas benchmark (not a test: timings are measured, never asserted). A generated 500-node
 * graph: validation + shape inference per edit in Node, then in Chromium the time from an
 * inspector edit to the canvas showing it, and frame times while panning.
 *
 *   node --import tsx test/e2e/canvas-bench.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphEdge, GraphNode } from '../../engine/graph/schema.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import { analyzeDocument } from '../../engine/graph/analyze.ts';
import { hasChromium, node, openApp } from './harness.ts';

/** Token input, embedding, 166 pre-norm attention blocks (3 nodes each), LM head: 501 nodes. */
export function bigDocument(blocks = 166) {
  const nodes: GraphNode[] = [
    {
      id: 'in',
      kind: 'token-input',
      params: { vocab: 'V', maxLength: 'T' },
      position: { x: 0, y: 0 },
    },
    {
      id: 'emb',
      kind: 'token-embedding',
      params: { vocab: 'V', width: 'D' },
      position: { x: 0, y: 100 },
    },
  ];
  const edges: GraphEdge[] = [
    { from: { node: 'in', port: 'tokens' }, to: { node: 'emb', port: 'tokens' } },
  ];
  const wire = (a: string, b: string, port: string) =>
    edges.push({ from: { node: a, port: 'out' }, to: { node: b, port } });
  let prev = 'emb';
  for (let i = 0; i < blocks; i++) {
    const y = 200 + i * 160;
    nodes.push(
      { id: `n${i}`, kind: 'layer-norm', params: { width: 'D' }, position: { x: 0, y } },
      {
        id: `a${i}`,
        kind: 'attention',
        params: { width: 'D', heads: 'H' },
        position: { x: 300, y },
      },
      { id: `r${i}`, kind: 'residual-add', params: {}, position: { x: 600, y } },
    );
    wire(prev, `n${i}`, 'x');
    wire(`n${i}`, `a${i}`, 'x');
    wire(`a${i}`, `r${i}`, 'a');
    wire(prev, `r${i}`, 'b');
    prev = `r${i}`;
  }
  nodes.push({
    id: 'head',
    kind: 'lm-head',
    params: { width: 'D', vocab: 'V' },
    position: { x: 0, y: 200 + blocks * 160 },
  });
  wire(prev, 'head', 'x');
  return {
    version: 1,
    name: 'Deep stack',
    dims: { V: 96, D: 128, H: 4, T: 64 },
    main: { nodes, edges },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Median ms of parse + validation + shape inference + counts on a generated graph. */
function validationMs(blocks: number, runs: number): { nodes: number; ms: number } {
  const doc = bigDocument(blocks);
  const times: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const t = performance.now();
    const parsed = parseDocument(doc);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
    analyzeDocument(parsed.doc);
    times.push(performance.now() - t);
  }
  return { nodes: doc.main.nodes.length, ms: median(times.slice(3)) };
}

async function main(): Promise<void> {
  // 50, 500 and 2000 nodes (3 per block, plus input, embedding and head).
  for (const blocks of [16, 166, 666]) {
    const r = validationMs(blocks, blocks > 500 ? 10 : 30);
    console.log(
      `parse + validate + shapes + counts, ${r.nodes} nodes: median ${r.ms.toFixed(1)} ms`,
    );
  }
  if (!hasChromium) return console.log('skipped the browser part: /usr/bin/chromium is absent');

  const workspace = mkdtempSync(join(tmpdir(), 'trm-bench-'));
  writeFileSync(join(workspace, 'big.trm.json'), JSON.stringify(bigDocument()));
  const s = await openApp(workspace);
  try {
    const { page } = s;
    await page.locator('[data-template]').first().waitFor();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+o');
    await page.locator('[data-file="big.trm.json"]').click();
    // Only visible nodes are rendered at this size: edit one that is on screen.
    const first = page.locator('.react-flow__node[data-id^="a"]').first();
    await first.waitFor();
    const id = (await first.getAttribute('data-id')) as string;
    const edits: number[] = [];
    for (const value of ['6', 'H', '6', 'H', '6', 'H']) {
      await node(page, id).locator('.trm-node-title').click();
      const field = page.locator('#param-heads');
      await field.fill(value);
      const t = performance.now();
      await field.press('Enter');
      await node(page, id)
        .locator(value === '6' ? '.has-error' : '.trm-node:not(.has-error)')
        .waitFor();
      edits.push(performance.now() - t);
    }
    console.log(
      `inspector edit → canvas updated (browser, incl. Playwright round trip): median ${median(edits).toFixed(0)} ms`,
    );
    const box = await page.locator('.react-flow__pane').boundingBox();
    if (!box) throw new Error('no pane');
    // A string, so the bundler cannot wrap the callback in helpers the page lacks.
    await page.evaluate(
      'window.frames_ = []; (function tick(t) { window.frames_.push(t); requestAnimationFrame(tick); })(0)',
    );
    await page.mouse.move(box.x + box.width / 2, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 300, box.y + box.height - 40, { steps: 120 });
    await page.mouse.up();
    const frames = await page.evaluate(
      () => (globalThis as unknown as { frames_: number[] }).frames_,
    );
    const gaps = frames.slice(1).map((t, i) => t - (frames[i] as number));
    const sorted = [...gaps].sort((a, b) => a - b);
    console.log(
      `panning: ${gaps.length} frames, median ${median(gaps).toFixed(1)} ms, p95 ${(sorted[Math.floor(sorted.length * 0.95)] ?? NaN).toFixed(1)} ms (headless, software rendering)`,
    );
  } finally {
    await s.close();
    rmSync(workspace, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.filename.endsWith(process.argv[1].replace(/^.*[\\/]/, ''))) {
  await main();
}
