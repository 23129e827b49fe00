// `nodepool cleanup-preview [provider] [--json]`: the dry run of cleanup. Asks each
// cleanup/<provider> workflow (query, nothing changes) what its last pass saw as leaked: those
// resources are deleted by the next pass if they are still leaked then (servers, images and
// unattached floating IPs on their second sighting; DOWN ports once port-cleanup-interval has
// passed since they were first seen DOWN).
import { type CommandModule } from '../context';
import { CliFailure, printListing } from '../zk';
import { type HeaderTable, type Listing } from '../../lib/status';
import type { CleanupStatus } from '../../workflows/cleanup-messages';
import { hasCleanup } from '../../drivers/registry';

const HEADERS: HeaderTable = [
  ['provider', 'Provider'],
  ['kind', 'Kind'],
  ['id', 'ID'],
  ['why', 'Why'],
];

type PreviewRow = { provider: string; kind: string; id: string; why: string };

export function previewRows(st: CleanupStatus): PreviewRow[] {
  const p = st.provider;
  const at = st.lastPass?.at ?? 'the last pass';
  return [
    ...st.pending.servers.map((id) => ({ provider: p, kind: 'server', id, why: `leaked at ${at} (no znode)` })),
    ...st.pending.images.map((id) => ({ provider: p, kind: 'image', id, why: `leaked at ${at} (no upload record)` })),
    ...st.pending.floatingIps.map((id) => ({ provider: p, kind: 'floating-ip', id, why: `unattached at ${at}` })),
    ...Object.entries(st.pending.downPorts).map(([id, first]) => ({ provider: p, kind: 'port', id, why: `DOWN since ${new Date(first).toISOString()}` })),
  ];
}

async function queryAll(providers: string[]): Promise<{ rows: PreviewRow[]; missing: string[] }> {
  const { Client, Connection, WorkflowNotFoundError } = await import('@temporalio/client');
  const { connectionOptions, temporalSettings } = await import('../../lib/temporal/connection');
  const { cleanupStatusQuery, cleanupWorkflowId } = await import('../../workflows/cleanup-messages');
  const settings = temporalSettings();
  let connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(settings), connectTimeout: 5000 });
  } catch (e) {
    throw new CliFailure(`Could not connect to Temporal at ${settings.address}: ${(e as Error).message}`);
  }
  try {
    const client = new Client({ connection, namespace: settings.namespace });
    const rows: PreviewRow[] = [];
    const missing: string[] = [];
    for (const p of providers) {
      try {
        rows.push(...previewRows(await client.workflow.getHandle(cleanupWorkflowId(p)).query(cleanupStatusQuery)));
      } catch (e) {
        if (!(e instanceof WorkflowNotFoundError)) throw e;
        missing.push(p);
      }
    }
    return { rows, missing };
  } finally {
    await connection.close();
  }
}

export const cleanupPreview: CommandModule = {
  register(program, ctx) {
    program
      .command('cleanup-preview')
      .description('dry run: what the next cleanup pass deletes if it is still leaked then')
      .argument('[provider]', 'only this provider')
      .option('--json', 'print JSON rows instead of a table', false)
      .action(async (provider: string | undefined, opts: { json: boolean }) => {
        const { config } = await ctx.loadConfig();
        const names = Object.values(config.providers)
          .filter((p) => hasCleanup(p) && (!provider || p.name === provider))
          .map((p) => p.name);
        try {
          const { rows, missing } = await queryAll(names);
          for (const m of missing) ctx.io.stderr(`WARNING: no cleanup workflow for provider ${m} (is a launcher running?)\n`);
          const listing: Listing<PreviewRow> = { headers: HEADERS, rows };
          printListing(ctx, listing, opts.json);
        } catch (e) {
          if (!(e instanceof CliFailure)) throw e;
          ctx.io.stderr(`${e.message}\n`);
          ctx.setExitCode(1);
        }
      });
  },
};
