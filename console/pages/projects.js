// Projects: the list, one project's specifications, and its exports (downloaded with the token, then
// saved from a Blob: a plain link could not carry the Authorization header).
import { useState } from 'preact/hooks';
import { count, percent, usd, when } from '../lib/format.js';
import { ApiError } from '../lib/graphql.js';
import { storedToken } from '../lib/session.js';
import { html } from '../lib/html.js';
import { ErrorMessage, Field, Loading, PageHeader, useAction, useQuery } from '../lib/ui.js';

const PROJECTS = `query ConsoleProjects($search: String) { projects(first: 50, search: $search) { edges { node {
  id name description phase maturityScore llmProvider llmModel updatedAt owner { email }
  specifications { id }
} } } }`;
const PROJECT = `query ConsoleProject($id: ID!) { project(id: $id) {
  id name description phase maturityScore llmProvider llmModel sourceRepoUrl templateSlug createdAt updatedAt owner { email }
  specifications { id category key value confidence source }
  codeFiles { id path language }
  usage { calls totalTokens totalCost }
} }`;
const FORMATS = [
  ['markdown', 'Markdown'],
  ['pdf', 'PDF'],
  ['json', 'JSON'],
  ['code', 'Code (zip)'],
];

function filenameOf(response, fallback) {
  const disposition = response.headers.get('content-disposition') ?? '';
  const match = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(disposition);
  if (!match) return fallback;
  try {
    return decodeURIComponent(match[1] ?? match[2]);
  } catch {
    return match[2] ?? fallback;
  }
}

async function download(projectId, format) {
  const response = await fetch(`/api/v1/projects/${encodeURIComponent(projectId)}/export/${format}`, {
    headers: { authorization: `Bearer ${storedToken()}` },
  });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new ApiError(body?.error?.message ?? `The export failed (${response.status}).`, body?.error?.code ?? 'ERROR');
  }
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filenameOf(response, `project.${format}`);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return link.download;
}

function Exports({ projectId }) {
  const [saved, setSaved] = useState(null);
  const [run, state] = useAction(async (format) => setSaved(await download(projectId, format)));
  return html`<div class="exports" role="group" aria-label="Export">
    ${FORMATS.map(([format, label]) => html`<button type="button" onClick=${() => run(format)} disabled=${state.busy}>Download ${label}</button>`)}
    ${saved ? html`<span role="status" class="muted" data-testid="export-saved">Saved ${saved}.</span>` : null}
    <${ErrorMessage} error=${state.error} />
  </div>`;
}

function ProjectView({ id }) {
  const { data, error } = useQuery(PROJECT, { id });
  if (error) return html`<${PageHeader} title="Project" /><${ErrorMessage} error=${error} /><p><a href="#/projects">All projects</a></p>`;
  if (!data) return html`<${PageHeader} title="Project" /><${Loading} />`;
  const project = data.project;
  if (!project) return html`<${PageHeader} title="Project" /><p class="message error" role="alert">No such project.</p>`;
  return html`<section>
    <${PageHeader} title=${project.name}><a href="#/projects">All projects</a><//>
    <div class="card">
      ${project.description ? html`<p>${project.description}</p>` : null}
      <dl class="facts">
        <div><dt>Phase</dt><dd>${project.phase}</dd></div>
        <div><dt>Maturity</dt><dd>${project.maturityScore} / 100</dd></div>
        <div><dt>LLM</dt><dd>${project.llmProvider ? `${project.llmProvider}${project.llmModel ? ` · ${project.llmModel}` : ''}` : 'routed'}</dd></div>
        <div><dt>Owner</dt><dd>${project.owner.email}</dd></div>
        <div><dt>Usage (all time)</dt><dd>${count(project.usage.calls)} calls · ${count(project.usage.totalTokens)} tokens · ${usd(project.usage.totalCost)}</dd></div>
        ${project.sourceRepoUrl ? html`<div><dt>Repository</dt><dd>${project.sourceRepoUrl}</dd></div>` : null}
        <div><dt>Updated</dt><dd>${when(project.updatedAt)}</dd></div>
      </dl>
      <${Exports} projectId=${project.id} />
    </div>
    <section class="card" aria-labelledby="specs">
      <h2 id="specs">Specifications (${project.specifications.length})</h2>
      ${project.specifications.length
        ? html`<table class="data" data-testid="specifications">
            <caption class="visually-hidden">Specifications of ${project.name}</caption>
            <thead><tr><th scope="col">Category</th><th scope="col">Key</th><th scope="col">Value</th><th scope="col" class="num">Confidence</th><th scope="col">Source</th></tr></thead>
            <tbody>${project.specifications.map(
              (spec) => html`<tr><td>${spec.category}</td><th scope="row">${spec.key}</th><td>${spec.value}</td><td class="num">${percent(spec.confidence)}</td><td>${spec.source}</td></tr>`,
            )}</tbody>
          </table>`
        : html`<p class="muted">No specifications yet.</p>`}
    </section>
    ${project.codeFiles.length
      ? html`<section class="card" aria-labelledby="files">
          <h2 id="files">Code files (${project.codeFiles.length})</h2>
          <ul class="plain columns">${project.codeFiles.map((file) => html`<li><code>${file.path}</code>${file.language ? html` <span class="muted">${file.language}</span>` : null}</li>`)}</ul>
        </section>`
      : null}
  </section>`;
}

function ProjectList() {
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const { data, error, loading } = useQuery(PROJECTS, { search: applied || null });
  const projects = data?.projects.edges.map((edge) => edge.node) ?? [];
  return html`<section>
    <${PageHeader} title="Projects" />
    <form class="toolbar" role="search" onSubmit=${(event) => { event.preventDefault(); setApplied(search.trim()); }}>
      <${Field} label="Search name or description" type="search" value=${search} onInput=${(event) => setSearch(event.currentTarget.value)} />
      <button type="submit">Search</button>
    </form>
    <${ErrorMessage} error=${error} />
    ${loading && !data ? html`<${Loading} />` : null}
    ${data && !projects.length ? html`<p class="muted">No projects${applied ? ` matching “${applied}”` : ''}. Create one with the createProject mutation or import a GitHub repository.</p>` : null}
    ${projects.length
      ? html`<table class="data" data-testid="projects">
          <caption class="visually-hidden">Projects, newest first</caption>
          <thead><tr><th scope="col">Project</th><th scope="col">Phase</th><th scope="col" class="num">Maturity</th><th scope="col" class="num">Specifications</th><th scope="col">LLM</th><th scope="col">Owner</th><th scope="col">Updated</th></tr></thead>
          <tbody>${projects.map(
            (project) => html`<tr>
              <th scope="row"><a href=${`#/projects/${encodeURIComponent(project.id)}`}>${project.name}</a>${project.description ? html`<div class="muted small">${project.description}</div>` : null}</th>
              <td>${project.phase}</td>
              <td class="num">${project.maturityScore}</td>
              <td class="num">${project.specifications.length}</td>
              <td>${project.llmProvider ?? 'routed'}</td>
              <td>${project.owner.email}</td>
              <td>${when(project.updatedAt)}</td>
            </tr>`,
          )}</tbody>
        </table>`
      : null}
  </section>`;
}

export function ProjectsPage({ path }) {
  return path[0] ? html`<${ProjectView} key=${path[0]} id=${path[0]} />` : html`<${ProjectList} />`;
}
