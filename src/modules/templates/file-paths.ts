import { posix } from 'node:path';
import { badInput } from '../../errors.ts';

/**
 * A code file's path, normalised to a relative POSIX path inside the project: backslashes become slashes,
 * `.` segments go, and absolute paths, `..`, empty names and control characters are refused.
 */
export function normaliseFilePath(input: string): string {
  const raw = input.trim().replace(/\\/g, '/');
  if (!raw || /[\u0000-\u001f\u007f]/.test(raw)) throw badInput('path must be a non-empty file path without control characters.', { field: 'path' });
  if (raw.startsWith('/') || /^[A-Za-z]:\//.test(raw)) throw badInput('path must be relative to the project.', { field: 'path' });
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..')) throw badInput('path must not contain "..".', { field: 'path' });
  const normalised = posix.join(...segments);
  if (!normalised || normalised.length > 500) throw badInput('path must be 1 to 500 characters.', { field: 'path' });
  return normalised;
}

const LANGUAGES: Record<string, string> = {
  ts: 'typescript', tsx: 'typescript', js: 'javascript', jsx: 'javascript', mjs: 'javascript', cjs: 'javascript',
  py: 'python', rb: 'ruby', go: 'go', rs: 'rust', java: 'java', kt: 'kotlin', cs: 'csharp', php: 'php',
  swift: 'swift', dart: 'dart', sql: 'sql', graphql: 'graphql', md: 'markdown', json: 'json', yml: 'yaml',
  yaml: 'yaml', toml: 'toml', sh: 'shell', html: 'html', css: 'css', scss: 'scss', dockerfile: 'dockerfile',
};

/** The language of a file from its name, when known. */
export function languageOf(path: string): string | null {
  const name = path.split('/').pop()!.toLowerCase();
  if (name === 'dockerfile') return 'dockerfile';
  const extension = name.includes('.') ? name.split('.').pop()! : '';
  return LANGUAGES[extension] ?? null;
}
