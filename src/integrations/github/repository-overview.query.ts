import { z } from 'zod';
import { MAX_PAGE_SIZE, remainingPages } from './connection-pages.ts';
import type { GitHubClient } from './github-graphql.client.ts';
import { GitHubError } from './github.errors.ts';

// The repository's metadata, topics and languages, and the commit its default branch points at (every
// later read names that commit, so a push in between cannot mix two versions).

const TOPICS_FIELDS = 'pageInfo { hasNextPage endCursor } nodes { topic { name } }';
const LANGUAGES_FIELDS = 'pageInfo { hasNextPage endCursor } edges { size node { name } }';

const OVERVIEW = `
query RepositoryOverview($owner: String!, $name: String!, $first: Int!) {
  repository(owner: $owner, name: $name) {
    nameWithOwner description url homepageUrl isPrivate isFork isArchived
    stargazerCount forkCount createdAt pushedAt
    defaultBranchRef { name target { oid } }
    licenseInfo { spdxId name }
    repositoryTopics(first: $first) { ${TOPICS_FIELDS} }
    languages(first: $first, orderBy: { field: SIZE, direction: DESC }) { ${LANGUAGES_FIELDS} }
  }
}`;

const MORE_TOPICS = `
query RepositoryTopics($owner: String!, $name: String!, $first: Int!, $after: String!) {
  repository(owner: $owner, name: $name) { repositoryTopics(first: $first, after: $after) { ${TOPICS_FIELDS} } }
}`;

const MORE_LANGUAGES = `
query RepositoryLanguages($owner: String!, $name: String!, $first: Int!, $after: String!) {
  repository(owner: $owner, name: $name) {
    languages(first: $first, after: $after, orderBy: { field: SIZE, direction: DESC }) { ${LANGUAGES_FIELDS} }
  }
}`;

const pageInfo = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });
const topics = z.object({ pageInfo, nodes: z.array(z.object({ topic: z.object({ name: z.string() }) }).nullable()) }).transform((connection) => ({
  pageInfo: connection.pageInfo,
  items: connection.nodes.flatMap((node) => (node ? [node.topic.name] : [])),
}));
const languages = z.object({ pageInfo, edges: z.array(z.object({ size: z.number().int(), node: z.object({ name: z.string() }) }).nullable()) }).transform((connection) => ({
  pageInfo: connection.pageInfo,
  items: connection.edges.flatMap((edge) => (edge ? [{ name: edge.node.name, size: edge.size }] : [])),
}));

const overviewAnswer = z.object({
  repository: z
    .object({
      nameWithOwner: z.string(),
      description: z.string().nullable(),
      url: z.string(),
      homepageUrl: z.string().nullable(),
      isPrivate: z.boolean(),
      isFork: z.boolean(),
      isArchived: z.boolean(),
      stargazerCount: z.number().int(),
      forkCount: z.number().int(),
      createdAt: z.string(),
      pushedAt: z.string().nullable(),
      defaultBranchRef: z.object({ name: z.string(), target: z.object({ oid: z.string() }).nullable() }).nullable(),
      licenseInfo: z.object({ spdxId: z.string().nullable(), name: z.string() }).nullable(),
      repositoryTopics: topics,
      // Nullable in GitHub's schema.
      languages: languages.nullable(),
    })
    .nullable(),
});

const topicsAnswer = z.object({ repository: z.object({ repositoryTopics: topics }) });
const languagesAnswer = z.object({ repository: z.object({ languages: languages.nullable() }) });

export interface RepositoryOverview {
  nameWithOwner: string;
  description: string | null;
  url: string;
  homepageUrl: string | null;
  defaultBranch: string | null;
  commitOid: string | null;
  isPrivate: boolean;
  isFork: boolean;
  isArchived: boolean;
  stargazerCount: number;
  forkCount: number;
  createdAt: string;
  pushedAt: string | null;
  topics: string[];
  languages: { name: string; size: number }[];
  license: { spdxId: string | null; name: string } | null;
}

export async function readRepositoryOverview(client: GitHubClient, repository: { owner: string; name: string }): Promise<RepositoryOverview> {
  const subject = `the repository ${repository.owner}/${repository.name}`;
  const variables = { owner: repository.owner, name: repository.name, first: MAX_PAGE_SIZE };
  const { repository: found } = await client.query({ query: OVERVIEW, variables, schema: overviewAnswer, subject });
  // GitHub answers a missing repository with a NOT_FOUND error (mapped by the client); a bare null too.
  if (!found) throw new GitHubError('NOT_FOUND', `The repository ${repository.owner}/${repository.name} was not found on GitHub, or the token cannot see it.`);

  const allTopics = await remainingPages(found.repositoryTopics, async (after) => {
    const data = await client.query({ query: MORE_TOPICS, variables: { ...variables, after }, schema: topicsAnswer, subject });
    return data.repository.repositoryTopics;
  });
  const emptyPage = { items: [], pageInfo: { hasNextPage: false, endCursor: null } };
  const allLanguages = await remainingPages(found.languages ?? emptyPage, async (after) => {
    const data = await client.query({ query: MORE_LANGUAGES, variables: { ...variables, after }, schema: languagesAnswer, subject });
    return data.repository.languages ?? emptyPage;
  });

  return {
    nameWithOwner: found.nameWithOwner,
    description: found.description,
    url: found.url,
    homepageUrl: found.homepageUrl,
    defaultBranch: found.defaultBranchRef?.name ?? null,
    commitOid: found.defaultBranchRef?.target?.oid ?? null,
    isPrivate: found.isPrivate,
    isFork: found.isFork,
    isArchived: found.isArchived,
    stargazerCount: found.stargazerCount,
    forkCount: found.forkCount,
    createdAt: found.createdAt,
    pushedAt: found.pushedAt,
    topics: allTopics.items,
    // Pages come largest first already; sorting again keeps the order stable whatever the server does.
    languages: [...allLanguages.items].sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : 1)),
    license: found.licenseInfo,
  };
}
