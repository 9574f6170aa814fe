// Microsoft 365 unified audit log records, as:
//  - Office 365 Management Activity API records (CreationTime, Id, Operation,
//    Workload, RecordType, UserId, ClientIP / ClientIPAddress / ActorIpAddress,
//    ResultStatus), also wrapped as {"o365audit": {...}} by Elastic Agent;
//  - Purview audit search exports (CSV rows or their JSON form), where the real
//    record is the JSON text in the AuditData column; old exports name the columns
//    CreationDate, UserIds, Operations, AuditData; new ones RecordId, CreationDate,
//    RecordType, Operation, UserId, AuditData;
//  - Microsoft Sentinel / Log Analytics `OfficeActivity` rows (JSON or the portal's CSV
//    export): the same fields flattened, OfficeWorkload for Workload, TimeGenerated.
// Numbers may be strings ("numbery") and some fields stringified JSON.
// Which app and client: a MailItemsAccessed record names the application through
// which the mailbox was read (AppId: Exchange Online, Microsoft Graph, ...), the
// client application that called it (ClientAppId) and, in Exchange's words, the
// client (ClientInfoString: "Client=OWA;...", "Client=REST;..."). The ids are kept
// under their own names (o365.audit.*); ClientInfoString is also the client
// (client.client_app), as Entra's clientAppUsed is for a sign-in.
import type { NormalizedEvent, O365AuditIds, Outcome, Role } from '../model/event.js';
import { canonicalIp } from '../model/ip.js';
import { formatInstant } from '../model/time.js';
import type { Cue, DecodeContext, DecodeResult, Decoder, RawRecord } from './types.js';
import { reject } from './types.js';
import { firstStr, isObject, jsonish, looksLikeEmail, num, present, readTime, snippet, str } from './fields.js';
import type { JsonObject } from './fields.js';

const NAME = 'm365-audit';

/** Longest AuditData text parsed (MailItemsAccessed with many folders is large, but bounded). */
const MAX_AUDITDATA_CHARS = 4 * 1024 * 1024;

// The RecordType numbers a reader meets in this tool's context (Management Activity API schema).
const RECORD_TYPES: Record<string, string> = {
  '1': 'ExchangeAdmin',
  '2': 'ExchangeItem',
  '3': 'ExchangeItemGroup',
  '4': 'SharePoint',
  '6': 'SharePointFileOperation',
  '7': 'OneDrive',
  '8': 'AzureActiveDirectory',
  '9': 'AzureActiveDirectoryAccountLogon',
  '14': 'SharePointSharingOperation',
  '15': 'AzureActiveDirectoryStsLogon',
  '18': 'SecurityComplianceCenterEOPCmdlet',
  '20': 'PowerBIAudit',
  '22': 'Yammer',
  '25': 'MicrosoftTeams',
  '28': 'ThreatIntelligence',
  '40': 'SecurityComplianceAlerts',
  '50': 'ExchangeItemAggregated',
  '64': 'AirInvestigation',
};

const SUCCESS = new Set(['succeeded', 'success', 'partiallysucceeded', 'true']);
const FAILURE = new Set(['failed', 'false', 'failure']);

function isAuditRecord(o: JsonObject): boolean {
  if ('@timestamp' in o || 'event_type' in o) return false;
  if (present(o['CreationTime'])) return 'Operation' in o || 'RecordType' in o || 'Workload' in o || 'Id' in o;
  // A record that lost its CreationTime is still recognised (and rejected as missing-time).
  return 'Operation' in o && 'Workload' in o && 'RecordType' in o;
}

/** A Sentinel / Log Analytics OfficeActivity row. */
function isOfficeActivity(o: Record<string, unknown>): boolean {
  const type = o['Type'];
  if (typeof type === 'string' && type.trim() === 'OfficeActivity') return 'Operation' in o;
  return 'OfficeWorkload' in o && 'Operation' in o && Object.keys(o).some((k) => k.startsWith('TimeGenerated'));
}

/**
 * Log Analytics' CSV export heads datetime columns "TimeGenerated [UTC]" and writes
 * "9/19/2023, 1:45:17.287 PM": the column under its bare name, zoned as its header says.
 */
