// The detection of DESIGN.md §1 written in DuckDB SQL over the raw exports, in two
// variants: as a user would first write it (read_json_auto / read_csv_auto, schema
// inference over everything) and tuned (explicit columns, explicit formats,
// preserve_insertion_order = false, 2 threads). Both share the same detection query
// over a view `ev(kind, ip, t_ns, usr)`; only the readers (and settings) differ.
//
// IP canonicalisation is simplified with respect to crosswatch (ipaddr.js):
//  - strips whitespace, "[v6]:port", "v4:port", a "%zone", the "::ffff:" prefix of a
//    dotted IPv4-mapped address, and lower-cases;
//  - IPv6 is keyed in the fully expanded, zero-padded form (2a0d:5600:0024:00a1:...)
//    instead of RFC 5952 compression (the bench maps crosswatch's and the truth's
//    addresses to that form before comparing);
//  - no validation beyond "looks like a dotted quad or has a colon": IPv4 with leading
//    zeros, IPv4-mapped addresses written in hex (::ffff:c000:0201), IPv4-compatible
//    and other exotic spellings are not recognised (the generator writes none).
// The special-purpose ranges are the same list as src/model/ip.ts, as predicates on
// that key. Times are compared as epoch nanoseconds (TIMESTAMP_NS): Entra writes 100 ns
// digits and the generator plants a case 100 ns past the window edge, which a
// microsecond TIMESTAMP would get wrong.

export const WINDOW_NS = 8n * 3_600_000_000_000n;
export const MAX_USERS_PER_IP = 20;

/**
 * The files of one dataset, by kind (absolute paths). The optional kinds are the
 * NDJSON mix's (generate --mix ndjson); absent means none.
 */
export interface DatasetFiles {
  eve: string[];
  /** User sign-ins, Azure Monitor diagnostic NDJSON. */
  entraNdjson: string[];
  /** Service-principal and managed-identity sign-ins, diagnostic NDJSON. */
  entraSpNdjson?: string[];
  entraRecords: string[];
  graph: string[];
  /** Management Activity API content blobs (JSON arrays). */
  m365: string[];
  /** Management Activity API records, one a line. */
  m365Ndjson?: string[];
  purview: string[];
}

export type Variant = 'untuned' | 'tuned';

const list = (files: string[]): string => `[${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}]`;

/** Macros shared by both variants: the simplified canonical IP key and the special-range test. */
export const MACROS = `
CREATE OR REPLACE MACRO cw_strip(s) AS CASE
  WHEN s IS NULL THEN NULL
  WHEN starts_with(trim(s), '[') THEN split_part(split_part(trim(s), ']', 1), '[', 2)
  WHEN length(trim(s)) - length(replace(trim(s), ':', '')) = 1 THEN split_part(trim(s), ':', 1)
  ELSE split_part(trim(s), '%', 1) END;
CREATE OR REPLACE MACRO cw_unmap(s) AS CASE
  WHEN starts_with(lower(s), '::ffff:') AND contains(s, '.') THEN substr(s, 8)
  ELSE lower(s) END;
CREATE OR REPLACE MACRO cw_groups(s) AS CASE WHEN s = '' THEN []::VARCHAR[] ELSE string_split(s, ':') END;
CREATE OR REPLACE MACRO cw_v6(s) AS array_to_string(list_transform(
  CASE WHEN contains(s, '::') THEN list_concat(list_concat(
      cw_groups(split_part(s, '::', 1)),
      list_transform(range(8 - len(cw_groups(split_part(s, '::', 1))) - len(cw_groups(split_part(s, '::', 2)))), x -> '0')),
      cw_groups(split_part(s, '::', 2)))
  ELSE string_split(s, ':') END, g -> lpad(g, 4, '0')), ':');
CREATE OR REPLACE MACRO cw_key(u) AS CASE
  WHEN u IS NULL OR u = '' THEN NULL
  WHEN contains(u, ':') THEN cw_v6(u)
  WHEN regexp_full_match(u, '[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}') THEN u
  ELSE NULL END;
CREATE OR REPLACE MACRO cw_ip(s) AS cw_key(cw_unmap(cw_strip(s)));
CREATE OR REPLACE MACRO cw_special4(a, b, s) AS
  a = 0 OR a = 10 OR a = 127 OR a >= 224
  OR (a = 100 AND b BETWEEN 64 AND 127) OR (a = 169 AND b = 254) OR (a = 172 AND b BETWEEN 16 AND 31)
  OR (a = 192 AND b = 168) OR (a = 198 AND b IN (18, 19))
  OR starts_with(s, '192.0.0.') OR starts_with(s, '192.0.2.') OR starts_with(s, '192.31.196.')
  OR starts_with(s, '192.52.193.') OR starts_with(s, '192.88.99.') OR starts_with(s, '192.175.48.')
  OR starts_with(s, '198.51.100.') OR starts_with(s, '203.0.113.');
CREATE OR REPLACE MACRO cw_special(s) AS CASE
  WHEN contains(s, ':') THEN
    s = '0000:0000:0000:0000:0000:0000:0000:0000' OR s = '0000:0000:0000:0000:0000:0000:0000:0001'
    OR starts_with(s, '0064:ff9b:0001:') OR starts_with(s, '0100:0000:0000:0000:')
    OR starts_with(s, '2001:00') OR starts_with(s, '2001:01') OR starts_with(s, '2001:0db8:')
    OR starts_with(s, 'fc') OR starts_with(s, 'fd')
    OR starts_with(s, 'fe8') OR starts_with(s, 'fe9') OR starts_with(s, 'fea') OR starts_with(s, 'feb')
    OR starts_with(s, 'ff')
  ELSE cw_special4(TRY_CAST(split_part(s, '.', 1) AS INTEGER), TRY_CAST(split_part(s, '.', 2) AS INTEGER), s) END;
`;

