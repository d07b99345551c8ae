// The read-throughput baseline: graphql-yoga (the same version the gateway uses) with a small schema and
// nothing else on 127.0.0.1: `{ __typename }`, and a page of 50 projects with the gateway's page shape and
// text (the built-in REST template's specifications) answered from memory: what yoga alone costs to run
// and serialize that page, with no data access, no auth and no plugins (a floor for the gateway's page).
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createSchema, createYoga } from 'graphql-yoga';
import { BUILT_IN_TEMPLATES } from '../../src/modules/templates/builtin-templates.ts';
import { serveHttpToParent } from '../support/child-process.ts';

const template = BUILT_IN_TEMPLATES.find((candidate) => candidate.slug === 'rest-api')!;
const page = {
  edges: Array.from({ length: 50 }, (_, index) => ({
    node: { id: randomUUID(), name: `Read bench ${index}`, specifications: template.specifications.map(({ key, value }) => ({ key, value })) },
  })),
};
const typeDefs = `
  type Query { ok: Boolean, projects(first: Int): ProjectConnection! }
  type ProjectConnection { edges: [ProjectEdge!]! }
  type ProjectEdge { node: Project! }
  type Project { id: ID!, name: String!, specifications: [Specification!]! }
  type Specification { key: String!, value: String! }
`;
const resolvers = { Query: { projects: (_root: unknown, { first }: { first?: number }) => ({ edges: page.edges.slice(0, first ?? 20) }) } };
const yoga = createYoga({ schema: createSchema({ typeDefs, resolvers }), logging: false, landingPage: false });
const server = createServer(yoga);
await serveHttpToParent(server);
