// Quota-set views of the three services (`openstack quota show` reads all of them). The limits
// themselves are the simulator's quotas; changing them is the admin API's job (a member-role
// user gets 403 from a real cloud, and so here).
import { HttpError, sendJson, type Ctx } from './http';

const detail = (limit: number, inUse: number): { limit: number; in_use: number; reserved: number } => ({ limit, in_use: inUse, reserved: 0 });

function checkProject(ctx: Ctx, project: string | undefined): void {
  if (ctx.method !== 'GET') throw new HttpError(403, `Policy doesn't allow os_compute_api:os-quota-sets:update to be performed.`);
  if (project !== ctx.token?.projectId && project !== ctx.token?.projectName) {
    throw new HttpError(403, `Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.`);
  }
}

/** Nova `GET /os-quota-sets/{project}[/detail]`. */
export function novaQuotaSet(ctx: Ctx, project: string | undefined, sub: string | undefined): void {
  checkProject(ctx, project);
  const q = ctx.store.data.quotas;
  const u = ctx.store.usage();
  const values: Record<string, [number, number]> = {
    instances: [q.instances, u.instances],
    cores: [q.cores, u.cores],
    ram: [q.ram, u.ram],
    key_pairs: [100, 0],
    metadata_items: [128, 0],
    server_groups: [10, 0],
    server_group_members: [10, 0],
    injected_files: [5, 0],
    injected_file_content_bytes: [10240, 0],
    injected_file_path_bytes: [255, 0],
  };
  const set: Record<string, unknown> = { id: project };
  for (const [k, [limit, used]] of Object.entries(values)) set[k] = sub === 'detail' ? detail(limit, used) : limit;
  sendJson(ctx, 200, { quota_set: set });
}

/** Neutron `GET /v2.0/quotas/{project}[/details]`. */
export function neutronQuota(ctx: Ctx, project: string | undefined, sub: string | undefined): void {
  checkProject(ctx, project);
  const d = ctx.store.data;
  const values: Record<string, [number, number]> = {
    floatingip: [d.quotas.floatingIps, d.floatingIps.length],
    network: [100, d.networks.length],
    subnet: [100, d.networks.length],
    port: [500, d.ports.length],
    router: [10, 1],
    security_group: [10, 1],
    security_group_rule: [100, 0],
    rbac_policy: [10, 0],
  };
  const quota: Record<string, unknown> = {};
  for (const [k, [limit, used]] of Object.entries(values)) quota[k] = sub === 'details' ? detail(limit, used) : limit;
  sendJson(ctx, 200, { quota });
}

/** Cinder `GET /v3/{project}/os-quota-sets/{project}[?usage=True]`. */
export function cinderQuotaSet(ctx: Ctx, project: string | undefined, usage: boolean): void {
  checkProject(ctx, project);
  const q = ctx.store.data.quotas;
  const u = ctx.store.usage();
  const values: Record<string, [number, number]> = {
    volumes: [q.volumes, u.volumes],
    gigabytes: [q.gigabytes, u.gigabytes],
    snapshots: [10, 0],
    backups: [10, 0],
    backup_gigabytes: [1000, 0],
    per_volume_gigabytes: [-1, 0],
    groups: [10, 0],
  };
  const set: Record<string, unknown> = { id: project };
  for (const [k, [limit, used]] of Object.entries(values)) set[k] = usage ? detail(limit, used) : limit;
  sendJson(ctx, 200, { quota_set: set });
}
