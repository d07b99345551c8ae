import type { EntityManager } from '@mikro-orm/postgresql';
import { AnalysisRunSchema } from '../analysis/analysis-run.entity.ts';
import { RecommendationSchema } from '../incidents/recommendation.entity.ts';
import { CodeFileSchema } from '../projects/code-file.entity.ts';
import type { Project } from '../projects/project.entity.ts';
import { maturityScore } from '../projects/projects.service.ts';
import { SpecificationSchema } from '../projects/specification.entity.ts';
import type { UsageService, UsageSummary } from '../usage/usage.service.ts';

/** Everything an export shows of a project, in a fixed order, with no secret and no clock reading. */
export interface ExportDocument {
  project: {
    id: string;
    name: string;
    description: string;
    phase: string;
    maturityScore: number;
    llmProvider: string | null;
    llmModel: string | null;
    sourceRepoUrl: string | null;
    templateSlug: string | null;
    updatedAt: Date;
  };
  specifications: { category: string; key: string; value: string; confidence: number; source: string }[];
  codeFiles: { path: string; language: string | null; content: string }[];
  analyses: {
    kind: string;
    status: string;
    provider: string | null;
    model: string | null;
    finishedAt: Date | null;
    recommendations: { type: string; title: string; description: string; priority: string; confidence: number; actions: string[] }[];
  }[];
  usage: UsageSummary;
}

export async function loadExportDocument(em: EntityManager, usage: UsageService, project: Project): Promise<ExportDocument> {
  const [specifications, codeFiles, runs, [summary]] = await Promise.all([
    em.find(SpecificationSchema, { project }, { orderBy: { category: 'asc', key: 'asc' } }),
    em.find(CodeFileSchema, { project }, { orderBy: { path: 'asc' } }),
    em.find(AnalysisRunSchema, { projectId: project.id }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
    usage.summariesForProjects([project.id]),
  ]);
  const recommendations = runs.length
    ? await em.find(RecommendationSchema, { run: { $in: runs.map((run) => run.id) } }, { orderBy: { position: 'asc' } })
    : [];
  return {
    project: {
      id: project.id,
      name: project.name,
      description: project.description,
      phase: project.phase,
      maturityScore: maturityScore(specifications),
      llmProvider: project.llmProvider ?? null,
      llmModel: project.llmModel ?? null,
      sourceRepoUrl: project.sourceRepoUrl ?? null,
      templateSlug: project.templateSlug ?? null,
      updatedAt: project.updatedAt,
    },
    specifications: specifications.map((specification) => ({
      category: specification.category,
      key: specification.key,
      value: specification.value,
      confidence: Number(specification.confidence),
      source: specification.source,
    })),
    codeFiles: codeFiles.map((file) => ({ path: file.path, language: file.language ?? null, content: file.content })),
    analyses: runs.map((run) => ({
      kind: run.kind,
      status: run.status,
      provider: run.provider ?? null,
      model: run.model ?? null,
      finishedAt: run.finishedAt ?? null,
      recommendations: recommendations
        .filter((recommendation) => recommendation.run?.id === run.id)
        .map((recommendation) => ({
          type: recommendation.type,
          title: recommendation.title,
          description: recommendation.description,
          priority: recommendation.priority,
          confidence: Number(recommendation.confidence),
          actions: recommendation.actions,
        })),
    })),
    usage: summary!,
  };
}

/** Specifications grouped by category, in order. */
export function byCategory(specifications: ExportDocument['specifications']): [string, ExportDocument['specifications']][] {
  const groups = new Map<string, ExportDocument['specifications']>();
  for (const specification of specifications) groups.set(specification.category, [...(groups.get(specification.category) ?? []), specification]);
  return [...groups.entries()];
}

/** A file name from a project name: letters, digits, dots, hyphens and underscores only. */
export function fileStem(name: string): string {
  const stem = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80);
  return stem || 'project';
}
