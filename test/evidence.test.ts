// The evidence an analyst asks for first: each qualifying event of an alert says
// how the account authenticated (MFA requirement, methods), what conditional
// access made of it, the sign-in's risk, where it came from, and which app and
// client — the same from `hunt` (slim events, one thread or several, fast scan
// or not) as from serve (stored rows), in the table and over the API; and the
// investigation guide is served as sanitised HTML.
// The records are our own: an invented tenant and users, public-looking addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules } from '../src/detect/rules.js';
import type { AlertDocument, EvidenceEvent } from '../src/model/alert.js';
import { buildConfig } from '../src/detect/config.js';
import { decodeRecord } from '../src/decoders/index.js';
import { eventDetail } from '../src/model/event.js';
import { runBatch } from '../src/hunt/batch.js';
import { slimEvent } from '../src/hunt/batch-file.js';
import { storedDoc, storedEvent } from '../src/store/rows.js';
import { StreamPipeline } from '../src/stream/stream.js';
import { buildApp, guideHtml } from '../src/http/app.js';
import { alertsTable } from '../src/outputs/table.js';
import { expandInputs } from '../src/inputs/inputs.js';
import { frameLine, type FramedItem } from '../src/inputs/framing.js';
import { SqliteStore } from '../src/store/sqlite-store.js';

const IP = '185.220.101.7';
const DECODE = { defaultOffsetMinutes: 0, reference: { ms: Date.UTC(2026, 5, 1), ns: 0 } };
const SIGNIN_RULE = 'cw-entra-signin-after-network-alert';
const MAIL_RULE = 'cw-m365-mail-access-after-network-alert';

const EVE = {
  timestamp: '2026-04-07T08:00:00.000000+0000', flow_id: 731902845512001, event_type: 'alert', src_ip: IP, src_port: 40112,
  dest_ip: '10.40.0.8', dest_port: 443, proto: 'TCP', host: 'ids-edge-02',
  alert: { action: 'allowed', gid: 1, signature_id: 2522006, rev: 3, signature: 'ET TOR Known Tor Exit Node Traffic group 7', category: 'Misc Attack', severity: 2 },
};

// An Azure Monitor diagnostic record: a wrong password, the right one, a push approved.
const SIGNIN = {
  time: '2026-04-07T08:15:31.0000000Z', category: 'SignInLogs', operationName: 'Sign-in activity', resultType: '0', callerIpAddress: IP,
  tenantId: 'c0ffee00-1111-4222-8333-444455556666', location: 'EE',
  properties: {
    id: '7d1e0c2a-4b6f-4e21-9c3d-5a8b7f6e0d11', createdDateTime: '2026-04-07T08:15:30.1234567+00:00',
    userPrincipalName: 'lena.fischer@fabrikam-labs.example', userId: '0b5c9d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e',
    appId: '00000002-0000-0ff1-ce00-000000000000', appDisplayName: 'Office 365 Exchange Online', clientAppUsed: 'Browser',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0', ipAddress: IP, status: { errorCode: 0 },
    authenticationRequirement: 'multiFactorAuthentication',
    authenticationDetails: [
      { authenticationStepDateTime: '2026-04-07T08:15:01Z', authenticationMethod: 'Password', succeeded: false, authenticationStepResultDetail: 'Invalid username or password or Invalid on-premise username or password.' },
      { authenticationStepDateTime: '2026-04-07T08:15:12Z', authenticationMethod: 'Password', succeeded: true, authenticationStepResultDetail: 'Correct password' },
      { authenticationStepDateTime: '2026-04-07T08:15:29Z', authenticationMethod: 'Mobile app notification', succeeded: true, authenticationStepResultDetail: 'MFA successfully completed' },
    ],
    conditionalAccessStatus: 'success', riskLevelDuringSignIn: 'medium', riskState: 'atRisk', riskLevelAggregated: 'high', riskDetail: 'none',
    location: { city: 'Tallinn', state: 'Harjumaa', countryOrRegion: 'EE', geoCoordinates: { latitude: 59.43, longitude: 24.75 } },
  },
};

