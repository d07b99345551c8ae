import type { TreeEntry } from './repository-snapshot.ts';

// Which files' text is worth reading to describe a repository, most telling first: the root's manifests,
// then CI definitions, then the README (long, so after the manifests it could crowd out), then manifests
// of sub-projects (monorepos). Lockfiles are not read: their presence says enough and their text is large.

const MANIFEST_NAME =
  /^(package\.json|requirements(-[\w.-]+)?\.txt|pyproject\.toml|Pipfile|Gemfile|go\.mod|Cargo\.toml|pom\.xml|build\.gradle(\.kts)?|composer\.json|Dockerfile|docker-compose\.ya?ml|compose\.ya?ml)$/;
const ROOT_CI = /^(\.gitlab-ci\.yml|Jenkinsfile|\.circleci\/config\.ya?ml|\.github\/workflows\/[^/]+\.ya?ml)$/;
const ROOT_README = /^README(\.md|\.rst|\.txt)?$/i;
// Vendored and generated folders hold other people's manifests.
const FOREIGN_FOLDER = /(^|\/)(node_modules|vendor|third_party|\.git|dist|build|target|\.venv|venv|__pycache__)\//;
const MAX_NESTED_DEPTH = 3;

function rank(path: string): number | null {
  if (FOREIGN_FOLDER.test(path)) return null;
  const segments = path.split('/');
  const name = segments[segments.length - 1] ?? '';
  if (segments.length === 1 && MANIFEST_NAME.test(name)) return 0;
  if (ROOT_CI.test(path)) return 1;
  if (segments.length === 1 && ROOT_README.test(name)) return 2;
  if (segments.length <= MAX_NESTED_DEPTH && MANIFEST_NAME.test(name)) return 3;
  return null;
}

/** Manifest candidates among the tree's files, in reading order (rank, then depth, then path). */
export function selectManifestPaths(tree: readonly TreeEntry[]): TreeEntry[] {
  const ranked = tree.flatMap((entry) => {
    const order = entry.type === 'blob' ? rank(entry.path) : null;
    return order === null ? [] : [{ entry, order, depth: entry.path.split('/').length }];
  });
  ranked.sort((a, b) => a.order - b.order || a.depth - b.depth || (a.entry.path < b.entry.path ? -1 : a.entry.path > b.entry.path ? 1 : 0));
  return ranked.map(({ entry }) => entry);
}
