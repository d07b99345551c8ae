import { strToU8, Zip, ZipDeflate } from 'fflate';
import { normaliseFilePath } from '../templates/file-paths.ts';
import { byCategory, type ExportDocument, fileStem } from './export-document.ts';
import { escapeInline } from './markdown.renderer.ts';

// Zip entries carry a modification time; a fixed one keeps the archive's bytes the same for the same state.
const FIXED_MTIME = new Date('1980-01-01T00:00:00Z');

function specificationsReadme(document: ExportDocument): string {
  const lines = [`# ${escapeInline(document.project.name)}`, '', escapeInline(document.project.description) || '_No description._', '', '## Specifications', ''];
  for (const [category, specifications] of byCategory(document.specifications)) {
    lines.push(`### ${escapeInline(category)}`, '');
    for (const specification of specifications) lines.push(`- **${escapeInline(specification.key)}**: ${escapeInline(specification.value)}`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/**
 * The project's code files under a folder named after the project, plus a README of its specifications,
 * as a stream: each file is deflated and handed on as it is added, so a large project is never held twice.
 */
export function codeArchiveStream(document: ExportDocument): ReadableStream<Uint8Array> {
  const root = fileStem(document.project.name);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const zip = new Zip((error, chunk, final) => {
        if (error) return controller.error(error);
        controller.enqueue(chunk);
        if (final) controller.close();
      });
      const add = (path: string, content: string) => {
        const entry = new ZipDeflate(`${root}/${path}`, { level: 6 });
        entry.mtime = FIXED_MTIME;
        zip.add(entry);
        entry.push(strToU8(content), true);
      };
      const paths = new Set<string>();
      for (const file of document.codeFiles) {
        // Stored paths are already normalised; checked again because an archive must never escape its folder.
        const path = normaliseFilePath(file.path);
        paths.add(path);
        add(path, file.content);
      }
      add(paths.has('README.md') ? 'SPECIFICATIONS.md' : 'README.md', specificationsReadme(document));
      zip.end();
    },
  });
}

/** The same archive in one buffer (for its size and hash). */
export async function renderCodeArchive(document: ExportDocument): Promise<Buffer> {
  return Buffer.from(await new Response(codeArchiveStream(document)).arrayBuffer());
}
