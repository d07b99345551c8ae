import { type Actor, requireVisible } from '../auth/actor.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound, requireText } from '../../errors.ts';
import { providerName } from '../../llm/provider-kinds.ts';
import type { ProviderKind } from '../../llm/types.ts';
import { AnalysisRunSchema } from '../analysis/analysis-run.entity.ts';
import { requireModelId } from '../calls/call-router.ts';
import { escapeLike, executeBound, groupedBy, isUuid } from '../../db/query.ts';
import { TemplatesService } from '../templates/templates.service.ts';
import { type CodeFile, CodeFileSchema } from './code-file.entity.ts';
import { languageOf, normaliseFilePath } from '../templates/file-paths.ts';
import { type Phase, type Project, ProjectSchema, type ProjectView } from './project.entity.ts';
import { type Specification, SpecificationSchema, type SpecificationSource, type SpecificationView } from './specification.entity.ts';

export interface ProjectInput {
  name?: string | null;
  description?: string | null;
  phase?: Phase | null;
  sourceRepoUrl?: string | null;
  templateId?: string | null;
}

export interface SpecificationInput {
  category: string;
  key: string;
  value: string;
  confidence?: number | null;
  source?: SpecificationSource;
}

export interface CodeFileInput {
  path: string;
  language?: string | null;
  content: string;
}

// The categories a well-described project covers; maturity is how much of this it has, weighted by confidence.
const MATURITY_CATEGORIES = ['languages', 'frameworks', 'testing', 'ci', 'license', 'deployment', 'security', 'documentation'];

export function maturityScore(specifications: readonly Pick<Specification, 'category' | 'confidence'>[]): number {
  const best = new Map<string, number>();
  for (const specification of specifications) {
    const category = specification.category.toLowerCase();
    best.set(category, Math.max(best.get(category) ?? 0, Number(specification.confidence)));
  }
  const covered = MATURITY_CATEGORIES.reduce((sum, category) => sum + (best.get(category) ?? 0), 0);
  return Math.round((covered / MATURITY_CATEGORIES.length) * 100);
}

// Lists read plain rows (a page of projects shows hundreds of specifications; entities cost CPU). The
// driver hands timestamps over as text: a view parses one into a Date only when something reads it (a
// page that asks for no dates parses none), each time it is read.
interface ProjectRow {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  phase: Phase;
  llm_provider: ProviderKind | null;
  llm_model: string | null;
  source_repo_url: string | null;
  template_slug: string | null;
  created_at: string;
  updated_at: string;
}

interface SpecificationRow {
  id: string;
  category: string;
  key: string;
  value: string;
  confidence: number;
  source: SpecificationSource;
  updated_at: string;
}

class ProjectRowView implements ProjectView {
  readonly id: string;
  readonly owner: { id: string };
  readonly name: string;
  readonly description: string;
  readonly phase: Phase;
  readonly llmProvider: ProviderKind | null;
  readonly llmModel: string | null;
  readonly sourceRepoUrl: string | null;
  readonly templateSlug: string | null;
  readonly #row: ProjectRow;

  constructor(row: ProjectRow) {
    this.id = row.id;
    this.owner = { id: row.owner_id };
    this.name = row.name;
    this.description = row.description;
    this.phase = row.phase;
    this.llmProvider = row.llm_provider;
    this.llmModel = row.llm_model;
    this.sourceRepoUrl = row.source_repo_url;
    this.templateSlug = row.template_slug;
    this.#row = row;
  }

