import { z } from 'zod';
import { PROVIDER_KINDS } from '../../llm/provider-kinds.ts';
import { PHASES } from '../projects/project.entity.ts';
import { SPECIFICATION_SOURCES } from '../projects/specification.entity.ts';
import type { ExportDocument } from './export-document.ts';

export const EXPORT_VERSION = 1;

/** The versioned JSON export: the project, its settings, specifications and code files; never a secret. */
export const projectDocumentSchema = z.strictObject({
  agoraExportVersion: z.literal(EXPORT_VERSION, { error: `agoraExportVersion must be ${EXPORT_VERSION}` }),
  project: z.strictObject({
    name: z.string().trim().min(1, 'project.name is required').max(200),
    description: z.string().max(100_000),
    phase: z.enum(PHASES),
    settings: z.strictObject({
      llmProvider: z.enum(PROVIDER_KINDS).nullable(),
      llmModel: z.string().max(200).nullable(),
      sourceRepoUrl: z.string().max(500).nullable(),
      templateSlug: z.string().max(100).nullable(),
    }),
  }),
  specifications: z
    .array(
      z.strictObject({
        category: z.string().trim().min(1).max(100),
        key: z.string().trim().min(1).max(200),
        value: z.string().max(100_000),
        confidence: z.number().min(0).max(1),
        source: z.enum(SPECIFICATION_SOURCES),
      }),
    )
    .max(10_000),
  codeFiles: z
    .array(z.strictObject({ path: z.string().min(1).max(500), language: z.string().max(50).nullable(), content: z.string().max(1_000_000) }))
    .max(5_000),
});

export type ProjectDocument = z.infer<typeof projectDocumentSchema>;

export function toProjectDocument(document: ExportDocument): ProjectDocument {
  return {
    agoraExportVersion: EXPORT_VERSION,
    project: {
      name: document.project.name,
      description: document.project.description,
      phase: document.project.phase as ProjectDocument['project']['phase'],
      settings: {
        llmProvider: document.project.llmProvider as ProjectDocument['project']['settings']['llmProvider'],
        llmModel: document.project.llmModel,
        sourceRepoUrl: document.project.sourceRepoUrl,
        templateSlug: document.project.templateSlug,
      },
    },
    specifications: document.specifications.map((specification) => ({
      ...specification,
      source: specification.source as ProjectDocument['specifications'][number]['source'],
    })),
    codeFiles: document.codeFiles,
  };
}

/** Validates an import; the first problem is named, with where it is. */
export function parseProjectDocument(value: unknown): { ok: true; document: ProjectDocument } | { ok: false; problem: string } {
  const parsed = projectDocumentSchema.safeParse(value);
  if (parsed.success) return { ok: true, document: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'document';
  return { ok: false, problem: `${where}: ${issue.message}` };
}
