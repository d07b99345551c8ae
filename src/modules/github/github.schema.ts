import { builder } from '../../graphql/builder.ts';
import type { RepositorySummary } from '../../integrations/github/github.repositories.ts';
import { AnalysisRunRef } from '../analysis/analysis.schema.ts';
import { ProviderKindEnum } from '../providers/providers.schema.ts';
import { parseRepositoryInput } from './github.service.ts';

const GitHubRepositoryRef = builder.objectRef<RepositorySummary>('GitHubRepository').implement({
  fields: (t) => ({
    nameWithOwner: t.exposeString('nameWithOwner'),
    url: t.exposeString('url'),
    description: t.string({ nullable: true, resolve: (repository) => repository.description }),
    isPrivate: t.exposeBoolean('isPrivate'),
    stargazerCount: t.exposeInt('stargazerCount'),
    primaryLanguage: t.string({ nullable: true, resolve: (repository) => repository.primaryLanguage?.name ?? null }),
    updatedAt: t.field({ type: 'DateTime', resolve: (repository) => repository.updatedAt }),
  }),
});

const ImportGithubRepositoryInput = builder.inputType('ImportGithubRepositoryInput', {
  fields: (t) => ({
    repoUrl: t.string({ required: true, description: 'https://github.com/owner/repo or owner/repo.' }),
    projectName: t.string({ description: 'Default: the repository name.' }),
    provider: t.field({ type: ProviderKindEnum, description: 'The model that summarises; default: routed as usual.' }),
  }),
});

builder.queryField('githubRepositories', (t) =>
  t.withAuth({ signedIn: true }).connection({
    type: GitHubRepositoryRef,
    description: "The viewer's GitHub repositories (owned, collaborator, organisation), read with the viewer's GITHUB key.",
    resolve: async (_root, { first, after }, { services, viewer }) => {
      const page = await services.github.repositories(viewer.id, Math.min(Math.max(first ?? 20, 1), 100), after ?? null);
      return {
        edges: page.edges,
        pageInfo: {
          hasNextPage: page.pageInfo.hasNextPage,
          hasPreviousPage: Boolean(after),
          startCursor: page.edges[0]?.cursor ?? null,
          endCursor: page.pageInfo.endCursor,
        },
      };
    },
  }),
);

builder.mutationFields((t) => ({
  analyzeGithubRepository: t.withAuth({ signedIn: true }).field({
    type: AnalysisRunRef,
    description: 'Starts a run that reads the repository and detects its specifications (result: JSON); returns the run at once.',
    args: { repoUrl: t.arg.string({ required: true }), provider: t.arg({ type: ProviderKindEnum }) },
    resolve: async (_root, { repoUrl, provider }, { services, viewer }) => {
      const repository = parseRepositoryInput(repoUrl);
      await services.github.clientFor(viewer.id);
      return services.analysis.start(viewer.id, { kind: 'REPOSITORY_ANALYSIS', provider, input: { ...repository } });
    },
  }),
  importGithubRepository: t.withAuth({ signedIn: true }).field({
    type: AnalysisRunRef,
    description: 'Starts a run that reads the repository and creates a project with its specifications; returns the run at once.',
    args: { input: t.arg({ type: ImportGithubRepositoryInput, required: true }) },
    resolve: async (_root, { input }, { services, viewer }) => {
      const repository = parseRepositoryInput(input.repoUrl);
      await services.github.clientFor(viewer.id);
      return services.analysis.start(viewer.id, {
        kind: 'REPOSITORY_IMPORT',
        provider: input.provider,
        input: { ...repository, projectName: input.projectName ?? null },
      });
    },
  }),
}));
