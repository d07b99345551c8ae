import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { computeCost } from '../../src/llm/catalogue.ts';
import { UsageService } from '../../src/modules/usage/usage.service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

let t: TestApp;
let fakes: FakeLlmServers;
let member: { id: string; token: string };

beforeAll(async () => {
  [t, fakes] = await Promise.all([createTestApp(), startFakeLlmServers()]);
  member = await t.createUser('projects-member@example.com');
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(() => fakes.reset());

type Project = {
  id: string;
  name: string;
  phase: string;
  maturityScore: number;
  templateSlug: string | null;
  specifications: { category: string; key: string; value: string; source: string; confidence: number }[];
  codeFiles: { path: string; language: string | null }[];
};
const PROJECT = 'id name phase maturityScore templateSlug specifications { category key value source confidence } codeFiles { path language }';

async function createProject(input: Record<string, unknown>, token = member.token): Promise<Project> {
  const response = await t.graphql<{ createProject: Project }>(`mutation($input: CreateProjectInput!) { createProject(input: $input) { ${PROJECT} } }`, {
    variables: { input },
    token,
  });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!.createProject;
}

describe('templates', () => {
  it('ship with a fresh install: web, REST, mobile, CLI, data pipeline, GraphQL', async () => {
    const response = await t.graphql<{ templates: { slug: string; builtIn: boolean; specifications: unknown[]; files: unknown[] }[] }>(
      '{ templates { slug builtIn specifications { category key value } files { path language content } } }',
      { token: member.token },
    );
    const slugs = response.data!.templates.map((template) => template.slug);
    expect(slugs).toEqual(expect.arrayContaining(['web-application', 'rest-api', 'mobile-app', 'cli-tool', 'data-pipeline', 'graphql-service']));
    expect(response.data!.templates.every((template) => template.builtIn && template.specifications.length > 3 && template.files.length > 0)).toBe(true);
  });

  it('can be created and edited by admins only', async () => {
    const input = { slug: 'worker', name: 'Worker', category: 'backend', specifications: [{ category: 'languages', key: 'Rust', value: '2021' }], files: [{ path: './src//main.rs', content: 'fn main() {}' }] };
    const refused = await t.graphql('mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id } }', { variables: { input }, token: member.token });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const created = await t.graphql<{ createTemplate: { id: string; files: { path: string }[] } }>(
      'mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id files { path } } }',
      { variables: { input } },
    );
    expect(created.data?.createTemplate.files).toEqual([{ path: 'src/main.rs' }]);
    const duplicate = await t.graphql('mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { id } }', { variables: { input } });
    expect(duplicate.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const renamed = await t.graphql<{ updateTemplate: { name: string } }>('mutation($id: ID!) { updateTemplate(id: $id, input: { name: "Worker service" }) { name } }', {
      variables: { id: created.data!.createTemplate.id },
    });
    expect(renamed.data?.updateTemplate.name).toBe('Worker service');
  });
});

describe('projects', () => {
  it('creates a project seeded by a template, its files and specifications included', async () => {
    const project = await createProject({ name: 'Shop', templateId: 'web-application' });
    expect(project.templateSlug).toBe('web-application');
    expect(project.specifications.length).toBeGreaterThan(3);
    expect(project.specifications.every((specification) => specification.source === 'TEMPLATE')).toBe(true);
    expect(project.codeFiles.map((file) => file.path)).toEqual(['README.md', 'app/page.tsx', 'package.json']);
    expect(project.maturityScore).toBeGreaterThan(0);

    const fromTemplate = await t.graphql<{ createProjectFromTemplate: Project }>(
      `mutation { createProjectFromTemplate(templateId: "cli-tool", name: "Tool") { ${PROJECT} } }`,
      { token: member.token },
    );
    expect(fromTemplate.data?.createProjectFromTemplate.codeFiles.map((file) => file.path)).toEqual(['go.mod', 'main.go']);
    const unknownTemplate = await t.graphql('mutation { createProjectFromTemplate(templateId: "nope", name: "X") { id } }', { token: member.token });
    expect(unknownTemplate.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('manages specifications and code files, normalising paths and refusing escapes', async () => {
    const project = await createProject({ name: 'Specs' });
    const upsert = (input: Record<string, unknown>) =>
      t.graphql<{ upsertSpecification: { id: string; value: string } }>('mutation($id: ID!, $input: SpecificationInput!) { upsertSpecification(projectId: $id, input: $input) { id value } }', {
        variables: { id: project.id, input },
        token: member.token,
      });
    const first = await upsert({ category: 'testing', key: 'Vitest', value: 'v4', confidence: 0.5 });
    const second = await upsert({ category: 'testing', key: 'Vitest', value: 'v5' });
    expect(second.data?.upsertSpecification.id).toBe(first.data?.upsertSpecification.id);
    expect(second.data?.upsertSpecification.value).toBe('v5');
    expect((await upsert({ category: 'x', key: 'y', value: 'z', confidence: 2 })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const file = (path: string) =>
      t.graphql<{ upsertCodeFile: { path: string; language: string | null } }>('mutation($id: ID!, $input: CodeFileInput!) { upsertCodeFile(projectId: $id, input: $input) { path language } }', {
        variables: { id: project.id, input: { path, content: 'x' } },
        token: member.token,
      });
    expect((await file('.\\src\\./index.ts')).data?.upsertCodeFile).toEqual({ path: 'src/index.ts', language: 'typescript' });
    for (const bad of ['/etc/passwd', '../secret', 'a/../../b', 'C:/windows', '']) {
      expect((await file(bad)).errors?.[0]?.extensions?.code, bad).toBe('BAD_USER_INPUT');
    }
  });

  it('searches for the literal text, wildcards included, in name or description', async () => {
    const searcher = await t.createUser('projects-literal@example.com');
    await createProject({ name: '100% coverage' }, searcher.token);
    await createProject({ name: '100 percent' }, searcher.token);
    await createProject({ name: 'Plain', description: 'snake_case names' }, searcher.token);
    await createProject({ name: 'snakeXcase' }, searcher.token);
    const names = async (search: string) =>
      (await t.graphql<{ projects: { edges: { node: { name: string } }[] } }>('query($search: String) { projects(search: $search) { edges { node { name } } } }', {
        variables: { search },
        token: searcher.token,
      })).data?.projects.edges.map((edge) => edge.node.name);
    expect(await names('100%')).toEqual(['100% coverage']);
    expect(await names('E_C')).toEqual(['Plain']);
    expect(await names('  COVERAGE ')).toEqual(['100% coverage']);
    expect(await names('\\')).toEqual([]);
  });

  it('updates, searches, pages and deletes', async () => {
    const searcher = await t.createUser('projects-search@example.com');
    for (const name of ['Alpha billing', 'Beta search', 'Gamma billing']) await createProject({ name }, searcher.token);
    const found = await t.graphql<{ projects: { edges: { node: { name: string } }[] } }>('{ projects(search: "billing") { edges { node { name } } } }', { token: searcher.token });
    expect(found.data?.projects.edges.map((edge) => edge.node.name)).toEqual(['Gamma billing', 'Alpha billing']);
    type Page = { projects: { edges: { node: { id: string; name: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const page = await t.graphql<Page>('{ projects(first: 2) { edges { node { id name } } pageInfo { hasNextPage endCursor } } }', { token: searcher.token });
    expect(page.data?.projects.pageInfo.hasNextPage).toBe(true);
    const rest = await t.graphql<Page>('query($after: String) { projects(first: 2, after: $after) { edges { node { id name } } pageInfo { hasNextPage endCursor } } }', {
      variables: { after: page.data?.projects.pageInfo.endCursor },
      token: searcher.token,
    });
    expect(rest.data?.projects.edges.map((edge) => edge.node.name)).toEqual(['Alpha billing']);
    // Search and paging together: each keeps its own condition.
    const searchPage = await t.graphql<Page>('query($after: String) { projects(first: 1, search: "billing", after: $after) { edges { node { id name } } pageInfo { hasNextPage endCursor } } }', {
      variables: { after: found.data?.projects.edges[0] ? (await t.graphql<Page>('{ projects(first: 1, search: "billing") { edges { node { id name } } pageInfo { hasNextPage endCursor } } }', { token: searcher.token })).data?.projects.pageInfo.endCursor : null },
      token: searcher.token,
    });
    expect(searchPage.data?.projects.edges.map((edge) => edge.node.name)).toEqual(['Alpha billing']);
    expect(searchPage.data?.projects.pageInfo.hasNextPage).toBe(false);
    const id = rest.data!.projects.edges[0]!.node.id;
    const updated = await t.graphql<{ updateProject: { phase: string; name: string } }>('mutation($id: ID!) { updateProject(id: $id, input: { phase: PRODUCTION, name: "Alpha" }) { phase name } }', {
      variables: { id },
      token: searcher.token,
    });
    expect(updated.data?.updateProject).toEqual({ phase: 'PRODUCTION', name: 'Alpha' });
    expect((await t.graphql('mutation($id: ID!) { deleteProject(id: $id) }', { variables: { id }, token: searcher.token })).data).toEqual({ deleteProject: true });
    expect((await t.graphql('query($id: ID!) { project(id: $id) { id } }', { variables: { id }, token: searcher.token })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('lists every field of a project and its specifications as the project itself reads them (the list reads plain rows)', async () => {
    const lister = await t.createUser('projects-fields@example.com');
    const created = await createProject({ name: 'Fields', description: 'All of them', templateId: 'rest-api' }, lister.token);
    await t.graphql('mutation($id: ID!) { setProjectLlm(projectId: $id, provider: OPENAI, model: "gpt-4o-mini") { id } }', { variables: { id: created.id }, token: lister.token });
    const fields =
      'id name description phase llmProvider llmModel sourceRepoUrl templateSlug maturityScore createdAt updatedAt owner { id } specifications { id category key value confidence source updatedAt }';
    const listed = await t.graphql<{ projects: { edges: { cursor: string; node: Record<string, unknown> }[]; pageInfo: { startCursor: string; endCursor: string } } }>(
      `{ projects(first: 1) { edges { cursor node { ${fields} } } pageInfo { startCursor endCursor } } }`,
      { token: lister.token },
    );
    const single = await t.graphql<{ project: Record<string, unknown> }>(`query($id: ID!) { project(id: $id) { ${fields} } }`, { variables: { id: created.id }, token: lister.token });
    expect(single.errors).toBeUndefined();
    expect(single.data?.project).toMatchObject({ llmModel: 'gpt-4o-mini', createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(listed.data?.projects.edges[0]?.node).toEqual(single.data?.project);
    const specifications = single.data!.project.specifications as { updatedAt: string }[];
    expect(specifications.length).toBeGreaterThan(3);
    expect(specifications.every((specification) => !Number.isNaN(Date.parse(specification.updatedAt)))).toBe(true);
    const { edges, pageInfo } = listed.data!.projects;
    expect([pageInfo.startCursor, pageInfo.endCursor]).toEqual([edges[0]!.cursor, edges[0]!.cursor]);
  });

  it('keeps members out of each other\u2019s projects (NOT_FOUND)', async () => {
    const project = await createProject({ name: 'Private' });
    const other = await t.createUser('projects-other@example.com');
    for (const [query, variables] of [
      ['query($id: ID!) { project(id: $id) { id } }', { id: project.id }],
      ['mutation($id: ID!) { updateProject(id: $id, input: { name: "x" }) { id } }', { id: project.id }],
      ['mutation($id: ID!) { deleteProject(id: $id) }', { id: project.id }],
      ['mutation($id: ID!) { setProjectLlm(projectId: $id, provider: OPENAI) { id } }', { id: project.id }],
      ['mutation($id: ID!) { upsertSpecification(projectId: $id, input: { category: "a", key: "b", value: "c" }) { id } }', { id: project.id }],
      ['mutation($id: ID!) { callLlm(input: { prompt: "hi", projectId: $id }) { text } }', { id: project.id }],
    ] as const) {
      expect((await t.graphql(query, { variables, token: other.token })).errors?.[0]?.extensions?.code, query).toBe('NOT_FOUND');
    }
    const list = await t.graphql<{ projects: { edges: unknown[] } }>('{ projects { edges { node { id } } } }', { token: other.token });
    expect(list.data?.projects.edges).toEqual([]);
  });
});

describe('the project LLM', () => {
  it('validates the model against the catalogue and routes the project\u2019s calls to it', async () => {
    const project = await createProject({ name: 'Routed' });
    const bad = await t.graphql('mutation($id: ID!) { setProjectLlm(projectId: $id, provider: CLAUDE, model: "gpt-4o") { id } }', { variables: { id: project.id }, token: member.token });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const set = await t.graphql<{ setProjectLlm: { llmProvider: string; llmModel: string } }>(
      'mutation($id: ID!) { setProjectLlm(projectId: $id, provider: CLAUDE, model: "claude-3-5-haiku-latest") { llmProvider llmModel } }',
      { variables: { id: project.id }, token: member.token },
    );
    expect(set.errors).toBeUndefined();
    // An active OpenAI configuration does not serve this project: the project names Claude.
    await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
      variables: { input: { name: 'openai-active', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-o', isActive: true } },
    });
    await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
      variables: { input: { name: 'claude', provider: 'CLAUDE', config: { baseUrl: fakes.baseUrls.CLAUDE }, apiKey: 'sk-c' } },
    });
    const call = await t.graphql<{ callLlm: { provider: string; model: string } }>('mutation($id: ID!) { callLlm(input: { prompt: "hi", projectId: $id }) { provider model } }', {
      variables: { id: project.id },
      token: member.token,
    });
    expect(call.data?.callLlm).toEqual({ provider: 'CLAUDE', model: 'claude-3-5-haiku-latest' });
    expect(fakes.openai.requests).toHaveLength(0);
    const usage = await t.graphql<{ project: { usage: { calls: number; byProvider: { key: string }[] } } }>('query($id: ID!) { project(id: $id) { usage { calls byProvider { key } } } }', {
      variables: { id: project.id },
      token: member.token,
    });
    expect(usage.data?.project.usage).toEqual({ calls: 1, byProvider: [{ key: 'CLAUDE' }] });
  });
});

describe('lists', () => {
  it('load a page of 50 projects with specifications, files, owner and usage in a constant number of queries', async () => {
    const owner = await t.createUser('projects-bulk@example.com');
    const usage = new UsageService(t.db.orm.em.fork());
    const ids: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      const project = await createProject({ name: `Bulk ${i}`, templateId: i % 2 ? 'rest-api' : 'data-pipeline' }, owner.token);
      ids.push(project.id);
      await usage.record({
        userId: owner.id, projectId: project.id, provider: 'OPENAI', model: 'gpt-4o-mini', inputTokens: 10 * i, outputTokens: 5,
        cost: computeCost('OPENAI', 'gpt-4o-mini', { inputTokens: 10 * i, outputTokens: 5 }), latencyMs: 1, status: 'SUCCEEDED', errorClass: null, streamed: false, attempts: 1,
      });
    }
    const query = `{ projects(first: 50) { edges { node { id name maturityScore owner { email } specifications { key } codeFiles { path } usage { calls totalCost byModel { key } } analysisRuns { id } } } } }`;
    const count = async (first: number) => {
      const before = t.db.queries.length;
      const response = await t.graphql<{ projects: { edges: { node: { usage: { calls: number } } }[] } }>(query.replace('first: 50', `first: ${first}`), { token: owner.token });
      expect(response.errors).toBeUndefined();
      expect(response.data!.projects.edges).toHaveLength(first);
      expect(response.data!.projects.edges.every((edge) => edge.node.usage.calls === 1)).toBe(true);
      return t.db.queries.length - before;
    };
    const forFive = await count(5);
    const forFifty = await count(50);
    expect(forFifty).toBe(forFive);
    expect(forFifty).toBeLessThanOrEqual(10);
  });
});