/**
 * The detection over `ev(kind, ip, t_ns, usr)`, kind one of alert / signin / mail,
 * where signin and mail rows are successful ones only. Returns (rule, ip) pairs.
 * The IP key is computed once per distinct raw spelling (the macros are string
 * surgery; applied per row they cost more than reading the JSON).
 */
export const DETECTION = `
WITH evm AS MATERIALIZED (SELECT * FROM ev),
keys AS (
  SELECT raw, cw_ip(raw) AS ip FROM (SELECT DISTINCT ip AS raw FROM evm WHERE ip IS NOT NULL)
),
pubkeys AS (SELECT raw, ip FROM keys WHERE ip IS NOT NULL AND NOT cw_special(ip)),
pub AS (
  SELECT evm.kind, pubkeys.ip, evm.t_ns, evm.usr FROM evm JOIN pubkeys ON pubkeys.raw = evm.ip
),
a AS (SELECT DISTINCT ip, t_ns AS ta FROM pub WHERE kind = 'alert'),
q AS (SELECT ip, t_ns, usr, kind FROM pub WHERE kind <> 'alert'),
m AS (
  SELECT a.ip, a.ta, q.kind, q.usr
  FROM a JOIN q ON q.ip = a.ip AND q.t_ns >= a.ta AND q.t_ns <= a.ta + ${WINDOW_NS}
),
capped AS (
  SELECT ip, ta FROM m GROUP BY ip, ta HAVING count(DISTINCT usr) <= ${MAX_USERS_PER_IP}
)
SELECT DISTINCT
  CASE m.kind WHEN 'signin' THEN 'cw-entra-signin-after-network-alert' ELSE 'cw-m365-mail-access-after-network-alert' END AS rule,
  m.ip
FROM m JOIN capped USING (ip, ta)
ORDER BY rule, ip
`;

/** Successful outcome predicates, shared. */
const M365_OK = `lower(ResultStatus) IN ('succeeded', 'success', 'true')`;
const M365_QUALIFY = `(Operation = 'MailItemsAccessed' OR (Operation = 'UserLoggedIn' AND Workload = 'AzureActiveDirectory'))`;
const m365Kind = (op: string): string => `CASE ${op} WHEN 'MailItemsAccessed' THEN 'mail' ELSE 'signin' END`;
const M365_KIND = m365Kind('Operation');

