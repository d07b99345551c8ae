import { z } from 'zod';
import { MAX_PAGE_SIZE } from './connection-pages.ts';
import type { GitHubClient } from './github-graphql.client.ts';

// ownerAffiliations defaults to [OWNER, COLLABORATOR] on GitHub, which hides the repositories of the
// viewer's organizations; both filters are widened so the list matches what the viewer can open.
const VIEWER_REPOSITORIES = `
query ViewerRepositories($first: Int!, $after: String) {
  viewer {
    repositories(
      first: $first
      after: $after
      orderBy: { field: UPDATED_AT, direction: DESC }
      affiliations: [OWNER, COLLABORATOR, ORGANIZATION_MEMBER]
      ownerAffiliations: [OWNER, COLLABORATOR, ORGANIZATION_MEMBER]
    ) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { nameWithOwner url description isPrivate stargazerCount updatedAt primaryLanguage { name } }
    }
  }
}`;

const viewerRepository = z.object({
  nameWithOwner: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  isPrivate: z.boolean(),
  primaryLanguage: z
    .object({ name: z.string() })
    .nullable()
    .transform((language) => language?.name ?? null),
  stargazerCount: z.number().int(),
  updatedAt: z.string(),
});

export type ViewerRepository = z.infer<typeof viewerRepository>;

const viewerRepositoriesAnswer = z.object({
  viewer: z.object({
    repositories: z.object({
      totalCount: z.number().int(),
      pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
      // GitHub returns null for a node the token may list but not read; those are left out.
      nodes: z.array(viewerRepository.nullable()).transform((nodes) => nodes.filter((node) => node !== null)),
    }),
  }),
});

export interface ViewerRepositoriesPage {
  nodes: ViewerRepository[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** One page of the viewer's repositories, most recently updated first. `first` is clamped to 1..100. */
export async function listViewerRepositories(client: GitHubClient, page: { first: number; after?: string | null }): Promise<ViewerRepositoriesPage> {
  const first = Math.min(Math.max(Math.trunc(page.first) || 1, 1), MAX_PAGE_SIZE);
  const data = await client.query({
    query: VIEWER_REPOSITORIES,
    variables: { first, after: page.after ?? null },
    schema: viewerRepositoriesAnswer,
    subject: 'your repositories',
  });
  return data.viewer.repositories;
}
