// Turns a correlator episode into the ECS alert document of DESIGN.md §5, with
// the evidence that explains it.
import type { Episode, QualifyingEvidence } from '../detect/correlator.js';
import type { EventDetail } from './event.js';
import { diffMs, formatDuration, formatInstant } from './time.js';
import type { RuleDefinition } from '../detect/rules.js';

/** Evidence lists are capped; totals are always given. */
export const MAX_EVIDENCE_ALERTS = 10;
export const MAX_EVIDENCE_EVENTS = 20;

export interface AlertDocument {
  '@timestamp': string;
  message: string;
  event: {
    kind: 'alert';
    id: string;
    dataset: 'crosswatch.alerts';
    severity: number;
    risk_score: number;
    start: string;
    end: string;
  };
  rule: { id: string; name: string; description: string; reference?: string };
  threat: {
    framework: string;
    tactic: { id: string[]; name: string[]; reference: string[] };
    technique: { id: string[]; name: string[]; reference: string[] };
  };
  source: { ip: string };
  user: { name: string[] };
  related: { ip: string[]; user: string[] };
  crosswatch: {
    window_ms: number;
    /** From the first network alert to the first qualifying event, in ms. */
    delay_ms: number;
    evidence: {
      network_alert_count: number;
      event_count: number;
      user_count: number;
      network_alerts: Array<{ '@timestamp': string; signature?: string; sensor?: string; dataset: string; id?: string; severity?: number }>;
      events: EvidenceEvent[];
    };
  };
}

/**
 * A qualifying event as evidence: who, when, the app and client, and what an
 * analyst asks first (MFA, conditional access, risk, location; see EventDetail).
 * `app` is a name (Entra appDisplayName), `app_id` the application's id (Entra
 * appId; M365 AppId, the application through which the mailbox was read),
 * `client` the client as the source words it (Entra clientAppUsed; M365
 * ClientInfoString), `client_app_id` M365's ClientAppId.
 */
export interface EvidenceEvent extends EventDetail {
  '@timestamp': string;
  user?: string;
  app?: string;
  client?: string;
  user_agent?: string;
  category?: string;
  action?: string;
  dataset: string;
  id?: string;
}

function evidenceEvent(e: QualifyingEvidence): EvidenceEvent {
  const d = e.detail;
  return clean({
    '@timestamp': formatInstant(e.at), user: e.user, app: e.app, app_id: d?.app_id, client: e.client, client_app_id: d?.client_app_id,
    user_agent: e.userAgent, authentication: d?.authentication, conditional_access_status: d?.conditional_access_status,
    risk: d?.risk, location: d?.location, category: e.category, action: e.action, dataset: e.dataset, id: e.id,
  });
}

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

export function alertDocument(ep: Episode, rule: RuleDefinition, windowMs: number, raisedAt: Date): AlertDocument {
  const firstEvent = ep.events[0]!;
  const firstAlert = ep.networkAlerts[0];
  const delay = diffMs(firstEvent.at, ep.start);
  const users = ep.users;
  const what = rule.correlation.qualifying.verb;
  const who = users.length === 0 ? 'an account' : users.length === 1 ? users[0]! : `${users.length} users (${users.slice(0, 3).join(', ')}${users.length > 3 ? ', …' : ''})`;
  const sig = firstAlert?.signature ? `"${firstAlert.signature}"` : 'a network alert';
  const message =
    `${who} ${what} from ${ep.ip} ${formatDuration(delay)} after ${sig}` +
    `${firstAlert?.sensor ? ` from ${firstAlert.sensor}` : ''} for the same IP ` +
    `(${ep.networkAlerts.length} network alert(s), ${ep.events.length} qualifying event(s) within ${formatDuration(windowMs)})`;
  return {
    '@timestamp': raisedAt.toISOString(),
    message,
    event: {
      kind: 'alert',
      id: ep.id,
      dataset: 'crosswatch.alerts',
      severity: rule.risk_score,
      risk_score: rule.risk_score,
      start: formatInstant(ep.start),
      end: formatInstant(ep.end),
    },
    rule: clean({ id: rule.id, name: rule.name, description: rule.description, reference: rule.references[0] }),
    threat: {
      framework: rule.threat.framework,
      tactic: { id: [rule.threat.tactic.id], name: [rule.threat.tactic.name], reference: [rule.threat.tactic.reference] },
      technique: { id: [rule.threat.technique.id], name: [rule.threat.technique.name], reference: [rule.threat.technique.reference] },
    },
    source: { ip: ep.ip },
    user: { name: users },
    related: { ip: [ep.ip], user: users },
    crosswatch: {
      window_ms: windowMs,
      delay_ms: delay,
      evidence: {
        network_alert_count: ep.networkAlerts.length,
        event_count: ep.events.length,
        user_count: users.length,
        network_alerts: ep.networkAlerts.slice(0, MAX_EVIDENCE_ALERTS).map((a) =>
          clean({ '@timestamp': formatInstant(a.at), signature: a.signature, sensor: a.sensor, dataset: a.dataset, id: a.id, severity: a.severity }),
        ),
        events: ep.events.slice(0, MAX_EVIDENCE_EVENTS).map(evidenceEvent),
      },
    },
  };
}
