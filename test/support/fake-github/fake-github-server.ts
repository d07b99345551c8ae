import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { schema as githubSchemaSource } from '@octokit/graphql-schema';
import { buildSchema, execute, type GraphQLSchema, parse, validate } from 'graphql';
import type { FixtureRepository } from './fixtures.ts';

// A fake GitHub GraphQL API: every query is validated against GitHub's real schema
// (@octokit/graphql-schema) and executed with resolvers over fixture repositories.

let githubSchema: GraphQLSchema | null = null;
function schema(): GraphQLSchema {
  // graphql 17 refuses a deprecated field implementing an interface's field that is not (GitHub's schema
  // has several); deprecations change nothing about validating or answering Agora's queries.
  const sdl = githubSchemaSource.idl.replace(/ @deprecated(\(reason: "(?:[^"\\]|\\.)*"\))?/g, '');
  githubSchema ??= buildSchema(sdl, { assumeValidSDL: true });
  return githubSchema;
}

export interface FakeGitHubServer {
  url: string;
  requests: { query: string; variables: Record<string, unknown> }[];
  invalidQueries: string[];
  /** The next request answers 403 with an exhausted rate limit. */
  rateLimitNext(): void;
  close(): Promise<void>;
}

interface TreeNode {
  __typename: 'Tree';
  entries: { name: string; path: string; type: string; object: TreeNode | BlobNode }[];
}
interface BlobNode {
  __typename: 'Blob';
  text: string;
  byteSize: number;
  isBinary: boolean;
  isTruncated: boolean;
}

function treeOf(files: Record<string, string>, prefix: string): TreeNode | null {
  const children = new Map<string, 'tree' | 'blob'>();
  for (const path of Object.keys(files)) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length);
    const [head, ...tail] = rest.split('/');
    if (!head) continue;
    children.set(head, tail.length ? 'tree' : (children.get(head) ?? 'blob'));
  }
  if (children.size === 0) return null;
  const entries = [...children.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, type]) => {
      const path = `${prefix}${name}`;
      return { name, path, type, object: (type === 'tree' ? treeOf(files, `${path}/`) : blobOf(files[path]!)) as TreeNode | BlobNode };
    });
  return { __typename: 'Tree', entries };
}

function blobOf(text: string): BlobNode {
  return { __typename: 'Blob', text, byteSize: Buffer.byteLength(text), isBinary: false, isTruncated: false };
}

function page<T>(items: T[], first: number, after: string | null | undefined) {
  const start = after ? Number(Buffer.from(after, 'base64').toString()) + 1 : 0;
  const slice = items.slice(start, start + first);
  const cursor = (index: number) => Buffer.from(String(start + index)).toString('base64');
  return {
    totalCount: items.length,
    edges: slice.map((node, index) => ({ cursor: cursor(index), node })),
    nodes: slice,
    pageInfo: { hasNextPage: start + first < items.length, endCursor: slice.length ? cursor(slice.length - 1) : null, hasPreviousPage: start > 0, startCursor: slice.length ? cursor(0) : null },
  };
}

function repositoryValue(repo: FixtureRepository) {
  return {
    nameWithOwner: `${repo.owner}/${repo.name}`,
    name: repo.name,
    description: repo.description,
    url: `https://github.com/${repo.owner}/${repo.name}`,
    homepageUrl: null,
    isPrivate: repo.isPrivate ?? false,
    isFork: false,
    isArchived: false,
    stargazerCount: repo.stars ?? 0,
    forkCount: 0,
    createdAt: '2024-01-01T00:00:00Z',
    pushedAt: '2026-11-01T00:00:00Z',
    updatedAt: repo.updatedAt ?? '2026-11-01T00:00:00Z',
    defaultBranchRef: { name: repo.defaultBranch ?? 'main' },
    licenseInfo: repo.license ?? null,
    primaryLanguage: Object.keys(repo.languages)[0] ? { name: Object.keys(repo.languages)[0] } : null,
    repositoryTopics: ({ first }: { first: number }) => page((repo.topics ?? []).map((name) => ({ topic: { name } })), first, null),
    languages: ({ first }: { first: number }) => {
      const sorted = Object.entries(repo.languages).sort(([, a], [, b]) => b - a);
      const result = page(sorted, first, null);
      return {
        ...result,
        edges: result.edges.map(({ cursor, node: [name, size] }) => ({ cursor, size, node: { name } })),
        totalSize: sorted.reduce((sum, [, size]) => sum + size, 0),
      };
    },
    object: ({ expression }: { expression: string }) => {
      const path = expression.replace(/^HEAD:/, '');
      if (path === '') return treeOf(repo.files, '');
      if (repo.files[path] !== undefined) return blobOf(repo.files[path]!);
      return treeOf(repo.files, `${path.replace(/\/$/, '')}/`);
    },
  };
}

export async function startFakeGitHubServer(options: { repositories: FixtureRepository[]; tokens: Record<string, string[]> }): Promise<FakeGitHubServer> {
  const requests: FakeGitHubServer['requests'] = [];
  const invalidQueries: string[] = [];
  let rateLimited = false;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'POST' || !['/graphql', '/api/graphql'].includes(request.url ?? '')) return send(404, { message: 'Not Found' });
    const token = /^(?:token|bearer) (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const visible = token ? options.tokens[token] : undefined;
    if (!visible) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/graphql' });
    if (rateLimited) {
      rateLimited = false;
      return send(403, { message: 'API rate limit exceeded' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60) });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown> };
    requests.push({ query: body.query, variables: body.variables ?? {} });
    let document;
    try {
      document = parse(body.query);
    } catch (error) {
      invalidQueries.push(body.query);
      return send(200, { errors: [{ message: (error as Error).message }] });
    }
    const problems = validate(schema(), document);
    if (problems.length) {
      invalidQueries.push(body.query);
      return send(200, { errors: problems.map((problem) => ({ message: problem.message })) });
    }
    const notFound: { type: string; path: string[]; message: string }[] = [];
    const repositoriesOf = (owner: string, name: string) =>
      options.repositories.find((repo) => repo.owner === owner && repo.name === name && visible.includes(`${owner}/${name}`));
    const rootValue = {
      repository: ({ owner, name }: { owner: string; name: string }) => {
        const repo = repositoriesOf(owner, name);
        if (!repo) notFound.push({ type: 'NOT_FOUND', path: ['repository'], message: `Could not resolve to a Repository with the name '${owner}/${name}'.` });
        return repo ? repositoryValue(repo) : null;
      },
      viewer: {
        login: 'fake-user',
        repositories: ({ first, after }: { first: number; after?: string | null }) =>
          page(options.repositories.filter((repo) => visible.includes(`${repo.owner}/${repo.name}`)).map(repositoryValue), first, after),
      },
    };
    const result = await execute({ schema: schema(), document, rootValue, variableValues: body.variables ?? {} });
    const errors = [...(result.errors ?? []).map((error) => ({ message: error.message })), ...notFound];
    send(200, errors.length ? { data: result.data ?? null, errors } : { data: result.data });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      response.writeHead(500);
      response.end(error.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests,
    invalidQueries,
    rateLimitNext: () => {
      rateLimited = true;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
