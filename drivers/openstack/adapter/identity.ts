// Keystone v3 through pkgcloud's Identity: pkgcloud keeps the token, parses the catalog and picks
// endpoints; this subclass builds the payload (password by user name or id, or application
// credential, which pkgcloud lacks, libs.md §1.2) and sends the POST over pkgcloud's own transport
// (`request`) with what pkgcloud's authorize() cannot do: a timeout, a CA bundle, and strict status
// checks (429/5xx are retryable, 401 is an AuthenticationError, not a TypeError on an empty body).
import { createRequire } from 'node:module';
import { Identity } from 'pkgcloud/lib/pkgcloud/openstack/context';
import type requestFn from 'request';
import { type CloudAuth } from '../../../lib/cloud/credentials';
import { AuthenticationError, isCloudError, RetryableCloudError } from '../../errors';
import { httpError, parseRetryAfter, transportError } from './errors';

// Resolve `request` from pkgcloud's own location: the same module pkgcloud uses (or its override).
const pkgcloudRequire = createRequire(require.resolve('pkgcloud'));
const transport = pkgcloudRequire('request') as typeof requestFn;

export interface TransportSettings {
  timeoutMs: number;
  ca?: Buffer;
  strictSSL: boolean;
  userAgent: string;
}

export class KeystoneIdentity extends Identity {
  readonly #auth: CloudAuth;
  readonly #transport: TransportSettings;

  constructor(auth: CloudAuth, settings: TransportSettings) {
    super({ url: auth.authUrl, keystoneAuthVersion: 'v3' });
    this.#auth = auth;
    this.#transport = settings;
  }

  /** The v3 auth body. Built per call so the secret never sits on the object. */
  private payload(): unknown {
    const a = this.#auth;
    const domain = a.userDomainId ? { id: a.userDomainId } : a.userDomainName ? { name: a.userDomainName } : undefined;
    const user = { ...(a.userId ? { id: a.userId } : { name: a.username }), ...(domain ? { domain } : {}) };
    if (a.type === 'v3applicationcredential') {
      // An application credential is already scoped to its project: a scope here is an error.
      const cred = a.applicationCredentialId
        ? { id: a.applicationCredentialId, secret: a.revealSecret() }
        : { name: a.applicationCredentialName, user, secret: a.revealSecret() };
      return { auth: { identity: { methods: ['application_credential'], application_credential: cred } } };
    }
    const pdomain = a.projectDomainId ? { id: a.projectDomainId } : a.projectDomainName ? { name: a.projectDomainName } : undefined;
    const project = { ...(a.projectId ? { id: a.projectId } : { name: a.projectName }), ...(pdomain ? { domain: pdomain } : {}) };
    return {
      auth: {
        identity: { methods: ['password'], password: { user: { ...user, password: a.revealSecret() } } },
        scope: { project },
      },
    };
  }

  override authorize(options: unknown, callback?: (err?: unknown) => void): void {
    const cb = (typeof options === 'function' ? options : callback) as (err?: unknown) => void;
    const url = `${this.#auth.authUrl}/v3/auth/tokens`;
    const t = this.#transport;
    const details = { method: 'POST', url };
    transport(
      {
        uri: url,
        method: 'POST',
        json: this.payload(),
        timeout: t.timeoutMs,
        strictSSL: t.strictSSL,
        ...(t.ca ? { ca: t.ca } : {}),
        headers: { 'User-Agent': t.userAgent, Accept: 'application/json' },
      },
      (err, res, body) => {
        if (err) return cb(transportError(err, details));
        const retryAfter = parseRetryAfter(res.headers['retry-after']);
        if (res.statusCode === 401) {
          return cb(new AuthenticationError(`Keystone refused the credentials (${url} -> HTTP 401)`, { ...details, status: 401 }));
        }
        if (res.statusCode !== 201 && res.statusCode !== 200) return cb(httpError(res.statusCode, body, { ...details, retryAfter }));
        const token = res.headers['x-subject-token'];
        const ok = body && typeof body === 'object' && 'token' in body;
        if (!token || !ok) {
          return cb(new RetryableCloudError(`Keystone answered ${res.statusCode} without a token (${url})`, { ...details, status: res.statusCode }));
        }
        try {
          this._parseIdentityResponse(body, res.headers);
        } catch (e) {
          return cb(isCloudError(e) ? e : new AuthenticationError(`Keystone token is not project-scoped or malformed: ${(e as Error).message}`, details));
        }
        cb();
      },
    );
  }
}
