// Uploading one build to one provider, on the builder that holds the file (its own queue).
// Every attempt first removes what an earlier attempt of the same upload id left in the cloud
// (found by its nodepool_* properties), so a crash mid-upload never orphans a half-made image.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type NodepoolConfig } from '../../lib/config';
import { log } from '../../lib/log';
import { ZkLock } from '../../lib/zk/lock';
import { uploadLockPath } from '../../lib/zk/paths';
import { toApplicationFailure } from '../cloud/failure';
import { type CloudImage, type Provider } from '../../drivers/provider';
import { type BuilderContext } from './context';
import { type UploadInput, type UploadResult } from './types';
import { takesImageUploads } from '../../drivers/registry';

/** Nodepool's image-name-format fields: {image_name}, {upload_id}, {timestamp}. */
export function formatImageName(format: string, fields: { image_name: string; upload_id: string; timestamp: number }): string {
  return format.replace(/\{(image_name|upload_id|timestamp)\}/g, (_m, k: keyof typeof fields) => String(fields[k]));
}

/** Diskimage metadata, overridden by the provider's meta, plus Nodepool's own keys. */
export function uploadProperties(config: NodepoolConfig, input: Pick<UploadInput, 'name' | 'buildId' | 'provider' | 'uploadId'>): Record<string, string> {
  const props: Record<string, string> = {};
  const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  for (const [k, v] of Object.entries(config.diskimages[input.name]?.metadata ?? {})) props[k] = str(v);
  const p = config.providers[input.provider];
  if (takesImageUploads(p)) for (const [k, v] of Object.entries(p.diskimages[input.name]?.meta ?? {})) props[k] = str(v);
  props.nodepool_build_id = input.buildId;
  props.nodepool_upload_id = input.uploadId;
  props.nodepool_provider_name = input.provider;
  return props;
}

export const isUploadOf = (img: CloudImage, u: { buildId: string; provider: string; uploadId: string }): boolean =>
  img.properties.nodepool_build_id === u.buildId && img.properties.nodepool_upload_id === u.uploadId && img.properties.nodepool_provider_name === u.provider;

/** Deletes every cloud image of this upload id; returns how many went. */
export async function deleteCloudLeftovers(provider: Provider, u: { buildId: string; provider: string; uploadId: string }, keepId?: string): Promise<number> {
  let n = 0;
  for (const img of await provider.listImages()) {
    if (!isUploadOf(img, u) || img.id === keepId) continue;
    await provider.deleteImage(img.id);
    n++;
  }
  return n;
}

async function checksum(path: string, len: number): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).slice(0, len);
  } catch {
    return undefined;
  }
}

function runHook(hook: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(hook, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(Object.assign(err, { stdout, stderr })) : resolve({ stdout, stderr })));
  });
}

export function createUploadActivities(ctx: BuilderContext) {
  const logger = log('builder');

  async function uploadImage(input: UploadInput): Promise<UploadResult> {
    const actx = Context.current();
    const config = ctx.config();
    const pc = config.providers[input.provider];
    if (!takesImageUploads(pc)) throw ApplicationFailure.nonRetryable(`provider ${input.provider} is not configured`, 'ProviderGone');
    if (!config.imagesDir) throw ApplicationFailure.nonRetryable('images-dir is not set', 'ConfigError');
    const path = join(config.imagesDir, `${input.name}-${input.buildId}.${input.format}`);
    const name = formatImageName(pc.imageNameFormat, { image_name: input.name, upload_id: input.uploadId, timestamp: input.timestamp });
    const l = logger.child({ diskimage: input.name, build: input.buildId, provider: input.provider, upload: input.uploadId });
    let sent = 0;
    actx.heartbeat({ phase: 'waiting', bytesSent: 0 });
    const beat = setInterval(() => actx.heartbeat({ phase: 'uploading', bytesSent: sent }), 5000);
    let release: (() => void) | undefined;
    // Nodepool's upload lock, held for the whole upload: Python janitors leave the record alone
    const lock = new ZkLock(ctx.zk(), uploadLockPath(input.name, input.buildId, input.provider));
    try {
      release = await ctx.uploadSlots.acquire(actx.cancellationSignal);
      // a killed attempt's contender lasts until its session expires (zookeeper-timeout)
      if (!(await lock.acquire({ blocking: true, timeoutMs: 60_000 }))) {
        throw ApplicationFailure.retryable(`upload lock of ${input.name}-${input.buildId} on ${input.provider} is held elsewhere`, 'UploadLockBusy');
      }
      const provider = ctx.provider(input.provider);
      const started = Date.now();
      // a previous attempt (crash, timeout, worker shutdown) may have left a queued/saving image
      const left = (await provider.listImages()).filter((i) => isUploadOf(i, input) && i.status !== 'active');
      for (const img of left) await provider.deleteImage(img.id);
      if (left.length) l.warn({ removed: left.map((i) => i.id) }, 'removed partial images of an earlier attempt');
      l.info({ file: path, image: name }, 'uploading image');
      const img = await provider.uploadImage({
        name,
        path,
        diskFormat: input.format,
        properties: uploadProperties(config, input),
        md5: await checksum(`${path}.md5`, 32),
        sha256: await checksum(`${path}.sha256`, 64),
        timeoutMs: pc.imageUploadTimeout * 1000,
        onProgress: (bytes) => {
          sent = bytes;
        },
      });
      if (pc.postUploadHook) {
        try {
          const out = await runHook(pc.postUploadHook, [input.provider, img.id, path], pc.imageUploadTimeout * 1000);
          l.info({ stdout: out.stdout, stderr: out.stderr }, 'post-upload hook succeeded');
        } catch (e) {
          // Nodepool A6: its cleanup call had the wrong arity and left the image in the cloud
          l.error({ err: (e as Error).message }, 'post-upload hook failed; deleting the image');
          await provider.deleteImage(img.id);
          throw ApplicationFailure.nonRetryable(`post-upload hook failed: ${(e as Error).message}`, 'PostUploadHookFailed');
        }
      }
      const ms = Date.now() - started;
      ctx.stats.timing(`nodepool.image_update.${input.name}.${input.provider}`, ms);
      ctx.stats.increment(`nodepool.image_update.${input.name}.${input.provider}`);
      l.info({ id: img.id, ms }, 'image uploaded');
      return { externalId: img.id, externalName: name, format: input.format };
    } catch (e) {
      throw toApplicationFailure(e);
    } finally {
      clearInterval(beat);
      release?.();
      if (lock.isAcquired) await lock.release().catch(() => undefined);
    }
  }

  /** Removes every cloud image of an upload id (a failed or abandoned upload). */
  async function deleteUploadLeftovers(input: { buildId: string; provider: string; uploadId: string }): Promise<number> {
    try {
      return await deleteCloudLeftovers(ctx.provider(input.provider), input);
    } catch (e) {
      throw toApplicationFailure(e);
    }
  }

  return { uploadImage, deleteUploadLeftovers };
}
