import { lazyImport } from '../../lazy.ts';

/** The Google Gen AI SDK, imported on a Gemini configuration's first call (start-up time and memory otherwise spent in every process). */
export const geminiSdk = lazyImport(() => import('@google/genai'));
