// Quota from Nova /limits (-1 = unlimited) and, when the cloud has a volume service, Cinder
// /limits. No volume endpoint means no volume quota (Nodepool adapter.py:495-503).
import { RetryableCloudError } from '../../errors';
import { type Quota, type QuotaFigure } from '../../provider';
import { type OpenStackContext } from './context';

type Absolute = Record<string, number | undefined>;

function figure(abs: Absolute, max: string, used: string): QuotaFigure {
  const m = abs[max];
  return { max: m === undefined || m < 0 ? Infinity : m, used: abs[used] ?? 0 };
}

async function absolute(ctx: OpenStackContext, service: 'compute' | 'volume'): Promise<Absolute> {
  const { body } = await ctx.session.call<{ limits?: { absolute?: Absolute } }>(service, { path: 'limits' });
  const abs = body?.limits?.absolute;
  if (!abs) throw new RetryableCloudError(`GET ${service} limits: response has no "limits.absolute"`);
  return abs;
}

export async function getQuota(ctx: OpenStackContext): Promise<Quota> {
  const compute = await absolute(ctx, 'compute');
  const quota: Quota = {
    instances: figure(compute, 'maxTotalInstances', 'totalInstancesUsed'),
    cores: figure(compute, 'maxTotalCores', 'totalCoresUsed'),
    ram: figure(compute, 'maxTotalRAMSize', 'totalRAMUsed'),
  };
  if (await ctx.session.endpoint('volume')) {
    const volume = await absolute(ctx, 'volume');
    quota.volumes = figure(volume, 'maxTotalVolumes', 'totalVolumesUsed');
    quota.volumeGb = figure(volume, 'maxTotalVolumeGigabytes', 'totalGigabytesUsed');
  }
  return quota;
}
