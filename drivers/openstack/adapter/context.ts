// What every OpenStack operation module needs: the session, the provider name, page size and the
// caches. Built once per provider by OpenStackProvider.
import { type CloudNetwork } from '../../../lib/cloud/clouds-yaml';
import { type CloudImage, type CloudServer, type Flavor } from '../../provider';
import { type KeyedTtlCache, type SharedList, type TtlCache } from './cache';
import { type ServerStatusWatcher } from './server-status';
import { type OpenStackSession } from './session';

export interface NeutronNetwork {
  id: string;
  name: string;
  'router:external'?: boolean;
  'provider:physical_network'?: string | null;
  status?: string;
}

export interface OpenStackContext {
  provider: string;
  session: OpenStackSession;
  /** Items per page for Nova/Neutron/Glance lists. */
  pageSize: number;
  /** Polling interval while waiting for an uploaded image to become active. */
  pollMs: number;
  preferPrivate: boolean;
  /** clouds.yaml `networks:` roles and `floating_ip_source` (null: no floating IPs). */
  cloudNetworks: CloudNetwork[];
  floatingIpSource: string | null;
  caches: {
    flavors: TtlCache<Flavor[]>;
    networks: TtlCache<NeutronNetwork[]>;
    availabilityZones: TtlCache<string[]>;
    /** Cloud-image lookups of launches by name or id (found images only, 60 s). */
    images: KeyedTtlCache<CloudImage | null>;
  };
  /** The full server list, shared by concurrent pollers. */
  serverList: SharedList<CloudServer[]>;
  /** Launches and deletes waiting for a server's status, served by one listing. */
  serverStatus: ServerStatusWatcher;
}
