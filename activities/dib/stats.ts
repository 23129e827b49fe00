// Nodepool's build metrics (builder.py _buildImage, spec §3.5/§6.2), sent after every build that
// ran to an end (success, DIB failure, timeout) — not after a cancellation or a failed exec,
// which Nodepool never measured either.
import { type Stats } from '../../lib/metrics/statsd';
import { type DibOutputFile } from './types';

export type BuildStats = Pick<Stats, 'gauge' | 'timing'>;

export function emitBuildStats(stats: BuildStats | undefined, image: string, rc: number, durationMs: number, files: readonly DibOutputFile[] = []): void {
  if (!stats) return;
  // Bytes on disk (st_blocks × 512): images are sparse, and this is what grows when too much is
  // put into one. Keyed by format, as Nodepool does.
  for (const f of files) stats.gauge(`nodepool.dib_image_build.${image}.${f.format}.size`, f.allocatedBytes);
  const base = `nodepool.dib_image_build.${image}.status`;
  stats.timing(`${base}.duration`, Math.round(durationMs));
  stats.gauge(`${base}.rc`, rc);
  stats.gauge(`${base}.last_build`, Math.floor(Date.now() / 1000));
}