/** As a user would first write it: auto-detected schemas everywhere, default settings. */
export function untunedView(f: DatasetFiles): string {
  const parts: string[] = [];
  if (f.eve.length > 0) {
    parts.push(`SELECT 'alert' AS kind, src_ip AS ip, epoch_ns(timestamp::TIMESTAMP_NS) AS t_ns, NULL::VARCHAR AS usr
  FROM read_json_auto(${list(f.eve)}) WHERE event_type = 'alert'`);
  }
  if (f.entraNdjson.length > 0) {
    parts.push(`SELECT 'signin', coalesce(nullif(properties.ipAddress, ''), nullif(callerIpAddress, '')),
    epoch_ns(properties.createdDateTime::TIMESTAMP_NS), properties.userPrincipalName
  FROM read_json_auto(${list(f.entraNdjson)}, union_by_name = true)
  WHERE coalesce(properties.status.errorCode = 0, resultType = '0')`);
  }
  const entraSp = f.entraSpNdjson ?? [];
  if (entraSp.length > 0) {
    parts.push(`SELECT 'signin', coalesce(nullif(properties.ipAddress, ''), nullif(callerIpAddress, '')),
    epoch_ns(properties.createdDateTime::TIMESTAMP_NS), properties.servicePrincipalName
  FROM read_json_auto(${list(entraSp)}, union_by_name = true)
  WHERE coalesce(properties.status.errorCode = 0, resultType = '0')`);
  }
  if (f.entraRecords.length > 0) {
    parts.push(`SELECT 'signin', coalesce(nullif(r.properties.ipAddress, ''), nullif(r.callerIpAddress, '')),
    epoch_ns(r.properties.createdDateTime::TIMESTAMP_NS), r.properties.servicePrincipalName
  FROM (SELECT unnest(records) AS r FROM read_json_auto(${list(f.entraRecords)}, union_by_name = true))
  WHERE coalesce(r.properties.status.errorCode = 0, r.resultType = '0')`);
  }
  if (f.graph.length > 0) {
    parts.push(`SELECT 'signin', v.ipAddress, epoch_ns(v.createdDateTime::TIMESTAMP_NS), v.userPrincipalName
  FROM (SELECT unnest(value) AS v FROM read_json_auto(${list(f.graph)}, union_by_name = true))
  WHERE v.status.errorCode = 0`);
  }
  // read_json_auto tells arrays from NDJSON itself: one reader for both M365 framings.
  for (const files of [f.m365, f.m365Ndjson ?? []]) {
    if (files.length === 0) continue;
    parts.push(`SELECT ${M365_KIND}, coalesce(nullif(ClientIPAddress, ''), nullif(ClientIP, ''), nullif(ActorIpAddress, '')),
    epoch_ns(CreationTime::TIMESTAMP_NS), UserId
  FROM read_json_auto(${list(files)}, union_by_name = true)
  WHERE ${M365_QUALIFY} AND ${M365_OK}`);
  }
  if (f.purview.length > 0) {
    parts.push(`SELECT ${M365_KIND}, coalesce(nullif(d->>'ClientIPAddress', ''), nullif(d->>'ClientIP', ''), nullif(d->>'ActorIpAddress', '')),
    epoch_ns((d->>'CreationTime')::TIMESTAMP_NS), coalesce(d->>'UserId', UserIds)
  FROM (SELECT *, AuditData::JSON AS d, d->>'Operation' AS Operation, d->>'Workload' AS Workload, d->>'ResultStatus' AS ResultStatus
        FROM read_csv_auto(${list(f.purview)}))
  WHERE ${M365_QUALIFY} AND ${M365_OK}`);
  }
  return `CREATE OR REPLACE TEMP VIEW ev AS\n${parts.join('\nUNION ALL\n')};`;
}

const ENTRA_PROPS = `STRUCT(createdDateTime VARCHAR, ipAddress VARCHAR, userPrincipalName VARCHAR, servicePrincipalName VARCHAR, status STRUCT(errorCode BIGINT))`;
const M365_COLS = `CreationTime: 'VARCHAR', Operation: 'VARCHAR', Workload: 'VARCHAR', ResultStatus: 'VARCHAR', UserId: 'VARCHAR', ClientIPAddress: 'VARCHAR', ClientIP: 'VARCHAR', ActorIpAddress: 'VARCHAR'`;