// The mailbox read through Microsoft Graph by a client application.
const MAIL = {
  CreationTime: '2026-04-07T09:02:10', Id: 'a1c3e5f7-0b2d-4f6a-8c0e-1a3c5e7f9b2d', Operation: 'MailItemsAccessed', OrganizationId: 'c0ffee00-1111-4222-8333-444455556666',
  RecordType: 50, ResultStatus: 'Succeeded', Workload: 'Exchange', UserId: 'lena.fischer@fabrikam-labs.example', ClientIPAddress: IP,
  AppId: '00000003-0000-0000-c000-000000000000', ClientAppId: '5c0f1d7e-8a2b-4c3d-9e4f-a1b2c3d4e5f6', ClientInfoString: 'Client=REST;Client=RESTSystem;;',
  OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }], OperationCount: 4,
};

const WANT_SIGNIN: EvidenceEvent = {
  '@timestamp': '2026-04-07T08:15:30.1234567Z',
  user: 'lena.fischer@fabrikam-labs.example',
  app: 'Office 365 Exchange Online',
  app_id: '00000002-0000-0ff1-ce00-000000000000',
  client: 'Browser',
  user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0',
  authentication: { requirement: 'multiFactorAuthentication', methods: ['Password', 'Mobile app notification'], results: ['Correct password', 'MFA successfully completed'] },
  conditional_access_status: 'success',
  risk: { level_during_signin: 'medium', state: 'atRisk', level_aggregated: 'high', detail: 'none' },
  location: { city: 'Tallinn', region: 'Harjumaa', country: 'EE' },
  category: 'SignInLogs',
  action: 'Sign-in activity',
  dataset: 'azure.signinlogs',
  id: '7d1e0c2a-4b6f-4e21-9c3d-5a8b7f6e0d11',
};

const WANT_MAIL: EvidenceEvent = {
  '@timestamp': '2026-04-07T09:02:10.000Z',
  user: 'lena.fischer@fabrikam-labs.example',
  app_id: '00000003-0000-0000-c000-000000000000',
  client: 'Client=REST;Client=RESTSystem;;',
  client_app_id: '5c0f1d7e-8a2b-4c3d-9e4f-a1b2c3d4e5f6',
  category: 'MailItemsAccessed',
  action: 'MailItemsAccessed',
  dataset: 'o365.audit',
  id: 'a1c3e5f7-0b2d-4f6a-8c0e-1a3c5e7f9b2d',
};

const LINES = [JSON.stringify(EVE), JSON.stringify(SIGNIN), JSON.stringify(MAIL)];

function scenarioDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cw-evidence-'));
  writeFileSync(join(dir, 'eve.json'), `${LINES[0]}\n`);
  writeFileSync(join(dir, 'signins.json'), `${LINES[1]}\n`);
  writeFileSync(join(dir, 'audit.json'), `[${LINES[2]}]\n`);
  return dir;
}

function byRule(alerts: AlertDocument[]): Map<string, AlertDocument> {
  return new Map(alerts.map((a) => [a.rule.id, a]));
}

async function hunt(opts: { threads: number; fastScan: boolean }): Promise<AlertDocument[]> {
  const files = (await expandInputs([scenarioDir()])).files;
  const res = await runBatch(files, { config: buildConfig({}), rules: loadRules(), decode: DECODE, now: () => new Date('2026-06-01T00:00:00Z'), ...opts });
  return res.alerts;
}

test('hunt: the evidence keeps MFA, conditional access, risk, location, app and client (one thread or two, fast scan or not)', { timeout: 60_000 }, async () => {
  for (const threads of [1, 2]) {
    for (const fastScan of [false, true]) {
      const alerts = byRule(await hunt({ threads, fastScan }));
      const how = `threads ${threads}, fastScan ${fastScan}`;
      assert.deepEqual(alerts.get(SIGNIN_RULE)?.crosswatch.evidence.events, [WANT_SIGNIN], how);
      assert.deepEqual(alerts.get(MAIL_RULE)?.crosswatch.evidence.events, [WANT_MAIL], how);
    }
  }
});

