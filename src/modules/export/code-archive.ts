import { strToU8, zipSync, type Zippable } from 'fflate';
import { normaliseFilePath } from '../projects/paths.ts';
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

/** The project's code files under a folder named after the project, plus a README of its specifications. */
export function renderCodeArchive(document: ExportDocument): Buffer {
  const root = fileStem(document.project.name);
  const entries: Zippable = {};
  const add = (path: string, content: string) => {
    entries[`${root}/${path}`] = [strToU8(content), { mtime: FIXED_MTIME, level: 6 }];
  };
  const paths = new Set<string>();
  for (const file of document.codeFiles) {
    // Stored paths are already normalised; checked again because an archive must never escape its folder.
    const path = normaliseFilePath(file.path);
    paths.add(path);
    add(path, file.content);
  }
  add(paths.has('README.md') ? 'SPECIFICATIONS.md' : 'README.md', specificationsReadme(document));
  return Buffer.from(zipSync(entries));
}
