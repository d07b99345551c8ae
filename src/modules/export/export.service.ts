import type { Actor } from '../auth/actor.ts';
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../../errors.ts';
import { CodeFileSchema } from '../projects/code-file.entity.ts';
import { languageOf, normaliseFilePath } from '../templates/file-paths.ts';
import { type Project, ProjectSchema } from '../projects/project.entity.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import { SpecificationSchema } from '../projects/specification.entity.ts';
import type { UsageService } from '../usage/usage.service.ts';
import { codeArchiveStream, renderCodeArchive } from './code-archive.ts';
import { fileStem, loadExportDocument } from './export-document.ts';
import { renderMarkdown } from './markdown.renderer.ts';
import { renderProjectPdf, renderProjectPdfStream } from './pdf.renderer.ts';
import { parseProjectDocument, toProjectDocument } from './project-json.ts';

export const EXPORT_FORMATS = ['MARKDOWN', 'PDF', 'JSON', 'CODE'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportFile {
  filename: string;
  contentType: string;
  bytes: Buffer;
  /** The text itself, for Markdown and JSON. */
  text: string | null;
  byteSize: number;
  sha256: string;
  downloadUrl: string;
}

export function downloadPath(projectId: string, format: ExportFormat): string {
  return `/api/v1/projects/${projectId}/export/${format.toLowerCase()}`;
}

export class ExportService {
  private readonly em: EntityManager;
  private readonly projects: ProjectsService;
  private readonly usage: UsageService;

  constructor(em: EntityManager, projects: ProjectsService, usage: UsageService) {
    this.em = em;
    this.projects = projects;
    this.usage = usage;
  }

  /** Renders one format. Deterministic: the same project state gives the same bytes. */
  async export(viewer: Actor, projectId: string, format: ExportFormat): Promise<ExportFile> {
    const project = await this.projects.get(viewer, projectId);
    const document = await loadExportDocument(this.em, this.usage, project);
    const stem = fileStem(project.name);
    let rendered: { bytes: Buffer; text: string | null; filename: string; contentType: string };
    if (format === 'MARKDOWN') {
      const text = renderMarkdown(document);
      rendered = { bytes: Buffer.from(text), text, filename: `${stem}.md`, contentType: 'text/markdown; charset=utf-8' };
    } else if (format === 'JSON') {
      const text = `${JSON.stringify(toProjectDocument(document), null, 2)}\n`;
      rendered = { bytes: Buffer.from(text), text, filename: `${stem}.json`, contentType: 'application/json; charset=utf-8' };
    } else if (format === 'PDF') {
      rendered = { bytes: await renderProjectPdf(document), text: null, filename: `${stem}.pdf`, contentType: 'application/pdf' };
    } else {
      rendered = { bytes: await renderCodeArchive(document), text: null, filename: `${stem}-code.zip`, contentType: 'application/zip' };
    }
    return {
      ...rendered,
      byteSize: rendered.bytes.length,
      sha256: createHash('sha256').update(rendered.bytes).digest('hex'),
      downloadUrl: downloadPath(project.id, format),
    };
  }

  /**
   * The file for the download route. PDF and code archives are streamed as they are produced (the same
   * bytes as `export`), so a large project is not held in memory whole; Markdown and JSON are text.
   */
  async download(
    viewer: Actor,
    projectId: string,
    format: ExportFormat,
  ): Promise<{ filename: string; contentType: string; body: ReadableStream<Uint8Array> | Buffer; byteSize: number | null; sha256: string | null }> {
    if (format === 'MARKDOWN' || format === 'JSON') {
      const file = await this.export(viewer, projectId, format);
      return { filename: file.filename, contentType: file.contentType, body: file.bytes, byteSize: file.byteSize, sha256: file.sha256 };
    }
    const project = await this.projects.get(viewer, projectId);
    const document = await loadExportDocument(this.em, this.usage, project);
    const stem = fileStem(project.name);
    return format === 'PDF'
      ? { filename: `${stem}.pdf`, contentType: 'application/pdf', body: await renderProjectPdfStream(document), byteSize: null, sha256: null }
      : { filename: `${stem}-code.zip`, contentType: 'application/zip', body: codeArchiveStream(document), byteSize: null, sha256: null };
  }

  /** Creates a project (the viewer's) equal to an exported one, in one transaction. */
  async import(viewer: Actor, value: unknown): Promise<Project> {
    const parsed = parseProjectDocument(value);
    if (!parsed.ok) throw badInput(`The document is not a valid Agora export: ${parsed.problem}`, { field: 'document' });
    const { project: data, specifications, codeFiles } = parsed.document;
    const paths = codeFiles.map((file) => normaliseFilePath(file.path));
    if (new Set(paths).size !== paths.length) throw badInput('The document lists the same code file path twice.', { field: 'document' });
    const keys = specifications.map((specification) => `${specification.category}\u0000${specification.key}`);
    if (new Set(keys).size !== keys.length) throw badInput('The document lists the same specification category and key twice.', { field: 'document' });
    return this.em.transactional(async (em) => {
      const project = em.create(ProjectSchema, {
        owner: viewer.id,
        name: data.name,
        description: data.description,
        phase: data.phase,
        llmProvider: data.settings.llmProvider,
        llmModel: data.settings.llmModel,
        sourceRepoUrl: data.settings.sourceRepoUrl,
        templateSlug: data.settings.templateSlug,
      });
      for (const specification of specifications) em.create(SpecificationSchema, { project, ...specification });
      codeFiles.forEach((file, index) => {
        const path = paths[index]!;
        em.create(CodeFileSchema, { project, path, language: file.language ?? languageOf(path), content: file.content });
      });
      await em.flush();
      return project;
    });
  }
}
