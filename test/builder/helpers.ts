// Reading what the builder did: ZooKeeper records, simulator images, local files; running the CLI.
import { readdirSync } from 'node:fs';
import { run } from '../../cli/nodepool';
import { type ImageBuild, type ImageUpload } from '../../lib/model/image';
import { readBuilds, readUploads } from '../../lib/zk/operations/images';
import { type ZkSession } from '../../lib/zk/session';
import { type BuilderStack } from './stack';

export const IMAGE = 'fake-image';

export async function builds(zk: ZkSession, image = IMAGE, state?: string): Promise<ImageBuild[]> {
  return (await readBuilds(zk, image)).filter((b) => !state || b.state === state).sort((a, b) => a.state_time - b.state_time);
}

export async function uploadsOf(zk: ZkSession, image: string, buildId: string, provider: string): Promise<ImageUpload[]> {
  return readUploads(zk, image, buildId, provider);
}

export async function readyUpload(zk: ZkSession, image: string, buildId: string, provider: string): Promise<ImageUpload | undefined> {
  return (await readUploads(zk, image, buildId, provider)).find((u) => u.state === 'ready');
}

export const filesOf = (s: BuilderStack, image: string, buildId?: string): string[] =>
  readdirSync(s.imagesDir).filter((n) => n.startsWith(`${image}-${buildId ?? ''}`));

/** Simulator images carrying a nodepool_build_id. */
export async function cloudImages(s: BuilderStack): Promise<Array<{ id: string; status: string; properties: Record<string, string> }>> {
  const st = await s.sim.admin.state();
  return (st.images as unknown as Array<{ id: string; status: string; properties?: Record<string, string> }>)
    .map((i) => ({ id: i.id, status: i.status, properties: i.properties ?? {} }))
    .filter((i) => i.properties.nodepool_build_id);
}

/** `nodepool <args>` in this process (TEMPORAL_* must be in process.env). */
export async function nodepool(s: BuilderStack, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(['node', 'nodepool', '-c', s.configPath, ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}
