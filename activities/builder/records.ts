// Build and upload records in ZooKeeper, written exactly as NP24's builder writes them
// (zk-protocol.md §4.1–4.2), so Nodepool's CLI, Zuul and our launcher read them unchanged.
import { ApplicationFailure } from '@temporalio/common';
import { type ImageBuild, type ImageUpload } from '../../lib/model/image';
import { clearImageBuildRequest, deleteBuild, readBuild, readUploads, storeBuild, storeUpload } from '../../lib/zk/operations/images';
import { isNoNode } from '../../lib/zk/errors';
import { buildPath, uploadLockPath, uploadPath } from '../../lib/zk/paths';
import { decodeUpload } from '../../lib/zk/codec-image';
import { log } from '../../lib/log';
import { type BuilderContext } from './context';
import { type ClaimBuildInput, type ClaimedBuild, type CreateUploadInput, type FinishBuildInput, type FinishUploadInput } from './types';

const now = (): number => Date.now() / 1000;

export function createRecordActivities(ctx: BuilderContext) {
  const logger = log('builder');

  function diskimageFields(name: string): Pick<ImageBuild, 'username' | 'python_path' | 'shell_type'> {
    const d = ctx.config().diskimages[name];
    return { username: d?.username ?? 'zuul', python_path: d?.pythonPath ?? null, shell_type: d?.shellType ?? null };
  }

  /**
   * Runs on the shared `builder` queue: whichever builder takes it owns the build (its id goes
   * into the record and the DIB run goes to its own queue). Idempotent for a retried attempt.
   */
  async function claimBuild(input: ClaimBuildInput): Promise<ClaimedBuild> {
    const zk = ctx.zk();
    const existing = await readBuild(zk, input.name, input.buildId);
    if (existing && existing.value.builder_id && existing.value.builder_id !== ctx.builderId) {
      return { builderId: existing.value.builder_id, hostname: existing.value.builder ?? '' };
    }
    // Nodepool takes the image build lock first, then writes the record
    if (!(await ctx.buildLocks.take(zk, input.name, input.buildId))) {
      throw ApplicationFailure.nonRetryable(`image ${input.name} is being built by another builder (build lock held)`, 'BuildLockBusy');
    }
    await storeBuild(zk, {
      image: input.name,
      id: input.buildId,
      state: 'building',
      state_time: now(),
      builder: ctx.hostname,
      builder_id: ctx.builderId,
      formats: [...input.formats].sort(),
      username: null,
      python_path: null,
      shell_type: null,
      extra: new Map(),
    });
    logger.info({ diskimage: input.name, build: input.buildId }, 'build claimed');
    return { builderId: ctx.builderId, hostname: ctx.hostname };
  }

  /** ready (with formats) or failed (no formats), plus username/python_path/shell_type. */
  async function finishBuild(input: FinishBuildInput): Promise<boolean> {
    const zk = ctx.zk();
    const got = await readBuild(zk, input.name, input.buildId);
    if (!got) {
      // Someone removed it while DIB ran; NP24 then deletes the files (the workflow does).
      logger.warn({ diskimage: input.name, build: input.buildId }, 'build record disappeared during the build');
      return false;
    }
    const b = got.value;
    b.state = input.ready ? 'ready' : 'failed';
    b.state_time = now();
    b.formats = input.ready ? [...input.formats].sort() : [];
    Object.assign(b, diskimageFields(input.name));
    await storeBuild(zk, b, got.version);
    return true;
  }

  async function clearBuildRequest(name: string): Promise<void> {
    await clearImageBuildRequest(ctx.zk(), name);
  }

  /** `uploading`, seq10 id, username/python_path/shell_type copied from the build. */
  async function createUploadRecord(input: CreateUploadInput): Promise<string> {
    const zk = ctx.zk();
    const build = await readBuild(zk, input.name, input.buildId);
    if (!build || build.value.state !== 'ready') throw ApplicationFailure.nonRetryable(`build ${input.name}-${input.buildId} is not ready`, 'BuildGone');
    const u: ImageUpload = {
      image: input.name,
      build_id: input.buildId,
      provider: input.provider,
      id: '',
      state: 'uploading',
      state_time: now(),
      external_id: null,
      external_name: null,
      format: null,
      username: build.value.username,
      python_path: build.value.python_path,
      shell_type: build.value.shell_type,
      extra: new Map(),
    };
    // Nodepool creates the upload lock znode first, which uses up a sequence number: the first
    // upload of a build to a provider is 0000000001 there too
    await zk.ensurePath(uploadLockPath(input.name, input.buildId, input.provider));
    return storeUpload(zk, u);
  }

  /** NP24 writes a new object: ready with external_* and format, or failed with the rest null. */
  async function finishUpload(input: FinishUploadInput): Promise<boolean> {
    const zk = ctx.zk();
    const path = uploadPath(input.name, input.buildId, input.provider, input.uploadId);
    const got = await zk.getIfExists(path);
    if (!got) return false;
    const old = decodeUpload(input.name, input.buildId, input.provider, input.uploadId, got.data);
    const r = input.result;
    const u: ImageUpload = {
      ...old,
      state: r ? 'ready' : 'failed',
      state_time: now(),
      external_id: r?.externalId ?? null,
      external_name: r?.externalName ?? null,
      format: r?.format ?? null,
      username: r ? old.username : null,
      python_path: r ? old.python_path : null,
      shell_type: r ? old.shell_type : null,
      extra: new Map(),
    };
    try {
      await storeUpload(zk, u, got.stat.version);
    } catch (e) {
      if (isNoNode(e)) return false;
      throw e;
    }
    return true;
  }

  /** NP24 deleteBuild: refuses while uploads remain. */
  async function deleteBuildRecord(input: { name: string; buildId: string }): Promise<boolean> {
    const zk = ctx.zk();
    const b = await readBuild(zk, input.name, input.buildId);
    if (!b) return true;
    const providers = await zk.getChildren(`${buildPath(input.name, input.buildId)}/providers`).catch(() => [] as string[]);
    for (const p of providers) {
      if ((await readUploads(zk, input.name, input.buildId, p)).length > 0) {
        logger.warn({ diskimage: input.name, build: input.buildId }, `Unable to delete build ${input.buildId} because uploads still remain.`);
        return false;
      }
    }
    await deleteBuild(zk, input.name, input.buildId);
    logger.info({ diskimage: input.name, build: input.buildId }, 'build record deleted');
    return true;
  }

  return { claimBuild, finishBuild, clearBuildRequest, createUploadRecord, finishUpload, deleteBuildRecord };
}
