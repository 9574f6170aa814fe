// Sigma detections: selections, values, wildcards, modifiers, and every way a
// detection can be refused (each problem names file, line and YAML path). The
// quoted sentences are from the Sigma specification v2.1.0
// (specification/sigma-rules-specification.md, "Rules"; and
// specification/sigma-appendix-modifiers.md, "Modifiers").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, DETECTION_FIRST_LINE as L, FILE, fires, getter, mustCompile, problemsOf, ruleText } from './sigma-helpers.js';
import { compileMatcher, explainDetection, usesKeywords } from '../../src/sigma/match.js';
import { MAX_VALUES_PER_RULE } from '../../src/sigma/detection.js';
import { MAX_REGEX_LENGTH } from '../../src/sigma/pattern.js';
import { compileWildcard, type WildcardMode } from '../../src/sigma/pattern.js';
import type { SigmaProblem } from '../../src/sigma/types.js';
import fc from 'fast-check';

/** Asserts exactly one problem, at this line and YAML path, whose message matches. */
function oneProblem(problems: SigmaProblem[], line: number, field: string, message: RegExp): void {
  assert.equal(problems.length, 1, JSON.stringify(problems, null, 2));
  const p = problems[0]!;
  assert.equal(p.file, FILE);
  assert.equal(p.line, line, `line of ${JSON.stringify(p)}`);
  assert.equal(p.field, field);
  assert.match(p.message, message);
}

// --- The parsed shape ---------------------------------------------------------

test('the parsed detection: logsource, selections in order, field matches with modifiers, lines', () => {
  const rule = mustCompile(`
selection:
    ResultType: 50053
    userAgent|contains|all:
        - 'azure'
        - 'hound'
filter:
    - Status: 'Success'
    - Status: 'Interrupted'
condition: selection and not filter`);
  assert.deepEqual(rule.logsource, { product: 'azure', service: 'signinlogs' });
  assert.deepEqual([...rule.selections.keys()], ['selection', 'filter']);
  const sel = rule.selections.get('selection')!;
  assert.equal(sel.line, L);
  assert.deepEqual(sel.anyOf, [[
    { file: FILE, line: L + 1, field: 'ResultType', modifiers: [], values: [{ kind: 'number', value: 50053 }] },
    { file: FILE, line: L + 2, field: 'userAgent', modifiers: ['contains', 'all'], values: [{ kind: 'string', pattern: 'azure' }, { kind: 'string', pattern: 'hound' }] },
  ]]);
  assert.equal(rule.selections.get('filter')!.anyOf.length, 2);
  assert.deepEqual(rule.conditionText, ['selection and not filter']);
  assert.deepEqual(rule.condition, { op: 'and', args: [{ op: 'ref', name: 'selection' }, { op: 'not', arg: { op: 'ref', name: 'filter' } }] });
  assert.equal(rule.kind, 'detection');
  assert.equal(rule.generate, true);
});

// --- Maps, lists, keywords ----------------------------------------------------

test('spec Maps: "All elements of a map are joined with a logical \'AND\'"; a value list is an OR ("Event ID 517 or Event ID 1102")', () => {
  const body = `
selection:
    EventLog: Security
    EventID:
        - 517
        - 1102
condition: selection`;
  assert.equal(fires(body, { EventLog: 'Security', EventID: 517 }), true);
  assert.equal(fires(body, { EventLog: 'Security', EventID: 1102 }), true);
  assert.equal(fires(body, { EventLog: 'Security', EventID: 4624 }), false);
  assert.equal(fires(body, { EventLog: 'System', EventID: 517 }), false);
  assert.equal(fires(body, { EventID: 517 }), false);
});

test('spec Lists: "maps ... All map items of a list are logically linked with \'OR\'"', () => {
  const body = String.raw`
selection:
    - Image|endswith: '\example.exe'
    - Description|contains: 'Test executable'
condition: selection`;
  assert.equal(fires(body, { Image: 'C:\\Temp\\example.exe' }), true);
  assert.equal(fires(body, { Description: 'a Test Executable here' }), true);
  assert.equal(fires(body, { Image: 'C:\\Temp\\other.exe', Description: 'nothing' }), false);
});

