// What every OpenStack operation module needs: the session, the provider name, page size and the
// caches. Built once per provider by OpenStackProvider.
import { type CloudServer, type Flavor } from '../provider';
import { type SharedList, type TtlCache } from './cache';
import { type OpenStackSession } from './session';

export interface NeutronNetwork {
  id: string;
  name: string;
  'router:external'?: boolean;
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
  caches: {
    flavors: TtlCache<Flavor[]>;
    networks: TtlCache<NeutronNetwork[]>;
    availabilityZones: TtlCache<string[]>;
  };
  /** The full server list, shared by concurrent pollers. */
  serverList: SharedList<CloudServer[]>;
}
