import { lazyImport } from '../../lazy.ts';

/** The Anthropic SDK, imported on a Claude configuration's first call (start-up time and memory otherwise spent in every process). */
export const claudeSdk = lazyImport(() => import('@anthropic-ai/sdk'));
