// The one normalized event shape every decoder produces (DESIGN.md §2), with ECS
// field names wherever ECS has the field. `crosswatch.role` says what the
// correlator makes of it; everything else is for people and for evidence.
import type { Instant } from './time.js';

/** What an event is to the detections. */
export type Role =
  /** A network security alert (IDS/IPS, firewall threat, reputation): the key side. */
  | 'network_alert'
  /** A successful or failed cloud sign-in (Entra ID, M365 UserLoggedIn). */
  | 'signin'
  /** M365 MailItemsAccessed. */
  | 'mail_access'
  /** Anything else: counted, shown, never correlated (other M365 operations, EVE flows). */
  | 'other';

export type Outcome = 'success' | 'failure' | 'unknown';

export interface NormalizedEvent {
  /** Event time (when the thing happened), canonical ISO 8601 with Z. */
  '@timestamp': string;
  event: {
    kind: 'event' | 'alert';
    dataset: string;
    module?: string;
    action?: string;
    outcome?: Outcome;
    category?: string[];
    type?: string[];
    /** The source's own record id (Entra `id`, M365 `Id`, an ECS `event.id`). */
    id?: string;
    severity?: number;
    provider?: string;
    code?: string;
  };
  source?: { ip?: string; port?: number; geo?: Geo };
  destination?: { ip?: string; port?: number };
  user?: { name?: string; email?: string; id?: string; domain?: string };
  user_agent?: { original?: string };
  /** For IDS alerts: the signature. */
  rule?: { name?: string; id?: string; category?: string };
  /** The sensor that raised a network alert. */
  observer?: { vendor?: string; product?: string; name?: string; type?: string };
  network?: { transport?: string; protocol?: string };
  cloud?: { provider?: string; account?: { id?: string } };
  /**
   * The app that signed in or read mail (a name: Entra appDisplayName, a service
   * principal's name) and the client it used (Entra clientAppUsed: "Browser",
   * "IMAP4"...; M365 ClientInfoString: "Client=REST;..."). Not ECS: ECS `client` is
   * the network client.
   */
  client?: { app?: string; client_app?: string };
  /** Entra sign-in detail, under the names of Elastic's azure integration (its rules and Sigma's find them). */
  azure?: { signinlogs?: { properties?: SigninProperties } };
  /** M365 audit ids, under the names of Elastic's o365 integration. */
  o365?: { audit?: O365AuditIds };
  crosswatch: {
    role: Role;
    /** Which decoder produced the event. */
    decoder: string;
    /** The sign-in category / record type, for evidence ("SignInLogs", "MailItemsAccessed"). */
    category?: string;
  };
}

/** ECS geo fields: where the sign-in came from, as the identity provider saw it. */
export interface Geo {
  city_name?: string;
  region_name?: string;
  country_iso_code?: string;
  country_name?: string;
}

/** One step of an Entra sign-in's authentication (authenticationDetails[] entry). */
export interface AuthenticationStep {
  /** "Password", "Mobile app notification", "Previously satisfied"... */
  authentication_method?: string;
  authentication_method_detail?: string;
  /** "Primary authentication", "Multi-factor authentication". */
  authentication_step_requirement?: string;
  /** "Correct password", "MFA requirement satisfied by claim in the token"... */
  authentication_step_result_detail?: string;
  succeeded?: boolean;
}

/** What an analyst asks first about an Entra sign-in (Elastic azure.signinlogs.properties.* names). */
export interface SigninProperties {
  /** singleFactorAuthentication / multiFactorAuthentication. */
  authentication_requirement?: string;
  authentication_details?: AuthenticationStep[];
  /** Older exports' mfaDetail (authMethod, authDetail). */
  mfa_detail?: { auth_method?: string; auth_detail?: string };
  /** success / failure / notApplied. */
  conditional_access_status?: string;
  risk_level_during_signin?: string;
  risk_state?: string;
  risk_level_aggregated?: string;
  risk_detail?: string;
  app_id?: string;
}

/** The application ids of an M365 audit record (Elastic o365.audit.* names). */
export interface O365AuditIds {
  /** MailItemsAccessed: the application through which the mailbox was read (Exchange Online, Microsoft Graph...). */
  AppId?: string;
  /** MailItemsAccessed: the client application that called it. */
  ClientAppId?: string;
  /** Azure AD records (UserLoggedIn): the application signed in to. */
  ApplicationId?: string;
  /** The client as Exchange saw it ("Client=OWA;...", "Client=REST;..."); also client.client_app. */
  ClientInfoString?: string;
}

/** A decoded event and its parsed time, as the correlator and sinks take it. */
export interface DecodedEvent {
  at: Instant;
  event: NormalizedEvent;
}

/** Most authentication steps a sign-in keeps (Entra writes a handful; a hostile record could write thousands). */
export const MAX_AUTH_STEPS = 8;

/**
 * What an alert's evidence shows of a qualifying event beyond who, when and which
 * app and client: what an analyst asks first. Read from the normalized fields by
 * eventDetail; written by document.ts under crosswatch.evidence.events[].
 */
export interface EventDetail {
  /** Entra appId; M365 AppId (or ApplicationId of an Azure AD record). */
  app_id?: string;
  /** M365 MailItemsAccessed ClientAppId. */
  client_app_id?: string;
  authentication?: {
    /** singleFactorAuthentication / multiFactorAuthentication. */
    requirement?: string;
    /** The methods of the steps that succeeded (or whose outcome the export does not say), in order, distinct. */
    methods?: string[];
    /** What those steps say of themselves ("MFA requirement satisfied by claim in the token"). */
    results?: string[];
    /** mfaDetail.authDetail of older exports (e.g. a masked phone number). */
    mfa_detail?: string;
  };
  /** success / failure / notApplied. */
  conditional_access_status?: string;
  risk?: { level_during_signin?: string; state?: string; level_aggregated?: string; detail?: string };
  location?: { city?: string; region?: string; country?: string };
}