test('spec Keywords search: a list of strings is searched across the event ("event::clear" or "event::drop"); |all makes it AND', () => {
  const any = `
keywords:
    - 'event::clear'
    - 'event::drop'
condition: keywords`;
  assert.equal(fires(any, {}, ['user ran mimikatz EVENT::CLEAR now']), true);
  assert.equal(fires(any, {}, ['event::list']), false);
  // Without a keyword source the event has no text to search.
  assert.equal(fires(any, { message: 'event::clear' }), false);
  const all = `
keywords_cmdlet:
    '|all':
        - 'OabVirtualDirectory'
        - ' -ExternalUrl '
condition: keywords_cmdlet`;
  const rule = mustCompile(all);
  assert.deepEqual(rule.selections.get('keywords_cmdlet')!.anyOf[0]![0]!.field, null);
  assert.equal(fires(rule, {}, ['Set-OabVirtualDirectory -ExternalUrl https://x']), true);
  assert.equal(fires(rule, {}, ['Set-OabVirtualDirectory', 'x -ExternalUrl y']), true, 'each keyword may be in another string');
  assert.equal(fires(rule, {}, ['Set-OabVirtualDirectory']), false);
});

// --- Strings: case, wildcards, escapes ----------------------------------------

test('spec General: "All values are treated as case-insensitive strings" (numbers and booleans by their string form)', () => {
  assert.equal(fires('selection:\n    properties.message: Device Code\ncondition: selection', { properties: { message: 'DEVICE code' } }), true);
  const num = 'selection:\n    ResultType: 50053\ncondition: selection';
  assert.equal(fires(num, { ResultType: 50053 }), true);
  assert.equal(fires(num, { ResultType: '50053' }), true);
  assert.equal(fires(num, { ResultType: '500530' }), false);
  assert.equal(fires("selection:\n    ResultType|startswith: 500\ncondition: selection", { ResultType: 50053 }), true);
  const str = "selection:\n    DeviceDetail.isCompliant: 'false'\ncondition: selection";
  assert.equal(fires(str, { DeviceDetail: { isCompliant: false } }), true);
  assert.equal(fires(str, { DeviceDetail: { isCompliant: 'FALSE' } }), true);
  assert.equal(fires(str, { DeviceDetail: { isCompliant: true } }), false);
  const bool = 'selection:\n    isInteractive: true\ncondition: selection';
  assert.equal(fires(bool, { isInteractive: true }), true);
  assert.equal(fires(bool, { isInteractive: 'True' }), true);
  assert.equal(fires(bool, { isInteractive: false }), false);
});

test('spec String Wildcard: "`?` to replace a single mandatory character", "`*` to replace an unbounded length wildcard"', () => {
  const one = "selection:\n    Image: 'prog?.exe'\ncondition: selection";
  assert.equal(fires(one, { Image: 'progA.exe' }), true);
  assert.equal(fires(one, { Image: 'PROGb.EXE' }), true);
  assert.equal(fires(one, { Image: 'prog.exe' }), false);
  assert.equal(fires(one, { Image: 'progAB.exe' }), false);
  const many = "selection:\n    Image: 'antivirus_V*.exe'\ncondition: selection";
  assert.equal(fires(many, { Image: 'antivirus_V1.exe' }), true);
  assert.equal(fires(many, { Image: 'antivirus_V21.2.1.exe' }), true);
  assert.equal(fires(many, { Image: 'antivirus_V.exe' }), true);
  assert.equal(fires(many, { Image: 'xantivirus_V1.exe' }), false);
  const mixed = "selection:\n    Image: '*a?c*x*?z'\ncondition: selection";
  assert.equal(fires(mixed, { Image: '--abc--x-yz' }), true);
  assert.equal(fires(mixed, { Image: 'abcxz' }), false, 'the last ? needs a character before z');
  assert.equal(fires(mixed, { Image: 'aXcaac.x.yz' }), true);
  // A segment with a hole that fits only at the very end.
  assert.equal(fires("selection:\n    Image: 'x*b?d*'\ncondition: selection", { Image: 'xabcd' }), true);
});

