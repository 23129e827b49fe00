// `openstack-simulator`: runs the simulator in the foreground and writes a clouds.yaml entry for it.
import { Command, InvalidArgumentError } from 'commander';
import { writeCloudsYaml } from './clouds-yaml';
import { DEFAULT_CLOUD_NAME } from './defaults';
import { startSimulator } from './index';

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected an integer 0-65535');
  return n;
};
const seconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds >= 0');
  return n;
};

export async function main(argv: string[]): Promise<void> {
  const program = new Command('openstack-simulator')
    .description('An HTTP simulator of the OpenStack APIs Nodepool uses (Keystone v3, Nova, Neutron, Glance v2, Cinder limits)')
    .requiredOption('--port <n>', 'port to listen on; 0 picks a free one', int)
    .requiredOption('--clouds-yaml <file>', 'clouds.yaml to write (an existing file keeps its other clouds)')
    .option('--cloud <name>', 'name of the cloud entry', DEFAULT_CLOUD_NAME)
    .option('--boot-delay <seconds>', 'time a new server spends in BUILD', seconds)
    .option('--state-file <file>', 'JSON file to keep the state in across restarts')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--verbose', 'print one line per request');
  program.parse(argv);
  const o = program.opts<{ port: number; cloudsYaml: string; cloud: string; bootDelay?: number; stateFile?: string; host: string; verbose?: boolean }>();
  const sim = await startSimulator({
    port: o.port,
    host: o.host,
    cloudName: o.cloud,
    stateFile: o.stateFile,
    bootDelayMs: o.bootDelay === undefined ? undefined : Math.round(o.bootDelay * 1000),
    log: o.verbose ? (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`) : undefined,
  });
  if (!/^(127\.|::1$|localhost$)/.test(o.host)) {
    // The admin API has no authentication: anyone who can reach the port can change the cloud.
    process.stderr.write(`openstack-simulator: warning: listening on ${o.host}, not loopback; /_admin/ is unauthenticated\n`);
  }
  await writeCloudsYaml(o.cloudsYaml, o.cloud, sim.cloudsYaml());
  process.stdout.write(
    `openstack-simulator listening on ${sim.url} (port ${sim.port})\n` +
      `cloud "${o.cloud}" written to ${o.cloudsYaml}; auth_url ${sim.authUrl}\n` +
      `admin API: ${sim.url}/_admin/state\n`,
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    sim.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`openstack-simulator: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv).catch((e: unknown) => {
    process.stderr.write(`openstack-simulator: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
