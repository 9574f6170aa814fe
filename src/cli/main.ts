// The command line (DESIGN.md §4): hunt, explain, normalize, generate, demo, rules.
// Exit codes: 0 success (with or without alerts), 1 usage or configuration
// error, 2 input unreadable (or, with --strict, input with rejected records).
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, DEFAULT_MAX_USERS_PER_IP, DEFAULT_WINDOW_MS } from '../detect/config.js';
import { formatDuration } from '../model/time.js';
import { UnreadableInput } from '../inputs/inputs.js';
import { RuleLoadError } from '../detect/rules.js';
import { OutputError } from './output.js';
import { terminalSafe } from './terminal.js';
import { huntCommand, type HuntFlags } from './hunt.js';
import type { ExplainFlags } from './explain.js';
import type { NormalizeFlags } from './normalize.js';
import type { RulesConvertFlags, RulesValidateFlags } from './rules.js';
import type { RulesTestFlags } from './rules-test.js';
import type { ServeFlags } from './serve.js';
import type { StatusFlags } from './status.js';

import { EXIT_INPUT, EXIT_OK, EXIT_USAGE, type Io } from './io.js';

export { EXIT_INPUT, EXIT_OK, EXIT_USAGE, type Io };

const defaultIo: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };

/** The detection settings hunt and serve share (config-file keys of the same names). */
function detectionOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'YAML config file; flags win over its keys (default: none)')
    .option('--window <duration>', `correlation window after a network alert, e.g. 4h or 90m (default: ${formatDuration(DEFAULT_WINDOW_MS)})`)
    .option('--max-users-per-ip <n>', `drop matches from IPs with more distinct successful users than this in the window (default: ${DEFAULT_MAX_USERS_PER_IP})`)
    .option('--allow <cidrs>', 'comma-separated CIDR allowlist: corporate egress, VPN, proxies (default: none; special-purpose ranges are always excluded)')
    .option('--rules <path>', 'Sigma rules to run, a file or folder (repeatable; "builtin" names the built-in ones); they replace the built-ins (default: builtin)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--pipeline <name>', 'rewrite the rules\' field names first: crosswatch-microsoft reads SigmaHQ\'s Entra ID and M365 rules (default: none)');
}

/** How records are read, shared by hunt, normalize and serve. */
function decodeOptions(cmd: Command): Command {
  return cmd
    .option('--device-timezone <zone>', 'zone for zone-less device times (PAN-OS, fast.log, syslog): +09:30 or an IANA name (default: UTC)')
    .option('--map <spec>', 'read an unknown JSON alert feed: ip=FIELD,time=FIELD[,name=FIELD,severity=FIELD,sensor=FIELD,dataset=NAME] (default: none)');
}

