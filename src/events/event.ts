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
  source?: { ip?: string; port?: number };
  destination?: { ip?: string; port?: number };
  user?: { name?: string; email?: string; id?: string; domain?: string };
  user_agent?: { original?: string };
  /** For IDS alerts: the signature. */
  rule?: { name?: string; id?: string; category?: string };
  /** The sensor that raised a network alert. */
  observer?: { vendor?: string; product?: string; name?: string; type?: string };
  network?: { transport?: string; protocol?: string };
  cloud?: { provider?: string; account?: { id?: string } };
  /** The app or client that signed in or read mail. */
  client?: { app?: string; client_app?: string };
  crosswatch: {
    role: Role;
    /** Which decoder produced the event. */
    decoder: string;
    /** The sign-in category / record type, for evidence ("SignInLogs", "MailItemsAccessed"). */
    category?: string;
  };
}

/** A decoded event and its parsed time, as the correlator and sinks take it. */
export interface DecodedEvent {
  at: Instant;
  event: NormalizedEvent;
}