/** The specification's wildcard and escape rules as a (backtracking) regular expression: the reference. */
function referenceRegex(pattern: string, mode: WildcardMode): RegExp {
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length && '*?\\'.includes(pattern[i + 1]!)) src += `\\${pattern[++i]}`;
    else if (c === '*') src += '[\\s\\S]*';
    else if (c === '?') src += '[\\s\\S]';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const pre = mode === 'contains' || mode === 'endswith' ? '[\\s\\S]*' : '';
  const post = mode === 'contains' || mode === 'startswith' ? '[\\s\\S]*' : '';
  return new RegExp(`^${pre}${src}${post}$`, 'i');
}

test('wildcard matching agrees with the specification\'s rules written as a regular expression (property test)', () => {
  const chars = fc.constantFrom('a', 'B', 'b', '*', '?', '\\', '.');
  const text = fc.array(fc.constantFrom('a', 'A', 'b', '*', '?', '\\', '.'), { maxLength: 12 }).map((a) => a.join(''));
  fc.assert(fc.property(
    fc.array(chars, { maxLength: 8 }).map((a) => a.join('')),
    fc.array(text, { minLength: 1, maxLength: 8 }),
    fc.constantFrom<WildcardMode>('equals', 'contains', 'startswith', 'endswith'),
    (pattern, samples, mode) => {
      const ours = compileWildcard(pattern, mode, true);
      const ref = referenceRegex(pattern, mode);
      for (const s of samples) assert.equal(ours(s.toLowerCase()), ref.test(s), `${mode} '${pattern}' on '${s}'`);
    },
  ), { numRuns: 3000 });
});

test('spec Escape Character: each listed backslash form', () => {
  const match = (pattern: string, value: string): boolean => fires(`selection:\n    F: '${pattern}'\ncondition: selection`, { F: value });
  // "Plain backslash not followed by a wildcard can be expressed as single `\` or double backslash `\\`."
  assert.equal(match(String.raw`C:\Windows\System32`, String.raw`C:\Windows\System32`), true);
  assert.equal(match(String.raw`C:\\Windows`, String.raw`C:\Windows`), true);
  // "A wildcard has to be escaped to be handled as a plain character. eg: `\*`, `\?`."
  assert.equal(match(String.raw`a\*b`, 'a*b'), true);
  assert.equal(match(String.raw`a\*b`, 'axxb'), false);
  assert.equal(match(String.raw`a\?b`, 'a?b'), true);
  assert.equal(match(String.raw`a\?b`, 'axb'), false);
  // "The backslash before a wildcard has to be escaped ...: `\\*`." (a backslash, then the wildcard)
  assert.equal(match(String.raw`dir\\*`, String.raw`dir\anything`), true);
  assert.equal(match(String.raw`dir\\*`, 'dir*'), false);
  // "Three backslashes are necessary to escape both ...: `\\\*`."
  assert.equal(match(String.raw`dir\\\*`, String.raw`dir\*`), true);
  assert.equal(match(String.raw`dir\\\*`, String.raw`dir\x`), false);
  // "Three or four backslashes are handled as double backslash ... `\\\\` results in the plain value `\\`."
  assert.equal(match(String.raw`\\\\srv`, String.raw`\\srv`), true);
  assert.equal(match(String.raw`\\\srv`, String.raw`\\srv`), true);
});

test('spec Special Field Values: "An empty value is defined with \'\'" and "A null value is defined with null" (absent or null)', () => {
  const empty = "selection:\n    DeviceDetail.trusttype: ''\ncondition: selection";
  assert.equal(fires(empty, { DeviceDetail: { trusttype: '' } }), true);
  assert.equal(fires(empty, { DeviceDetail: {} }), false);
  assert.equal(fires(empty, { DeviceDetail: { trusttype: null } }), false);
  const nul = 'selection:\n    DeviceDetail.trusttype: null\ncondition: selection';
  assert.equal(fires(nul, { DeviceDetail: {} }), true);
  assert.equal(fires(nul, { DeviceDetail: { trusttype: null } }), true);
  assert.equal(fires(nul, { DeviceDetail: { trusttype: '' } }), false);
  assert.equal(fires(nul, { DeviceDetail: { trusttype: 'Azure AD joined' } }), false);
  // "To get an expression that says not null you have to create another selection and negate it."
  const notNull = 'selection:\n    EventID: 4738\nfilter:\n    PasswordLastSet: null\ncondition: selection and not filter';
  assert.equal(fires(notNull, { EventID: 4738, PasswordLastSet: '2024-01-01' }), true);
  assert.equal(fires(notNull, { EventID: 4738 }), false);
});