test('serve: the same records over HTTP give the same evidence (the stored rows keep it), and the guides as sanitised HTML', { timeout: 60_000 }, async () => {
  const batch = byRule(await hunt({ threads: 1, fastScan: false }));
  const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'cw-evidence-serve-')), 'data'));
  const pipeline = new StreamPipeline(store, { config: buildConfig({}), rules: loadRules(), allowedLatenessMs: 24 * 3_600_000, decode: DECODE });
  const app = buildApp({ store, pipeline, pool: null, token: 'tok-evidence-0123456789', bodyLimit: 1 << 20, rules: loadRules() });
  const headers = { authorization: 'Bearer tok-evidence-0123456789' };
  try {
    // Sign-in and mail first, the network alert last: the events come back from the store to be correlated.
    const ingest = await app.inject({ method: 'POST', url: '/api/v1/ingest', headers, payload: `${LINES[1]}\n${LINES[2]}\n` });
    assert.equal(ingest.statusCode, 200, ingest.body);
    const late = await app.inject({ method: 'POST', url: '/api/v1/ingest', headers, payload: `${LINES[0]}\n` });
    assert.equal(late.statusCode, 200, late.body);
    const list = await app.inject({ method: 'GET', url: '/api/v1/alerts', headers });
    const served = byRule((list.json() as { alerts: AlertDocument[] }).alerts);
    assert.equal(served.size, 2);
    for (const rule of [SIGNIN_RULE, MAIL_RULE]) {
      assert.deepEqual(served.get(rule)?.crosswatch.evidence.events, batch.get(rule)?.crosswatch.evidence.events, rule);
    }
    assert.deepEqual(served.get(SIGNIN_RULE)?.crosswatch.evidence.events, [WANT_SIGNIN]);

    const rules = (await app.inject({ method: 'GET', url: '/api/v1/rules', headers })).json() as { rules: Array<{ id: string; guide: string; guide_html: string }> };
    assert.equal(rules.rules.length, 2);
    for (const r of rules.rules) {
      assert.match(r.guide, /^## /m, `${r.id}: the markdown is still there`);
      assert.match(r.guide_html, /^<h2>[^<]+<\/h2>/, `${r.id}: a heading`);
      assert.match(r.guide_html, /<ul>\s*<li>/, `${r.id}: a list`);
      assert.doesNotMatch(r.guide_html, /^##|\*\*/m, `${r.id}: no markdown source left`);
    }
  } finally {
    await app.close();
    store.close();
  }
});

// More shapes for the round trip: mfaDetail, a country by name, an Azure AD logon's ApplicationId.
const MORE = [
  { TimeGenerated: '2026-04-07T10:00:05Z', Type: 'SigninLogs', CreatedDateTime: '2026-04-07T10:00:01Z', Id: 'la-1', IPAddress: IP, ResultType: '0',
    UserPrincipalName: 'old.account@fabrikam-labs.example', AuthenticationRequirement: 'multiFactorAuthentication', MfaDetail: '{"authMethod":"Text message","authDetail":"+X XXXXXXXX47"}' },
  { '@timestamp': '2026-04-07T10:05:00.000Z', 'event.dataset': 'azure.signinlogs', 'event.outcome': 'success', 'event.id': 'ecs-1', 'source.ip': IP,
    'source.geo.city_name': 'Luxembourg', 'source.geo.country_name': 'Luxembourg', 'azure.signinlogs.properties.risk_state': 'none' },
  { CreationTime: '2026-04-07T10:10:00', Id: 'aad-1', Operation: 'UserLoggedIn', Workload: 'AzureActiveDirectory', RecordType: 15, ResultStatus: 'Success',
    UserId: 'lena.fischer@fabrikam-labs.example', ClientIP: IP, ApplicationId: '4765445b-32c6-49b0-83e6-1d93765276ca' },
].map((r) => JSON.stringify(r));

