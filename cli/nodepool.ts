// The `nodepool` CLI: Nodepool's global flags and subcommands on commander. Exit codes follow
// Nodepool (argparse): 0 ok, 1 no subcommand / command failure, 2 usage error.
import { Command, CommanderError, type HelpContext } from 'commander';
import { ConfigError, DEFAULT_CONFIG_PATH, formatIssue, loadConfig } from '../lib/config';
import { initLogging } from '../lib/log';
import { COMMANDS } from './commands';
import { type CliIO, type CommandContext, type CommandModule, type GlobalOptions } from './context';
import { versionString } from './version';

/** Commander error codes that are argparse usage errors (exit 2). */
const USAGE_ERRORS = new Set([
  'commander.unknownCommand',
  'commander.unknownOption',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.excessArguments',
  'commander.invalidArgument',
  'commander.conflictingOption',
]);

/** argparse's print_help() goes to stdout, also when no subcommand was given (commander: stderr). */
class NodepoolProgram extends Command {
  override outputHelp(context?: HelpContext): void;
  override outputHelp(cb: (str: string) => string): void;
  override outputHelp(arg?: HelpContext | ((str: string) => string)): void {
    if (typeof arg === 'function') super.outputHelp(arg);
    else super.outputHelp({ error: false });
  }
}

export function buildProgram(io: CliIO, setExitCode: (code: number) => void, commands: readonly CommandModule[] = COMMANDS): Command {
  const program = new NodepoolProgram('nodepool');
  program
    .description('Nodepool command line tool (temporal-nodepool)')
    // Global flags must come before the subcommand, as with argparse.
    .enablePositionalOptions()
    .option('-c, --config <path>', 'path to config file', DEFAULT_CONFIG_PATH)
    .option('-s, --secure <path>', 'path to secure file')
    .option('-l, --logconfig <path>', 'path to log config file (accepted for compatibility; logging is pino)')
    .option('--debug', 'show DEBUG level logging', false)
    .version(versionString(), '--version', 'show version')
    .helpOption('-h, --help', 'show this help message and exit')
    .helpCommand(false)
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride();
  program.hook('preAction', () => {
    if (program.opts<GlobalOptions>().debug) initLogging({ debug: true });
  });

  const ctx: CommandContext = {
    io,
    globals: () => program.opts<GlobalOptions>(),
    setExitCode,
    loadConfig: () => {
      const { config, secure } = program.opts<GlobalOptions>();
      return loadConfig(config, secure);
    },
  };
  // Subcommands inherit exitOverride and the output streams (commander copies them on creation).
  for (const cmd of commands) cmd.register(program, ctx);
  return program;
}

/** Run the CLI with `argv` as in process.argv (node, script, args…); resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIO, commands: readonly CommandModule[] = COMMANDS): Promise<number> {
  let code = 0;
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    commands,
  );
  try {
    await program.parseAsync([...argv], { from: 'node' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      if (USAGE_ERRORS.has(e.code)) return 2;
      return e.exitCode === 0 ? 0 : 1; // e.g. 'commander.help': no subcommand given
    }
    if (e instanceof ConfigError) {
      // A config that does not load makes every command fail (Nodepool), but readably.
      for (const issue of e.issues) io.stderr(`${formatIssue(issue)}\n`);
      return 1;
    }
    io.stderr(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

/** Entry point used by bin/nodepool.js. */
export async function main(argv: string[]): Promise<number> {
  const code = await run(argv, {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  });
  process.exitCode = code;
  return code;
}