/**
 * The members that are not undefined, in their order; undefined when none are.
 * (A copy: deleting members would turn the object into a slow dictionary, for
 * every event hunt keeps.)
 */
function compact<T extends object>(o: T): T | undefined {
  let out: Partial<T> | undefined;
  for (const k of Object.keys(o) as Array<keyof T>) {
    if (o[k] === undefined) continue;
    out ??= {};
    out[k] = o[k];
  }
  return out as T | undefined;
}

/** The steps whose methods count as used: not those the record says failed (a wrong password before the right one). */
function usedSteps(steps: readonly AuthenticationStep[] | undefined): AuthenticationStep[] {
  return (steps ?? []).slice(0, MAX_AUTH_STEPS).filter((s) => s.succeeded !== false);
}

function distinct(values: Array<string | undefined>): string[] | undefined {
  const out = [...new Set(values.filter((v): v is string => v !== undefined))];
  return out.length > 0 ? out : undefined;
}

/** The evidence detail of a qualifying event, or undefined when its source says none of it. */
export function eventDetail(ev: NormalizedEvent): EventDetail | undefined {
  const p = ev.azure?.signinlogs?.properties;
  const o = ev.o365?.audit;
  const g = ev.source?.geo;
  const steps = usedSteps(p?.authentication_details);
  return compact<EventDetail>({
    app_id: p?.app_id ?? o?.AppId ?? o?.ApplicationId,
    client_app_id: o?.ClientAppId,
    authentication: p && compact({
      requirement: p.authentication_requirement,
      methods: distinct([...steps.map((s) => s.authentication_method), p.mfa_detail?.auth_method]),
      results: distinct(steps.map((s) => s.authentication_step_result_detail)),
      mfa_detail: p.mfa_detail?.auth_detail,
    }),
    conditional_access_status: p?.conditional_access_status,
    risk: p && compact({
      level_during_signin: p.risk_level_during_signin,
      state: p.risk_state,
      level_aggregated: p.risk_level_aggregated,
      detail: p.risk_detail,
    }),
    location: g && compact({ city: g.city_name, region: g.region_name, country: g.country_iso_code ?? g.country_name }),
  });
}

/**
 * The fields eventDetail reads, and only those: what an event keeps of them where
 * it is kept short (hunt's slim events, serve's stored rows), so the alert is the
 * same from either.
 */
export interface DetailParts {
  geo?: Geo;
  signin?: SigninProperties;
  o365?: O365AuditIds;
}

export function detailParts(ev: NormalizedEvent): DetailParts | undefined {
  const p = ev.azure?.signinlogs?.properties;
  const o = ev.o365?.audit;
  const steps = usedSteps(p?.authentication_details).map((s) =>
    compact<AuthenticationStep>({ authentication_method: s.authentication_method, authentication_step_result_detail: s.authentication_step_result_detail }))
    .filter((s): s is AuthenticationStep => s !== undefined);
  return compact<DetailParts>({
    geo: ev.source?.geo,
    signin: p && compact<SigninProperties>({ ...p, authentication_details: steps.length > 0 ? steps : undefined }),
    o365: o && compact<O365AuditIds>({ AppId: o.AppId, ClientAppId: o.ClientAppId, ApplicationId: o.ApplicationId }),
  });
}

/** Puts detail parts (from detailParts) back on an event. */
export function withDetailParts(ev: NormalizedEvent, parts: DetailParts | undefined): NormalizedEvent {
  if (!parts) return ev;
  if (parts.geo) ev.source = { ...ev.source, geo: parts.geo };
  if (parts.signin) ev.azure = { signinlogs: { properties: parts.signin } };
  if (parts.o365) ev.o365 = { audit: parts.o365 };
  return ev;
}

/**
 * The fields an event keeps in its compact forms — hunt's (slimEvent) and the
 * store's (storedDoc) — where the correlator reads it: a rule that hunt's fast
 * path and serve run may test only these (detect/rule.ts). test/compact-fields.test.ts
 * checks that both forms keep each one as the whole event has it.
 */
export const COMPACT_FIELDS: readonly string[] = [
  '@timestamp', 'event.kind', 'event.dataset', 'event.action', 'event.outcome', 'event.id', 'event.severity',
  'crosswatch.role', 'crosswatch.decoder', 'crosswatch.category',
  'source.ip', 'source.geo.city_name', 'source.geo.region_name', 'source.geo.country_iso_code', 'source.geo.country_name',
  'user.name', 'user.email', 'user_agent.original', 'rule.name', 'rule.id', 'observer.name', 'observer.product',
  'client.app', 'client.client_app',
  'azure.signinlogs.properties.authentication_requirement', 'azure.signinlogs.properties.conditional_access_status',
  'azure.signinlogs.properties.risk_level_during_signin', 'azure.signinlogs.properties.risk_state',
  'azure.signinlogs.properties.risk_level_aggregated', 'azure.signinlogs.properties.risk_detail', 'azure.signinlogs.properties.app_id',
  'o365.audit.AppId', 'o365.audit.ClientAppId', 'o365.audit.ApplicationId',
];
