// Launcher/pool/builder registration (zk-protocol.md §3): NP19's /nodepool/launchers/<id> and
// NP24's component registry /nodepool/components/<kind>/<hostname><seq10>.
import { type ExtraFields } from './common';

/** NP19 /nodepool/launchers/<launcher-id> (ephemeral). */
export interface LauncherRegistration {
  id: string;
  provider_name: string;
  /** Sorted union of every label in the config. */
  supported_labels: string[];
  extra: ExtraFields;
}

export const COMPONENT_KINDS = ['launcher', 'pool', 'builder'] as const;
export type ComponentKind = (typeof COMPONENT_KINDS)[number];

export const COMPONENT_STATES = ['initializing', 'running', 'paused', 'stopped'] as const;
export type ComponentState = (typeof COMPONENT_STATES)[number];

export interface ComponentBase {
  kind: ComponentKind;
  hostname: string;
  state: ComponentState;
  version: string;
  /** Always 0: NP24 takes the minimum over all components. */
  model_api: number;
}

export interface PoolComponentFields {
  /** The launcher id used in declined_by and node.launcher. */
  id: string;
  name: string;
  provider_name: string;
  supported_labels: string[];
  priority: number;
  paused: boolean;
}

export type LauncherComponent = ComponentBase & { kind: 'launcher' };
export type BuilderComponent = ComponentBase & { kind: 'builder' };
export type PoolComponent = ComponentBase & PoolComponentFields & { kind: 'pool' };
export type Component = (LauncherComponent | BuilderComponent | PoolComponent) & { extra?: ExtraFields };
