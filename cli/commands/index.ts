// The one place subcommands are registered: add a file under cli/commands/ and list it here.
import { type CommandModule } from '../context';
import { configValidate } from './config-validate';

export const COMMANDS: readonly CommandModule[] = [configValidate];
