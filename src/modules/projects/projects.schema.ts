import { builder } from '../../graphql/builder.ts';
import { decodeCursor, pageSize, toConnection } from '../../graphql/keyset.ts';
import { AnalysisRunRef } from '../analysis/analysis.schema.ts';
import { UserRef } from '../auth/auth.schema.ts';
import { ProviderKindEnum } from '../providers/providers.schema.ts';
import { UsageSummaryRef } from '../usage/usage.schema.ts';
import type { CodeFile } from './code-file.entity.ts';
import { PHASES, ProjectSchema, type ProjectView } from './project.entity.ts';
import { maturityScore } from './projects.service.ts';
import { SPECIFICATION_SOURCES, type SpecificationView } from './specification.entity.ts';

const PhaseEnum = builder.enumType('ProjectPhase', { values: PHASES });
const SourceEnum = builder.enumType('SpecificationSource', { values: SPECIFICATION_SOURCES });

const SpecificationRef = builder.objectRef<SpecificationView>('Specification').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    category: t.exposeString('category'),
    key: t.exposeString('key'),
    value: t.exposeString('value'),
    confidence: t.float({ description: '0 to 1.', resolve: (specification) => Number(specification.confidence) }),
    source: t.field({ type: SourceEnum, resolve: (specification) => specification.source }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const CodeFileRef = builder.objectRef<CodeFile>('CodeFile').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    path: t.exposeString('path'),
    language: t.string({ nullable: true, resolve: (file) => file.language ?? null }),
    content: t.exposeString('content'),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const ProjectRef = builder.objectRef<ProjectView>('Project').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    phase: t.field({ type: PhaseEnum, resolve: (project) => project.phase }),
    maturityScore: t.int({
      description: '0 to 100: how much of languages, frameworks, testing, CI, license, deployment, security and documentation the specifications cover, weighted by confidence.',
      resolve: async (project, _args, { loaders }) => maturityScore(await loaders.specificationsByProject.load(project.id)),
    }),
    owner: t.field({
      type: UserRef,
      resolve: async (project, _args, { loaders }) => (await loaders.users.load(project.owner.id))!,
    }),
    llmProvider: t.field({ type: ProviderKindEnum, nullable: true, resolve: (project) => project.llmProvider ?? null }),
    llmModel: t.string({ nullable: true, resolve: (project) => project.llmModel ?? null }),
    sourceRepoUrl: t.string({ nullable: true, resolve: (project) => project.sourceRepoUrl ?? null }),
    templateSlug: t.string({ nullable: true, resolve: (project) => project.templateSlug ?? null }),
    specifications: t.field({ type: [SpecificationRef], resolve: (project, _args, { loaders }) => loaders.specificationsByProject.load(project.id) }),
    codeFiles: t.field({ type: [CodeFileRef], resolve: (project, _args, { loaders }) => loaders.codeFilesByProject.load(project.id) }),
    usage: t.field({
      type: UsageSummaryRef,
      resolve: async (project, _args, { loaders }) => ({ ...(await loaders.usageByProject.load(project.id)), scope: { userIds: null, projectIds: [project.id] } }),
    }),
    analysisRuns: t.field({ type: [AnalysisRunRef], resolve: (project, _args, { loaders }) => loaders.runsByProject.load(project.id) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.objectField(AnalysisRunRef, 'project', (t) =>
  t.field({
    type: ProjectRef,
    nullable: true,
    description: 'The project the run belongs to (an import creates it).',
    resolve: (run, _args, { em }) => (run.projectId ? em.findOne(ProjectSchema, { id: run.projectId }) : null),
  }),
);

const CreateProjectInput = builder.inputType('CreateProjectInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    phase: t.field({ type: PhaseEnum }),
    templateId: t.id({ description: 'A template id or slug: its specifications and files seed the project.' }),
  }),
});
const UpdateProjectInput = builder.inputType('UpdateProjectInput', {
  fields: (t) => ({ name: t.string(), description: t.string(), phase: t.field({ type: PhaseEnum }), sourceRepoUrl: t.string() }),
});
const SpecificationInput = builder.inputType('SpecificationInput', {
  fields: (t) => ({
    category: t.string({ required: true }),
    key: t.string({ required: true }),
    value: t.string({ required: true }),
    confidence: t.float({ description: '0 to 1; default 1.' }),
  }),
});
const CodeFileInput = builder.inputType('CodeFileInput', {
  fields: (t) => ({ path: t.string({ required: true }), language: t.string(), content: t.string({ required: true }) }),
});

