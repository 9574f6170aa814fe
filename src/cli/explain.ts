// `crosswatch explain IP PATHS...`: why each rule did or did not fire for one IP.
import { ConfigError } from '../detect/config.js';
import type { SettingsFlags } from './options.js';
import type { Io } from './io.js';

export interface ExplainFlags extends SettingsFlags {
  format?: 'text' | 'json';
}

export async function explainCommand(_ip: string, _paths: string[], _flags: ExplainFlags, _io: Io): Promise<number> {
  throw new ConfigError('explain', 'not implemented yet');
}
