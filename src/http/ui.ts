// The web UI served by `crosswatch serve` at `/`: an alert queue with filters,
// an alert's evidence and investigation guide, triage, and for an IP (an
// alert's, or one typed in the filter) why each rule did or did not fire
// (GET /api/v1/explain/:ip). Plain HTML and one
// script; every value from an alert (user agents, signatures, names: attacker-
// controlled) is put on the page with textContent, never as HTML, and the
// Content-Security-Policy allows no inline or foreign script. The one HTML the
// page takes from the server is a rule's investigation guide, rendered from
// markdown and sanitised there (guideHtml in app.ts).

export const UI_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const STYLE = `
body { font: 14px system-ui, sans-serif; margin: 0; color: #1d2327; background: #f6f7f7; }
header { background: #1d2327; color: #fff; padding: 10px 16px; display: flex; gap: 16px; align-items: center; }
header h1 { font-size: 16px; margin: 0; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 12px; padding: 12px; }
section { background: #fff; border: 1px solid #dcdcde; border-radius: 4px; padding: 10px; overflow: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eee; vertical-align: top; word-break: break-word; }
tbody tr { cursor: pointer; } tbody tr:hover { background: #f0f6fc; } tr.selected { background: #dbeafe; }
form.filters { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 8px; }
input, select, button, textarea { font: inherit; }
.status { font-size: 12px; padding: 1px 6px; border-radius: 8px; background: #eee; }
pre { white-space: pre-wrap; background: #f6f7f7; padding: 8px; }
.muted { color: #646970; }
.event { border-top: 1px solid #dcdcde; margin-top: 8px; }
.event h4 { margin: 8px 0 4px; } .event h5 { margin: 6px 0 2px; font-size: 12px; text-transform: uppercase; color: #646970; }
.event dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0; }
.event dt { color: #646970; } .event dd { margin: 0; word-break: break-word; }
.who { margin-left: auto; } .who button { background: none; color: #fff; border: 1px solid #646970; border-radius: 3px; }
.notice { background: #f0c33c; color: #1d2327; padding: 1px 8px; border-radius: 8px; }
.guide h2 { font-size: 16px; } .guide code { background: #f6f7f7; }
.explain-rule { border-top: 1px solid #dcdcde; margin-top: 8px; } .explain-rule h4 { margin: 8px 0 4px; }
.fired { color: #b32d2e; font-weight: bold; } .quiet { color: #646970; font-weight: bold; }
`;

export const UI_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crosswatch</title><style>${STYLE}</style></head>
<body>
<header><h1>crosswatch</h1><span class="muted" id="summary"></span><span class="notice" id="quarantine" hidden></span><span class="who"><span id="who"></span> <button type="button" id="signout">Sign out</button></span></header>
<main>
<section>
<form class="filters" id="filters">
  <select name="rule"><option value="">all rules</option></select>
  <input name="ip" placeholder="source IP" size="16">
  <input name="user" placeholder="user" size="22">
  <select name="status"><option value="">open, acknowledged, closed</option><option>open</option><option>acknowledged</option><option>closed</option><option>withdrawn</option></select>
  <button type="submit">Filter</button>
  <button type="button" id="explain-ip" title="Why each rule did or did not fire for the source IP typed">Explain IP</button>
</form>
<table><thead><tr><th>last event</th><th>rule</th><th>source IP</th><th>users</th><th>first network alert</th><th>status</th></tr></thead>
<tbody id="alerts"></tbody></table>
<p><button id="more" hidden>More</button></p>
</section>
<section id="detail"><p class="muted">Select an alert to see why it fired.</p></section>
</main>
<script src="/ui.js"></script>
</body></html>
`;

export const LOGIN_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crosswatch: sign in</title><style>${STYLE}</style></head>
<body><header><h1>crosswatch</h1></header>
<main style="display:block;max-width:420px">
<section>
<p>Alerts name users and addresses: enter the API token the service was started with.</p>
<form method="post" action="/login">
  <input type="password" name="token" autocomplete="current-password" required size="40" aria-label="API token">
  <button type="submit">Sign in</button>
</form>
</section></main></body></html>
`;