test('null takes no modifier', () => {
  oneProblem(problemsOf('s:\n    F|contains: null\ncondition: s'), L + 1, 'detection.s.F|contains', /null takes no modifier/);
});

test('spec Special Field Values: "null cannot be part of a list of field values" is refused', () => {
  const problems = problemsOf(`
selection_main:
    FieldA: 'something'
    FieldB:
        - ''
        - null
condition: selection_main`);
  oneProblem(problems, L + 4, 'detection.selection_main.FieldB', /null cannot be part of a list/);
});

test('arrays: a field holding a list matches when any element matches; |all values may each match another element', () => {
  assert.equal(fires("selection:\n    Tags|contains: 'evil'\ncondition: selection", { Tags: ['good', 'very EVIL', 7] }), true);
  assert.equal(fires("selection:\n    Tags|contains: 'evil'\ncondition: selection", { Tags: ['good'] }), false);
  assert.equal(fires('selection:\n    Codes: 7\ncondition: selection', { Codes: [1, 7] }), true);
  assert.equal(fires('selection:\n    Codes|gt: 5\ncondition: selection', { Codes: [1, '7'] }), true);
  assert.equal(fires("selection:\n    Tags|all:\n        - 'a'\n        - 'b'\ncondition: selection", { Tags: ['b', 'A'] }), true);
  assert.equal(fires("selection:\n    Tags|all:\n        - 'a'\n        - 'b'\ncondition: selection", { Tags: ['a'] }), false);
  assert.equal(fires('selection:\n    Tags: null\ncondition: selection', { Tags: ['x', null] }), true);
});

test('objects are matched by their JSON text (a list of {Name, Value} parameters, as M365 writes them)', () => {
  const body = "selection:\n    Parameters|contains: 'ForwardingSmtpAddress'\ncondition: selection";
  assert.equal(fires(body, { Parameters: [{ Name: 'Identity', Value: 'bob' }, { Name: 'ForwardingSmtpAddress', Value: 'x@evil.example' }] }), true);
  assert.equal(fires(body, { Parameters: [{ Name: 'Identity', Value: 'bob' }] }), false);
});

// --- Modifiers ----------------------------------------------------------------

test('modifiers: contains, startswith, endswith ("Puts `*` wildcards around the values"; "The value is expected at the beginning/end")', () => {
  const ev = { CommandLine: 'C:\\Windows\\System32\\cmd.exe /c whoami' };
  assert.equal(fires("s:\n    CommandLine|contains: 'WHOAMI'\ncondition: s", ev), true);
  assert.equal(fires("s:\n    CommandLine|contains: 'cmd*who'\ncondition: s", ev), true);
  assert.equal(fires("s:\n    CommandLine|contains: 'powershell'\ncondition: s", ev), false);
  assert.equal(fires("s:\n    CommandLine|startswith: 'c:\\windows'\ncondition: s", ev), true);
  assert.equal(fires("s:\n    CommandLine|startswith: 'cmd'\ncondition: s", ev), false);
  assert.equal(fires("s:\n    CommandLine|endswith: '/C WHOAMI'\ncondition: s", ev), true);
  assert.equal(fires("s:\n    CommandLine|endswith: 'cmd.exe'\ncondition: s", ev), false);
  assert.equal(fires("s:\n    CommandLine: 'cmd.exe'\ncondition: s", ev), false, 'no modifier: the whole value');
});

test('modifier all: "changes this to AND"; "Single item values are not allowed to have an all modifier"', () => {
  const body = "s:\n    Payload|contains|all:\n        - 'New-ComplianceSearchAction'\n        - 'Export'\ncondition: s";
  assert.equal(fires(body, { Payload: 'New-ComplianceSearchAction -Export' }), true);
  assert.equal(fires(body, { Payload: 'New-ComplianceSearchAction' }), false);
  oneProblem(problemsOf("s:\n    Payload|contains|all: 'x'\ncondition: s"), L + 1, 'detection.s.Payload|contains|all', /all.*single value/);
  oneProblem(problemsOf("s:\n    Payload|contains|all:\n        - 'x'\ncondition: s"), L + 1, 'detection.s.Payload|contains|all', /all.*single value/);
});

