// The clouds.yaml entry that points openstacksdk/openstackclient (and our Provider) at the simulator.
import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { Credentials } from './types';

export interface CloudsYamlEntry {
  auth: {
    auth_url: string;
    username: string;
    password: string;
    project_name: string;
    user_domain_name: string;
    project_domain_name: string;
  };
  region_name: string;
  identity_api_version: number;
  image_format: string;
}

export function cloudsYamlEntry(url: string, c: Credentials, region: string): CloudsYamlEntry {
  return {
    auth: {
      auth_url: `${url}/identity`,
      username: c.username,
      password: c.password,
      project_name: c.projectName,
      user_domain_name: c.userDomainName,
      project_domain_name: c.projectDomainName,
    },
    region_name: region,
    identity_api_version: 3,
    image_format: 'qcow2',
  };
}

/** The same cloud through an application credential (what many CI clouds hand out). */
export interface AppCredCloudsYamlEntry {
  auth_type: 'v3applicationcredential';
  auth: { auth_url: string; application_credential_id: string; application_credential_secret: string };
  region_name: string;
  identity_api_version: number;
  image_format: string;
}

export function appCredCloudsYamlEntry(url: string, c: Credentials, region: string): AppCredCloudsYamlEntry {
  return {
    auth_type: 'v3applicationcredential',
    auth: {
      auth_url: `${url}/identity`,
      application_credential_id: c.applicationCredentialId,
      application_credential_secret: c.applicationCredentialSecret,
    },
    region_name: region,
    identity_api_version: 3,
    image_format: 'qcow2',
  };
}

/** Writes `entry` as `clouds.<name>` into `file`, keeping every other cloud already in it. */
export async function writeCloudsYaml(file: string, name: string, entry: CloudsYamlEntry | AppCredCloudsYamlEntry): Promise<void> {
  let doc: Record<string, unknown> = {};
  try {
    const parsed: unknown = YAML.parse(await fs.readFile(file, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) doc = parsed as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const clouds = doc.clouds && typeof doc.clouds === 'object' ? (doc.clouds as Record<string, unknown>) : {};
  doc.clouds = { ...clouds, [name]: entry };
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  // Write-then-rename: a reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, YAML.stringify(doc), { mode: 0o600 });
  await fs.rename(tmp, file);
}
