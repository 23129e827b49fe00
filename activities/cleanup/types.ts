// What a cleanup pass takes and gives back. The sightings of the previous pass travel in the
// cleanup workflow's state (not in worker memory), so a restart never turns a first sighting
// into a deletion, and a pass that could not look never counts as a sighting.

/** Cloud resources seen as leaked by the previous pass (deleted when seen again). */
export interface CleanupSightings {
  /** Server ids: Nodepool metadata of this provider, no znode, no running node workflow. */
  servers: string[];
  /** Image ids: this provider's nodepool_build_id/upload_id with no upload record. */
  images: string[];
  /** Floating IP ids with no port (only with clean-floating-ips). */
  floatingIps: string[];
  /** DOWN compute port id → when it was first seen DOWN (epoch ms). */
  downPorts: Record<string, number>;
  /** Nodes of a removed provider → last state passed on to its node workflow. */
  drainStates: Record<string, string>;
}

export const noSightings = (): CleanupSightings => ({ servers: [], images: [], floatingIps: [], downPorts: {}, drainStates: {} });

export type CleanupTaskName = 'servers' | 'images' | 'floatingIps' | 'ports' | 'nodes' | 'emptyNodes' | 'requests' | 'requestLocks';

/** One deletion (or other repair) and why, as logged. */
export interface CleanupAction {
  kind: string;
  id: string;
  reason: string;
}

export interface CleanupTaskReport {
  /** False when the task could not run (e.g. a cloud listing failed): nothing was deleted. */
  ok: boolean;
  error?: string;
  skipped?: string;
  /** Seen as leaked/stuck this pass (first sightings included). */
  found: number;
  /** The first actions (all are logged); `more` counts the rest, keeping the result small. */
  done: CleanupAction[];
  more?: number;
}

/** Actions kept per task in a pass result (the workflow history holds every result). */
export const REPORTED_ACTIONS = 50;

export interface CleanupPassInput {
  provider: string;
  previous: CleanupSightings;
}

export interface CleanupPassResult {
  provider: string;
  /** False when the provider is no longer in the launcher's config (draining). */
  configured: boolean;
  /** Node znodes of this provider still in ZooKeeper (-1: could not be read this pass). */
  nodes: number;
  tasks: Partial<Record<CleanupTaskName, CleanupTaskReport>>;
  next: CleanupSightings;
}

export interface CleanupActivities {
  cleanupPass(input: CleanupPassInput): Promise<CleanupPassResult>;
}
