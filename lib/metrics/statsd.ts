// statsd, configured as Nodepool does it: on only when STATSD_HOST is set (STATSD_PORT, default
// 8125), metric names exactly as Nodepool sends them, no tags (a Datadog extension).
import StatsD from 'hot-shots';
import { log } from '../log';

export interface Stats {
  increment(name: string, value?: number): void;
  timing(name: string, ms: number): void;
  gauge(name: string, value: number): void;
  close(): Promise<void>;
}

const noop: Stats = {
  increment: () => undefined,
  timing: () => undefined,
  gauge: () => undefined,
  close: async () => undefined,
};

/** Nodepool replaces '.' and ':' in user-supplied name parts (requestor, tenant). */
export const normalise = (part: string): string => part.replace(/[.:]/g, '_');

export function createStats(env: NodeJS.ProcessEnv = process.env): Stats {
  if (!env.STATSD_HOST) return noop;
  const client = new StatsD({
    host: env.STATSD_HOST,
    port: Number(env.STATSD_PORT ?? 8125),
    prefix: '',
    datadog: false,
    includeDataDogTags: false,
    errorHandler: (err) => log('statsd').warn({ err }, 'statsd send failed'),
  });
  return {
    increment: (name, value = 1) => client.increment(name, value),
    timing: (name, ms) => client.timing(name, ms),
    gauge: (name, value) => client.gauge(name, value),
    close: () => new Promise<void>((resolve) => client.close(() => resolve())),
  };
}