test('hunt\'s slim events and serve\'s stored rows keep exactly what the evidence shows, and not the rest', () => {
  const framed: FramedItem[] = [];
  [...LINES, ...MORE].forEach((l, i) => frameLine(l, { source: 'evidence', line: i + 1 }, framed));
  let checked = 0;
  for (const item of framed) {
    if (item.kind === 'problem') assert.fail(item.message);
    const d = decodeRecord(item, DECODE);
    assert.ok(d.result.ok);
    const full = d.result.event;
    const role = full.event.crosswatch.role;
    if (role === 'network_alert') continue;
    const want = eventDetail(full.event);
    assert.ok(want !== undefined, role);
    assert.deepEqual(eventDetail(slimEvent(full).event), want, `${role}: slim event`);
    const doc = storedDoc(full.event);
    assert.deepEqual(eventDetail(storedEvent(role, IP, full.at.ms, full.at.ns, doc).event), want, `${role}: stored row`);
    // A failed step is not evidence, and is not kept.
    assert.doesNotMatch(doc, /Invalid username/);
    checked++;
  }
  assert.equal(checked, 5);
  // Rows a store wrote before the detail existed still load (no detail, nothing invented).
  const old = storedEvent('signin', IP, 0, 0, JSON.stringify(['azure.signinlogs', 'entra-signin', 'SignInLogs', 'Sign-in activity', 'success', 'x', null, 'u@x.example', 1]));
  assert.equal(eventDetail(old.event), undefined);
});

test('the table shows the essentials of the first event: app and client, MFA, conditional access and risk, place', async () => {
  const alerts = await hunt({ threads: 1, fastScan: false });
  const text = alertsTable(alerts);
  for (const want of ['Office 365 Exchange Online (Browser)', 'MFA: multi-factor; Password, Mobile app notification', 'CA success · risk medium/atRisk',
    'Tallinn, Harjumaa, EE', '00000003-0000-0000-c000-000000000000 (Client=REST;Client=RESTSystem;;)']) {
    assert.ok(text.includes(want), `table lacks ${want}:\n${text}`);
  }
  // Attacker-written methods cannot break the terminal.
  const hostile = structuredClone(alerts);
  const ev = hostile.find((a) => a.rule.id === SIGNIN_RULE)!.crosswatch.evidence.events[0]!;
  ev.authentication = { requirement: 'multiFactorAuthentication', methods: ['Pass\u001b[2Jword\r\nEvil'] };
  const out = alertsTable(hostile);
  assert.ok(out.includes('Pass [2Jword  Evil'));
  assert.ok(!out.includes('\u001b'));
});

test('guides: markdown becomes headings, lists and http(s) links; script, event handlers and javascript: links never survive', () => {
  const html = guideHtml([
    '## Check the IP', '',
    '<script>window.__pwned = 1</script>', '',
    '<img src=x onerror="window.__pwned = 2">', '',
    '- a [javascript link](javascript:alert(1)) and a [JaVaScRiPt one](JaVaScRiPt:alert(1))',
    '- a [data link](data:text/html;base64,PHNjcmlwdD4=) and a [web link](https://learn.microsoft.com/en-us/entra/) and **bold** `code`',
    '- an autolink <javascript:alert(3)> and raw <a href="javascript:alert(4)" onclick="x()">anchor</a>', '',
    '```', '<b>not bold</b>', '```',
  ].join('\n'));
  assert.match(html, /<h2>Check the IP<\/h2>/);
  assert.match(html, /<li>a /);
  assert.match(html, /<a href="https:\/\/learn\.microsoft\.com\/en-us\/entra\/" rel="noopener noreferrer">web link<\/a>/);
  assert.match(html, /<strong>bold<\/strong> <code>code<\/code>/);
  assert.match(html, /<pre><code>&lt;b&gt;not bold&lt;\/b&gt;/);
  // Nothing that runs: no script or img element, no handler attribute, no link but the https one.
  assert.doesNotMatch(html, /<script|<img|<iframe/i);
  assert.doesNotMatch(html, /<[^>]*\son\w+\s*=/i);
  assert.deepEqual([...html.matchAll(/<a\s[^>]*href="([^"]*)"/g)].map((m) => m[1]), ['https://learn.microsoft.com/en-us/entra/']);
  // What was HTML in the markdown is shown as text.
  assert.match(html, /&lt;script&gt;window.__pwned = 1&lt;\/script&gt;/);
  // The shipped guides render.
  for (const r of loadRules()) {
    const g = guideHtml(r.guide);
    assert.match(g, /^<h2>/, r.id);
    assert.ok((g.match(/<li>/g) ?? []).length >= 5, r.id);
  }
});
