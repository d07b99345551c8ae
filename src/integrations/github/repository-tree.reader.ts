import { z } from 'zod';
import type { GitHubClient } from './github-graphql.client.ts';
import { GitHubError } from './github.errors.ts';
import type { ReadLimits, TreeEntry, TreeEntryType } from './repository-snapshot.ts';

// The default branch's tree, read breadth first: one query returns a few levels of nested `Tree` entries
// for several folders at once (aliased), and the folders where those levels end are read by later queries,
// shallowest first, until the path or depth limit is reached.

const LEVELS_PER_QUERY = 3;
const FOLDERS_PER_QUERY = 20;

interface RawEntry {
  name: string;
  type: string;
  size: number;
  object?: { entries?: RawEntry[] | undefined } | null | undefined;
}

const rawEntry: z.ZodType<RawEntry> = z.lazy(() =>
  z.object({
    name: z.string(),
    type: z.string(),
    size: z.number().int(),
    object: z.object({ entries: z.array(rawEntry).optional() }).nullable().optional(),
  }),
);

const treesAnswer = z.object({
  repository: z.record(z.string(), z.object({ entries: z.array(rawEntry).optional() }).nullable()).nullable(),
});

function entriesSelection(levels: number): string {
  const nested = levels > 1 ? ` object { ... on Tree { ${entriesSelection(levels - 1)} } }` : '';
  return `entries { name type size${nested} }`;
}

interface Folder {
  path: string;
  depth: number;
}

const byDepthThenPath = (a: { path: string; depth: number }, b: { path: string; depth: number }) =>
  a.depth - b.depth || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

const isEntryType = (type: string): type is TreeEntryType => type === 'blob' || type === 'tree' || type === 'commit';

/** `revision` is the commit oid (or "HEAD"); the listing is cut at `maxFiles` paths and `maxDepth` levels. */
export async function readRepositoryTree(
  client: GitHubClient,
  repository: { owner: string; name: string },
  revision: string,
  limits: Pick<ReadLimits, 'maxFiles' | 'maxDepth'>,
): Promise<{ entries: TreeEntry[]; truncated: boolean }> {
  const found: (TreeEntry & { depth: number })[] = [];
  const pending: Folder[] = [{ path: '', depth: 0 }];
  let truncated = false;

  const collect = (entries: RawEntry[], parent: string, depth: number, levelsLeft: number) => {
    for (const entry of entries) {
      if (!isEntryType(entry.type)) continue;
      const path = parent ? `${parent}/${entry.name}` : entry.name;
      found.push({ path, type: entry.type, size: entry.type === 'blob' ? entry.size : 0, depth });
      if (entry.type !== 'tree') continue;
      // Git stores no empty folders, so a folder left unread always hides at least one path.
      if (depth >= limits.maxDepth) truncated = true;
      else if (levelsLeft > 1 && entry.object?.entries) collect(entry.object.entries, path, depth + 1, levelsLeft - 1);
      else pending.push({ path, depth });
    }
  };

  while (pending.length > 0) {
    if (found.length >= limits.maxFiles) {
      truncated = true;
      break;
    }
    const batch = pending.splice(0, FOLDERS_PER_QUERY);
    const levels = batch.map((folder) => Math.min(LEVELS_PER_QUERY, limits.maxDepth - folder.depth));
    const declarations = batch.map((_, index) => `$e${index}: String!`).join(', ');
    const aliases = batch.map((_, index) => `t${index}: object(expression: $e${index}) { ... on Tree { ${entriesSelection(levels[index]!)} } }`);
    const variables: Record<string, unknown> = { owner: repository.owner, name: repository.name };
    batch.forEach((folder, index) => {
      variables[`e${index}`] = `${revision}:${folder.path}`;
    });
    const data = await client.query({
      query: `query RepositoryTree($owner: String!, $name: String!, ${declarations}) { repository(owner: $owner, name: $name) { ${aliases.join(' ')} } }`,
      variables,
      schema: treesAnswer,
      subject: `the repository ${repository.owner}/${repository.name}`,
    });
    if (!data.repository) throw new GitHubError('NOT_FOUND', `The repository ${repository.owner}/${repository.name} was not found on GitHub, or the token cannot see it.`);
    batch.forEach((folder, index) => {
      collect(data.repository?.[`t${index}`]?.entries ?? [], folder.path, folder.depth + 1, levels[index]!);
    });
    pending.sort(byDepthThenPath);
  }

  found.sort(byDepthThenPath);
  if (found.length > limits.maxFiles) truncated = true;
  return { entries: found.slice(0, limits.maxFiles).map(({ path, type, size }) => ({ path, type, size })), truncated };
}
