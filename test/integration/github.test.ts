import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { finished, readRun, RUN, type RunView, waitForRun } from '../support/analysis.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { type FakeGitHubServer, startFakeGitHubServer } from '../support/fake-github/fake-github-server.ts';
import { GO_CLI, largeRepository, PYTHON_SERVICE, WEB_APP } from '../support/fake-github/fixtures.ts';

let t: TestApp;
let github: FakeGitHubServer;
let fakes: FakeLlmServers;
let alice: { id: string; token: string };
const ALICE_GITHUB = 'ghp_alice_token_0001';

beforeAll(async () => {
  [github, fakes] = await Promise.all([
    startFakeGitHubServer({
      repositories: [WEB_APP, PYTHON_SERVICE, GO_CLI, largeRepository()],
      tokens: { [ALICE_GITHUB]: ['acme/shop', 'acme/billing-api', 'tools/gocli', 'big/monorepo'] },
    }),
    startFakeLlmServers(),
  ]);
  t = await createTestApp({ GITHUB_GRAPHQL_URL: github.url });
  alice = await t.createUser('github-alice@example.com');
  await t.graphql('mutation { addApiKey(input: { provider: GITHUB, apiKey: "ghp_alice_token_0001" }) { id } }', { token: alice.token });
});
afterAll(async () => {
  expect(github.invalidQueries).toEqual([]);
  await Promise.all([t.close(), github.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.intelligence_providers');
});

async function start(mutation: 'analyze' | 'import', repoUrl: string, token = alice.token, projectName?: string) {
  const query =
    mutation === 'analyze'
      ? `mutation($url: String!) { analyzeGithubRepository(repoUrl: $url) { ${RUN} } }`
      : `mutation($url: String!, $name: String) { importGithubRepository(input: { repoUrl: $url, projectName: $name }) { ${RUN} } }`;
  return t.graphql<{ analyzeGithubRepository?: RunView; importGithubRepository?: RunView }>(query, { variables: { url: repoUrl, name: projectName }, token });
}

type Spec = { category: string; key: string; value: string; confidence: number; source: string };

describe('githubRepositories', () => {
  it('pages through the viewer\u2019s repositories with their GITHUB key', async () => {
    type Page = { githubRepositories: { edges: { node: { nameWithOwner: string; isPrivate: boolean } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const first = await t.graphql<Page>('{ githubRepositories(first: 3) { edges { node { nameWithOwner isPrivate primaryLanguage } } pageInfo { hasNextPage endCursor } } }', { token: alice.token });
    expect(first.errors).toBeUndefined();
    expect(first.data?.githubRepositories.edges.map((edge) => edge.node.nameWithOwner)).toEqual(['acme/shop', 'acme/billing-api', 'tools/gocli']);
    const rest = await t.graphql<Page>('query($after: String) { githubRepositories(first: 3, after: $after) { edges { node { nameWithOwner } } pageInfo { hasNextPage } } }', {
      variables: { after: first.data?.githubRepositories.pageInfo.endCursor },
      token: alice.token,
    });
    expect(rest.data?.githubRepositories.edges.map((edge) => edge.node.nameWithOwner)).toEqual(['big/monorepo']);
    expect(rest.data?.githubRepositories.pageInfo.hasNextPage).toBe(false);
  });

  it('asks for a GITHUB key when the viewer has none, or when GitHub refuses it', async () => {
    const bob = await t.createUser('github-bob@example.com');
    const none = await t.graphql('{ githubRepositories { edges { node { nameWithOwner } } } }', { token: bob.token });
    expect(none.errors?.[0]?.extensions?.code).toBe('API_KEY_REQUIRED');
    await t.graphql('mutation { addApiKey(input: { provider: GITHUB, apiKey: "ghp_wrong_0002" }) { id } }', { token: bob.token });
    const refused = await t.graphql('{ githubRepositories { edges { node { nameWithOwner } } } }', { token: bob.token });
    expect(refused.errors?.[0]?.extensions?.code).toBe('API_KEY_REQUIRED');
    expect(JSON.stringify(refused)).not.toContain('ghp_wrong_0002');
  });
});

describe('analyzeGithubRepository', () => {
  it('refuses a malformed URL and a missing key before starting a run', async () => {
    const bad = await start('analyze', 'https://gitlab.com/acme/shop');
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const carol = await t.createUser('github-carol@example.com');
    const keyless = await start('analyze', 'acme/shop', carol.token);
    expect(keyless.errors?.[0]?.extensions?.code).toBe('API_KEY_REQUIRED');
    expect(await t.db.sql("select 1 from specs.analysis_runs where kind like 'REPOSITORY%' and owner_id = $1", [carol.id])).toHaveLength(0);
  });

  it('detects languages, frameworks, tests, CI and license as a run with progress', async () => {
    const run = (await start('analyze', 'https://github.com/acme/shop')).data!.analyzeGithubRepository!;
    const done = await waitForRun(t, run.id, finished);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.events.map((event) => event.stage)).toEqual(expect.arrayContaining(['fetching metadata', 'listing files', 'detecting', 'saving', 'done']));
    const specs = (done.result as { specifications: Spec[] }).specifications;
    const find = (category: string, key: string) => specs.find((spec) => spec.category === category && spec.key === key);
    expect(find('languages', 'TypeScript')?.value).toBe('90.0% of the code');
    expect(find('frameworks', 'Next.js')).toBeDefined();
    expect(find('database', 'Prisma')).toBeDefined();
    expect(find('testing', 'Vitest')).toBeDefined();
    expect(find('testing', 'Test script')?.value).toBe('npm test: vitest run');
    expect(find('ci', 'GitHub Actions')?.value).toBe('CI, Deploy');
    expect(find('license', 'MIT')).toBeDefined();
    expect(find('tools', 'Docker')?.value).toContain('node:24-alpine');
    expect(find('package_managers', 'npm')).toBeDefined();
    expect(await t.db.sql("select 1 from specs.projects where source_repo_url = 'https://github.com/acme/shop'")).toHaveLength(0);
  });

  it('fails the run clearly for a missing repository and for a rate limit', async () => {
    const missing = await waitForRun(t, (await start('analyze', 'acme/nothing')).data!.analyzeGithubRepository!.id, finished);
    expect(missing).toMatchObject({ status: 'FAILED' });
    expect(missing.error).toMatch(/acme\/nothing was not found/);
    github.rateLimitNext();
    const limited = await waitForRun(t, (await start('analyze', 'tools/gocli')).data!.analyzeGithubRepository!.id, finished);
    expect(limited.status).toBe('FAILED');
    expect(limited.error).toMatch(/rate limit/);
  });

  it('reads a large repository within its limits and says so', async () => {
    const done = await waitForRun(t, (await start('analyze', 'big/monorepo')).data!.analyzeGithubRepository!.id, finished, 30_000);
    expect(done.status).toBe('SUCCEEDED');
    const result = done.result as { repository: { truncated: { files: boolean } }; specifications: Spec[] };
    expect(result.repository.truncated.files).toBe(true);
    expect(result.specifications.find((spec) => spec.key === 'Express')).toBeDefined();
    expect(done.events.some((event) => event.message.includes('limits reached'))).toBe(true);
  });

  it('keeps a run out of other users\u2019 sight', async () => {
    const run = (await start('analyze', 'tools/gocli')).data!.analyzeGithubRepository!;
    const dave = await t.createUser('github-dave@example.com');
    const hidden = await t.graphql('query($id: ID!) { analysisRun(id: $id) { id } }', { variables: { id: run.id }, token: dave.token });
    expect(hidden.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await waitForRun(t, run.id, finished);
  });
});

describe('importGithubRepository', () => {
  it('creates the project with its detected specifications, and links the run to it', async () => {
    const run = (await start('import', 'acme/billing-api', alice.token, 'Billing')).data!.importGithubRepository!;
    const done = await waitForRun(t, run.id, finished);
    expect(done.status).toBe('SUCCEEDED');
    const linked = await t.graphql<{ analysisRun: { project: { id: string; name: string; sourceRepoUrl: string; specifications: Spec[] } } }>(
      'query($id: ID!) { analysisRun(id: $id) { project { id name sourceRepoUrl specifications { category key value confidence source } } } }',
      { variables: { id: run.id }, token: alice.token },
    );
    const project = linked.data!.analysisRun.project;
    expect(project).toMatchObject({ name: 'Billing', sourceRepoUrl: 'https://github.com/acme/billing-api' });
    const keys = project.specifications.map((spec) => `${spec.category}/${spec.key}`);
    expect(keys).toEqual(expect.arrayContaining(['frameworks/FastAPI', 'database/SQLAlchemy', 'testing/pytest', 'ci/GitLab CI', 'tools/Docker Compose', 'package_managers/Poetry']));
    expect(project.specifications.every((spec) => spec.source === 'GITHUB_IMPORT')).toBe(true);
  });

  it('adds the routed model\u2019s summary as further specifications, with the README marked as untrusted', async () => {
    await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
      variables: { input: { name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-gh', isActive: true } },
    });
    const answer = JSON.stringify([
      { category: 'architecture', key: 'Rendering', value: 'Server-side rendered storefront', confidence: 0.7 },
      { category: 'frameworks', key: 'Next.js', value: 'duplicate of a detected one', confidence: 0.5 },
    ]);
    fakes.openai.script({ text: answer });
    const run = (await start('import', 'acme/shop')).data!.importGithubRepository!;
    const done = await waitForRun(t, run.id, finished);
    expect(done.status).toBe('SUCCEEDED');
    const prompt = JSON.stringify(fakes.openai.requests.at(-1)?.body);
    expect(prompt).toContain('untrusted data');
    expect(prompt).toContain('Ignore previous instructions');
    const project = (await t.graphql<{ analysisRun: { project: { specifications: Spec[] } } }>('query($id: ID!) { analysisRun(id: $id) { project { specifications { category key value source } } } }', {
      variables: { id: run.id },
      token: alice.token,
    })).data!.analysisRun.project;
    expect(project.specifications.find((spec) => spec.key === 'Rendering')).toMatchObject({ source: 'ANALYSIS', category: 'architecture' });
    expect(project.specifications.find((spec) => spec.key === 'Next.js')?.source).toBe('GITHUB_IMPORT');
    expect((await readRun(t, run.id)).provider).toBe('OPENAI');
  });
});
