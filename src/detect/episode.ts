// What the correlator finds: episodes of (rule, IP) with the evidence that
// explains them — the compact entries it keeps of network alerts and qualifying
// events. detect/alerts.ts makes alert documents of them.
import type { EventDetail } from '../model/event.js';
import type { Instant } from '../model/time.js';

/** What an alert keeps of a network alert, as evidence. */
export interface NetworkAlertEvidence {
  at: Instant;
  signature?: string;
  sensor?: string;
  dataset: string;
  id?: string;
  severity?: number;
}

/** What an alert keeps of a qualifying event, as evidence. */
export interface QualifyingEvidence {
  at: Instant;
  user?: string;
  app?: string;
  client?: string;
  userAgent?: string;
  category?: string;
  action?: string;
  dataset: string;
  id?: string;
  /** MFA, conditional access, risk, location, app ids: what the evidence shows of it (eventDetail). */
  detail?: EventDetail;
}

/** One qualifying episode for (rule, ip): what becomes an alert document. */
export interface Episode {
  /** Deterministic: sha256 of rule, ip and the anchoring network alert's time. */
  id: string;
  rule: string;
  ip: string;
  /** The first network alert of the episode (its anchor). */
  start: Instant;
  /** The last qualifying event of the episode. */
  end: Instant;
  networkAlerts: NetworkAlertEvidence[];
  events: QualifyingEvidence[];
  users: string[];
}
