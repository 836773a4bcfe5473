// The window's first listing against a change that overtakes it: main answers the page's `list`
// call, a sandbox is made before that reply reaches the page, and the `sandboxes` event saying so
// arrives first. The window must keep the newer listing, not the reply it raced.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startDesktop, type Bridge, type Desktop } from '../lib/desktop-bridge.js';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';

describe('the window\'s first listing', { timeout: 120_000 }, () => {
  let e: Env;
  let desktop: Desktop | undefined;
  let bridge: Bridge;
  let page: Page;

  before(async () => {
    e = sandtrayEnv('desktop-listing');
    Object.assign(process.env, e.env);
    await e.ok(['create', 'early']);
    desktop = await startDesktop();
    ({ bridge, page } = desktop);
  });
  after(async () => {
    await desktop?.close();
    await e?.cleanup();
  });

  it('a sandboxes event that arrives before the reply to the first list is kept', async () => {
    let replied: string[] | null = null;
    let shownBeforeReply: string[] = [];
    // The page's first `list`: main has read the listing ("early" only); before the reply leaves,
    // "late" is made and the feed's event for it reaches the page, which shows it.
    bridge.holdReply('list', async (value) => {
      replied = (value as { name: string }[]).map((s) => s.name);
      await bridge.waitForClients();
      await e.ok(['create', 'late']);
      await page.waitForSelector('#sandbox-list .sb-item[data-name="late"]', { timeout: 30_000 });
      shownBeforeReply = await names();
    });
    // The page asks for pending files once it has used the reply: by then the list is redrawn.
    let afterReply: string[] = [];
    bridge.holdReply('file-pending', async () => {
      afterReply = await names();
    });
    const names = (): Promise<string[]> => page.$$eval('#sandbox-list .sb-item', (l) => l.map((x) => x.getAttribute('data-name') ?? ''));
    await page.goto(bridge.newWindow().url);
    // Bounded: the page makes this call right after it used the reply.
    for (let i = 0; i < 600 && afterReply.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(replied, ['early'], 'the reply was read before "late" existed');
    assert.deepEqual(shownBeforeReply, ['early', 'late'], 'the event reached the page first');
    assert.deepEqual(afterReply, ['early', 'late'], 'the older reply did not replace the newer listing');
    assert.deepEqual(await names(), ['early', 'late']);
  });

  it('a sandbox the window went to before the listing had it is shown once it is there', async () => {
    // As after "Create and start" from a file: the route names the sandbox before it exists.
    await page.evaluate(() => {
      location.hash = '#/sandbox/made-after';
    });
    await page.waitForFunction(() => document.querySelector('#content h1')?.textContent?.includes('No sandbox named made-after'), null, { timeout: 30_000 });
    // The page shown meanwhile is that of another sandbox; it is the one the route must replace.
    await e.ok(['create', 'made-after']);
    await page.waitForSelector('#sandbox-list .sb-item[data-name="made-after"]', { timeout: 30_000 });
    await page.waitForSelector('#state-pill', { timeout: 30_000 });
    assert.equal(await page.locator('#content h1:has-text("No sandbox named")').count(), 0);
    assert.match(await page.textContent('.page-head') ?? '', /made-after/);
  });
});
