import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
let owner: { id: string; token: string };
let projectId: string;
const SECRET = 'sk-export-never-999';
const hasPdftotext = spawnSync('pdftotext', ['-v']).status === 0;

async function gql<T>(query: string, variables: Record<string, unknown> = {}, token = owner.token) {
  const response = await t.graphql<T>(query, { variables, token });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!;
}

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.createUser('export-owner@example.com');
  const created = await gql<{ createProject: { id: string } }>(
    'mutation { createProject(input: { name: "Café | *Shop* # ünïcødé", description: "A shop.\\nSecond line with | pipe", templateId: "web-application" }) { id } }',
  );
  projectId = created.createProject.id;
  await gql('mutation($id: ID!) { upsertSpecification(projectId: $id, input: { category: "security", key: "Secrets | vault", value: "Rotated\\nmonthly *always*", confidence: 0.75 }) { id } }', { id: projectId });
  await gql('mutation($id: ID!) { setProjectLlm(projectId: $id, provider: OPENAI, model: "gpt-4o") { id } }', { id: projectId });
  // Secrets exist around the project; no export may carry them.
  await gql('mutation($input: AddApiKeyInput!) { addApiKey(input: $input) { id } }', { input: { provider: 'OPENAI', apiKey: SECRET } });
  await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
    variables: { input: { name: 'export-openai', provider: 'OPENAI', config: {}, apiKey: SECRET } },
  });
});
afterAll(async () => {
  await t.close();
});

type Export = { filename: string; contentType: string; byteSize: number; sha256: string; downloadUrl: string; text: string | null };
const EXPORT = 'mutation($id: ID!, $format: ExportFormat!) { exportProject(projectId: $id, format: $format) { filename contentType byteSize sha256 downloadUrl text } }';
const exportAs = async (format: string, id = projectId) => (await gql<{ exportProject: Export }>(EXPORT, { id, format })).exportProject;

