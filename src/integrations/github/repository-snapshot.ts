// What Agora knows of a repository after reading it through GitHub's GraphQL API (no clone), and the
// bounds of that read. Every field is plain data, so the detection rules can run on a literal in tests.

export interface ReadLimits {
  /** Tree paths listed (files, folders and submodules together), shallowest first. */
  maxFiles: number;
  /** Folder depth listed: 1 is the root's own entries. */
  maxDepth: number;
  /** Manifest, CI and README files whose text is read. */
  maxManifestFiles: number;
  /** Bytes of file text read in all. */
  maxBytes: number;
  /** A file larger than this is not read at all. */
  maxFileBytes: number;
}

export const DEFAULT_READ_LIMITS: Readonly<ReadLimits> = Object.freeze({
  maxFiles: 2000,
  maxDepth: 8,
  maxManifestFiles: 40,
  maxBytes: 1_000_000,
  maxFileBytes: 200_000,
});

/** Defaults for what is not given; a value that is not a positive integer is refused. */
export function resolveReadLimits(limits: Partial<ReadLimits> = {}): ReadLimits {
  const resolved = { ...DEFAULT_READ_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`The read limit ${name} must be a positive integer.`);
  }
  return resolved;
}

export type TreeEntryType = 'blob' | 'tree' | 'commit';

export interface TreeEntry {
  /** From the root, without a leading or trailing slash: "src/app/page.tsx". */
  path: string;
  /** Git's object type: a file (blob), a folder (tree) or a submodule (commit). */
  type: TreeEntryType;
  /** Bytes, for files; 0 otherwise. */
  size: number;
}

export interface ManifestFile {
  path: string;
  text: string;
  byteSize: number;
  /** GitHub cut the text short (it does for very large blobs). */
  isTruncated: boolean;
}

export type SkipReason = 'too_large' | 'over_byte_budget' | 'over_file_count' | 'binary';

export interface RepositorySnapshot {
  owner: string;
  name: string;
  nameWithOwner: string;
  description: string | null;
  url: string;
  homepageUrl: string | null;
  /** Null for an empty repository. */
  defaultBranch: string | null;
  /** The commit every path and text was read at (null for an empty repository). */
  commitOid: string | null;
  isPrivate: boolean;
  isFork: boolean;
  isArchived: boolean;
  stargazerCount: number;
  forkCount: number;
  createdAt: string;
  pushedAt: string | null;
  topics: string[];
  /** Bytes of code per language, largest first, as GitHub's linguist counts them. */
  languages: { name: string; size: number }[];
  license: { spdxId: string | null; name: string } | null;
  /** The default branch's tree, breadth first (shallow paths win when the listing is cut), sorted by path
   *  within one depth. */
  tree: TreeEntry[];
  /** Texts of the manifest, CI and README files read, sorted by path. */
  manifests: ManifestFile[];
  /** Manifest candidates that were not read, and why. */
  skipped: { path: string; reason: SkipReason }[];
  /** files: the tree listing or the manifest list was cut by a limit; bytes: a text was skipped or cut for size. */
  truncated: { files: boolean; bytes: boolean };
}
