// The sweep's figure for docs/performance.md (issue #18): hunt's ratio to tuned
// DuckDB and its peak RSS against the share of identity records from alerted
// IPs, one line per size and input shape, with the goals drawn in. Plain SVG,
// written from one or more results files of `npm run bench -- --sweep-only`
// (later files' points replace earlier ones'):
//
//   node --import tsx bench/plot-sweep.ts bench/results/A.json [B.json …] > docs/sweep.svg
import { readFileSync } from 'node:fs';

interface Point { size: number; mix: string; reached: number; ratio: number; huntRssMB: number; exact: boolean }

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node --import tsx bench/plot-sweep.ts RESULTS.json [MORE.json …] > sweep.svg\n');
  process.exit(2);
}
const byKey = new Map<string, Point>();
for (const f of files) {
  const r = JSON.parse(readFileSync(f, 'utf8')) as { sweep?: Point[] };
  for (const p of r.sweep ?? []) byKey.set(`${p.size} ${p.mix} ${p.reached.toFixed(3)}`, p);
}
const points = [...byKey.values()];
if (points.length === 0) throw new Error('no sweep points in those files');
const series = new Map<string, Point[]>();
for (const p of points) {
  const k = `${p.size >= 1e6 ? `${p.size / 1e6}M` : `${p.size / 1e3}k`} ${p.mix}`;
  series.set(k, [...(series.get(k) ?? []), p]);
}
for (const s of series.values()) s.sort((a, b) => a.reached - b.reached);

const W = 360;
const H = 240;
const M = { left: 52, right: 12, top: 28, bottom: 40 };
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const DASH = (k: string): string => (k.endsWith('ndjson') ? '5 3' : '');
// Shares from 0.1 % to 50 %: a log axis.
const xs = [0.001, 0.01, 0.1, 0.5];
const x = (share: number): number => M.left + ((Math.log10(share) - Math.log10(0.001)) / (Math.log10(0.6) - Math.log10(0.001))) * (W - M.left - M.right);
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function panel(dx: number, title: string, value: (p: Point) => number, max: number, ticks: number[], goal: number, goalLabel: string, unit: string): string {
  const y = (v: number): number => M.top + (1 - Math.min(v, max) / max) * (H - M.top - M.bottom);
  const out: string[] = [`<g transform="translate(${dx},0)">`];
  out.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  for (const t of ticks) out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end">${t}${unit}</text>`);
  for (const s of xs) out.push(`<line x1="${x(s)}" x2="${x(s)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/><text x="${x(s)}" y="${H - M.bottom + 14}" text-anchor="middle">${s * 100} %</text>`);
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle">identity records from alerted IPs (log)</text>`);
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(goal)}" y2="${y(goal)}" stroke="#000" stroke-dasharray="2 2"/><text x="${W - M.right - 2}" y="${y(goal) - 4}" text-anchor="end">${esc(goalLabel)}</text>`);
  let i = 0;
  for (const [k, ps] of series) {
    const c = COLOURS[Math.floor(i++ / 2) % COLOURS.length]!;
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" stroke-dasharray="${DASH(k)}" points="${ps.map((p) => `${x(p.reached).toFixed(1)},${y(value(p)).toFixed(1)}`).join(' ')}"/>`);
    for (const p of ps) out.push(`<circle cx="${x(p.reached).toFixed(1)}" cy="${y(value(p)).toFixed(1)}" r="3" fill="${p.exact ? c : '#fff'}" stroke="${c}"/>`);
  }
  out.push('</g>');
  return out.join('\n');
}

const maxRss = Math.max(512, Math.ceil(Math.max(...points.map((p) => p.huntRssMB)) / 128) * 128);
const legend = [...series.keys()].map((k, i) => {
  const c = COLOURS[Math.floor(i / 2) % COLOURS.length]!;
  return `<g transform="translate(${M.left + i * 120},${H + 8})"><line x1="0" x2="24" y1="0" y2="0" stroke="${c}" stroke-width="2" stroke-dasharray="${DASH(k)}"/><text x="30" y="4">${esc(k)}</text></g>`;
}).join('\n');
process.stdout.write(`<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 24}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
${panel(0, 'hunt vs tuned DuckDB (DuckDB s / hunt s)', (p) => p.ratio, 4, [0, 1, 2, 3, 4], 3, 'goal 3×', '×')}
${panel(W, 'hunt peak RSS', (p) => p.huntRssMB, maxRss, Array.from({ length: maxRss / 128 + 1 }, (_, i) => i * 128), 256, 'goal 256 MB', '')}
${legend}
</svg>
`);
