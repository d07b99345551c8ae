// The one list of provider kinds. Everything that names kinds derives from it: the ProviderKind and
// KeyKind types and GraphQL enums, the database's check constraints (through the entities' enums), the
// `config` schema of each kind, the catalogue's provider map, the environment's keys of last resort,
// the drivers' registry and the providers' display names. A kind missing anywhere fails a test
// (test/unit/provider-kinds.test.ts). Adding a provider: see README, "Adding a provider".

/** `config` keys a kind understands beyond the common ones (model, maxTokens, temperature, timeoutMs, baseUrl). */
export type ExtraConfigKey = 'host' | 'tokenUrl';

export interface ProviderKindInfo {
  /** What people read in lists and error messages; names the company too. */
  name: string;
  /** The environment variable holding the key of last resort; null: none. */
  environmentKey: string | null;
  /** Whether users may store their own key for it (KeyKind). */
  takesUserKey: boolean;
  /** False for the rule-based local provider, which calls no API and takes no endpoint. */
  remote: boolean;
  extraConfigKeys: readonly ExtraConfigKey[];
}

// In the contract's order, which is the order clients list them.
export const PROVIDER_KIND_INFO = {
  LOCAL: { name: 'Local rules', environmentKey: null, takesUserKey: false, remote: false, extraConfigKeys: [] },
  OPENAI: { name: 'OpenAI', environmentKey: 'OPENAI_API_KEY', takesUserKey: true, remote: true, extraConfigKeys: [] },
  CLAUDE: { name: 'Anthropic Claude', environmentKey: 'ANTHROPIC_API_KEY', takesUserKey: true, remote: true, extraConfigKeys: [] },
  GEMINI: { name: 'Google Gemini', environmentKey: 'GEMINI_API_KEY', takesUserKey: true, remote: true, extraConfigKeys: [] },
  COPILOT: { name: 'GitHub Copilot', environmentKey: 'GITHUB_TOKEN', takesUserKey: true, remote: true, extraConfigKeys: ['tokenUrl'] },
  GROK: { name: 'xAI Grok', environmentKey: 'XAI_API_KEY', takesUserKey: true, remote: true, extraConfigKeys: [] },
  OLLAMA: { name: 'Ollama', environmentKey: null, takesUserKey: true, remote: true, extraConfigKeys: ['host'] },
  MISTRAL: { name: 'Mistral AI', environmentKey: 'MISTRAL_API_KEY', takesUserKey: true, remote: true, extraConfigKeys: [] },
} as const satisfies Record<string, ProviderKindInfo>;

export type ProviderKind = keyof typeof PROVIDER_KIND_INFO;

export const PROVIDER_KINDS = Object.keys(PROVIDER_KIND_INFO) as [ProviderKind, ...ProviderKind[]];

/** Kinds whose users may store a key of their own, plus GitHub (read by repository imports, not a provider). */
export const KEY_KINDS = [...PROVIDER_KINDS.filter((kind) => PROVIDER_KIND_INFO[kind].takesUserKey), 'GITHUB'] as unknown as [KeyKind, ...KeyKind[]];

export type KeyKind = { [K in ProviderKind]: (typeof PROVIDER_KIND_INFO)[K]['takesUserKey'] extends true ? K : never }[ProviderKind] | 'GITHUB';

export function providerName(kind: ProviderKind): string {
  return PROVIDER_KIND_INFO[kind].name;
}

/** The key kind a provider call uses: the provider's own, and none for kinds that take no user key. */
export function keyKindOf(kind: ProviderKind): KeyKind | null {
  return PROVIDER_KIND_INFO[kind].takesUserKey ? (kind as KeyKind) : null;
}

/** Each kind's environment variable for its key of last resort (kinds without one are absent). */
export const ENVIRONMENT_KEY_VARIABLES: readonly { kind: ProviderKind; variable: string }[] = PROVIDER_KINDS.flatMap((kind) => {
  const variable: string | null = PROVIDER_KIND_INFO[kind].environmentKey;
  return variable ? [{ kind, variable }] : [];
});