test('modifier cased: "Values are applied case sensitively"', () => {
  assert.equal(fires("s:\n    User|cased: 'Admin'\ncondition: s", { User: 'Admin' }), true);
  assert.equal(fires("s:\n    User|cased: 'Admin'\ncondition: s", { User: 'admin' }), false);
  assert.equal(fires("s:\n    User|contains|cased: 'dm'\ncondition: s", { User: 'ADMIN' }), false);
  assert.equal(fires("s:\n    User|contains|cased: 'dm'\ncondition: s", { User: 'Admin' }), true);
});

test('modifier re: "Regex is matched case-sensitive by default" with sub-modifiers i, m, s', () => {
  const ev = { Cmd: 'line one\nPowerShell -enc AAAA' };
  assert.equal(fires("s:\n    Cmd|re: 'PowerShell\\s+-enc'\ncondition: s", ev), true);
  assert.equal(fires("s:\n    Cmd|re: 'powershell\\s+-enc'\ncondition: s", ev), false);
  assert.equal(fires("s:\n    Cmd|re|i: 'powershell\\s+-enc'\ncondition: s", ev), true);
  // m: "^ /$ match the start/end of line"
  assert.equal(fires("s:\n    Cmd|re: '^PowerShell'\ncondition: s", ev), false);
  assert.equal(fires("s:\n    Cmd|re|m: '^PowerShell'\ncondition: s", ev), true);
  // s: "dot (.) matches all characters, including the newline character"
  assert.equal(fires("s:\n    Cmd|re: 'one.PowerShell'\ncondition: s", ev), false);
  assert.equal(fires("s:\n    Cmd|re|s: 'one.PowerShell'\ncondition: s", ev), true);
  // A leading PCRE inline flag group is read as the flags.
  assert.equal(fires("s:\n    Cmd|re: '(?i)POWERSHELL'\ncondition: s", ev), true);
  // The regex is a search, not a whole-value match.
  assert.equal(fires("s:\n    Cmd|re: 'enc'\ncondition: s", ev), true);
});

test('modifier re: a regex that does not compile, one that could backtrack catastrophically, and one too long are refused', () => {
  oneProblem(problemsOf("s:\n    Cmd|re: 'a(b'\ncondition: s"), L + 1, 'detection.s.Cmd|re', /regular expression.*(invalid|compile)/i);
  oneProblem(problemsOf("s:\n    Cmd|re: '(a+)+$'\ncondition: s"), L + 1, 'detection.s.Cmd|re', /catastrophic/);
  const long = 'a'.repeat(MAX_REGEX_LENGTH + 1);
  oneProblem(problemsOf(`s:\n    Cmd|re: '${long}'\ncondition: s`), L + 1, 'detection.s.Cmd|re', /longer than/);
  // In a value list the line is the item's.
  oneProblem(problemsOf("s:\n    Cmd|re:\n        - 'ok'\n        - '(x+x+)+y'\ncondition: s"), L + 3, 'detection.s.Cmd|re', /catastrophic/);
  oneProblem(problemsOf("s:\n    Cmd|i: 'x'\ncondition: s"), L + 1, 'detection.s.Cmd|i', /only after re/);
  oneProblem(problemsOf("s:\n    Cmd|re|contains: 'x'\ncondition: s"), L + 1, 'detection.s.Cmd|re|contains', /re.*contains|contains.*re/);
});

test('modifier exists: "a certain field has to exist or must not exist"; "not its value, be it empty or null"', () => {
  const yes = 'selection:\n    EventID: 4738\n    PasswordLastSet|exists: true\ncondition: selection';
  assert.equal(fires(yes, { EventID: 4738, PasswordLastSet: 'x' }), true);
  assert.equal(fires(yes, { EventID: 4738, PasswordLastSet: null }), true);
  assert.equal(fires(yes, { EventID: 4738, PasswordLastSet: '' }), true);
  assert.equal(fires(yes, { EventID: 4738 }), false);
  const no = 'selection:\n    PasswordLastSet|exists: false\ncondition: selection';
  assert.equal(fires(no, {}), true);
  assert.equal(fires(no, { PasswordLastSet: 'x' }), false);
  oneProblem(problemsOf("s:\n    F|exists: 'yes'\ncondition: s"), L + 1, 'detection.s.F|exists', /exists.*true or false/);
  oneProblem(problemsOf('s:\n    F|exists|contains: true\ncondition: s'), L + 1, 'detection.s.F|exists|contains', /exists/);
});

