// The read-throughput baseline: graphql-yoga (the same version the gateway uses) with a one-field schema
// and nothing else, answering `{ __typename }` on 127.0.0.1.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { serveParent } from '../support/child-process.ts';

const yoga = createYoga({ schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }), logging: false, landingPage: false });
const server = createServer(yoga);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

serveParent(
  { port: (server.address() as AddressInfo).port },
  {
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  },
);
