// Cinder v3, just enough for quota: version discovery, limits, an (empty) volume list and the
// volume AZ list. Volumes themselves are not modelled.
import { HttpError, sendJson, type Ctx } from './http';
import { cinderQuotaSet } from './quotas';
import type { ServiceModule } from './router';

function limits(ctx: Ctx): void {
  const q = ctx.store.data.quotas;
  sendJson(ctx, 200, {
    limits: {
      rate: [],
      absolute: {
        maxTotalVolumes: q.volumes,
        maxTotalVolumeGigabytes: q.gigabytes,
        maxTotalSnapshots: 10,
        maxTotalBackups: 10,
        maxTotalBackupGigabytes: 1000,
        totalVolumesUsed: 0,
        totalGigabytesUsed: 0,
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
      if (resource === 'volumes' && (sub === undefined || sub === 'detail')) return sendJson(ctx, 200, { volumes: [] });
      if (resource === 'os-availability-zone') {
        return sendJson(ctx, 200, { availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true } }] });
      }
    }
    throw new HttpError(404, 'The resource could not be found.');
  },
};