test('modifiers gt, gte, lt, lte: "Field is greater/less (or equal) than the value"; numbers only', () => {
  const cases: Array<[string, number, boolean]> = [
    ['gt', 10, false], ['gt', 11, true], ['gte', 10, true], ['gte', 9, false],
    ['lt', 10, false], ['lt', 9, true], ['lte', 10, true], ['lte', 11, false],
  ];
  for (const [mod, value, expected] of cases) {
    assert.equal(fires(`s:\n    Count|${mod}: 10\ncondition: s`, { Count: value }), expected, `${value} ${mod} 10`);
    assert.equal(fires(`s:\n    Count|${mod}: 10\ncondition: s`, { Count: String(value) }), expected, `"${value}" ${mod} 10`);
  }
  assert.equal(fires('s:\n    Count|gt: 10\ncondition: s', { Count: 'many' }), false);
  assert.equal(fires('s:\n    Count|lt: 10\ncondition: s', { Count: '' }), false, 'an empty string is no number');
  assert.equal(fires('s:\n    Count|lt: 10\ncondition: s', {}), false);
  oneProblem(problemsOf("s:\n    Count|gt: '10'\ncondition: s"), L + 1, 'detection.s.Count|gt', /number/);
  oneProblem(problemsOf('s:\n    Count|gt|lt: 10\ncondition: s'), L + 1, 'detection.s.Count|gt|lt', /gt.*lt|one of/);
});

test('modifier cidr: "Supports both IPv4 and IPv6 notations"', () => {
  const v4 = "s:\n    ipAddress|cidr: '10.0.0.0/8'\ncondition: s";
  assert.equal(fires(v4, { ipAddress: '10.20.30.40' }), true);
  assert.equal(fires(v4, { ipAddress: '11.0.0.1' }), false);
  assert.equal(fires(v4, { ipAddress: '::ffff:10.1.2.3' }), true, 'an IPv4-mapped IPv6 is its IPv4');
  assert.equal(fires(v4, { ipAddress: 'not an ip' }), false);
  assert.equal(fires(v4, {}), false);
  const v6 = "s:\n    ipAddress|cidr:\n        - '2001:db8::/32'\n        - '192.168.0.0/16'\ncondition: s";
  assert.equal(fires(v6, { ipAddress: '2001:DB8:0:1::5' }), true);
  assert.equal(fires(v6, { ipAddress: '2001:db9::5' }), false);
  assert.equal(fires(v6, { ipAddress: '192.168.7.7' }), true);
  oneProblem(problemsOf("s:\n    ipAddress|cidr: '10.0.0.0/33'\ncondition: s"), L + 1, 'detection.s.ipAddress|cidr', /CIDR/);
  oneProblem(problemsOf("s:\n    ipAddress|cidr: '10.*'\ncondition: s"), L + 1, 'detection.s.ipAddress|cidr', /CIDR/);
});

test('modifiers base64 ("The value is encoded with Base64") and base64offset (the three shifted encodings)', () => {
  // "cmd /c whoami" base64: Y21kIC9jIHdob2FtaQ==
  assert.equal(fires("s:\n    Data|base64: 'cmd /c whoami'\ncondition: s", { Data: 'Y21kIC9jIHdob2FtaQ==' }), true);
  assert.equal(fires("s:\n    Data|base64|contains: 'whoami'\ncondition: s", { Data: 'xx d2hvYW1p yy' }), true);
  const offset = "s:\n    Data|base64offset|contains: 'whoami'\ncondition: s";
  for (const prefix of ['', 'a', 'ab', 'abc', 'abcd']) {
    const encoded = Buffer.from(`${prefix}whoami is here`).toString('base64');
    assert.equal(fires(offset, { Data: encoded }), true, `offset ${prefix.length}: ${encoded}`);
  }
  assert.equal(fires(offset, { Data: Buffer.from('who am i').toString('base64') }), false);
  oneProblem(problemsOf("s:\n    Data|base64: 'who*'\ncondition: s"), L + 1, 'detection.s.Data|base64', /wildcard/);
  oneProblem(problemsOf("s:\n    Data|contains|base64: 'who'\ncondition: s"), L + 1, 'detection.s.Data|contains|base64', /base64.*before/);
});

