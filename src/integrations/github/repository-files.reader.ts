import { z } from 'zod';
import type { GitHubClient } from './github-graphql.client.ts';
import { GitHubError } from './github.errors.ts';
import type { ManifestFile, ReadLimits, SkipReason, TreeEntry } from './repository-snapshot.ts';

// Texts of chosen files, several aliased `object(expression:) { ... on Blob }` per query. Sizes are known
// from the tree, so a file too large for the bounds is skipped before it is ever downloaded.

const FILES_PER_QUERY = 10;

const blob = z.object({
  byteSize: z.number().int().optional(),
  isBinary: z.boolean().nullable().optional(),
  isTruncated: z.boolean().optional(),
  text: z.string().nullable().optional(),
});
const blobsAnswer = z.object({ repository: z.record(z.string(), blob.nullable()).nullable() });

export interface FilesRead {
  files: ManifestFile[];
  skipped: { path: string; reason: SkipReason }[];
  truncated: { files: boolean; bytes: boolean };
}

export async function readRepositoryFiles(
  client: GitHubClient,
  repository: { owner: string; name: string },
  revision: string,
  candidates: readonly TreeEntry[],
  limits: Pick<ReadLimits, 'maxManifestFiles' | 'maxBytes' | 'maxFileBytes'>,
): Promise<FilesRead> {
  const skipped: FilesRead['skipped'] = [];
  const chosen: TreeEntry[] = [];
  let planned = 0;
  for (const candidate of candidates) {
    if (chosen.length >= limits.maxManifestFiles) skipped.push({ path: candidate.path, reason: 'over_file_count' });
    else if (candidate.size > limits.maxFileBytes) skipped.push({ path: candidate.path, reason: 'too_large' });
    else if (planned + candidate.size > limits.maxBytes) skipped.push({ path: candidate.path, reason: 'over_byte_budget' });
    else {
      chosen.push(candidate);
      planned += candidate.size;
    }
  }

  const files: ManifestFile[] = [];
  let bytes = 0;
  let cut = false;
  for (let start = 0; start < chosen.length; start += FILES_PER_QUERY) {
    const batch = chosen.slice(start, start + FILES_PER_QUERY);
    const declarations = batch.map((_, index) => `$e${index}: String!`).join(', ');
    const aliases = batch.map((_, index) => `f${index}: object(expression: $e${index}) { ... on Blob { byteSize isBinary isTruncated text } }`);
    const variables: Record<string, unknown> = { owner: repository.owner, name: repository.name };
    batch.forEach((entry, index) => {
      variables[`e${index}`] = `${revision}:${entry.path}`;
    });
    const data = await client.query({
      query: `query RepositoryFiles($owner: String!, $name: String!, ${declarations}) { repository(owner: $owner, name: $name) { ${aliases.join(' ')} } }`,
      variables,
      schema: blobsAnswer,
      subject: `the repository ${repository.owner}/${repository.name}`,
    });
    if (!data.repository) throw new GitHubError('NOT_FOUND', `The repository ${repository.owner}/${repository.name} was not found on GitHub, or the token cannot see it.`);
    batch.forEach((entry, index) => {
      const found = data.repository?.[`f${index}`];
      if (!found || found.text === undefined) return;
      if (found.isBinary || found.text === null) {
        skipped.push({ path: entry.path, reason: 'binary' });
        return;
      }
      const byteSize = found.byteSize ?? Buffer.byteLength(found.text);
      // The tree's size is trusted for planning; the blob's own size is what is counted.
      if (byteSize > limits.maxFileBytes) {
        skipped.push({ path: entry.path, reason: 'too_large' });
        return;
      }
      if (bytes + byteSize > limits.maxBytes) {
        skipped.push({ path: entry.path, reason: 'over_byte_budget' });
        return;
      }
      bytes += byteSize;
      const isTruncated = found.isTruncated ?? false;
      if (isTruncated) cut = true;
      files.push({ path: entry.path, text: found.text, byteSize, isTruncated });
    });
  }

  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    files,
    skipped,
    truncated: {
      files: skipped.some((entry) => entry.reason === 'over_file_count'),
      bytes: cut || skipped.some((entry) => entry.reason === 'too_large' || entry.reason === 'over_byte_budget'),
    },
  };
}
