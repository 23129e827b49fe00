// What every subcommand gets: the global flags (as Nodepool users type them, before the
// subcommand), where to write, and a way to set the exit code.
import { type Command } from 'commander';
import { type LoadedConfig } from '../lib/config';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface GlobalOptions {
  /** -c/--config, default /etc/nodepool/nodepool.yaml */
  config: string;
  /** -s/--secure */
  secure?: string;
  /** -l/--logconfig (accepted for compatibility; see nodepool.ts) */
  logconfig?: string;
  debug: boolean;
}

export interface CommandContext {
  io: CliIO;
  globals(): GlobalOptions;
  /** Nodepool exit codes: 0 ok, 1 failure (e.g. config-validate found problems). */
  setExitCode(code: number): void;
  /**
   * Load -c (+ -s) as every Nodepool command except config-validate does first. A broken config
   * throws ConfigError, which run() prints issue by issue and turns into exit 1.
   */
  loadConfig(): Promise<LoadedConfig>;
}

/** One subcommand (or group): adds itself to the program. */
export interface CommandModule {
  register(program: Command, ctx: CommandContext): void;
}
