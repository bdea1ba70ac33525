import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT, serve } from '../../engine/host/main.ts';
import type { RunningHost } from '../../engine/host/server.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const SKIP_REASON = hasChromium
  ? false
  : `skipped: ${CHROMIUM} is absent (install Debian's chromium: apt-get install -y chromium)`;

export interface Session {
  host: RunningHost;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  workspace: string;
  /** Errors the page logged; a test that saw none proves the console stayed clean. */
  pageErrors: string[];
  close(): Promise<void>;
}

let built: string | undefined;

/**
 * Build the renderer from the current sources once per test process (a stale build lies),
 * into a folder of its own: e2e files run in parallel, and one emptying a shared
 * renderer/dist while another's page loads or reloads leaves that page blank.
 */
export async function buildRenderer(): Promise<string> {
  if (built) return built;
  const { build } = await import('vite');
  const outDir = mkdtempSync(join(tmpdir(), 'trm-renderer-'));
  await build({
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
  process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));
  built = outDir;
  return outDir;
}

/**
 * Debian's Chromium, headless, as every browser test starts it (`npx playwright install`
 * cannot download here); `extraArgs` adds flags, such as WebGPU on SwiftShader.
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      ...extraArgs,
    ],
  });
}

/** A web host on a free port over a temporary workspace, and headless Chromium on it. */
export async function openApp(workspace?: string): Promise<Session> {
  const staticDir = await buildRenderer();
  const dir = workspace ?? mkdtempSync(join(tmpdir(), 'trm-e2e-'));
  mkdirSync(dir, { recursive: true });
  const host = await serve({ port: 0, workspace: dir, log: () => undefined, staticDir });
  const browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1600, height: 1000 },
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  page.on('dialog', (d) => void d.accept());
  await page.goto(host.url);
  return {
    host,
    browser,
    context,
    page,
    workspace: dir,
    pageErrors,
    async close() {
      await browser.close();
      await host.close();
      if (!workspace) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Pick a template from the gallery shown on start and wait for its nodes. */
export async function loadTemplate(page: Page, id: string): Promise<void> {
  await page.locator(`[data-template="${id}"]`).click();
  await page.locator('.modal-backdrop').waitFor({ state: 'detached' });
  await page.locator('.react-flow__node').first().waitFor();
}

/**
 * Open a template on the Train panel with trainer settings typed into their fields
 * (`#train-<key>`), as a person sets up a short run.
 */
export async function openTrainPanel(
  page: Page,
  template: string,
  settings: Record<string, string>,
): Promise<void> {
  await page.locator('[data-template]').first().waitFor();
  await loadTemplate(page, template);
  await page.getByTestId('toggle-train').click();
  await page.getByTestId('train-panel').waitFor();
  for (const [key, value] of Object.entries(settings)) {
    await page.locator(`#train-${key}`).fill(value);
  }
}

export const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);

export const handle = (page: Page, nodeId: string, port: string, type: 'source' | 'target') =>
  node(page, nodeId).locator(`.react-flow__handle.${type}[data-handleid="${port}"]`);

/** Drag a wire from one handle to another with real pointer moves, as a person would. */
export async function drawWire(
  page: Page,
  from: { node: string; port: string },
  to: { node: string; port: string },
): Promise<void> {
  const a = await handle(page, from.node, from.port, 'source').boundingBox();
  const b = await handle(page, to.node, to.port, 'target').boundingBox();
  if (!a || !b)
    throw new Error(`handles not visible: ${from.node}.${from.port} → ${to.node}.${to.port}`);
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

/** Poll until `read()` returns `expected` (the UI updates a frame after input), then compare. */
export async function until<T>(read: () => Promise<T>, expected: T, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let got = await read();
  while (got !== expected && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 25));
    got = await read();
  }
  return got;
}

/** The Train panel's run status word: starting, running, paused, completed, stopped, failed. */
export async function runStatus(page: Page): Promise<string | undefined> {
  return ((await page.getByTestId('run-status').textContent()) ?? '').split(' ')[0];
}
