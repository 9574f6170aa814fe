// The alert: the ECS document of DESIGN.md §5, with the evidence that explains
// it. detect/alerts.ts makes it from a correlator episode; the store, the API,
// the UI and the outputs read it.
import type { EventDetail } from './event.js';

/** Evidence lists are capped; totals are always given. */
export const MAX_EVIDENCE_ALERTS = 10;
export const MAX_EVIDENCE_EVENTS = 20;

/**
 * The alert of a general Sigma rule (detect/general.ts): the same document, but
 * a rule grouped by something else may have no single source IP.
 */
export type SigmaAlertDocument = Omit<AlertDocument, 'source'> & { source?: { ip: string } };

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
  rule: { id: string; name: string; description: string; reference?: string; author?: string[] };
  /** When the rule names its ATT&CK tactic and technique. */
  threat?: {
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
    /** A general Sigma correlation's group-by values (field → value). */
    group?: Record<string, string>;
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
  /** General Sigma rules' evidence: the event's outcome and source IP (a correlation may group by something else). */
  outcome?: string;
  source_ip?: string;
}
