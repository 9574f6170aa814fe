// The web UI's "Explain this IP" panel in a real browser (Debian's Chromium
// through playwright-core), against the service's app on loopback: from an
// alert's page and from an IP typed in the filter, per rule fired or not and
// why — and attacker-controlled strings (signature, user agent, user) show as
// text, never run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { loadRules } from '../src/detect/rules.js';
import { buildConfig } from '../src/detect/config.js';
import { StreamPipeline } from '../src/stream/stream.js';
import { buildApp } from '../src/http/app.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { alertLine, items, signinLine } from './scenario-lines.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'explain-ui-token-0123456789abcdef012345';
const HOSTILE_SIG = 'ET SCAN <script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

test('web UI: Explain this IP, from an alert and from the IP filter; attacker strings stay text', { timeout: 120_000, skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-explain-ui-'));
  const store = new SqliteStore(join(dir, 'data'));
  const rules = loadRules();
  const pipeline = new StreamPipeline(store, {
    config: buildConfig({}), rules, allowedLatenessMs: 24 * 3_600_000,
    decode: { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 2, 2), ns: 0 } },
  });
  const eve = JSON.parse(alertLine('81.2.69.160', '2026-03-02T10:00:00Z')) as { alert: { signature: string } };
  eve.alert.signature = HOSTILE_SIG;
  const signin = JSON.parse(signinLine('81.2.69.160', '2026-03-02T11:00:00Z', '<img src=x onerror="window.__pwned=3">@contoso.com')) as { properties: { userAgent: string } };
  signin.properties.userAgent = '<img src=x onerror="window.__pwned=4">Mozilla/5.0';
  pipeline.ingest(items(
    JSON.stringify(eve), JSON.stringify(signin), signinLine('81.2.69.160', '2026-03-02T19:00:00Z', 'late@contoso.com'),
    // Another IP: a sign-in before its only alert.
    alertLine('81.2.69.161', '2026-03-02T10:00:00Z'), signinLine('81.2.69.161', '2026-03-02T09:00:00Z'),
  ));
  const app = buildApp({ store, pipeline, pool: null, token: TOKEN, bodyLimit: 1 << 20, rules });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    await page.goto(`${base}/`);
    await page.fill('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForSelector('#alerts tr');
    await page.locator('#alerts tr').first().click();
    await page.waitForSelector('#detail h2');
    await page.click('#explain-this');
    await page.waitForSelector('#explain .explain-rule');

    const panel = page.locator('#explain');
    assert.equal(await panel.locator('h3').first().textContent(), 'Why each rule did or did not fire for 81.2.69.160');
    const signinRule = panel.locator('.explain-rule[data-rule=cw-entra-signin-after-network-alert]');
    assert.equal(await signinRule.locator('h4 .fired').textContent(), 'fired');
    assert.match((await signinRule.locator('.summary').textContent()) ?? '', /^fired: 1 episode\(s\) \([0-9a-f]{32}\)/);
    const text = (await signinRule.textContent()) ?? '';
    // The signature, the user and the reasons as text.
    assert.ok(text.includes(HOSTILE_SIG), text);
    assert.ok(text.includes('<img src=x onerror="window.__pwned=3">@contoso.com'), text);
    assert.match(text, /outside the window: 2026-03-02T19:00:00\.000Z is 9h after the last network alert before it \(2026-03-02T10:00:00\.000Z\); window 8h/);
    assert.match(text, /1 matched, 1 outside window/);
    // The alert id of the episode is the alert shown.
    const alertId = store.listAlerts({ limit: 1 }).alerts[0]!.doc.event.id;
    assert.ok(text.includes(alertId));
    const mail = panel.locator('.explain-rule[data-rule=cw-m365-mail-access-after-network-alert]');
    assert.equal(await mail.locator('h4 .quiet').textContent(), 'did not fire');
    assert.equal(await mail.locator('.summary').textContent(), 'did not fire: no mail access from this IP (window 8h)');
    assert.match((await panel.textContent()) ?? '', /events already evicted\) are not here/);

    await page.screenshot({ path: join(tmpdir(), 'crosswatch-explain-ui.png'), fullPage: true });

    // From the filter: an IP with no alert raised, and why.
    await page.fill('input[name=ip]', '81.2.69.161');
    await page.click('#explain-ip');
    await page.locator('#explain h3', { hasText: '81.2.69.161' }).waitFor();
    assert.equal(await page.locator('#explain').count(), 1);
    assert.equal(
      await page.locator('#explain .explain-rule[data-rule=cw-entra-signin-after-network-alert] .summary').textContent(),
      'did not fire: wrong order: 2026-03-02T09:00:00.000Z is 1h before the first network alert at 2026-03-02T10:00:00.000Z (window 8h)',
    );
    // Something that is no IP: the API's 400, said in the panel.
    await page.fill('input[name=ip]', 'no-ip');
    await page.click('#explain-ip');
    await page.locator('#explain', { hasText: 'Cannot explain no-ip: HTTP 400' }).waitFor();

    assert.equal(await page.evaluate('window.__pwned'), undefined);
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(dialogs, []);
  } finally {
    await browser.close();
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