test('modifier fieldref: "compare fields of matched events directly at query/matching time"', () => {
  const body = "s:\n    TargetUser|fieldref: SubjectUser\ncondition: s";
  assert.equal(fires(body, { TargetUser: 'Bob', SubjectUser: 'bob' }), true);
  assert.equal(fires(body, { TargetUser: 'Bob', SubjectUser: 'alice' }), false);
  assert.equal(fires(body, { TargetUser: 'Bob' }), false);
  assert.equal(fires("s:\n    Path|fieldref|endswith: Name\ncondition: s", { Path: 'C:\\x\\evil.exe', Name: 'EVIL.exe' }), true);
});

test('unknown and unsupported modifiers are refused, naming file, line and field', () => {
  oneProblem(problemsOf("selection:\n    ResultType|containz: 'x'\ncondition: selection"), L + 1, 'detection.selection.ResultType|containz', /unknown modifier 'containz'/);
  oneProblem(problemsOf("selection:\n    CommandLine|windash|contains: ' -enc '\ncondition: selection"), L + 1, 'detection.selection.CommandLine|windash|contains', /windash.*not supported/);
  oneProblem(problemsOf("selection:\n    location|expand: '%Known%'\ncondition: selection"), L + 1, 'detection.selection.location|expand', /placeholder/);
  oneProblem(problemsOf("selection:\n    F|contains|contains: 'x'\ncondition: selection"), L + 1, 'detection.selection.F|contains|contains', /twice/);
  oneProblem(problemsOf("selection:\n    F|contains|startswith: 'x'\ncondition: selection"), L + 1, 'detection.selection.F|contains|startswith', /contains.*startswith|one of/);
  // In a list of maps the path names the item.
  oneProblem(problemsOf("selection:\n    - A: 1\n    - B|nope: 2\ncondition: selection"), L + 2, 'detection.selection.1.B|nope', /unknown modifier 'nope'/);
});

test('malformed selections are refused: empty, nested lists, objects as values, booleans as keywords, v1 timeframe', () => {
  oneProblem(problemsOf('s: {}\ncondition: s'), L, 'detection.s', /empty/);
  oneProblem(problemsOf('s: []\ncondition: s'), L, 'detection.s', /empty/);
  oneProblem(problemsOf('s:\n    F: []\ncondition: s'), L + 1, 'detection.s.F', /empty/);
  oneProblem(problemsOf('s:\n    F:\n        - [a, b]\ncondition: s'), L + 2, 'detection.s.F', /string, number, boolean or null/);
  oneProblem(problemsOf('s:\n    F:\n        a: b\ncondition: s'), L + 1, 'detection.s.F', /string, number, boolean or null/);
  oneProblem(problemsOf('s:\n    - true\ncondition: s'), L + 1, 'detection.s', /keyword/);
  oneProblem(problemsOf("s:\n    F|contains: true\ncondition: s"), L + 1, 'detection.s.F|contains', /boolean/);
  oneProblem(problemsOf('s:\n    F: x\ntimeframe: 5m\ncondition: s'), L + 2, 'detection.timeframe', /correlation/);
  oneProblem(problemsOf('s:\n    F: x'), L - 1, 'detection.condition', /no condition/);
});

test('logsource and detection must be maps; logsource names at least one of category, product, service', () => {
  const noLog = compile('title: t\nid: 5f9c2a51-3c1e-4f7a-9d2b-000000000001\ndetection:\n    s:\n        F: x\n    condition: s\n');
  oneProblem(noLog.problems, 1, 'logsource', /logsource/);
  const badLog = compile('title: t\nid: 5f9c2a51-3c1e-4f7a-9d2b-000000000001\nlogsource:\n    product: 7\ndetection:\n    s:\n        F: x\n    condition: s\n');
  oneProblem(badLog.problems, 4, 'logsource.product', /string/);
  const emptyLog = compile('title: t\nid: 5f9c2a51-3c1e-4f7a-9d2b-000000000001\nlogsource:\n    definition: x\ndetection:\n    s:\n        F: x\n    condition: s\n');
  oneProblem(emptyLog.problems, 3, 'logsource', /category, product or service/);
  const badDet = compile('title: t\nid: 5f9c2a51-3c1e-4f7a-9d2b-000000000001\nlogsource:\n    product: azure\ndetection: [a]\n');
  oneProblem(badDet.problems, 5, 'detection', /map/);
});

