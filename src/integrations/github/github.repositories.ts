import { z } from 'zod';
import type { GitHubClient } from './github.client.ts';
import { GitHubError } from './github.errors.ts';

// What Agora reads of GitHub, through its GraphQL API only (no clone), bounded in files and bytes.

const VIEWER_REPOSITORIES = `
query ViewerRepositories($first: Int!, $after: String) {
  viewer {
    repositories(first: $first, after: $after, orderBy: { field: UPDATED_AT, direction: DESC },
                 ownerAffiliations: [OWNER, COLLABORATOR, ORGANIZATION_MEMBER]) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { nameWithOwner url description isPrivate stargazerCount updatedAt primaryLanguage { name } } }
    }
  }
}`;

const repositorySummary = z.object({
  nameWithOwner: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  isPrivate: z.boolean(),
  stargazerCount: z.number(),
  updatedAt: z.string(),
  primaryLanguage: z.object({ name: z.string() }).nullable(),
});
export type RepositorySummary = z.infer<typeof repositorySummary>;

const viewerRepositories = z.object({
  viewer: z.object({
    repositories: z.object({
      totalCount: z.number(),
      pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
      edges: z.array(z.object({ cursor: z.string(), node: repositorySummary })),
    }),
  }),
});

export async function listViewerRepositories(client: GitHubClient, page: { first: number; after: string | null }) {
  const data = await client(VIEWER_REPOSITORIES, { first: page.first, after: page.after }, viewerRepositories, 'your repositories');
  return data.viewer.repositories;
}

