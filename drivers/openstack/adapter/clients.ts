// pkgcloud clients for the four services Nodepool uses. pkgcloud has compute and network clients;
// Glance and Cinder get a plain pkgcloud OpenStack client with a URL join. Credentials are not
// given to any of them: the session puts one shared KeystoneIdentity on all four.
import * as pkgcloud from 'pkgcloud';
import { Client, type RequestOptions } from 'pkgcloud/lib/pkgcloud/openstack/client';
import { type CloudConfig } from '../../../lib/cloud/clouds-yaml';

export type ServiceName = 'compute' | 'network' | 'image' | 'volume';

/** Catalog types tried for each service, in order (Cinder has gone by several names). */
export const CATALOG_TYPES: Record<ServiceName, string[]> = {
  compute: ['compute'],
  network: ['network'],
  image: ['image'],
  volume: ['block-storage', 'volumev3', 'volumev2', 'volume'],
};

/** A pkgcloud client for a service pkgcloud has no client for (Glance, Cinder): plain URL join. */
class RawServiceClient extends Client {
  constructor(options: Record<string, unknown>, serviceType: string) {
    super(options);
    this.serviceType = serviceType;
  }

  override _getUrl(options: RequestOptions): string {
    if (!this._serviceUrl) throw new Error('Service url not found');
    return `${serviceRoot(this.serviceType, this._serviceUrl)}/${(options.path ?? '').replace(/^\/+/, '')}`;
  }
}

/** Glance paths carry their version (v2/images), so an image catalog URL ending in /v2 is cut back. */
export function serviceRoot(serviceType: string, url: string): string {
  const u = url.replace(/\/+$/, '');
  return serviceType === 'image' ? u.replace(/\/v2(\.\d+)?$/, '') : u;
}

export function createClients(cloud: CloudConfig): Record<ServiceName, Client> {
  const base = {
    provider: 'openstack',
    authUrl: cloud.auth.authUrl,
    keystoneAuthVersion: 'v3',
    region: cloud.region,
    useInternal: cloud.interface === 'internal',
    useAdmin: cloud.interface === 'admin',
    strictSSL: cloud.verify,
  };
  return {
    compute: pkgcloud.compute.createClient({ ...base }),
    network: pkgcloud.network.createClient({ ...base }),
    image: new RawServiceClient({ ...base }, 'image'),
    volume: new RawServiceClient({ ...base }, 'volume'),
  };
}
