// The web UI (ui.ts: the page and its script) and what it shows beside the
// alerts: the rules with their investigation guides.
import type { FastifyPluginAsync } from 'fastify';
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import type { RuleDefinition } from '../detect/rules.js';
import type { ServedGeneral } from '../stream/general-stream.js';
import { UI_CSP, UI_HTML, UI_JS } from './ui.js';

export interface UiOptions {
  rules: readonly RuleDefinition[];
  /** The general Sigma rules serve runs (read at each request: a reload changes them). */
  general?: () => ServedGeneral | null;
}

/** Elastic's risk score bands, for a general rule (whose level became its risk score). */
function severityOf(risk: number): RuleDefinition['severity'] {
  return risk >= 99 ? 'critical' : risk >= 73 ? 'high' : risk >= 47 ? 'medium' : 'low';
}

// The investigation guides are markdown (rules/*.yaml): rendered here, once, and
// sanitised before the UI puts them on the page as HTML (the only HTML it takes
// from the server). Rule files are data users edit and share: raw HTML in them is
// shown as text (html: false), and whatever markdown makes is cut to a short
// allowlist, links to http(s) only.
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });
const GUIDE_TAGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'ul', 'ol', 'li', 'code', 'pre', 'em', 'strong', 'a'];

/** A guide's markdown as sanitised HTML. */
export function guideHtml(text: string): string {
  return sanitizeHtml(markdown.render(text), {
    allowedTags: GUIDE_TAGS,
    allowedAttributes: { a: ['href', 'rel'] },
    allowedSchemes: ['http', 'https'],
    allowedSchemesByTag: {},
    allowedSchemesAppliedToAttributes: ['href'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    // Every link opens without handing the page to the target.
    transformTags: { a: (tagName, attribs) => ({ tagName, attribs: { ...(attribs.href !== undefined ? { href: attribs.href } : {}), rel: 'noopener noreferrer' } }) },
  });
}

/** The rules as the API gives them: what a rule says about itself, and its guide (markdown and HTML). */
function ruleSummaries(rules: readonly RuleDefinition[]): Array<Record<string, unknown>> {
  return rules.map((r) => ({
    id: r.id, name: r.name, description: r.description, severity: r.severity, risk_score: r.risk_score, threat: r.threat, guide: r.guide, guide_html: guideHtml(r.guide),
  }));
}

/** The page, its script (GET /, GET /ui.js) and the rules (GET /api/v1/rules). */
export const uiRoutes: FastifyPluginAsync<UiOptions> = async (app, o) => {
  app.get('/', async (_req, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', UI_CSP).header('x-content-type-options', 'nosniff').send(UI_HTML));
  app.get('/ui.js', async (_req, reply) =>
    reply.header('content-type', 'text/javascript; charset=utf-8').header('x-content-type-options', 'nosniff').send(UI_JS));
  // Rendered once per set of rules: serve swaps the array's contents on SIGHUP.
  let rendered: { from: RuleDefinition[]; general: ServedGeneral | null; rules: Array<Record<string, unknown>> } | null = null;
  app.get('/api/v1/rules', async () => {
    const now = [...o.rules];
    const general = o.general?.() ?? null;
    if (!rendered || rendered.general !== general || rendered.from.length !== now.length || rendered.from.some((r, i) => r !== now[i])) {
      // The general rules serve runs follow the correlator's: their guide is their description.
      const served = general ? [...general.singles, ...general.correlations].map((id) => general.rules.meta.get(id)!).map((m) => ({
        id: m.id, name: m.name, description: m.description, severity: severityOf(m.risk_score), risk_score: m.risk_score, guide: m.description, guide_html: guideHtml(m.description),
      })) : [];
      rendered = { from: now, general, rules: [...ruleSummaries(now), ...served] };
    }
    return { rules: rendered.rules };
  });
};
