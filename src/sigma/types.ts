// The Sigma rule language as crosswatch holds it after parsing (SigmaHQ
// specification v2: https://github.com/SigmaHQ/sigma-specification). Everything
// here is plain data: the matcher (match.ts), the correlation engine
// (correlate.ts), `explain` and the converters (convert/) all read these shapes,
// so none of them re-reads YAML. Field names are the normalized event's ECS names
// (docs/rules.md) after any field mapping (a processing pipeline) has run.

/** Where a problem or a rule part came from: a file and a 1-based line. */
export interface SourceRef {
  file: string;
  line: number;
}

/** One problem with a rule text: file:line, the field (a dotted YAML path) and the reason. */
export interface SigmaProblem extends SourceRef {
  /** The YAML path of the offending key, e.g. "detection.selection.ResultType|contains". */
  field?: string;
  message: string;
}

/** The value modifiers crosswatch supports (others are rejected with a problem naming them). */
export type Modifier =
  | 'contains' | 'startswith' | 'endswith' | 'all' | 're' | 'cidr' | 'exists'
  | 'gt' | 'gte' | 'lt' | 'lte'
  // Regular-expression flags (spec: re|i, re|m, re|s).
  | 'i' | 'm' | 's'
  | 'base64' | 'base64offset' | 'cased' | 'fieldref';

/**
 * One value of a field match. Strings keep Sigma's wildcards: `*` any run, `?`
 * one character, `\` escapes (`\*`, `\?`, `\\`); `pattern` is the text as written.
 */
export type SigmaValue =
  | { kind: 'string'; pattern: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

/** `field|mod1|mod2: value(s)`: true when the field's value matches any value (all with `|all`). */
export interface FieldMatch extends SourceRef {
  /** The ECS field name; null for a keyword search (a value list with no field). */
  field: string | null;
  modifiers: Modifier[];
  values: SigmaValue[];
}

/**
 * A named search identifier of `detection:`. A map is the AND of its field
 * matches; a list of maps is the OR of them; a list of plain values is a keyword
 * search (one FieldMatch with field null).
 */
export interface Selection extends SourceRef {
  name: string;
  /** OR of ANDs. */
  anyOf: FieldMatch[][];
}

/** A parsed `condition:`. */
export type ConditionNode =
  | { op: 'and' | 'or'; args: ConditionNode[] }
  | { op: 'not'; arg: ConditionNode }
  | { op: 'ref'; name: string }
  /** `1 of sel_*`, `all of them`, `any of x*` (== 1 of): names are the matching selections, resolved at parse time. */
  | { op: 'of'; quantifier: 'one' | 'all'; pattern: string; names: string[] };

export interface LogSource {
  product?: string;
  service?: string;
  category?: string;
}

/** Fields every rule (detection or correlation) carries. */
export interface RuleMeta extends SourceRef {
  /** The rule's `id` (a UUID in SigmaHQ); required by crosswatch, as alert ids derive from it. */
  id: string;
  /** The rule's `name` (correlations reference rules by name or id). */
  name?: string;
  title: string;
  level: 'informational' | 'low' | 'medium' | 'high' | 'critical';
  status?: string;
  description?: string;
  author?: string;
  references?: string[];
  tags?: string[];
  falsepositives?: string[];
  /** Whether it raises alerts of its own (detections: yes unless a correlation uses them and generate is false). */
  generate: boolean;
  /** The raw document, for `crosswatch:` extensions and for explain/convert to show. */
  raw: Record<string, unknown>;
}

export interface DetectionRule extends RuleMeta {
  kind: 'detection';
  logsource: LogSource;
  /** The line of `logsource:` (problems with the log source name it). */
  logsourceLine?: number;
  selections: ReadonlyMap<string, Selection>;
  /** Several `condition:` entries are alternatives: the rule matches when any does. */
  condition: ConditionNode;
  /** The condition text(s) as written, for explain and convert. */
  conditionText: string[];
}

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';

/** A correlation's count condition: all given bounds must hold. */
export interface CountCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
  /** Sigma 2.1: the count must differ from this. */
  neq?: number;
  /** value_count: the field whose distinct values are counted. */
  field?: string;
}

export interface CorrelationRule extends RuleMeta {
  kind: 'correlation';
  type: CorrelationType;
  /** The referenced rules, by name or id as written, in order (temporal_ordered: the order). */
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  /** The timespan as written ("8h"). */
  timespanText: string;
  condition?: CountCondition;
  /** alias → (referenced rule name or id → that rule's field). */
  aliases: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /**
   * The line of each part of `correlation:` that the rule set's checks may name
   * ("correlation.rules[1]", "correlation.group-by[0]", "correlation.aliases.ip.login"),
   * so a problem found only once all rules are known still names its line.
   */
  fieldLines?: Readonly<Record<string, number>>;
}

export type SigmaRule = DetectionRule | CorrelationRule;

/** What the `correlation:` block of a correlation document compiles to (correlation.ts). */
export type CorrelationBody = Pick<CorrelationRule, 'type' | 'rules' | 'groupBy' | 'timespanMs' | 'timespanText' | 'condition' | 'aliases' | 'fieldLines'> & {
  /**
   * `correlation.generate` (or a top-level `generate:`, where the specification's
   * JSON schema puts it), default false: whether the referenced rules still raise
   * alerts of their own. Not RuleMeta.generate (whether this rule does).
   */
  generate: boolean;
};