async function download(path: string, token: string | null = owner.token) {
  return t.app.yoga.fetch(`http://yoga${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

describe('exportProject', () => {
  it.each(['MARKDOWN', 'PDF', 'JSON', 'CODE'])('gives the same bytes twice and serves them for download (%s)', async (format) => {
    const first = await exportAs(format);
    const second = await exportAs(format);
    expect(second.sha256).toBe(first.sha256);
    expect(first.downloadUrl).toBe(`/api/v1/projects/${projectId}/export/${format.toLowerCase()}`);
    const response = await download(first.downloadUrl);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    // PDF and code archives are streamed (no length up front); the bytes are the same all the same.
    expect(response.headers.get('content-length')).toBe(format === 'PDF' || format === 'CODE' ? null : String(first.byteSize));
    expect(bytes.length).toBe(first.byteSize);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(first.sha256);
    expect(response.headers.get('content-type')).toBe(first.contentType);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${first.filename}"`);
    expect(first.filename).toMatch(/^[\w.-]+$/);
    expect(bytes.toString('latin1')).not.toContain(SECRET);
    expect(first.text === null).toBe(format === 'PDF' || format === 'CODE');
  });

  it('writes Markdown whose user text cannot break its structure', async () => {
    const { text } = await exportAs('MARKDOWN');
    const markdown = text!;
    expect(markdown.startsWith('# Café \\| \\*Shop\\* \\# ünïcødé\n')).toBe(true);
    expect(markdown).toContain('## Specifications');
    expect(markdown).toContain('### security');
    const row = markdown.split('\n').find((line) => line.startsWith('| Secrets'))!;
    expect(row).toBe('| Secrets \\| vault | Rotated<br>monthly \\*always\\* | 75% | MANUAL |');
    expect(markdown).toContain('- Phase: PLANNING');
    expect(markdown).toContain('- LLM: OPENAI (gpt-4o)');
    expect(markdown).toContain('## Usage');
    expect(markdown).toContain('- `app/page.tsx` (typescript)');
  });

  // Under CI (.ci/run installs poppler-utils) it runs, and fails without pdftotext, rather than skip.
  it.runIf(hasPdftotext || process.env.CI === 'true')('writes a real PDF whose text (Unicode too) pdftotext can read, with page numbers', async () => {
    const response = await download((await exportAs('PDF')).downloadUrl);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const dir = mkdtempSync(join(tmpdir(), 'agora-pdf-'));
    try {
      writeFileSync(join(dir, 'export.pdf'), bytes);
      const text = execFileSync('pdftotext', ['-layout', join(dir, 'export.pdf'), '-'], { encoding: 'utf8' });
      expect(text).toContain('Café | *Shop* # ünïcødé');
      expect(text).toContain('Specifications');
      expect(text).toContain('Secrets | vault');
      expect(text).toMatch(/1 \/ \d+/);
      expect(text).not.toContain(SECRET);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('zips the code files under a folder named after the project, with a README of the specifications', async () => {
    const response = await download((await exportAs('CODE')).downloadUrl);
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    const names = Object.keys(files).sort();
    const root = 'Cafe-Shop-unic-de';
    expect(names).toEqual([`${root}/README.md`, `${root}/SPECIFICATIONS.md`, `${root}/app/page.tsx`, `${root}/package.json`].sort());
    expect(names.every((name) => !name.startsWith('/') && !name.split('/').includes('..'))).toBe(true);
    expect(strFromU8(files[`${root}/SPECIFICATIONS.md`]!)).toContain('**Secrets \\| vault**');
  });
});

describe('importProject', () => {
  it('round-trips a JSON export into an equal project', async () => {
    const exported = await exportAs('JSON');
    const document = JSON.parse(exported.text!) as { agoraExportVersion: number; project: { settings: Record<string, unknown> } };
    expect(document.agoraExportVersion).toBe(1);
    expect(document.project.settings).toEqual({ llmProvider: 'OPENAI', llmModel: 'gpt-4o', sourceRepoUrl: null, templateSlug: 'web-application' });
    expect(exported.text).not.toContain(SECRET);
    const imported = await gql<{ importProject: { id: string; name: string } }>('mutation($document: JSON!) { importProject(document: $document) { id name } }', { document });
    expect(imported.importProject.id).not.toBe(projectId);
    const again = await exportAs('JSON', imported.importProject.id);
    expect(again.text).toBe(exported.text);
  });

  it('names the first problem of a bad document, and writes nothing', async () => {
    const before = await t.db.sql('select count(*)::int as n from specs.projects');
    const good = JSON.parse((await exportAs('JSON')).text!) as Record<string, unknown> & { specifications: Record<string, unknown>[] };
    const cases: [unknown, RegExp][] = [
      [{ ...good, agoraExportVersion: 2 }, /agoraExportVersion/],
      [{ ...good, specifications: [{ ...good.specifications[0], confidence: 3 }] }, /specifications\.0\.confidence/],
      [{ ...good, extra: true }, /extra/],
      ['not an object', /document/],
    ];
    for (const [document, problem] of cases) {
      const response = await t.graphql('mutation($document: JSON!) { importProject(document: $document) { id } }', { variables: { document }, token: owner.token });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.message).toMatch(problem);
    }
    const escaping = { ...good, codeFiles: [{ path: '../../etc/passwd', language: null, content: 'x' }] };
    const refused = await t.graphql('mutation($document: JSON!) { importProject(document: $document) { id } }', { variables: { document: escaping }, token: owner.token });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await t.db.sql('select count(*)::int as n from specs.projects')).toEqual(before);
  });
});

describe('the download route', () => {
  it('answers 401 without a token, 404 for another user\u2019s project, 400 for an unknown format', async () => {
    const path = `/api/v1/projects/${projectId}/export/markdown`;
    const anonymous = await download(path, null);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const stranger = await t.createUser('export-stranger@example.com');
    const hidden = await download(path, stranger.token);
    expect(hidden.status).toBe(404);
    expect(await hidden.text()).not.toContain('Shop');
    expect((await download(`/api/v1/projects/${projectId}/export/docx`)).status).toBe(400);
    expect((await download('/api/v1/projects/not-a-uuid/export/pdf')).status).toBe(404);
  });
});
