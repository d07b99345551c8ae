// `GET /console` and `/console/*`: the web console, static files only (it talks to the API like any client).
// Its own files come from the repository's console/ folder, resolved inside it; the libraries it imports
// come straight from node_modules, from a fixed list, so no request names a path outside either.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONSOLE_DIR = fileURLToPath(new URL('../../../console/', import.meta.url)).replace(/[\\/]$/, '');
const PREFIX = '/console/';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json; charset=utf-8',
};

/** The only library files served: URL name -> package and file inside it. */
const VENDOR_FILES: Readonly<Record<string, { pkg: string; file: string }>> = {
  'preact.mjs': { pkg: 'preact', file: 'dist/preact.mjs' },
  'preact.mjs.map': { pkg: 'preact', file: 'dist/preact.mjs.map' },
  'hooks.mjs': { pkg: 'preact', file: 'hooks/dist/hooks.mjs' },
  'hooks.mjs.map': { pkg: 'preact', file: 'hooks/dist/hooks.mjs.map' },
  'htm.mjs': { pkg: 'htm', file: 'dist/htm.mjs' },
  'uPlot.esm.js': { pkg: 'uplot', file: 'dist/uPlot.esm.js' },
  'uPlot.min.css': { pkg: 'uplot', file: 'dist/uPlot.min.css' },
};

/**
 * The page's policy: everything from this origin only. Inline scripts are refused except the ones
 * index.html carries (its import map), allowed by their hash; no string reaches an HTML sink.
 */
function contentSecurityPolicy(scriptHashes: readonly string[]): string {
  return [
    "default-src 'self'",
    `script-src 'self'${scriptHashes.map((hash) => ` '${hash}'`).join('')}`,
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

interface StaticFile {
  body: Buffer;
  etag: string;
  contentType: string;
  /** Only for HTML: the policy naming its inline scripts' hashes. */
  policy: string;
  mtimeMs: number;
}

// Files are small; they are read once per version on disk (a changed file is read again).
const cache = new Map<string, StaticFile>();

function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/gi)].map(
    (match) => `sha256-${createHash('sha256').update(match[1]!, 'utf8').digest('base64')}`,
  );
}

async function load(path: string): Promise<StaticFile | null> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return null;
  const cached = cache.get(path);
  if (cached && cached.mtimeMs === info.mtimeMs && cached.body.length === info.size) return cached;
  const body = await readFile(path);
  const contentType = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
  const hashes = contentType.startsWith('text/html') ? inlineScriptHashes(body.toString('utf8')) : [];
  const file: StaticFile = {
    body,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    contentType,
    policy: contentSecurityPolicy(hashes),
    mtimeMs: info.mtimeMs,
  };
  cache.set(path, file);
  return file;
}

/** node_modules/<name> as Node would find it from here (walking up the folders). */
const packageDirs = new Map<string, string | null>();
function packageDir(name: string): string | null {
  if (!packageDirs.has(name)) {
    let found: string | null = null;
    for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
      if (existsSync(join(dir, 'node_modules', name, 'package.json'))) {
        found = join(dir, 'node_modules', name);
        break;
      }
      if (dirname(dir) === dir) break;
    }
    packageDirs.set(name, found);
  }
  return packageDirs.get(name)!;
}

/** A path inside console/, or null: every segment decoded and plain (no dot files, no `..`, no separators). */
async function consolePath(rest: string): Promise<string | null> {
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(segment)) return null;
    segments.push(segment);
  }
  if (!Object.hasOwn(CONTENT_TYPES, extname(segments.at(-1) ?? ''))) return null;
  const path = resolve(CONSOLE_DIR, ...segments);
  if (!path.startsWith(CONSOLE_DIR + sep)) return null;
  // A link inside the folder must not lead out of it.
  const real = await realpath(path).catch(() => null);
  const root = await realpath(CONSOLE_DIR).catch(() => null);
  if (!real || !root || !real.startsWith(root + sep)) return null;
  return real;
}

async function fileFor(pathname: string): Promise<StaticFile | null> {
  if (pathname === '/console' || pathname === PREFIX || pathname === `${PREFIX}index.html`) return load(join(CONSOLE_DIR, 'index.html'));
  const rest = pathname.slice(PREFIX.length);
  if (rest.startsWith('vendor/')) {
    const name = rest.slice('vendor/'.length);
    const entry = Object.hasOwn(VENDOR_FILES, name) ? VENDOR_FILES[name] : undefined;
    const dir = entry ? packageDir(entry.pkg) : null;
    return entry && dir ? load(join(dir, entry.file)) : null;
  }
  const path = await consolePath(rest);
  return path ? load(path) : null;
}

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

function notFound(status: number, message: string, extra: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra },
  });
}

/** Serves one console request (the caller matched `/console` or `/console/...`). */
export async function consoleResponse(request: Request, url: URL): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return notFound(405, 'Use GET.', { allow: 'GET, HEAD' });
  const file = await fileFor(url.pathname);
  if (!file) return notFound(404, 'Not found.');
  // Revalidated on every load (a 304 when unchanged), so a deploy's console and libraries arrive together.
  const headers: Record<string, string> = {
    ...COMMON_HEADERS,
    'content-type': file.contentType,
    'cache-control': 'no-cache',
    etag: file.etag,
    'content-security-policy': file.policy,
  };
  const ifNoneMatch = request.headers.get('if-none-match');
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers['content-length'] = String(file.body.length);
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(file.body), { status: 200, headers });
}