export interface ReadLimits {
  /** Paths listed from the default branch's tree. */
  maxFiles: number;
  /** Folder depth followed. */
  maxDepth: number;
  /** Manifest and README files read. */
  maxManifestFiles: number;
  /** Bytes of file text read in all. */
  maxBytes: number;
  /** A larger file is skipped. */
  maxFileBytes: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { maxFiles: 2000, maxDepth: 6, maxManifestFiles: 40, maxBytes: 1_000_000, maxFileBytes: 200_000 };

export interface RepositorySnapshot {
  nameWithOwner: string;
  description: string | null;
  url: string;
  homepageUrl: string | null;
  defaultBranch: string | null;
  isPrivate: boolean;
  isFork: boolean;
  isArchived: boolean;
  stargazerCount: number;
  pushedAt: string | null;
  topics: string[];
  /** Bytes of code per language, largest first. */
  languages: { name: string; size: number }[];
  license: { spdxId: string | null; name: string } | null;
  /** Paths of files and folders on the default branch, up to the limits. */
  paths: string[];
  /** Text of the manifest and README files read, by path. */
  files: Record<string, string>;
  truncated: { files: boolean; bytes: boolean };
}

const treeEntry: z.ZodType<TreeEntry> = z.lazy(() =>
  z.object({
    path: z.string(),
    type: z.string(),
    object: z.object({ entries: z.array(treeEntry).optional() }).nullable().optional(),
  }),
);
interface TreeEntry {
  path: string;
  type: string;
  object?: { entries?: TreeEntry[] } | null;
}

const TREE_LEVELS = 3;
function treeSelection(levels: number): string {
  if (levels === 0) return 'entries { path type }';
  return `entries { path type object { ... on Tree { ${treeSelection(levels - 1)} } } }`;
}

const repositorySchema = z.object({
  repository: z
    .object({
      nameWithOwner: z.string(),
      description: z.string().nullable(),
      url: z.string(),
      homepageUrl: z.string().nullable(),
      isPrivate: z.boolean(),
      isFork: z.boolean(),
      isArchived: z.boolean(),
      stargazerCount: z.number(),
      pushedAt: z.string().nullable(),
      defaultBranchRef: z.object({ name: z.string() }).nullable(),
      licenseInfo: z.object({ spdxId: z.string().nullable(), name: z.string() }).nullable(),
      repositoryTopics: z.object({ nodes: z.array(z.object({ topic: z.object({ name: z.string() }) })) }),
      languages: z.object({ edges: z.array(z.object({ size: z.number(), node: z.object({ name: z.string() }) })) }).nullable(),
      object: z.object({ entries: z.array(treeEntry).optional() }).nullable(),
    })
    .nullable(),
});

const REPOSITORY = `
query Repository($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    nameWithOwner description url homepageUrl isPrivate isFork isArchived stargazerCount pushedAt
    defaultBranchRef { name }
    licenseInfo { spdxId name }
    repositoryTopics(first: 50) { nodes { topic { name } } }
    languages(first: 50, orderBy: { field: SIZE, direction: DESC }) { edges { size node { name } } }
    object(expression: "HEAD:") { ... on Tree { ${treeSelection(TREE_LEVELS - 1)} } }
  }
}`;

const MANIFEST_NAMES =
  /^(package\.json|requirements[\w.-]*\.txt|pyproject\.toml|Pipfile|Gemfile|go\.mod|Cargo\.toml|pom\.xml|build\.gradle(\.kts)?|composer\.json|Dockerfile|docker-compose\.ya?ml|compose\.ya?ml|\.gitlab-ci\.yml|Jenkinsfile|README(\.md|\.rst|\.txt)?|pnpm-lock\.yaml|yarn\.lock|package-lock\.json|poetry\.lock|Pipfile\.lock|Gemfile\.lock|Cargo\.lock|go\.sum)$/i;
const LOCKFILES = /(lock\.json|\.lock|lock\.yaml|go\.sum)$/i;

/** Whether a path is a file Agora reads the text of (manifests, CI files, the top README). */
export function isManifestPath(path: string): boolean {
  const name = path.split('/').pop() ?? path;
  if (/^\.github\/workflows\/[^/]+\.ya?ml$/.test(path) || path === '.circleci/config.yml') return true;
  if (!MANIFEST_NAMES.test(name)) return false;
  // READMEs count at the top only; lockfiles only by presence (their text is large and says little).
  if (/^README/i.test(name)) return !path.includes('/');
  return !LOCKFILES.test(name) && path.split('/').length <= 3;
}

export async function readRepository(
  client: GitHubClient,
  repository: { owner: string; name: string },
  limits: ReadLimits = DEFAULT_READ_LIMITS,
): Promise<RepositorySnapshot> {
  const what = `The repository ${repository.owner}/${repository.name}`;
  const data = await client(REPOSITORY, { owner: repository.owner, name: repository.name }, repositorySchema, what);
  const repo = data.repository;
  if (!repo) {
    throw new GitHubError('NOT_FOUND', `${what} was not found on GitHub (or the key cannot see it).`);
  }

  const paths: string[] = [];
  const pending: { path: string; depth: number }[] = [];
  let filesTruncated = false;
  const collect = (entries: TreeEntry[] | undefined, depth: number) => {
    for (const entry of entries ?? []) {
      if (paths.length >= limits.maxFiles) {
        filesTruncated = true;
        return;
      }
      paths.push(entry.type === 'tree' ? `${entry.path}/` : entry.path);
      if (entry.type !== 'tree') continue;
      if (entry.object?.entries) collect(entry.object.entries, depth + 1);
      else if (depth + 1 < limits.maxDepth) pending.push({ path: entry.path, depth: depth + 1 });
      else filesTruncated = true;
    }
  };
  collect(repo.object?.entries, 0);

  // Folders deeper than one query reaches: a few at a time, each again TREE_LEVELS deep.
  while (pending.length > 0 && paths.length < limits.maxFiles) {
    const batch = pending.splice(0, 10);
    const aliases = batch.map((item, index) => `t${index}: object(expression: ${JSON.stringify(`HEAD:${item.path}`)}) { ... on Tree { ${treeSelection(TREE_LEVELS - 1)} } }`);
    const query = `query Subtrees($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { ${aliases.join(' ')} } }`;
    const schema = z.object({ repository: z.record(z.string(), z.object({ entries: z.array(treeEntry).optional() }).nullable()) });
    const subtrees = await client(query, { owner: repository.owner, name: repository.name }, schema, what);
    batch.forEach((item, index) => collect(subtrees.repository[`t${index}`]?.entries, item.depth));
  }
  if (pending.length > 0) filesTruncated = true;

  const manifestPaths = paths.filter((path) => !path.endsWith('/') && isManifestPath(path));
  const toRead = manifestPaths.slice(0, limits.maxManifestFiles);
  if (manifestPaths.length > toRead.length) filesTruncated = true;
  const files: Record<string, string> = {};
  let bytes = 0;
  let bytesTruncated = false;
  const blob = z.object({ text: z.string().nullable(), byteSize: z.number(), isBinary: z.boolean().nullable() }).nullable();
  for (let start = 0; start < toRead.length; start += 20) {
    const batch = toRead.slice(start, start + 20);
    const aliases = batch.map((path, index) => `f${index}: object(expression: ${JSON.stringify(`HEAD:${path}`)}) { ... on Blob { text byteSize isBinary } }`);
    const query = `query Files($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { ${aliases.join(' ')} } }`;
    const answer = await client(query, { owner: repository.owner, name: repository.name }, z.object({ repository: z.record(z.string(), blob) }), what);
    batch.forEach((path, index) => {
      const file = answer.repository[`f${index}`];
      if (!file || file.isBinary || file.text === null) return;
      if (file.byteSize > limits.maxFileBytes || bytes + file.byteSize > limits.maxBytes) {
        bytesTruncated = true;
        return;
      }
      bytes += file.byteSize;
      files[path] = file.text;
    });
  }

  return {
    nameWithOwner: repo.nameWithOwner,
    description: repo.description,
    url: repo.url,
    homepageUrl: repo.homepageUrl,
    defaultBranch: repo.defaultBranchRef?.name ?? null,
    isPrivate: repo.isPrivate,
    isFork: repo.isFork,
    isArchived: repo.isArchived,
    stargazerCount: repo.stargazerCount,
    pushedAt: repo.pushedAt,
    topics: repo.repositoryTopics.nodes.map((node) => node.topic.name),
    languages: (repo.languages?.edges ?? []).map((edge) => ({ name: edge.node.name, size: edge.size })),
    license: repo.licenseInfo,
    paths,
    files,
    truncated: { files: filesTruncated, bytes: bytesTruncated },
  };
}
