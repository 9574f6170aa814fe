// What a field table says: for each ECS field crosswatch's normalized event has,
// where a target keeps it for one table of a log source. A field is listed only
// where the target's schema carries the value crosswatch's decoder puts there
// when it reads that table's records; anything else has no column and the
// conversion refuses (never a guess). The tables are fields-elastic.ts,
// fields-kql.ts and fields-spl.ts; sources.ts picks them for a log source.
import { cannot } from './escape.js';
import type { Pred } from './ir.js';

export type Family = 'elastic' | 'sentinel' | 'splunk';
export type ValueType = 'string' | 'ip' | 'number' | 'date';

export type Column =
  /** A field, or the first non-empty of several (crosswatch's fallbacks, in its order). */
  | { kind: 'field'; names: readonly string[]; type: ValueType; multi?: boolean }
  /** A target-native expression, written in the table (never rule text). */
  | { kind: 'expr'; expr: string; type: ValueType }
  /** Every row has these values; none: crosswatch never sets the field for these rows. */
  | { kind: 'const'; values: readonly string[] }
  /** The field takes one of a few values, each given by a test: target-native text, or a Pred over the table's fields. */
  | { kind: 'enum'; cases: ReadonlyArray<readonly [value: string, test: string | Pred]> };

/** One table (index, search) of a log source, with what is needed to query it. */
export interface Source {
  /** Sources with the same key read the same rows (one sub-query serves them in a correlation). */
  key: string;
  /** The table, index pattern or search, as messages name it. */
  label: string;
  /** The tables and which of their rows, in words, for docs/rules-convert.md (default: label). */
  doc?: string;
  /** ES|QL/EQL: index patterns (comma-separated); KQL: a tabular expression; SPL: search terms. */
  from: string;
  /** SPL: an eval test that a row came from `from` (a correlation searches several). */
  is?: string;
  /** A target-native test narrowing `from` to the log source. */
  guard?: string;
  /** The same as a Pred over the table's fields (printed like a rule). */
  filter?: Pred;
  time: Column;
  /** Columns of the ECS fields a rule may name. */
  fields: Readonly<Record<string, Column>>;
  /** Columns only the table's own Preds (filter, cases) use: raw fields that are no crosswatch field. */
  internal?: Readonly<Record<string, Column>>;
}

export const f = (name: string, type: ValueType = 'string'): Column => ({ kind: 'field', names: [name], type });
export const multi = (name: string): Column => ({ kind: 'field', names: [name], type: 'string', multi: true });
export const first = (...names: string[]): Column => ({ kind: 'field', names, type: 'string' });
export const expr = (e: string, type: ValueType = 'string'): Column => ({ kind: 'expr', expr: e, type });
export const k = (...values: string[]): Column => ({ kind: 'const', values });
/** A field crosswatch never sets for the table's rows: every test of it is false. */
export const ABSENT: Column = { kind: 'const', values: [] };
export const cases = (...c: Array<readonly [string, string | Pred]>): Column => ({ kind: 'enum', cases: c });
export const same = (...names: string[]): Record<string, Column> => Object.fromEntries(names.map((n) => [n, f(n)]));
export const absent = (...names: string[]): Record<string, Column> => Object.fromEntries(names.map((n) => [n, ABSENT]));

export const SP = 'azure.signinlogs.properties';
/** The sign-in detail crosswatch keeps under Elastic's names (src/model/event.ts). */
export const SIGNIN_PROPS = ['authentication_requirement', 'conditional_access_status', 'risk_level_during_signin', 'risk_state',
  'risk_level_aggregated', 'risk_detail', 'app_id'].map((p) => `${SP}.${p}`);
/** Docs: the M365 audit records a log source takes. */
export const SIGNIN_ROWS = 'UserLoggedIn and UserLoginFailed of the AzureActiveDirectory workload';
export const EXCHANGE_ROWS = 'the Exchange workload, or MailItemsAccessed';
export const O365_IDS = ['AppId', 'ClientAppId', 'ApplicationId', 'ClientInfoString'].map((n) => `o365.audit.${n}`);

/** The column of an ECS field in a source, or a refusal naming both. */
export function columnOf(src: Source, field: string, internal = false): Column {
  const own = (m: Readonly<Record<string, Column>> | undefined): Column | undefined =>
    m !== undefined && Object.prototype.hasOwnProperty.call(m, field) ? m[field] : undefined;
  return own(src.fields) ?? (internal ? own(src.internal) : undefined) ?? cannot(`field ${field} has no column in ${src.label}`);
}
