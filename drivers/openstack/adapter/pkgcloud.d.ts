// The few pkgcloud 2.2.0 entry points the OpenStack provider uses (@types/pkgcloud covers only
// storage). Private-by-convention members are listed because 2.2.0 is the last release and they
// are what libs.md §1.3/§1.11 recommends building on.

declare module 'pkgcloud/lib/pkgcloud/openstack/context' {
  import { type EventEmitter } from 'node:events';

  export interface IdentityToken {
    id: string;
    expires: Date;
    issued_at?: Date;
    tenant?: { id: string; name: string };
  }

  export interface EndpointQuery {
    serviceType: string;
    region?: string;
    useInternal?: boolean;
    useAdmin?: boolean;
  }

  export interface IdentityOptions {
    url: string;
    keystoneAuthVersion?: string;
    [key: string]: unknown;
  }

  export class Identity extends EventEmitter {
    constructor(options: IdentityOptions);
    options: IdentityOptions;
    token?: IdentityToken;
    serviceCatalog?: { services: Record<string, unknown> };
    raw?: unknown;
    authorize(options: unknown, callback?: (err?: unknown) => void): void;
    _buildAuthenticationPayload(): void;
    _authenticationPayload?: unknown;
    _parseIdentityResponse(data: unknown, headers: Record<string, string | string[] | undefined>): void;
    getServiceEndpointUrl(query: EndpointQuery): string;
  }
}

declare module 'pkgcloud/lib/pkgcloud/openstack/client' {
  import { type Identity } from 'pkgcloud/lib/pkgcloud/openstack/context';

  export interface RequestOptions {
    method?: string;
    path?: string;
    uri?: string;
    qs?: Record<string, string | number | boolean | string[]>;
    body?: unknown;
    headers?: Record<string, string>;
  }

  /** What `before` hooks receive: the `request` module's options. */
  export interface TransportOptions {
    headers: Record<string, string>;
    timeout?: number;
    ca?: Buffer | string;
    strictSSL?: boolean;
    [key: string]: unknown;
  }

  export interface IncomingResponse {
    statusCode: number;
    headers: Record<string, string | string[] | undefined>;
  }

  /** An in-flight `request` Request (or pkgcloud's proxy stream while it authenticates inline). */
  export interface InFlight {
    abort?: () => void;
  }

  export type RequestCallback = (err: unknown, body?: unknown, res?: IncomingResponse) => void;

  export class Client {
    constructor(options: Record<string, unknown>);
    config: Record<string, unknown>;
    serviceType: string;
    region?: string;
    before: ((req: TransportOptions) => TransportOptions | void)[];
    _identity: Identity;
    _serviceUrl: string | null;
    _request(options: RequestOptions, callback: RequestCallback): InFlight | undefined;
    _getUrl(options: RequestOptions): string;
    _isAuthorized(): boolean;
    auth(callback: (err?: unknown) => void): void;
    setCustomUserAgent(agent: string): void;
  }
}

declare module 'pkgcloud' {
  import { type Client } from 'pkgcloud/lib/pkgcloud/openstack/client';

  interface ServiceFactory {
    createClient(options: Record<string, unknown>): Client;
  }
  export const compute: ServiceFactory;
  export const network: ServiceFactory;
}

// pkgcloud's HTTP transport (request 2.88, or @cypress/request through an npm override).
declare module 'request' {
  interface TransportRequest {
    abort(): void;
  }
  type Callback = (
    err: (Error & { code?: string }) | null,
    res: { statusCode: number; headers: Record<string, string | string[] | undefined> },
    body: unknown,
  ) => void;
  function request(options: Record<string, unknown>, callback: Callback): TransportRequest;
  export = request;
}
