// `nodepool info PROVIDER` (NP24 getProviderUploads / getProviderNodes): what ZooKeeper holds
// for one provider, whether or not it is in the config. Also what `erase` removes.
import { buildIdsSorted, buildProviders, imageNamesSorted, uploadsOf } from './images';
import { readAllNodes } from './nodes';
import { type HeaderTable, type Listing } from './types';
import { type Json } from '../zk/json';
import { type ZkSession } from '../zk/session';

export const PROVIDER_IMAGE_HEADERS: HeaderTable = [
  ['image', 'Image Name'],
  ['build_id', 'Build ID'],
  ['upload_ids', 'Upload IDs'],
];

export const PROVIDER_NODE_HEADERS: HeaderTable = [
  ['id', 'ID'],
  ['server_id', 'Server ID'],
];

export interface ProviderBuildRow {
  [key: string]: Json;
  image: string;
  build_id: string;
  /** Sorted; empty when the provider directory exists without uploads. */
  upload_ids: string[];
}

export interface ProviderNodeRow {
  [key: string]: Json;
  id: string;
  server_id: Json;
}

export interface ProviderInfo {
  provider: string;
  images: Listing<ProviderBuildRow>;
  nodes: Listing<ProviderNodeRow>;
}

/** Every image build that has a directory for this provider, with its upload ids. */
export async function providerBuilds(s: ZkSession, provider: string): Promise<ProviderBuildRow[]> {
  const rows: ProviderBuildRow[] = [];
  for (const image of await imageNamesSorted(s)) {
    for (const build of await buildIdsSorted(s, image)) {
      if (!(await buildProviders(s, image, build)).includes(provider)) continue;
      const ids = (await uploadsOf(s, image, build, provider)).map((u) => u.id).sort();
      rows.push({ image, build_id: build, upload_ids: ids });
    }
  }
  return rows;
}

/** Ids and server ids of the provider's nodes. */
export async function providerNodes(s: ZkSession, provider: string): Promise<ProviderNodeRow[]> {
  const nodes = (await readAllNodes(s)).filter((n) => n.provider === provider);
  return nodes.map((n) => ({ id: n.id, server_id: n.external_id }));
}

export async function providerInfo(s: ZkSession, provider: string): Promise<ProviderInfo> {
  return {
    provider,
    images: { headers: PROVIDER_IMAGE_HEADERS, rows: await providerBuilds(s, provider) },
    nodes: { headers: PROVIDER_NODE_HEADERS, rows: await providerNodes(s, provider) },
  };
}
