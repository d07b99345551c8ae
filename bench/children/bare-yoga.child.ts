// The read-throughput baseline: graphql-yoga (the same version the gateway uses) with a one-field schema
// and nothing else, answering `{ __typename }` on 127.0.0.1.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import { serveHttpToParent } from '../support/child-process.ts';

const yoga = createYoga({ schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }), logging: false, landingPage: false });
const server = createServer(yoga);
await serveHttpToParent(server);
