// What explain (explain.ts, explain-general.ts) says when a Sigma detection does
// not take an event: its log source, else the failing selections' first failing
// fields with the event's values and the rule lines (sigma/match.ts
// explainDetection). Shared by the built-in correlator's rules and the general
// Sigma path's.
import type { NormalizedEvent } from '../model/event.js';
import { fieldsOf } from '../model/fields.js';
import { explainDetection, type DetectionExplanation, type FieldMiss } from '../sigma/match.js';
import type { DetectionRule as SigmaDetection, LogSource } from '../sigma/types.js';
import { logSourceTest } from './logsource.js';

/** A record's value as a reason quotes it: JSON, cut at 120 characters; "absent" when there is none. */
export function shown(v: unknown): string {
  if (v === undefined) return 'absent';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

export function missText(m: FieldMiss): string {
  const mods = m.modifiers.length > 0 ? `|${m.modifiers.join('|')}` : '';
  const wanted = m.values.length === 1 ? m.values[0]! : `one of ${m.values.join(', ')}`;
  if (m.field === null) return `no keyword ${mods}${wanted} in the record`;
  return `${m.field} is ${shown(m.actual)}, the rule wants ${m.field}${mods}: ${wanted}`;
}

export function baseName(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(i + 1) : file;
}

/** "product azure, service signinlogs". */
export function logSourceText(ls: LogSource): string {
  return Object.entries(ls).map(([k, v]) => `${k} ${String(v)}`).join(', ');
}

/** Why a Sigma detection does not take an event: its log source, else the failing selections' first failing fields. */
export function sigmaMiss(rule: SigmaDetection, ev: NormalizedEvent): string {
  const source = logSourceTest(rule.logsource);
  if (typeof source !== 'string' && !source(ev)) {
    return `not in the log source of ${rule.id} (${logSourceText(rule.logsource)}): ${ev.crosswatch.role} of dataset ${ev.event.dataset}`;
  }
  const d: DetectionExplanation = explainDetection(rule, fieldsOf(ev));
  const failing = d.selections.filter((s) => !s.matched);
  const file = baseName(rule.file);
  const parts = failing.map((s) => {
    const misses = s.misses.map((m) => `${missText(m)} (${file}:${m.line})`);
    return `${s.name}: ${misses.length > 0 ? misses.join(' or ') : 'no match'}`;
  });
  const condition = rule.conditionText.join(' | ');
  if (d.matched) return `${rule.id} takes it, yet the compiled test does not`; // cannot happen: the same rule
  const states = d.selections.map((s) => `${s.name} ${s.matched ? 'matches' : 'does not match'}`).join(', ');
  return parts.length > 0 && failing.length === d.selections.length
    ? `${rule.id} does not take it: ${parts.join('; ')}`
    : `${rule.id} does not take it: its condition "${condition}" does not hold (${states})${parts.length > 0 ? `; ${parts.join('; ')}` : ''}`;
}
