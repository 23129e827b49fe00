// Nodepool [2024] replaces `%(NODEPOOL_<NAME>)` in the raw text before YAML parsing
// (config.py substitute_env_vars). Only NODEPOOL_-prefixed variables are used, so a config can
// contain other `%(...)` text (e.g. in userdata) without it being touched.

export interface Substitution {
  text: string;
  /** The values that were put into the text; they are redacted from messages. */
  values: string[];
}

export type Env = Readonly<Record<string, string | undefined>>;

export function substituteEnvVars(text: string, env: Env): Substitution {
  const values: string[] = [];
  const out = text.replace(/%\((NODEPOOL_[^)]*)\)/g, (token, name: string) => {
    const value = env[name];
    if (value === undefined) return token;
    values.push(value);
    return value;
  });
  return { text: out, values };
}