function program(io: Io, setCode: (c: number) => void): Command {
  const prog = new Command('crosswatch')
    .description('Finds cloud sign-ins and mailbox access from IPs that network sensors alerted on shortly before.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(run crosswatch --help for usage)');

  decodeOptions(detectionOptions(prog
    .command('hunt')
    .description('Run the detections over exported logs (files, folders, .gz, - for stdin).')
    .argument('<paths...>', 'files or folders to read; - reads stdin')))
    .option('--max-events-per-ip <n>', "compatibility: drop matches from IPs with more qualifying events than this, Elastic's cap (default: off)")
    .addOption(new Option('--format <format>', 'alert output format (default: table on a terminal, else ndjson)').choices(['ndjson', 'table']))
    .option('--out <file>', 'write alerts (NDJSON) to this file instead of stdout; its folder is made if missing (default: stdout)')
    .option('--threads <n>', 'decode threads; 1: the main thread only (default: one per core for large inputs)')
    .option('--full-scan', 'parse and check every record even on large inputs (default: from 64 MB, records that cannot matter are only counted)')
    .option('--strict', 'exit with code 2 if any record is rejected (default: rejected records are counted and reported)')
    .option('--no-progress', 'no progress bar (default: a bar on a terminal for inputs from 8 MB)')
    .option('--quiet', 'no summary on stderr (default: a summary)')
    .action(async (paths: string[], flags: HuntFlags) => {
      setCode(await huntCommand(paths, flags, io));
    });

  decodeOptions(detectionOptions(prog
    .command('explain')
    .description('Say for each rule why it did or did not fire for one source IP, from the same inputs as hunt.')
    .argument('<ip>', 'the source IP')
    .argument('<paths...>', 'files or folders to read; - reads stdin')))
    .option('--max-events-per-ip <n>', "compatibility: drop matches from IPs with more qualifying events than this, Elastic's cap (default: off)")
    .addOption(new Option('--format <format>', 'output format (default: text)').choices(['text', 'json']))
    .action(async (ip: string, paths: string[], flags: ExplainFlags) => {
      const { explainCommand } = await import('./explain.js');
      setCode(await explainCommand(ip, paths, flags, io));
    });

  decodeOptions(prog
    .command('normalize')
    .description('Print one JSON line per input record: the normalized event, or an error line.')
    .argument('<paths...>', 'files or folders to read; - reads stdin'))
    .option('--explain', 'instead: say which decoder takes each record and why, or which came closest and what they missed')
    .option('--config <file>', 'YAML config file: deviceTimezone, map (default: none)')
    .option('--strict', 'exit with code 2 if any record is rejected')
    .action(async (paths: string[], flags: NormalizeFlags) => {
      // Loaded when used (as serve and status): each module costs every hunt start-up time.
      const { normalizeCommand } = await import('./normalize.js');
      setCode(await normalizeCommand(paths, flags, io));
    });

  decodeOptions(detectionOptions(prog
    .command('serve')
    .description('Run the detections continuously: HTTP ingest, SQLite store, alerts API, web UI, metrics.')))
    .option('--data-dir <dir>', 'where the SQLite store lives (default: ./crosswatch-data)')
    .option('--host <host>', 'address to listen on (default: 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default: 8470)')
    .option('--token <token>', 'API bearer token (default: --token-file, else CROSSWATCH_TOKEN)')
    .option('--token-file <file>', 'file holding the API bearer token')
    .option('--session-idle <duration>', 'a web UI session ends after this long without a request (default: 30m)')
    .option('--session-max <duration>', 'a web UI session ends this long after sign-in (default: 12h)')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate chain, with --tls-key (default: none, plain HTTP)')
    .option('--tls-key <file>', 'the PEM private key for --tls-cert (default: none)')
    .option('--allowed-lateness <duration>', 'how late an event may arrive and still match (default: 24h)')
    .option('--retention <duration>', 'keep no event older than the newest one by more than this (default: 30d)')
    .option('--future-skew <duration>', 'how far ahead of this clock a record may be dated; later ones wait in quarantine until then (default: 15m)')
    .option('--body-limit <bytes>', 'largest ingest request body in bytes (default: 33554432, 32 MiB)')
    .option('--ingest-threads <n>', 'worker threads decoding HTTP bodies; 0 decodes on the main thread (default: one per core, at most 4)')
    .option('--synchronous <mode>', 'store durability: full survives power loss, normal a killed process and is faster (default: full)')
    .option('--tail <dir>', 'follow new lines of the files in this folder (default: none)')
    .option('--tail-match <glob>', 'only files whose name matches, e.g. "*.log" (default: every file)')
    .option('--syslog-udp <port>', 'receive syslog over UDP on this port (default: off)')
    .option('--syslog-tcp <port>', 'receive syslog over TCP on this port, octet-counted or newline framing (default: off)')
    .option('--syslog-allow <cidrs>', 'comma-separated networks syslog senders may send from; others are counted and dropped (default: 127.0.0.0/8,::1/128)')
    .option('--syslog-tls <port>', 'receive syslog over TLS (RFC 5425) on this port; needs --syslog-tls-cert, --syslog-tls-key and --syslog-tls-ca (default: off)')
    .option('--syslog-tls-cert <file>', 'the PEM server certificate chain for --syslog-tls (default: none)')
    .option('--syslog-tls-key <file>', 'the PEM private key for --syslog-tls-cert (default: none)')
    .option('--syslog-tls-ca <file>', 'PEM CA bundle: --syslog-tls senders must present a client certificate that chains to it (default: none)')
    .option('--webhook <url>', 'POST every alert change to this URL, JSON, retried until accepted (default: none)')
    .option('--webhook-secret <secret>', 'sign webhook bodies: X-Crosswatch-Signature: sha256=HMAC(secret, body) (default: unsigned)')
    .option('--alerts-file <file>', 'append every alert change to this NDJSON file (default: none)')
    .option('--alerts-stdout', 'print every alert change to stdout as NDJSON (default: off)')
    .action(async (flags: ServeFlags) => {
      const { serveCommand } = await import('./serve.js');
      setCode(await serveCommand(flags, io));
    });

  const rules = prog
    .command('rules')
    .description('Check, test and convert Sigma rules: the built-in ones or your own (docs/rules.md).');
  rules
    .command('validate')
    .description('Check rules as hunt and serve load them; print each problem as file:line: field: reason (exit 2 if any).')
    .argument('<paths...>', 'rule files or folders, read together as --rules reads them; "builtin" names the built-in rules')
    .option('--pipeline <name>', 'rewrite the rules\' field names first, as hunt --pipeline does: crosswatch-microsoft (default: none)')
    .action(async (paths: string[], flags: RulesValidateFlags) => {
      const { rulesValidateCommand } = await import('./rules.js');
      setCode(rulesValidateCommand(paths, flags, io));
    });
  rules
    .command('test')
    .description("Run each alerting rule's samples (samples/<rule id>/fire|quiet/<scenario>/ beside it) through hunt (exit 1 if one fails).")
    .argument('[paths...]', 'rule files or folders; "builtin" names the built-in rules (default: builtin)')
    .option('--config <file>', 'YAML config file: window, maxUsersPerIp, allow, rules, pipeline as hunt reads them (default: none)')
    .option('--pipeline <name>', 'rewrite the rules\' field names first, as hunt --pipeline does: crosswatch-microsoft (default: none)')
    .addOption(new Option('--format <format>', 'result format (default: table on a terminal, else text)').choices(['table', 'text']))
    .action(async (paths: string[], flags: RulesTestFlags) => {
      const { rulesTestCommand } = await import('./rules-test.js');
      setCode(await rulesTestCommand(paths, flags, io));
    });
  rules
    .command('convert')
    .description('Print each rule as an Elastic ES|QL or EQL, Sentinel KQL or Splunk SPL query, or why it cannot be converted.')
    .requiredOption('--target <target>', 'query language: esql, eql, kql or spl (required)')
    .option('--pipeline <name>', 'rewrite the rules\' field names first, as hunt --pipeline does: crosswatch-microsoft (default: none)')
    .argument('[paths...]', 'rule files or folders; "builtin" names the built-in rules (default: builtin)')
    .action(async (paths: string[], flags: RulesConvertFlags) => {
      const { rulesConvertCommand } = await import('./rules.js');
      setCode(rulesConvertCommand(paths, flags, io));
    });

  prog
    .command('token')
    .description('API tokens for serve.')
    .command('new')
    .description('Print a new API token: 32 random bytes, base64url (serve takes none shorter than 32 characters).')
    .action(async () => {
      const { tokenNewCommand } = await import('./token.js');
      setCode(tokenNewCommand(io));
    });

  prog
    .command('status')
    .description('Show what a running crosswatch serve is doing: records, rejects, watermark, state, alerts, sinks.')
    .option('--url <url>', 'the service (default: CROSSWATCH_URL, else http://127.0.0.1:8470)')
    .option('--token <token>', 'API bearer token (default: --token-file, else CROSSWATCH_TOKEN)')
    .option('--token-file <file>', 'file holding the API bearer token')
    .option('--json', 'print the raw status JSON')
    .action(async (flags: StatusFlags) => {
      const { statusCommand } = await import('./status.js');
      setCode(await statusCommand(flags, io));
    });

  prog
    .command('generate')
    .description('Write realistic raw-format sample data with injected attacks and a ground-truth file.')
    .requiredOption('--out <dir>', 'output folder, made if missing (required)')
    .option('--events <n>', 'number of records', '20000')
    .option('--seed <s>', 'random seed', '1')
    .addOption(new Option('--mix <mix>', 'file formats: each vendor\'s own (NDJSON, JSON arrays, envelopes, Graph pages, a Purview CSV), or NDJSON only, one record a line: the same records and truth (default: mixed)').choices(['mixed', 'ndjson']))
    .action(async (flags: { out: string; events: string; seed: string; mix?: 'mixed' | 'ndjson' }) => {
      // Loaded on demand: hunt never needs the generator.
      const { generateCommand } = await import('./generate.js');
      setCode(await generateCommand(flags, io));
    });

  prog
    .command('demo')
    .description('Generate sample data into a temporary folder and hunt it: no set-up needed.')
    .option('--events <n>', 'number of records', '20000')
    .option('--seed <s>', 'random seed', '1')
    .option('--keep <dir>', 'generate into this folder and keep it (default: a temporary folder, removed after)')
    .addOption(new Option('--format <format>', 'alert output format (default: table on a terminal, else ndjson)').choices(['ndjson', 'table']))
    .action(async (flags: { events: string; seed: string; keep?: string; format?: 'ndjson' | 'table' }) => {
      const { demoCommand } = await import('./generate.js');
      setCode(await demoCommand(flags, io));
    });
  return prog;
}

