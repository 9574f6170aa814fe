// Sigma log sources → which normalized events a rule looks at (docs/rules.md).
// A rule's `logsource:` is checked against this table when it loads: one we do
// not know is an error naming the rule file, never a rule that silently matches
// nothing.
import type { NormalizedEvent } from '../model/event.js';
import type { LogSource, SigmaProblem, DetectionRule } from '../sigma/types.js';

export type EventTest = (ev: NormalizedEvent) => boolean;

const isNetworkAlert: EventTest = (ev) => ev.crosswatch.role === 'network_alert';
const isO365: EventTest = (ev) => ev.event.dataset === 'o365.audit';

/** `category: ids` products, by the dataset prefix their decoders (and Elastic's integrations) write. */
const IDS_PRODUCTS: Readonly<Record<string, readonly string[]>> = {
  suricata: ['suricata.'],
  zeek: ['zeek.'],
  // fast.log lines (written by Snort and Suricata alike) are snort.log.
  snort: ['snort.'],
  panos: ['panw.'],
  fortigate: ['fortinet_fortigate.', 'fortinet.'],
  cef: ['cef.'],
};

/** `product: m365` services, by the audit record's workload (M365 `Workload`, kept as crosswatch.category for some). */
const M365_SERVICES: Readonly<Record<string, EventTest>> = {
  // Every M365 unified audit record.
  audit: isO365,
  // Exchange records: MailItemsAccessed and the other mailbox operations.
  exchange: (ev) => isO365(ev) && (ev.crosswatch.role === 'mail_access' || ev.event.provider?.toLowerCase() === 'exchange'),
};

/** The events a log source covers, or a problem's message. */
export function logSourceTest(ls: LogSource): EventTest | string {
  const { product, service, category } = ls;
  if (category !== undefined) {
    if (category !== 'ids') return `unknown log source category "${category}" (known: ids)`;
    if (service !== undefined) return `log source category ids takes no service (got "${service}")`;
    if (product === undefined) return isNetworkAlert;
    const prefixes = IDS_PRODUCTS[product];
    if (!prefixes) return `unknown product "${product}" for category ids (known: ${Object.keys(IDS_PRODUCTS).join(', ')})`;
    return (ev) => isNetworkAlert(ev) && prefixes.some((p) => ev.event.dataset.startsWith(p));
  }
  if (product === 'azure') {
    // Every Entra sign-in shape (diagnostic, Graph, portal CSV, ECS) and M365's UserLoggedIn.
    if (service === 'signinlogs') return (ev) => ev.crosswatch.role === 'signin';
    return `unknown service "${service ?? ''}" for product azure (known: signinlogs)`;
  }
  if (product === 'm365') {
    const t = service === undefined ? undefined : M365_SERVICES[service];
    if (t) return t;
    return `unknown service "${service ?? ''}" for product m365 (known: ${Object.keys(M365_SERVICES).join(', ')})`;
  }
  return `unknown log source ${JSON.stringify(ls)} (known: product azure + service signinlogs; product m365 + service audit|exchange; category ids [+ product ${Object.keys(IDS_PRODUCTS).join('|')}])`;
}

/** The rule's log-source test; a problem (file, line of `logsource`) when we do not know it. */
export function ruleLogSource(rule: DetectionRule, problems: SigmaProblem[]): EventTest | null {
  const t = logSourceTest(rule.logsource);
  if (typeof t !== 'string') return t;
  problems.push({ file: rule.file, line: rule.line, field: 'logsource', message: t });
  return null;
}
