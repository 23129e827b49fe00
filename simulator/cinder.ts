// Cinder v3, as far as Nodepool looks: version discovery, limits with usage, the volumes that
// boot-from-volume made (list, show, delete when detached), quota sets, the volume AZ list.
import { HttpError, sendEmpty, sendJson, type Ctx } from './http';
import { cinderQuotaSet } from './quotas';
import type { ServiceModule } from './router';
import { volumeView } from './volumes';

function limits(ctx: Ctx): void {
  const q = ctx.store.data.quotas;
  const u = ctx.store.usage();
  sendJson(ctx, 200, {
    limits: {
      rate: [],
      absolute: {
        maxTotalVolumes: q.volumes,
        maxTotalVolumeGigabytes: q.gigabytes,
        maxTotalSnapshots: 10,
        maxTotalBackups: 10,
        maxTotalBackupGigabytes: 1000,
        totalVolumesUsed: u.volumes,
        totalGigabytesUsed: u.gigabytes,
        totalSnapshotsUsed: 0,
        totalBackupsUsed: 0,
        totalBackupGigabytesUsed: 0,
      },
    },
  });
}

export const cinder: ServiceModule = {
  isPublic: (method, path) => method === 'GET' && ['', '/'].includes(path),

  async handle(ctx) {
    if (ctx.path === '' || ctx.path === '/') {
      return sendJson(ctx, 300, {
        versions: [{ id: 'v3.0', status: 'CURRENT', version: '3.70', min_version: '3.0', updated: '2023-03-01T00:00:00Z', links: [{ rel: 'self', href: `${ctx.base}/v3/` }] }],
      });
    }
    // Paths are /v3/<project_id>/<resource>
    const [, version, , resource, sub] = ctx.path.split('/');
    if (version === 'v3' && resource === 'os-quota-sets') return cinderQuotaSet(ctx, sub, /^true$/i.test(ctx.query.get('usage') ?? ''));
    if (version === 'v3' && ctx.method === 'GET') {
      if (resource === 'limits') return limits(ctx);
      const vols = ctx.store.data.volumes;
      if (resource === 'volumes' && sub === undefined) return sendJson(ctx, 200, { volumes: vols.map((v) => ({ id: v.id, name: v.name, links: [] })) });
      if (resource === 'volumes' && sub === 'detail') return sendJson(ctx, 200, { volumes: vols.map(volumeView) });
      if (resource === 'volumes' && sub) {
        const v = vols.find((x) => x.id === sub);
        if (!v) throw new HttpError(404, `Volume ${sub} could not be found.`);
        return sendJson(ctx, 200, { volume: volumeView(v) });
      }
      if (resource === 'os-availability-zone') {
        return sendJson(ctx, 200, { availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true } }] });
      }
    }
    if (version === 'v3' && ctx.method === 'DELETE' && resource === 'volumes' && sub) {
      const v = ctx.store.data.volumes.find((x) => x.id === sub);
      if (!v) throw new HttpError(404, `Volume ${sub} could not be found.`);
      if (v.status === 'in-use') throw new HttpError(400, 'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots or be disassociated from snapshots after volume transfer.');
      ctx.store.data.volumes = ctx.store.data.volumes.filter((x) => x !== v);
      ctx.store.changed();
      return sendEmpty(ctx, 202);
    }
    throw new HttpError(404, 'The resource could not be found.');
  },
};
