// What both Entra sign-in decoders build (entra-signin.ts for the diagnostic,
// Log Analytics and Graph shapes; entra-portal-csv.ts for the admin center's
// download): the normalized event of a sign-in, from its parts, and the country
// of Entra's location.
import type { Geo, NormalizedEvent, Outcome, SigninProperties } from '../../model/event.js';
import type { Instant } from '../../model/time.js';
import { formatInstant } from '../../model/time.js';
import type { DecodeResult } from '../types.js';
import { looksLikeEmail } from '../fields.js';

/** A two-letter value is an ISO country code; anything else a country name. */
export function countryGeo(geo: Geo, country: string | undefined): void {
  if (country === undefined) return;
  if (/^[A-Za-z]{2}$/.test(country)) geo.country_iso_code = country.toUpperCase();
  else geo.country_name = country;
}

/** What both Entra sign-in decoders know about a sign-in, whatever the export. */
export interface SigninParts {
  at: Instant;
  decoder: string;
  category: string;
  outcome: Outcome;
  code?: string | undefined;
  action?: string | undefined;
  id?: string | undefined;
  ip?: string | undefined;
  userName?: string | undefined;
  /** The UPN, when there is one: it becomes user.email and user.domain if it looks like an address. */
  upn?: string | undefined;
  userId?: string | undefined;
  app?: string | undefined;
  clientApp?: string | undefined;
  ua?: string | undefined;
  tenant?: string | undefined;
  /** azure.signinlogs.properties: MFA, conditional access, risk, app id. */
  properties?: SigninProperties | undefined;
  /** Where Entra placed the sign-in (source.geo). */
  geo?: Geo | undefined;
}

/** The normalized event of a sign-in (ECS azure.signinlogs fields), from its parts. */
export function signinEvent(p: SigninParts): DecodeResult {
  const event: NormalizedEvent = {
    '@timestamp': formatInstant(p.at),
    event: {
      kind: 'event',
      dataset: 'azure.signinlogs',
      module: 'azure',
      category: ['authentication'],
      type: ['info'],
      outcome: p.outcome,
    },
    cloud: { provider: 'azure' },
    crosswatch: { role: 'signin', decoder: p.decoder, category: p.category },
  };
  if (p.action !== undefined) event.event.action = p.action;
  if (p.id !== undefined) event.event.id = p.id;
  if (p.code !== undefined) event.event.code = p.code;
  if (p.ip !== undefined || p.geo !== undefined) {
    event.source = {};
    if (p.ip !== undefined) event.source.ip = p.ip;
    if (p.geo !== undefined) event.source.geo = p.geo;
  }
  const user: NonNullable<NormalizedEvent['user']> = {};
  if (p.userName !== undefined) user.name = p.userName;
  if (looksLikeEmail(p.upn)) {
    user.email = p.upn;
    user.domain = p.upn.slice(p.upn.lastIndexOf('@') + 1);
  }
  if (p.userId !== undefined) user.id = p.userId;
  if (Object.keys(user).length > 0) event.user = user;
  if (p.ua !== undefined) event.user_agent = { original: p.ua };
  if (p.app !== undefined || p.clientApp !== undefined) {
    event.client = {};
    if (p.app !== undefined) event.client.app = p.app;
    if (p.clientApp !== undefined) event.client.client_app = p.clientApp;
  }
  if (p.tenant !== undefined) event.cloud = { provider: 'azure', account: { id: p.tenant } };
  if (p.properties !== undefined) event.azure = { signinlogs: { properties: p.properties } };
  return { ok: true, event: { at: p.at, event } };
}
