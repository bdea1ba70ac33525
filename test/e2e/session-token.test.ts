import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openApp, SKIP_REASON, type Session } from './harness.ts';

/**
 * The session token as a person meets it: the printed address opens the app and the token
 * leaves the address bar (it moves into a cookie, so a reload keeps working); the same address
 * without the token, in a browser that never had it, says what is wrong and what to open.
 */
describe('the session token in browser mode', { skip: SKIP_REASON }, () => {
  let s: Session;
  before(async () => {
    s = await openApp();
  });
  after(async () => s?.close());

  it('opens the app from the printed address; the token leaves the address bar', async () => {
    await s.page.locator('[data-template]').first().waitFor();
    assert.equal(new URL(s.page.url()).search, '', 'no ?token= left in the address bar');
    await s.page.reload();
    await s.page.locator('[data-template]').first().waitFor();
    await s.page.screenshot({ path: 'test-results/session-token-opened.png' });
    assert.deepEqual(s.pageErrors, []);
  });

  it('an address without its token says so, and which address to open', async () => {
    const fresh = await s.browser.newContext();
    const page = await fresh.newPage();
    await page.goto(`http://127.0.0.1:${s.host.port}/`);
    await page
      .getByText(/This address lacks its session token/)
      .first()
      .waitFor({ timeout: 20_000 });
    await page.screenshot({ path: 'test-results/session-token-missing.png' });
    await fresh.close();
  });
});
