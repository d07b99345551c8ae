import { defineConfig } from 'vitest/config';

// Resolve packages as Node does (no "development" condition): graphql 17 ships a separate development
// build, and loading both builds breaks graphql's instanceof checks between our code and Pothos.
const nodeConditions = ['module-sync', 'node'];

export default defineConfig({
  resolve: { conditions: nodeConditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: more workers only contend for them and for the one PostgreSQL.
    maxWorkers: 2,
  },
});