function laTime(o: Record<string, unknown>, name: string): unknown {
  // (The keys are walked, but only those of the column are read: jsonKeys declares the prefix.)
  for (const k of Object.keys(o)) {
    if (!k.startsWith(name)) continue;
    const v = o[k];
    if (k === name) return v;
    const m = /^(.*?)\s*\[UTC\]$/i.exec(k);
    if (m && m[1] === name && typeof v === 'string' && v.trim() !== '') {
      const t = v.trim().replace(/^(\d{1,2}\/\d{1,2}\/\d{4}),\s*/, '$1 ');
      return /(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)$/i.test(t) ? t : `${t} UTC`;
    }
  }
  return undefined;
}

/** Purview's CreationDate: ISO, or "3/1/2024, 8:00:00 AM" from some exports (UTC). */
function exportDate(v: unknown): unknown {
  return typeof v === 'string' ? v.trim().replace(/^(\d{1,2}\/\d{1,2}\/\d{4}),\s*/, '$1 ') : v;
}

/** A Purview export row (CSV or its JSON form): the record is in AuditData. */
function isExportRow(o: Record<string, unknown>): boolean {
  if (!('AuditData' in o)) return false;
  return 'CreationDate' in o || 'Operation' in o || 'Operations' in o || 'RecordType' in o || 'UserIds' in o || 'UserId' in o;
}

/** Resolves the audit record inside a framed record, or a rejection. */
function auditRecordOf(record: RawRecord): { ok: true; rec: JsonObject; row?: Record<string, unknown> } | { ok: false; result: DecodeResult } {
  if (record.kind === 'text') return { ok: false, result: reject('unknown-format', 'm365-audit reads JSON records and CSV rows only') };
  const v: Record<string, unknown> = record.value;
  if (record.kind === 'json' && isObject(v['o365audit'])) return { ok: true, rec: v['o365audit'] };
  if (!('AuditData' in v)) return { ok: true, rec: v };
  const raw = v['AuditData'];
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    if (raw.length > MAX_AUDITDATA_CHARS) {
      return { ok: false, result: reject('record-too-large', `AuditData column holds ${raw.length} characters (limit ${MAX_AUDITDATA_CHARS})`) };
    }
    try {
      parsed = JSON.parse(raw) as unknown;
    } catch (err) {
      return {
        ok: false,
        result: reject('invalid-json', `AuditData column is not valid JSON (${(err as Error).message.slice(0, 80)}): ${snippet(raw)}`),
      };
    }
  }
  if (!isObject(parsed)) {
    return { ok: false, result: reject('invalid-json', `AuditData column does not hold a JSON object: ${snippet(raw)}`) };
  }
  return { ok: true, rec: parsed, row: v };
}

/**
 * Elastic's o365 order: ClientIPAddress, then ClientIP, then ActorIpAddress. Unlike
 * the peer, a written field that holds no IP (a host name, "NAME (10.900.0.1)")
 * does not hide a valid address in the next one: crosswatch must find every true case.
 */
function sourceIp(rec: JsonObject): string | undefined {
  for (const k of ['ClientIPAddress', 'Client_IPAddress', 'ClientIP', 'ActorIpAddress']) {
    const v = rec[k];
    if (!present(v)) continue;
    const ip = canonicalIp(typeof v === 'number' ? String(v) : v);
    if (ip !== null) return ip;
  }
  return undefined;
}

function outcomeOf(rec: JsonObject, operation: string | undefined): Outcome {
  if (operation !== undefined && operation.toLowerCase() === 'userloginfailed') return 'failure';
  const status = rec['ResultStatus'];
  const s = typeof status === 'boolean' ? String(status) : str(status, 64)?.toLowerCase();
  if (s !== undefined && SUCCESS.has(s)) {
    // An STS logon that Azure AD answered with an error code is not a successful sign-in.
    const errorNumber = num(rec['ErrorNumber']);
    if (errorNumber !== undefined && errorNumber !== 0 && operation?.toLowerCase() === 'userloggedin') return 'failure';
    return 'success';
  }
  if (s !== undefined && FAILURE.has(s)) return 'failure';
  return 'unknown';
}