/** The reader of our output went away (`crosswatch normalize … | head -1`). */
export function isClosedPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

/**
 * When stdout's reader closes early, stop quietly with exit 0, as grep and jq do:
 * the output that was wanted has been taken. (Without a listener, the EPIPE error
 * event would end the process with a stack trace.)
 */
function quietOnClosedPipe(io: Io): void {
  if (io.stdout !== process.stdout) return;
  io.stdout.on('error', (err) => {
    if (isClosedPipe(err)) process.exit(EXIT_OK);
    throw err;
  });
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  quietOnClosedPipe(io);
  let code = EXIT_OK;
  const prog = program(io, (c) => {
    code = c;
  });
  try {
    if (argv.length === 0) {
      prog.outputHelp();
      return EXIT_USAGE;
    }
    await prog.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    // Messages name paths and values the user gave: escaped for the terminal.
    if (err instanceof ConfigError) {
      io.stderr.write(`crosswatch: configuration error: ${terminalSafe(err.message)}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof RuleLoadError || err instanceof OutputError) {
      io.stderr.write(`crosswatch: ${terminalSafe(err.message)}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof UnreadableInput) {
      io.stderr.write(`crosswatch: ${terminalSafe(err.message)}\n`);
      return EXIT_INPUT;
    }
    if (isClosedPipe(err)) return EXIT_OK;
    throw err;
  }
}