test(`a rule is bounded: more than ${MAX_VALUES_PER_RULE} values is refused`, () => {
  const values = Array.from({ length: MAX_VALUES_PER_RULE + 1 }, (_, i) => `        - 'v${i}'`).join('\n');
  const problems = problemsOf(`s:\n    F:\n${values}\ncondition: s`);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /more than 10000 values/);
});

test('a condition problem names detection.condition and its line; a condition list item names its index', () => {
  oneProblem(problemsOf('s:\n    F: x\ncondition: s and t'), L + 2, 'detection.condition', /unknown.*'t'/);
  oneProblem(problemsOf('s:\n    F: x\ncondition:\n    - s\n    - 1 of x*'), L + 4, 'detection.condition.1', /x\*.*no search identifier|matches no/);
  oneProblem(problemsOf('s:\n    F: x\ncondition: s | count() > 5'), L + 2, 'detection.condition', /correlation/);
});

test('spec Condition: "The condition can be a list ... They are logically linked with OR"', () => {
  const rule = mustCompile("a:\n    F: 1\nb:\n    G: 2\ncondition:\n    - a\n    - b");
  assert.deepEqual(rule.conditionText, ['a', 'b']);
  assert.equal(fires(rule, { F: 1 }), true);
  assert.equal(fires(rule, { G: 2 }), true);
  assert.equal(fires(rule, { F: 2, G: 1 }), false);
});

// --- Explain ------------------------------------------------------------------

test('explainDetection: per selection whether it matched and, when not, the field match that failed with the actual value', () => {
  const rule = mustCompile(`
selection:
    ResultType: 50074
    ResultDescription|contains: 'Strong Auth required'
filter:
    - UserPrincipalName|endswith: '@svc.example'
    - AppId: 'abc'
condition: selection and not filter`);
  const event = { ResultType: 50074, ResultDescription: 'Something else', UserPrincipalName: 'bob@corp.example' };
  const ex = explainDetection(rule, getter(event));
  assert.equal(ex.matched, false);
  assert.deepEqual(ex.selections.map((s) => [s.name, s.matched]), [['selection', false], ['filter', false]]);
  const sel = ex.selections[0]!;
  assert.deepEqual(sel.misses, [{ field: 'ResultDescription', modifiers: ['contains'], values: ['Strong Auth required'], line: L + 2, actual: 'Something else' }]);
  assert.deepEqual(ex.selections[1]!.misses.map((m) => [m.field, m.actual]), [['UserPrincipalName', 'bob@corp.example'], ['AppId', undefined]]);
  assert.equal(compileMatcher(rule)(getter({ ...event, ResultDescription: 'Strong Auth Required.' })), true);
  const hit = explainDetection(rule, getter({ ...event, ResultDescription: 'Strong Auth Required.' }));
  assert.equal(hit.matched, true);
  assert.deepEqual(hit.selections[0]!.misses, []);
  // A keyword search that misses has no field and no actual value.
  const kw = mustCompile("keywords:\n    - 'mimikatz'\ncondition: keywords");
  assert.equal(usesKeywords(kw), true);
  assert.equal(usesKeywords(rule), false);
  assert.deepEqual(explainDetection(kw, getter({}), () => ['nothing here']).selections[0]!.misses, [{ field: null, modifiers: [], values: ['mimikatz'], line: L + 1, actual: undefined }]);
  assert.equal(explainDetection(kw, getter({}), () => ['MIMIKATZ.exe']).matched, true);
  // Data only: it survives JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(hit)).matched, true);
});

test('a hostile wildcard pattern is matched in linear time (no backtracking regular expression)', () => {
  const star = "s:\n    F: '" + '*a'.repeat(40) + "*b'\ncondition: s";
  const rule = mustCompile(star);
  const started = Date.now();
  assert.equal(fires(rule, { F: 'a'.repeat(20_000) }), false);
  assert.ok(Date.now() - started < 1000, 'took too long');
});

test('ruleText helper: the detection body starts at line 7', () => {
  assert.equal(ruleText('x: 1').split('\n')[L - 1], '    x: 1');
});
