import type { GitHubClient } from './github-graphql.client.ts';
import { selectManifestPaths } from './manifest-paths.ts';
import { readRepositoryFiles } from './repository-files.reader.ts';
import { readRepositoryOverview } from './repository-overview.query.ts';
import { type ReadLimits, type RepositorySnapshot, resolveReadLimits } from './repository-snapshot.ts';
import { readRepositoryTree } from './repository-tree.reader.ts';

/**
 * Everything Agora reads of one repository, bounded by `limits` (defaults: DEFAULT_READ_LIMITS). Throws a
 * GitHubError (NOT_FOUND for a repository that does not exist or the token cannot see).
 */
export async function readRepository(
  client: GitHubClient,
  repository: { owner: string; name: string },
  limits: Partial<ReadLimits> = {},
): Promise<RepositorySnapshot> {
  const bounds = resolveReadLimits(limits);
  const overview = await readRepositoryOverview(client, repository);
  // An empty repository has no default branch and so no tree to read.
  const revision = overview.defaultBranch === null ? null : (overview.commitOid ?? 'HEAD');
  const tree = revision === null ? { entries: [], truncated: false } : await readRepositoryTree(client, repository, revision, bounds);
  const read =
    revision === null
      ? { files: [], skipped: [], truncated: { files: false, bytes: false } }
      : await readRepositoryFiles(client, repository, revision, selectManifestPaths(tree.entries), bounds);
  return {
    owner: repository.owner,
    name: repository.name,
    ...overview,
    tree: tree.entries,
    manifests: read.files,
    skipped: read.skipped,
    truncated: { files: tree.truncated || read.truncated.files, bytes: read.truncated.bytes },
  };
}
