// `nodepool config-validate`: every problem on its own line (file:line:col: path: message) on
// stderr, then Nodepool's summary line; exit 1 if there was an error, 0 otherwise (warnings ok).
import { errorsOf, formatIssue, validateConfigFile } from '../../lib/config';
import { type CommandModule } from '../context';

export const configValidate: CommandModule = {
  register(program, ctx) {
    program
      .command('config-validate')
      .description('Validate configuration file')
      .action(async () => {
        const { config, secure } = ctx.globals();
        const issues = await validateConfigFile(config, secure);
        for (const issue of issues) ctx.io.stderr(`${formatIssue(issue)}\n`);
        const errors = errorsOf(issues);
        if (errors.length === 0) {
          ctx.io.stdout(`${config}: configuration is valid\n`);
          return;
        }
        // Nodepool logs 'YAML parsing failed' when the file cannot be read or parsed.
        const unreadable = errors.some((e) => e.kind === 'yaml' || e.kind === 'io');
        ctx.io.stderr(unreadable ? 'YAML parsing failed\n' : 'Schema validation failed\n');
        ctx.setExitCode(1);
      });
  },
};