/** Tuned: explicit columns and formats, no sampling, strings parsed only where needed. */
export function tunedView(f: DatasetFiles): string {
  const parts: string[] = [];
  if (f.eve.length > 0) {
    parts.push(`SELECT 'alert' AS kind, src_ip AS ip, epoch_ns(timestamp::TIMESTAMP_NS) AS t_ns, NULL::VARCHAR AS usr
  FROM read_json(${list(f.eve)}, format = 'newline_delimited', records = true, sample_size = 1,
                 columns = {timestamp: 'VARCHAR', event_type: 'VARCHAR', src_ip: 'VARCHAR'})
  WHERE event_type = 'alert'`);
  }
  // Explicit columns name users and applications alike: one reader for both diagnostic NDJSON kinds.
  for (const files of [f.entraNdjson, f.entraSpNdjson ?? []]) {
    if (files.length === 0) continue;
    parts.push(`SELECT 'signin', coalesce(nullif(properties.ipAddress, ''), nullif(callerIpAddress, '')),
    epoch_ns(properties.createdDateTime::TIMESTAMP_NS), coalesce(properties.userPrincipalName, properties.servicePrincipalName)
  FROM read_json(${list(files)}, format = 'newline_delimited', records = true, sample_size = 1,
                 columns = {resultType: 'VARCHAR', callerIpAddress: 'VARCHAR', properties: '${ENTRA_PROPS}'})
  WHERE coalesce(properties.status.errorCode = 0, resultType = '0')`);
  }
  if (f.entraRecords.length > 0) {
    parts.push(`SELECT 'signin', coalesce(nullif(r.properties.ipAddress, ''), nullif(r.callerIpAddress, '')),
    epoch_ns(r.properties.createdDateTime::TIMESTAMP_NS), coalesce(r.properties.userPrincipalName, r.properties.servicePrincipalName)
  FROM (SELECT unnest(records) AS r FROM read_json(${list(f.entraRecords)}, format = 'auto', records = true, sample_size = 1,
        columns = {records: 'STRUCT(resultType VARCHAR, callerIpAddress VARCHAR, properties ${ENTRA_PROPS})[]'}))
  WHERE coalesce(r.properties.status.errorCode = 0, r.resultType = '0')`);
  }
  if (f.graph.length > 0) {
    parts.push(`SELECT 'signin', v.ipAddress, epoch_ns(v.createdDateTime::TIMESTAMP_NS), coalesce(v.userPrincipalName, v.servicePrincipalName)
  FROM (SELECT unnest(value) AS v FROM read_json(${list(f.graph)}, format = 'auto', records = true, sample_size = 1,
        columns = {value: '${ENTRA_PROPS}[]'}))
  WHERE v.status.errorCode = 0`);
  }
  for (const [files, format] of [[f.m365, 'array'], [f.m365Ndjson ?? [], 'newline_delimited']] as const) {
    if (files.length === 0) continue;
    parts.push(`SELECT ${M365_KIND}, coalesce(nullif(ClientIPAddress, ''), nullif(ClientIP, ''), nullif(ActorIpAddress, '')),
    epoch_ns(CreationTime::TIMESTAMP_NS), UserId
  FROM read_json(${list(files)}, format = '${format}', records = true, sample_size = 1, columns = {${M365_COLS}})
  WHERE ${M365_QUALIFY} AND ${M365_OK}`);
  }
  if (f.purview.length > 0) {
    parts.push(`SELECT ${m365Kind('d.Operation')}, coalesce(nullif(d.ClientIPAddress, ''), nullif(d.ClientIP, ''), nullif(d.ActorIpAddress, '')),
    epoch_ns(d.CreationTime::TIMESTAMP_NS), coalesce(d.UserId, UserIds)
  FROM (SELECT UserIds, json_transform(AuditData, '{"CreationTime":"VARCHAR","Operation":"VARCHAR","Workload":"VARCHAR","ResultStatus":"VARCHAR","UserId":"VARCHAR","ClientIPAddress":"VARCHAR","ClientIP":"VARCHAR","ActorIpAddress":"VARCHAR"}') AS d
        FROM read_csv(${list(f.purview)}, header = true, delim = ',', quote = '"', escape = '"', sample_size = 1,
                      columns = {CreationDate: 'VARCHAR', UserIds: 'VARCHAR', Operations: 'VARCHAR', AuditData: 'VARCHAR'}))
  WHERE (d.Operation = 'MailItemsAccessed' OR (d.Operation = 'UserLoggedIn' AND d.Workload = 'AzureActiveDirectory'))
    AND lower(d.ResultStatus) IN ('succeeded', 'success', 'true')`);
  }
  return `CREATE OR REPLACE TEMP VIEW ev AS\n${parts.join('\nUNION ALL\n')};`;
}

/** Settings per variant (run before the view). */
export function settings(variant: Variant): string {
  return variant === 'tuned'
    ? `SET threads = 2; SET preserve_insertion_order = false; SET TimeZone = 'UTC';`
    : `SET TimeZone = 'UTC';`;
}

/** The whole script for a variant, for the docs and the results file. */
export function script(variant: Variant, f: DatasetFiles): string {
  return [settings(variant), MACROS, variant === 'tuned' ? tunedView(f) : untunedView(f), DETECTION + ';'].join('\n');
}