function roleOf(operation: string | undefined, workload: string | undefined, recordType: string | undefined): Role {
  const op = operation?.toLowerCase();
  if (op === 'mailitemsaccessed') return 'mail_access';
  if (op === 'userloggedin' || op === 'userloginfailed') {
    const wl = workload?.toLowerCase();
    if (wl === 'azureactivedirectory' || (wl === undefined && (recordType === '15' || recordType === '9'))) return 'signin';
  }
  return 'other';
}

/** Name/Value lists (ExtendedProperties, OperationProperties), possibly stringified. */
function nameValue(list: unknown, name: string): string | undefined {
  const l = jsonish(list);
  if (!Array.isArray(l)) return undefined;
  for (const item of l) {
    if (isObject(item) && item['Name'] === name) return str(item['Value']);
  }
  return undefined;
}

/** Longest application id kept (they are GUIDs; a hostile record's are not). */
const MAX_ID_CHARS = 256;

/** AppId, ClientAppId, ApplicationId and ClientInfoString, bounded; undefined when none is written. */
function auditIds(rec: JsonObject): O365AuditIds | undefined {
  const ids: O365AuditIds = {};
  const appId = str(rec['AppId'], MAX_ID_CHARS);
  const clientAppId = str(rec['ClientAppId'], MAX_ID_CHARS);
  const applicationId = str(rec['ApplicationId'], MAX_ID_CHARS);
  const clientInfo = str(rec['ClientInfoString']);
  if (appId !== undefined) ids.AppId = appId;
  if (clientAppId !== undefined) ids.ClientAppId = clientAppId;
  if (applicationId !== undefined) ids.ApplicationId = applicationId;
  if (clientInfo !== undefined) ids.ClientInfoString = clientInfo;
  return Object.keys(ids).length > 0 ? ids : undefined;
}

function decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
  const found = auditRecordOf(record);
  if (!found.ok) return found.result;
  const { rec, row } = found;

  const time = readTime(
    [
      ['CreationTime', rec['CreationTime']],
      ...(row ? ([['CreationDate', exportDate(row['CreationDate'])]] as const) : []),
      ...(!row && isOfficeActivity(rec) ? ([['TimeGenerated', laTime(rec, 'TimeGenerated')]] as const) : []),
    ],
    ctx,
  );
  if (!time.ok) return time.result;

  const operation = str(rec['Operation']) ?? (row ? firstStr(row, ['Operation', 'Operations']) : undefined);
  const workload = str(rec['Workload']) ?? str(rec['OfficeWorkload']);
  const recordTypeNum = num(rec['RecordType'] ?? row?.['RecordType']);
  const recordType = recordTypeNum !== undefined ? String(recordTypeNum) : str(rec['RecordType'] ?? row?.['RecordType'], 64);
  const role = roleOf(operation, workload, recordType);
  const outcome = outcomeOf(rec, operation);
  const ip = sourceIp(rec);
  const userName = str(rec['UserId']) ?? (row ? firstStr(row, ['UserId', 'UserIds']) : undefined);
  const id = str(rec['Id']) ?? (row ? str(row['RecordId']) : undefined);
  const ids = auditIds(rec);
  const ua = str(rec['UserAgent']) ?? nameValue(rec['ExtendedProperties'], 'UserAgent');
  const org = str(rec['OrganizationId']) ?? str(rec['OrganizationId_']);

  const category =
    role === 'mail_access' ? ['email'] : role === 'signin' ? ['authentication'] : workload?.toLowerCase() === 'exchange' ? ['web', 'email'] : ['web'];
  const event: NormalizedEvent = {
    '@timestamp': formatInstant(time.at),
    event: {
      kind: 'event',
      dataset: 'o365.audit',
      module: 'o365',
      category,
      type: role === 'signin' ? ['start'] : role === 'mail_access' ? ['access'] : ['info'],
      outcome,
    },
    crosswatch: { role, decoder: NAME },
  };
  const cwCategory = operation ?? workload ?? (recordType !== undefined ? RECORD_TYPES[recordType] : undefined);
  if (cwCategory !== undefined) event.crosswatch.category = cwCategory;
  if (operation !== undefined) event.event.action = operation;
  if (id !== undefined) event.event.id = id;
  if (workload !== undefined) event.event.provider = workload;
  if (recordType !== undefined) event.event.code = RECORD_TYPES[recordType] ?? recordType;
  if (ip !== undefined) event.source = { ip };
  if (userName !== undefined) {
    event.user = { name: userName };
    if (looksLikeEmail(userName)) {
      event.user.email = userName;
      event.user.domain = userName.slice(userName.lastIndexOf('@') + 1);
    }
  }
  if (ua !== undefined) event.user_agent = { original: ua };
  if (ids?.ClientInfoString !== undefined) event.client = { client_app: ids.ClientInfoString };
  if (ids !== undefined) event.o365 = { audit: ids };
  if (org !== undefined) event.cloud = { provider: 'azure', account: { id: org } };
  return { ok: true, event: { at: time.at, event } };
}

