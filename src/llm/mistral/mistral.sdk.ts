// The Mistral SDK, loaded on first use: importing it builds a zod schema for every model of its API, which
// costs about 0.4 s of start-up and over 100 MB of resident memory in every process, whether or not a
// Mistral configuration exists. A deployment without one never loads it.

export interface MistralSdk {
  sdk: typeof import('@mistralai/mistralai');
  errors: typeof import('@mistralai/mistralai/models/errors');
}

let loading: Promise<MistralSdk> | null = null;

/** The SDK and its error classes: one import shared by every call (a failed import is tried again next time). */
export function loadMistralSdk(): Promise<MistralSdk> {
  loading ??= Promise.all([import('@mistralai/mistralai'), import('@mistralai/mistralai/models/errors')]).then(
    ([sdk, errors]) => ({ sdk, errors }),
    (error: unknown) => {
      loading = null;
      throw error;
    },
  );
  return loading;
}