builder.queryFields((t) => ({
  projects: t.withAuth({ signedIn: true }).connection({
    type: ProjectRef,
    description: 'Newest first: the viewer\u2019s projects (everyone\u2019s for admins), optionally matching `search` in name or description.',
    args: { search: t.arg.string() },
    resolve: async (_root, { first, after, search }, { services, viewer }) => {
      const limit = pageSize(first);
      return toConnection(await services.projects.list(viewer, search, limit + 1, decodeCursor(after)), limit, after);
    },
  }),
  project: t.withAuth({ signedIn: true }).field({
    type: ProjectRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, viewer }) => services.projects.get(viewer, id),
  }),
}));

builder.mutationFields((t) => ({
  createProject: t.withAuth({ signedIn: true }).field({
    type: ProjectRef,
    args: { input: t.arg({ type: CreateProjectInput, required: true }) },
    resolve: (_root, { input }, { services, viewer }) =>
      services.projects.create(viewer.id, { ...input, templateId: input.templateId ?? null }),
  }),
  createProjectFromTemplate: t.withAuth({ signedIn: true }).field({
    type: ProjectRef,
    args: { templateId: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    resolve: (_root, { templateId, name }, { services, viewer }) => services.projects.create(viewer.id, { name, templateId: templateId }),
  }),
  updateProject: t.withAuth({ signedIn: true }).field({
    type: ProjectRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateProjectInput, required: true }) },
    resolve: (_root, { id, input }, { services, viewer }) => services.projects.update(viewer, id, input),
  }),
  deleteProject: t.withAuth({ signedIn: true }).boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, viewer }) => services.projects.delete(viewer, id),
  }),
  setProjectLlm: t.withAuth({ signedIn: true }).field({
    type: ProjectRef,
    description: 'The provider (and model) calls for this project use unless a call names one.',
    args: { projectId: t.arg.id({ required: true }), provider: t.arg({ type: ProviderKindEnum, required: true }), model: t.arg.string() },
    resolve: (_root, { projectId, provider, model }, { services, viewer }) => services.projects.setLlm(viewer, projectId, provider, model),
  }),
  upsertSpecification: t.withAuth({ signedIn: true }).field({
    type: SpecificationRef,
    description: 'Adds the specification, or replaces the one with the same category and key.',
    args: { projectId: t.arg.id({ required: true }), input: t.arg({ type: SpecificationInput, required: true }) },
    resolve: (_root, { projectId, input }, { services, viewer }) => services.projects.upsertSpecification(viewer, projectId, input),
  }),
  deleteSpecification: t.withAuth({ signedIn: true }).boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, viewer }) => services.projects.deleteSpecification(viewer, id),
  }),
  upsertCodeFile: t.withAuth({ signedIn: true }).field({
    type: CodeFileRef,
    description: 'Adds the file, or replaces the one at the same (normalised) path.',
    args: { projectId: t.arg.id({ required: true }), input: t.arg({ type: CodeFileInput, required: true }) },
    resolve: (_root, { projectId, input }, { services, viewer }) => services.projects.upsertCodeFile(viewer, projectId, input),
  }),
  deleteCodeFile: t.withAuth({ signedIn: true }).boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, viewer }) => services.projects.deleteCodeFile(viewer, id),
  }),
}));
