import { lazyImport } from '../../lazy.ts';

/**
 * The Mistral SDK, imported on a Mistral configuration's first call: importing it builds a zod schema for
 * every model of its API (about 1 s and 110 MB of resident memory in every process).
 */
export const mistralSdk = lazyImport(async () => {
  const [sdk, errors] = await Promise.all([import('@mistralai/mistralai'), import('@mistralai/mistralai/models/errors')]);
  return { sdk, errors };
});

export type MistralSdk = Awaited<ReturnType<typeof mistralSdk.load>>;
