// One logger for every process (pino: structured, fast). Secrets are redacted by key name so a
// config object or cloud response that slips into a log line does not leak a password.
import pino, { type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'application_credential_secret',
  '*.application_credential_secret',
  '*.*.application_credential_secret',
  'env-vars',
  '*.env-vars',
  'envVars',
  '*.envVars',
  '*.*.envVars',
  'auth',
  '*.auth',
  'headers["x-auth-token"]',
  '*.headers["x-auth-token"]',
];

let root: Logger | undefined;

export interface LogOptions {
  debug?: boolean;
  /** Write to this file instead of stderr. */
  file?: string;
  name?: string;
}

export function initLogging(opts: LogOptions = {}): Logger {
  const destination = opts.file ? pino.destination({ dest: opts.file, mkdir: true, sync: false }) : pino.destination(2);
  root = pino(
    {
      name: opts.name ?? 'nodepool',
      level: opts.debug ? 'debug' : (process.env.NODEPOOL_LOG_LEVEL ?? 'info'),
      redact: { paths: REDACT, censor: '[redacted]' },
      base: undefined,
    },
    destination,
  );
  return root;
}

/** A child logger for one component, e.g. log('zk'), log('provider.ovh-bhs1'). */
export function log(component: string): Logger {
  if (!root) initLogging();
  return (root as Logger).child({ component });
}