/** A JSON record this decoder may read as it is: not an ECS document (those are the ecs decoder's). */
function plainJson(r: RawRecord): JsonObject | null {
  return r.kind === 'json' && isObject(r.value) && !('@timestamp' in r.value) ? r.value : null;
}

/** A CSV row, or a plain JSON record that is no Elastic Agent wrapper: where export rows and OfficeActivity rows are read. */
function row(r: RawRecord): JsonObject | null {
  if (r.kind === 'csv') return isObject(r.value) ? r.value : null;
  const v = plainJson(r);
  return v !== null && !isObject(v['o365audit']) ? v : null;
}

/**
 * The shapes this decoder reads. accepts() is "one of them holds": what it takes
 * and what `normalize --explain` says it saw are the same tests, decided here only.
 */
const SHAPES: readonly Cue[] = [
  {
    label: 'is a Management Activity API record ("CreationTime" with "Operation", "RecordType", "Workload" or "Id"), bare or as Elastic Agent\'s {"o365audit": {...}}',
    test: (r) => {
      const v = plainJson(r);
      return v !== null && isAuditRecord(isObject(v['o365audit']) ? v['o365audit'] : v);
    },
  },
  { label: 'or is a Purview export row ("AuditData" with "CreationDate"/"Operations"/"UserIds")', test: (r) => { const v = row(r); return v !== null && isExportRow(v); } },
  {
    label: 'or is a Sentinel OfficeActivity row (Type "OfficeActivity", or OfficeWorkload + Operation + TimeGenerated)',
    test: (r) => { const v = row(r); return v !== null && isOfficeActivity(v); },
  },
];

export const m365Audit: Decoder = {
  roles: ['signin', 'mail_access', 'other'],
  jsonKeys: {
    accepts: {
      top: ['@timestamp', 'o365audit', 'event_type', 'CreationTime', 'Operation', 'Operations', 'RecordType', 'Workload', 'Id', 'AuditData', 'CreationDate', 'UserIds', 'UserId', 'Type', 'OfficeWorkload'],
      prefixes: ['TimeGenerated'],
    },
    decode: {
      // (An o365audit or AuditData record is kept whole: its keys are read inside it.)
      top: [
        'ResultStatus', 'ErrorNumber', 'ClientIPAddress', 'Client_IPAddress', 'ClientIP', 'ActorIpAddress', 'RecordId', 'AppId', 'ClientAppId', 'ApplicationId',
        'ClientInfoString', 'UserAgent', 'ExtendedProperties', 'OrganizationId', 'OrganizationId_',
      ],
    },
  },
  timeFields: ['CreationTime', 'CreationDate', 'TimeGenerated'],
  cues: [{ label: 'is a JSON object or CSV row', test: (r) => r.kind !== 'text' }, ...SHAPES],
  name: NAME,
  description: 'Microsoft 365 unified audit records (Management Activity API JSON, Purview export rows with AuditData, Sentinel OfficeActivity rows)',
  accepts(record: RawRecord): boolean {
    return SHAPES.some((s) => s.test(record));
  },
  decode(record: RawRecord, ctx: DecodeContext): DecodeResult {
    return decode(record, ctx);
  },
};