  get createdAt(): Date {
    return new Date(this.#row.created_at);
  }

  get updatedAt(): Date {
    return new Date(this.#row.updated_at);
  }
}

class SpecificationRowView implements SpecificationView {
  readonly id: string;
  readonly category: string;
  readonly key: string;
  readonly value: string;
  readonly confidence: number;
  readonly source: SpecificationSource;
  readonly #row: SpecificationRow;

  constructor(row: SpecificationRow) {
    this.id = row.id;
    this.category = row.category;
    this.key = row.key;
    this.value = row.value;
    this.confidence = Number(row.confidence);
    this.source = row.source;
    this.#row = row;
  }

  get updatedAt(): Date {
    return new Date(this.#row.updated_at);
  }
}

export class ProjectsService {
  private readonly em: EntityManager;

  constructor(em: EntityManager) {
    this.em = em;
  }

  /** The viewer's project (any, for admins); anyone else's is NOT_FOUND. */
  async get(viewer: Actor, id: string): Promise<Project> {
    const project = isUuid(id) ? await this.em.findOne(ProjectSchema, { id }) : null;
    return requireVisible(viewer, project, 'The project');
  }

  /** A page of projects, newest first, as plain rows (a list page shows many; entities cost CPU). */
  async list(viewer: Actor, search: string | null | undefined, first: number, after: { createdAt: Date; id: string } | null): Promise<ProjectView[]> {
    const clauses: string[] = [];
    const values: unknown[] = [];
    if (viewer.role !== 'ADMIN') {
      clauses.push('owner_id = ?');
      values.push(viewer.id);
    }
    const term = search?.trim();
    if (term) {
      clauses.push('(name ilike ? or description ilike ?)');
      values.push(`%${escapeLike(term)}%`, `%${escapeLike(term)}%`);
    }
    if (after) {
      clauses.push('(created_at, id) < (?, ?)');
      values.push(after.createdAt.toISOString(), after.id);
    }
    values.push(first);
    const rows = await executeBound<ProjectRow>(
      this.em,
      `select id, owner_id, name, description, phase, llm_provider, llm_model, source_repo_url, template_slug, created_at, updated_at
       from specs.projects ${clauses.length ? `where ${clauses.join(' and ')}` : ''}
       order by created_at desc, id desc limit ?`,
      values,
    );
    return rows.map((row) => new ProjectRowView(row));
  }

  /** Creates a project, seeded from a template when one is named, in one transaction. */
  async create(ownerId: string, input: ProjectInput): Promise<Project> {
    const name = requireText('name', input.name, 200);
    return this.em.transactional(async (em) => {
      const template = input.templateId ? await new TemplatesService(em).get(input.templateId) : null;
      const project = em.create(ProjectSchema, {
        owner: ownerId,
        name,
        description: input.description?.trim() || template?.description || '',
        phase: input.phase ?? 'PLANNING',
        sourceRepoUrl: input.sourceRepoUrl?.trim() || null,
        templateSlug: template?.slug ?? null,
        llmProvider: null,
        llmModel: null,
      });
      for (const specification of template?.specifications ?? []) {
        em.create(SpecificationSchema, { project, ...specification, confidence: 1, source: 'TEMPLATE' });
      }
      for (const file of template?.files ?? []) {
        em.create(CodeFileSchema, { project, path: file.path, language: file.language ?? languageOf(file.path), content: file.content });
      }
      await em.flush();
      return project;
    });
  }

  async update(viewer: Actor, id: string, input: ProjectInput): Promise<Project> {
    const project = await this.get(viewer, id);
    if (input.name !== undefined && input.name !== null) project.name = requireText('name', input.name, 200);
    if (input.description !== undefined && input.description !== null) project.description = input.description;
    if (input.phase) project.phase = input.phase;
    if (input.sourceRepoUrl !== undefined) project.sourceRepoUrl = input.sourceRepoUrl?.trim() || null;
    await this.em.flush();
    return project;
  }

  async delete(viewer: Actor, id: string): Promise<boolean> {
    const project = await this.get(viewer, id);
    await this.em.transactional(async (em) => {
      await em.nativeUpdate(AnalysisRunSchema, { projectId: project.id }, { projectId: null });
      await em.nativeDelete(ProjectSchema, { id: project.id });
    });
    return true;
  }

  async setLlm(viewer: Actor, id: string, provider: ProviderKind, model: string | null | undefined): Promise<Project> {
    const project = await this.get(viewer, id);
    const chosen = model?.trim() || null;
    if (chosen) requireModelId(provider, chosen);
    project.llmProvider = provider;
    project.llmModel = chosen;
    await this.em.flush();
    return project;
  }

  /** Adds or replaces the specification with this category and key. */
  async upsertSpecification(viewer: Actor, projectId: string, input: SpecificationInput): Promise<Specification> {
    const project = await this.get(viewer, projectId);
    const category = input.category.trim();
    const key = input.key.trim();
    if (!category || category.length > 100) throw badInput('category must be 1 to 100 characters.', { field: 'category' });
    if (!key || key.length > 200) throw badInput('key must be 1 to 200 characters.', { field: 'key' });
    const confidence = input.confidence ?? 1;
    if (confidence < 0 || confidence > 1) throw badInput('confidence must be between 0 and 1.', { field: 'confidence' });
    const existing = await this.em.findOne(SpecificationSchema, { project, category, key });
    const specification = existing ?? this.em.create(SpecificationSchema, { project, category, key, value: input.value, confidence, source: input.source ?? 'MANUAL' });
    if (existing) this.em.assign(existing, { value: input.value, confidence, source: input.source ?? 'MANUAL' });
    await this.em.flush();
    return specification;
  }

  async deleteSpecification(viewer: Actor, id: string): Promise<boolean> {
    const specification = isUuid(id) ? await this.em.findOne(SpecificationSchema, { id }, { populate: ['project'] }) : null;
    if (!specification) throw notFound('The specification');
    await this.get(viewer, specification.project.id);
    await this.em.remove(specification).flush();
    return true;
  }

  async upsertCodeFile(viewer: Actor, projectId: string, input: CodeFileInput): Promise<CodeFile> {
    const project = await this.get(viewer, projectId);
    const path = normaliseFilePath(input.path);
    if (input.content.length > 1_000_000) throw badInput('content is larger than 1 MB.', { field: 'content' });
    const language = input.language?.trim() || languageOf(path);
    const existing = await this.em.findOne(CodeFileSchema, { project, path });
    const file = existing ?? this.em.create(CodeFileSchema, { project, path, language, content: input.content });
    if (existing) this.em.assign(existing, { language, content: input.content });
    await this.em.flush();
    return file;
  }

  async deleteCodeFile(viewer: Actor, id: string): Promise<boolean> {
    const file = isUuid(id) ? await this.em.findOne(CodeFileSchema, { id }, { populate: ['project'] }) : null;
    if (!file) throw notFound('The code file');
    await this.get(viewer, file.project.id);
    await this.em.remove(file).flush();
    return true;
  }

  // Batch readers for DataLoader: one query for many projects.
  /** Specifications of many projects as plain rows: a page of projects lists hundreds, and entities cost CPU. */
  async specificationsFor(projectIds: readonly string[]): Promise<SpecificationView[][]> {
    const rows = await executeBound<SpecificationRow & { project_id: string }>(
      this.em,
      `select project_id, id, category, key, value, confidence, source, updated_at
       from specs.specifications where project_id = any(?::uuid[]) order by category, key`,
      [projectIds],
    );
    return groupedBy(projectIds, rows, (row) => row.project_id, (row) => new SpecificationRowView(row));
  }

  async codeFilesFor(projectIds: readonly string[]): Promise<CodeFile[][]> {
    const rows = await this.em.find(CodeFileSchema, { project: { $in: [...projectIds] } }, { orderBy: { path: 'asc' } });
    return groupedBy(projectIds, rows, (row) => row.project.id);
  }

  async runsFor(projectIds: readonly string[]) {
    const rows = await this.em.find(AnalysisRunSchema, { projectId: { $in: [...projectIds] } }, { orderBy: { createdAt: 'desc' } });
    return groupedBy(projectIds, rows, (row) => row.projectId);
  }

  /** The LLM a project routes its calls to (for the calls service), if its owner (or an admin) asks. */
  async llmOf(viewer: Actor, projectId: string): Promise<{ provider: ProviderKind | null; model: string | null }> {
    const project = await this.get(viewer, projectId);
    return { provider: project.llmProvider ?? null, model: project.llmModel ?? null };
  }
}