// The page's script. Only textContent and DOM nodes: innerHTML once, for the
// guide the server sanitised (guide_html), nowhere else.
export const UI_JS = `'use strict';
const $ = (id) => document.getElementById(id);
const el = (tag, text, attrs) => {
  const n = document.createElement(tag);
  if (text !== undefined && text !== null) n.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
  return n;
};
let rules = {};
let next = null;
let selected = null;
// The signed-in session: its token's name and scopes, and the CSRF token every change carries.
let session = { name: '', scopes: [], csrf: '' };
const may = (scope) => session.scopes.includes(scope) || session.scopes.includes('admin');
const changeHeaders = (more) => Object.assign({ 'x-csrf-token': session.csrf }, more || {});

async function api(path, init) {
  const r = await fetch(path, Object.assign({ credentials: 'same-origin' }, init || {}));
  if (r.status === 401) { location.href = '/'; throw new Error('signed out'); }
  if (!r.ok) throw new Error('HTTP ' + r.status);
  return r.json();
}

function query() {
  const q = new URLSearchParams();
  for (const [k, v] of new FormData($('filters'))) if (v) q.set(k, String(v));
  q.set('limit', '50');
  return q;
}

function row(a) {
  const tr = el('tr', undefined, { 'data-id': a.event.id });
  const first = (a.crosswatch.evidence.network_alerts[0] || {});
  tr.append(
    el('td', a.event.end),
    el('td', a.rule.name),
    el('td', a.source ? a.source.ip : ''),
    el('td', a.user.name.slice(0, 3).join(', ') + (a.user.name.length > 3 ? ' +' + (a.user.name.length - 3) : '')),
    el('td', (first.signature || '') + (first['@timestamp'] ? ' (' + first['@timestamp'] + ')' : '')),
    el('td', a.crosswatch.status),
  );
  tr.addEventListener('click', () => show(a.event.id));
  return tr;
}

async function load(append) {
  const q = query();
  if (append && next) q.set('cursor', next);
  const page = await api('/api/v1/alerts?' + q);
  const body = $('alerts');
  if (!append) body.replaceChildren();
  for (const a of page.alerts) body.append(row(a));
  next = page.next;
  $('more').hidden = !next;
  $('summary').textContent = body.children.length + ' alert(s) shown';
}

function table(headers, rows) {
  const t = el('table');
  const h = el('tr');
  for (const x of headers) h.append(el('th', x));
  t.append(el('thead'));
  t.tHead.append(h);
  const b = el('tbody');
  for (const r of rows) { const tr = el('tr'); for (const c of r) tr.append(el('td', c === undefined ? '' : c)); b.append(tr); }
  t.append(b);
  return t;
}

const REQUIREMENT = { singleFactorAuthentication: 'single-factor', multiFactorAuthentication: 'multi-factor' };

// One evidence event under headings: its app and client, how it authenticated,
// conditional access, risk, where it came from. Empty parts are left out.
function evidenceEvent(e) {
  const box = el('div', undefined, { class: 'event' });
  box.append(el('h4', [e['@timestamp'], e.user, e.category || e.action].filter(Boolean).join(' · ')));
  const part = (heading, pairs) => {
    const shown = pairs.filter(([, v]) => v !== undefined && v !== null && v !== '');
    if (!shown.length) return;
    const dl = el('dl');
    for (const [k, v] of shown) dl.append(el('dt', k), el('dd', Array.isArray(v) ? v.join(', ') : v));
    box.append(el('h5', heading), dl);
  };
  const auth = e.authentication || {};
  const risk = e.risk || {};
  const loc = e.location || {};
  part('App and client', [['App', e.app], ['App ID', e.app_id], ['Client', e.client], ['Client app ID', e.client_app_id], ['User agent', e.user_agent]]);
  part('Authentication', [
    ['MFA requirement', auth.requirement && (REQUIREMENT[auth.requirement] ? REQUIREMENT[auth.requirement] + ' (' + auth.requirement + ')' : auth.requirement)],
    ['Methods used', auth.methods], ['Step results', auth.results], ['MFA detail', auth.mfa_detail],
  ]);
  part('Conditional Access', [['Status', e.conditional_access_status]]);
  part('Risk', [['During sign-in', risk.level_during_signin], ['State', risk.state], ['Aggregated', risk.level_aggregated], ['Detail', risk.detail]]);
  part('Location', [['Place', [loc.city, loc.region, loc.country].filter(Boolean).join(', ')]]);
  part('Record', [['Dataset', e.dataset], ['Action', e.action], ['Record ID', e.id]]);
  return box;
}

async function show(id) {
  selected = id;
  for (const tr of $('alerts').children) tr.classList.toggle('selected', tr.getAttribute('data-id') === id);
  const a = await api('/api/v1/alerts/' + encodeURIComponent(id));
  const ev = a.crosswatch.evidence;
  const d = $('detail');
  d.replaceChildren(
    el('h2', a.rule.name),
    el('p', a.message),
    el('p', (a.source ? 'Source IP ' + a.source.ip : 'No source IP') + ' · users ' + a.user.name.join(', ') + ' · status ' + a.crosswatch.status),
    ...(a.source ? [explainButton(a.source.ip)] : []),
    el('h3', 'Network alerts (' + ev.network_alert_count + ')'),
    table(['time', 'signature', 'sensor', 'dataset'], ev.network_alerts.map((n) => [n['@timestamp'], n.signature, n.sensor, n.dataset])),
    el('h3', 'Sign-ins and mail access (' + ev.event_count + ')'),
    ...ev.events.map(evidenceEvent),
  );
  if (ev.event_count > ev.events.length) d.append(el('p', (ev.event_count - ev.events.length) + ' more not shown', { class: 'muted' }));
  const triage = el('form', undefined, { id: 'triage', hidden: '' });
  if (may('triage')) triage.removeAttribute('hidden');
  const note = el('input', undefined, { name: 'note', placeholder: 'note', size: '30' });
  const by = el('input', undefined, { name: 'by', placeholder: 'analyst', size: '14' });
  triage.append(note, by);
  for (const status of ['acknowledged', 'closed', 'open']) {
    const b = el('button', status === 'open' ? 'Reopen' : status === 'closed' ? 'Close' : 'Acknowledge', { type: 'button', 'data-status': status });
    b.addEventListener('click', async () => {
      await api('/api/v1/alerts/' + encodeURIComponent(id), {
        method: 'PATCH', headers: changeHeaders({ 'content-type': 'application/json' }),
        body: JSON.stringify({ status, note: note.value || undefined, by: by.value || undefined }),
      });
      await load(false);
      await show(id);
    });
    triage.append(b);
  }
  if (may('triage')) d.append(el('h3', 'Triage'));
  d.append(triage);
  if ((a.crosswatch.triage || []).length) d.append(table(['when', 'status', 'by', 'note'], a.crosswatch.triage.map((t) => [t.at, t.status, t.by, t.note])));
  const rule = rules[a.rule.id];
  if (rule) {
    const guide = el('div', undefined, { class: 'guide' });
    guide.innerHTML = rule.guide_html; // sanitised by the server (app.ts guideHtml): the only HTML used as HTML
    d.append(el('h3', 'Investigation guide'), guide);
  }
}

// Why each rule did or did not fire for an IP (GET /api/v1/explain/:ip). Every
// value (signatures, users, user agents, reasons quoting them) goes in as text.
const VERDICTS = { matched: 'matched', failed: 'failed', duplicate: 'duplicate', 'not-matching': 'not taken', excluded: 'excluded',
  'no-alert': 'no alert', 'wrong-order': 'wrong order', 'outside-window': 'outside window', capped: 'capped' };

function explainRule(r, excluded) {
  const box = el('div', undefined, { class: 'explain-rule', 'data-rule': r.id });
  const h = el('h4', r.name + ' ');
  h.append(el('span', r.fired ? 'fired' : 'did not fire', { class: r.fired ? 'fired' : 'quiet' }));
  box.append(h, el('p', r.summary + ' (window ' + r.window + ')', { class: 'summary' }));
  if (r.reasons.length > 1) {
    const ul = el('ul', undefined, { class: 'reasons' });
    for (const x of r.reasons.slice(1)) ul.append(el('li', x));
    box.append(el('p', 'Also:', { class: 'muted' }), ul);
  }
  if (r.episodes.length) {
    box.append(el('h5', 'Episodes (alerts)'), table(['alert id', 'from', 'to', 'network alerts', 'events', 'users'],
      r.episodes.map((e) => [e.id, e.start, e.end, e.networkAlerts.length, e.events, e.users.join(', ')])));
  }
  const base = r.baseRules || {};
  box.append(el('h5', 'Network alerts' + (base.anchor ? ' (first base rule ' + base.anchor + ')' : '')));
  box.append(table(['time', 'signature', 'sensor', 'what it is to the rule'], r.alerts.map((a) => [a.at, a.signature, a.sensor,
    !a.anchor ? 'not an anchor: ' + a.miss : excluded ? 'set aside: ' + excluded.message : a.window.capped ? 'dropped: ' + a.window.reason
      : 'anchor: ' + a.window.users + ' user(s), ' + a.window.events + ' successful sign-in(s) or mail access(es) in its window (to ' + a.window.end + ')'])));
  if (r.alertsOmitted) box.append(el('p', r.alertsOmitted + ' more not shown', { class: 'muted' }));
  const noun = r.role === 'signin' ? 'Sign-ins' : 'Mail accesses';
  const counts = Object.entries(r.verdicts).map(([v, n]) => n + ' ' + (VERDICTS[v] || v)).join(', ');
  box.append(el('h5', noun + (base.qualifying ? ' (second base rule ' + base.qualifying + ')' : '') + (counts ? ': ' + counts : '')));
  box.append(table(['time', 'user', 'app / client', 'verdict', 'why'], r.events.map((e) => [e.at, e.user, [e.app, e.client].filter(Boolean).join(' / '),
    VERDICTS[e.verdict] || e.verdict, e.reason])));
  if (r.eventsOmitted) box.append(el('p', r.eventsOmitted + ' more not shown (the counts are complete)', { class: 'muted' }));
  return box;
}

// A rule of the general Sigma path (single-event detections, event_count,
// value_count, temporal, chains): its verdict, why, its episodes (alert ids),
// and per rule it references the records taken.
function explainGeneral(g) {
  const box = el('div', undefined, { class: 'explain-rule', 'data-rule': g.id });
  const h = el('h4', g.name + ' ');
  const verdict = g.fired === null ? 'not run' : g.fired ? 'fired' : 'did not fire';
  h.append(el('span', verdict, { class: g.fired ? 'fired' : 'quiet' }));
  box.append(h, el('p', g.summary, { class: 'summary' }));
  if (g.reasons && g.reasons.length > 1) {
    const ul = el('ul', undefined, { class: 'reasons' });
    for (const x of g.reasons.slice(1)) ul.append(el('li', x));
    box.append(el('p', 'Also:', { class: 'muted' }), ul);
  }
  if (g.kind === 'correlation') {
    box.append(el('p', g.shape + ', group-by ' + (g.groupBy.join(', ') || 'none') + ', timespan ' + g.timespan + ', condition ' + g.condition, { class: 'muted' }));
    if (g.episodes.length) {
      box.append(el('h5', 'Episodes (alerts)'), table(['alert id', 'from', 'to', 'group'],
        g.episodes.map((e) => [e.id, e.start, e.end, Object.entries(e.group).map(([k, v]) => k + ' ' + v).join(', ')])));
    }
    for (const i of g.inputs) {
      if (i.kind === 'correlation') {
        box.append(el('h5', i.ref + ': ' + i.inner.summary));
        continue;
      }
      box.append(el('h5', i.ref + ' (' + i.id + '): ' + i.matchedCount + ' record(s) taken'));
      box.append(table(['time', 'user', 'action', 'outcome'], i.matched.map((e) => [e.at, e.user, e.action, e.outcome])));
    }
  } else if (g.kind === 'detection') {
    box.append(el('h5', 'Records taken: ' + g.matchedCount));
    box.append(table(['time', 'user', 'action', 'alert'], g.matched.map((e) => [e.at, e.user, e.action, e.alert])));
    if (g.notMatched.sample.length) {
      box.append(el('h5', 'Not taken (' + g.notMatched.count + ')'));
      box.append(table(['time', 'user', 'why'], g.notMatched.sample.map((e) => [e.at, e.user, e.miss])));
    }
  }
  return box;
}

async function explainPanel(ip) {
  const panel = el('div', undefined, { id: 'explain' });
  const x = await api('/api/v1/explain/' + encodeURIComponent(ip));
  const c = x.counts;
  panel.append(
    el('h3', 'Why each rule did or did not fire for ' + x.ip),
    el('p', c.networkAlerts + ' network alert(s), ' + c.signins + ' sign-in(s), ' + c.mailAccesses + ' mail access(es) stored; maxUsersPerIp ' +
      x.settings.maxUsersPerIp + (x.settings.maxEventsPerIp !== null ? ', maxEventsPerIp ' + x.settings.maxEventsPerIp : '') +
      ', allowlist ' + (x.settings.allow.length ? x.settings.allow.join(', ') : 'none')),
  );
  if (x.excluded) panel.append(el('p', x.excluded.message, { class: 'notice' }));
  for (const r of x.rules) panel.append(explainRule(r, x.excluded));
  for (const g of x.general || []) panel.append(explainGeneral(g));
  panel.append(el('p', x.source.note, { class: 'muted' }));
  return panel;
}

async function showExplain(ip, into) {
  const old = $('explain');
  if (old) old.remove();
  let panel;
  try {
    panel = await explainPanel(ip);
  } catch (err) {
    panel = el('p', 'Cannot explain ' + ip + ': ' + err.message, { id: 'explain', class: 'muted' });
  }
  into.append(panel);
  panel.scrollIntoView();
}

function explainButton(ip) {
  const b = el('button', 'Explain this IP', { type: 'button', id: 'explain-this' });
  b.addEventListener('click', () => showExplain(ip, $('detail')));
  return b;
}

// Records dated ahead of the service's clock wait in quarantine: say so, they are not in any alert yet.
async function quarantine() {
  const q = (await api('/api/v1/status')).quarantine;
  const n = $('quarantine');
  n.hidden = !q || q.events === 0;
  if (!n.hidden) n.textContent = q.events + ' event(s) dated ahead of the service clock held in quarantine (' + q.earliest + ' to ' + q.latest + ')';
}

async function main() {
  session = await api('/api/v1/session');
  $('who').textContent = session.name;
  $('signout').addEventListener('click', async () => {
    await fetch('/logout', { method: 'POST', credentials: 'same-origin', headers: changeHeaders() });
    location.href = '/';
  });
  quarantine().catch(() => {});
  const list = await api('/api/v1/rules');
  const select = document.querySelector('select[name=rule]');
  for (const r of list.rules) { rules[r.id] = r; select.append(el('option', r.name, { value: r.id })); }
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); load(false); });
  $('explain-ip').addEventListener('click', () => {
    const ip = document.querySelector('input[name=ip]').value.trim();
    if (!ip) return;
    selected = null;
    for (const tr of $('alerts').children) tr.classList.remove('selected');
    $('detail').replaceChildren();
    showExplain(ip, $('detail'));
  });
  $('more').addEventListener('click', () => load(true));
  await load(false);
}
main().catch((err) => { $('summary').textContent = 'error: ' + err.message; });
`;
