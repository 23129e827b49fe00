// Keystone credentials. The secret (password or application-credential secret) lives in a private
// field: JSON.stringify, util.inspect, pino and Temporal's payload converter never see it.
import { inspect } from 'node:util';

export type AuthType = 'password' | 'v3applicationcredential';

export interface CloudAuthFields {
  type: AuthType;
  /** Keystone root, without a trailing /v3 or /v2.0 (pkgcloud appends /v3/auth/tokens). */
  authUrl: string;
  username?: string;
  userId?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
}

export const REDACTED = '[redacted]';

export class CloudAuth implements CloudAuthFields {
  readonly type: AuthType;
  readonly authUrl: string;
  readonly username?: string;
  readonly userId?: string;
  readonly userDomainName?: string;
  readonly userDomainId?: string;
  readonly projectName?: string;
  readonly projectId?: string;
  readonly projectDomainName?: string;
  readonly projectDomainId?: string;
  readonly applicationCredentialId?: string;
  readonly applicationCredentialName?: string;
  readonly #secret: string;

  constructor(fields: CloudAuthFields, secret: string) {
    this.type = fields.type;
    this.authUrl = fields.authUrl;
    Object.assign(this, fields);
    this.#secret = secret;
  }

  /** The password or application-credential secret. Only the Keystone call may use it. */
  revealSecret(): string {
    return this.#secret;
  }

  toJSON(): CloudAuthFields & { secret: string } {
    return { ...this.publicFields(), secret: REDACTED };
  }

  [inspect.custom](): string {
    return `CloudAuth ${inspect(this.toJSON())}`;
  }

  private publicFields(): CloudAuthFields {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (v !== undefined) out[k] = v;
    return out as unknown as CloudAuthFields;
  }
}
