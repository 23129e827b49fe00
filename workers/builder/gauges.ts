// Nodepool's builder status gauges (spec §3.8, sent by its janitor every 60 s), from what each
// diskimage workflow reports (its status query) and the ZooKeeper request-build flags:
//   nodepool.builder.<fqdn>.image.<img>.build.state                     0 idle, 1 building, 3 paused
//   nodepool.builder.<fqdn>.image.<img>.provider.<prov>.upload.state    0 idle, 2 uploading, 3 paused
//   nodepool.image.<img>.image_build_requests (0/1), nodepool.image_build_requests (total)
import { type Client } from '@temporalio/client';
import { type NodepoolConfig } from '../../lib/config';
import { type Stats } from '../../lib/metrics/statsd';
import { isImageBuildRequested } from '../../lib/zk/operations/images';
import { type ZkSession } from '../../lib/zk/session';
import { builderWorkflowIds, diskimageStatusQuery, type DiskimageStatus } from '../../workflows/builder-messages';
import { takesImageUploads } from '../../drivers/registry';

export async function emitBuilderGauges(stats: Stats, client: Client, zk: ZkSession, config: NodepoolConfig, fqdn: string): Promise<void> {
  // as Nodepool: the hostname goes into the name as it is
  const host = fqdn;
  let pending = 0;
  for (const [name, d] of Object.entries(config.diskimages)) {
    let status: DiskimageStatus | null = null;
    try {
      status = await client.workflow.getHandle(builderWorkflowIds.diskimage(name)).query(diskimageStatusQuery);
    } catch {
      status = null;
    }
    const buildState = status?.phase === 'building' ? 1 : d.pause || status?.phase === 'paused' ? 3 : 0;
    stats.gauge(`nodepool.builder.${host}.image.${name}.build.state`, buildState);
    for (const provider of d.providers) {
      const p = config.providers[provider];
      const paused = takesImageUploads(p) && p.diskimages[name]?.pause;
      const uploading = status?.uploads.some((k) => k.endsWith(`/${provider}`)) ?? false;
      stats.gauge(`nodepool.builder.${host}.image.${name}.provider.${provider}.upload.state`, paused ? 3 : uploading ? 2 : 0);
    }
    const requested = await isImageBuildRequested(zk, name);
    if (requested) pending++;
    stats.gauge(`nodepool.image.${name}.image_build_requests`, requested ? 1 : 0);
  }
  stats.gauge('nodepool.image_build_requests', pending);
}
