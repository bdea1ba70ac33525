import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parseDataArg } from '../../engine/data/data-arg.ts';
import { createDataSource } from '../../engine/data/index.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { SKIP_REASON, launchChromium } from '../e2e/harness.ts';
import { TEMPLATES, parityDocument } from './documents.ts';
import { bundleParityPage } from './page-bundle.ts';
import type { ParityPage } from './page.ts';
import {
  PARITY_CONFIG,
  compareRuns,
  recordSource,
  relativeErrors,
  trainFew,
  type ParityRun,
  type RecordedSource,
} from './parity.ts';

/**
 * Every template trains PARITY_CONFIG.steps steps on tfjs's WebGPU backend inside headless
 * Chromium, on SwiftShader's WebGPU adapter (CI has no GPU), through the same trainer code
 * bundled for the page (page.ts), and must match the CPU backend run here in Node on the same
 * recorded data stream from the same initial weights: losses and gradient norms per step
 * within parity.ts's tolerances, and exactly one read from the device per step.
 */

/**
 * WebGPU needs both "unsafe" switches on a machine without a GPU: the first exposes the API
 * on Linux, the second lets it run on SwiftShader. The adapter is pinned to SwiftShader so a
 * developer's GPU does not change what CI checks.
 */
const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
];

const require = createRequire(import.meta.url);
const missingPackage = (() => {
  try {
    require.resolve('@tensorflow/tfjs-backend-webgpu');
    return undefined;
  } catch {
    return 'skipped: @tensorflow/tfjs-backend-webgpu (an optional dependency) is not installed';
  }
})();

interface Reference {
  doc: GraphDocument;
  cpu: ParityRun;
  recorded: RecordedSource;
}

const references = new Map<string, Promise<Reference>>();

/** The CPU run of a template, recording its data stream (started once, awaited by its test). */
function reference(file: string): Promise<Reference> {
  let r = references.get(file);
  if (!r) {
    r = (async () => {
      const doc = parityDocument(file);
      const { source, recorded } = recordSource(
        await createDataSource(parseDataArg(undefined, doc), PARITY_CONFIG.seed),
      );
      return { doc, cpu: await trainFew(doc, source, 'cpu'), recorded };
    })();
    // Its own test reports a failure; started early, it must not count as unhandled meanwhile.
    r.catch(() => undefined);
    references.set(file, r);
  }
  return r;
}

function servePage(script: string): Promise<Server> {
  const html =
    '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>';
  const server = createServer((req, res) => {
    const js = req.url === '/page.js';
    res.setHeader('content-type', js ? 'text/javascript' : 'text/html');
    res.end(js ? script : html);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const fmt = (xs: number[]) => xs.map((e) => e.toExponential(1)).join(' ');

describe(
  'training on WebGPU in Chromium (SwiftShader) matches the CPU backend',
  { skip: SKIP_REASON || missingPackage || false },
  () => {
    let server: Server;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];

    before(async () => {
      server = await servePage(await bundleParityPage());
      browser = await launchChromium(WEBGPU_FLAGS);
      page = await browser.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') pageErrors.push(m.text());
      });
      // Served by this process: its event loop stays free (no CPU reference run yet) until the
      // page has loaded, and a loaded CI machine gets minutes, not the default 30 s.
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
        timeout: 180_000,
      });
      await page
        .waitForFunction(() => 'parity' in globalThis, undefined, { timeout: 180_000 })
        .catch((e: Error) => {
          throw new Error(`the parity page did not load: ${e.message} ${pageErrors.join(' | ')}`);
        });
      // The first template's CPU run goes on while the page warms up.
      void reference(TEMPLATES[0]!);
    });

    after(async () => {
      await browser?.close();
      server?.close();
    });

    it('the page finds a WebGPU adapter', async (t) => {
      const adapter = await page.evaluate(() =>
        (globalThis as unknown as { parity: ParityPage }).parity.adapter(),
      );
      assert.equal(typeof adapter, 'object', `no WebGPU adapter in Chromium: ${String(adapter)}`);
      t.diagnostic(`adapter: ${JSON.stringify(adapter)}`);
    });

    TEMPLATES.forEach((file, i) => {
      it(file, async (t) => {
        const { doc, cpu, recorded } = await reference(file);
        // The next template's CPU run overlaps this one's page run (the page is another process).
        const next = TEMPLATES[i + 1];
        if (next) void reference(next);
        const gpu = await page.evaluate(
          ([d, r]) => (globalThis as unknown as { parity: ParityPage }).parity.train(d, r),
          [doc, recorded] as const,
        );
        t.diagnostic(
          `parity ${file}: loss rel ${fmt(relativeErrors(cpu, gpu, 'losses'))}; ` +
            `grad norm rel ${fmt(relativeErrors(cpu, gpu, 'gradNorms'))}; ` +
            `device reads/step ${gpu.downloads.join(' ')}; ` +
            `ms/step cpu ${cpu.stepMs.map(Math.round).join(' ')}, webgpu ${gpu.stepMs.map(Math.round).join(' ')}`,
        );
        assert.equal(gpu.active, 'webgpu');
        assert.deepEqual(compareRuns(cpu, gpu), []);
        // One read per step (loss, norm, predictions together); nothing inside the step.
        assert.deepEqual(
          gpu.downloads,
          gpu.downloads.map(() => 1),
        );
        assert.deepEqual(pageErrors, []);
      });
    });
  },
);
