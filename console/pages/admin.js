// Admins: provider configurations (create, test, activate, deactivate, delete) and users' rate limits.
import { useState } from 'preact/hooks';
import { count, when } from '../lib/format.js';
import { request } from '../lib/graphql.js';
import { html } from '../lib/html.js';
import { ConfirmButton, ErrorMessage, Field, Loading, Notice, PageHeader, SelectField, useAction, useQuery } from '../lib/ui.js';

const CONFIGURATIONS = `query ConsoleConfigurations {
  intelligenceProviders { id name provider model config isActive hasApiKey apiKeyHint description updatedAt }
  providers { id name defaultModel requiresApiKey }
}`;
const CREATE = 'mutation ConsoleCreateConfiguration($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id name } }';
const TEST = 'mutation ConsoleTestConfiguration($id: ID!) { testIntelligenceProvider(id: $id) { ok latencyMs model error } }';
const ACTIVATE = 'mutation ConsoleActivate($id: ID!) { activateIntelligenceProvider(id: $id) { id isActive } }';
const DEACTIVATE = 'mutation ConsoleDeactivate { deactivateIntelligenceProvider }';
const DELETE = 'mutation ConsoleDeleteConfiguration($id: ID!) { deleteIntelligenceProvider(id: $id) }';
const RATE_LIMIT = `mutation ConsoleRateLimit($userId: ID!, $requestsPerMinute: Int, $tokensPerMinute: Int) {
  setUserRateLimit(userId: $userId, requestsPerMinute: $requestsPerMinute, tokensPerMinute: $tokensPerMinute) { id email rateLimit { requestsPerMinute tokensPerMinute } }
}`;

function NewConfiguration({ drivers, onCreated }) {
  const remote = drivers.filter((driver) => driver.id !== 'LOCAL');
  const [form, setForm] = useState({ name: '', provider: remote[0]?.id ?? 'OPENAI', model: '', baseUrl: '', maxTokens: '', apiKey: '', description: '', isActive: false });
  const set = (field) => (event) => setForm({ ...form, [field]: event.currentTarget.type === 'checkbox' ? event.currentTarget.checked : event.currentTarget.value });
  const driver = remote.find((candidate) => candidate.id === form.provider);
  const [create, state] = useAction(async () => {
    const config = {};
    if (form.model.trim()) config.model = form.model.trim();
    if (form.baseUrl.trim()) config[form.provider === 'OLLAMA' ? 'host' : 'baseUrl'] = form.baseUrl.trim();
    if (form.maxTokens) config.maxTokens = Number(form.maxTokens);
    const input = { name: form.name.trim(), provider: form.provider, config, description: form.description, isActive: form.isActive, ...(form.apiKey ? { apiKey: form.apiKey } : {}) };
    const { createIntelligenceProvider } = await request(CREATE, { input });
    setForm({ ...form, name: '', apiKey: '', description: '' });
    onCreated(createIntelligenceProvider);
  });
  return html`<form class="card form-grid" onSubmit=${(event) => { event.preventDefault(); create(); }} aria-labelledby="new-configuration">
    <h2 id="new-configuration">Add a provider configuration</h2>
    <${Field} label="Name" required value=${form.name} onInput=${set('name')} placeholder="openai-prod" />
    <${SelectField} label="Provider" value=${form.provider} onChange=${set('provider')} options=${remote.map((item) => [item.id, item.name])} />
    <${Field} label="Model (optional)" value=${form.model} onInput=${set('model')} placeholder=${driver?.defaultModel ?? ''} hint=${driver ? `Default: ${driver.defaultModel}` : undefined} />
    <${Field} label=${form.provider === 'OLLAMA' ? 'Host (optional)' : 'Base URL (optional)'} type="url" value=${form.baseUrl} onInput=${set('baseUrl')} placeholder="https://api.example.com/v1" />
    <${Field} label="Max tokens (optional)" type="number" min="1" step="1" value=${form.maxTokens} onInput=${set('maxTokens')} />
    <${Field} label="API key (optional)" type="password" autocomplete="off" spellcheck="false" value=${form.apiKey} onInput=${set('apiKey')} hint="Write-only: stored encrypted, shown as a hint." />
    <${Field} label="Description" value=${form.description} onInput=${set('description')} />
    <div class="field checkbox"><label><input type="checkbox" checked=${form.isActive} onChange=${set('isActive')} /> Make it the active configuration</label></div>
    <div class="actions wide"><button type="submit" class="primary" disabled=${state.busy || !form.name.trim()}>Add the configuration</button></div>
    <div class="wide"><${ErrorMessage} error=${state.error} /></div>
  </form>`;
}

function Configurations() {
  const { data, error, loading, reload } = useQuery(CONFIGURATIONS, {});
  const [results, setResults] = useState({});
  const [notice, setNotice] = useState(null);
  const [act, acting] = useAction(async (mutation, variables, message) => {
    await request(mutation, variables);
    setNotice(message);
    reload();
  });
  const [test, testing] = useAction(async (id) => {
    setResults((previous) => ({ ...previous, [id]: { pending: true } }));
    const { testIntelligenceProvider } = await request(TEST, { id });
    setResults((previous) => ({ ...previous, [id]: testIntelligenceProvider }));
  });
  const configurations = data?.intelligenceProviders ?? [];
  const active = configurations.find((configuration) => configuration.isActive);
  return html`
    <section class="card" aria-labelledby="configurations">
      <div class="card-header">
        <h2 id="configurations">Provider configurations</h2>
        ${active
          ? html`<button type="button" onClick=${() => act(DEACTIVATE, {}, `Deactivated ${active.name}: the local rules serve unrouted calls.`)} disabled=${acting.busy}>Deactivate ${active.name}</button>`
          : html`<span class="muted">None is active: unrouted calls and analyses use the local rules.</span>`}
      </div>
      <${ErrorMessage} error=${error ?? acting.error ?? testing.error} />
      ${notice ? html`<${Notice} kind="success">${notice}<//>` : null}
      ${loading && !data ? html`<${Loading} />` : null}
      ${data && !configurations.length ? html`<p class="muted">No configurations yet.</p>` : null}
      ${configurations.length
        ? html`<table class="data" data-testid="configurations">
            <caption class="visually-hidden">Provider configurations</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Provider · model</th><th scope="col">Key</th><th scope="col">State</th><th scope="col">Test</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>${configurations.map((configuration) => {
              const result = results[configuration.id];
              return html`<tr>
                <th scope="row" id=${`configuration-${configuration.id}`}>${configuration.name}${configuration.description ? html`<div class="muted small">${configuration.description}</div>` : null}</th>
                <td>${configuration.provider} · <code>${configuration.model}</code>${configuration.config.baseUrl ? html`<div class="muted small">${configuration.config.baseUrl}</div>` : null}</td>
                <td>${configuration.hasApiKey ? html`<code>${configuration.apiKeyHint}</code>` : html`<span class="muted">none</span>`}</td>
                <td>${configuration.isActive ? html`<span class="badge ok">active</span>` : html`<span class="muted">inactive</span>`}<div class="muted small">updated ${when(configuration.updatedAt)}</div></td>
                <td aria-live="polite">${result
                  ? result.pending
                    ? 'testing…'
                    : result.ok
                      ? html`<span class="badge ok">ok</span> ${count(result.latencyMs)} ms · ${result.model}`
                      : html`<span class="badge error">failed</span> ${result.error}`
                  : null}</td>
                <td class="row-actions">
                  <button type="button" aria-describedby=${`configuration-${configuration.id}`} onClick=${() => test(configuration.id)} disabled=${result?.pending}>Test</button>
                  ${configuration.isActive
                    ? null
                    : html`<button type="button" aria-describedby=${`configuration-${configuration.id}`} onClick=${() => act(ACTIVATE, { id: configuration.id }, `${configuration.name} is now active.`)} disabled=${acting.busy}>Activate</button>`}
                  <${ConfirmButton} label="Delete" describedBy=${`configuration-${configuration.id}`} disabled=${acting.busy} onConfirm=${() => act(DELETE, { id: configuration.id }, `Deleted ${configuration.name}.`)} />
                </td>
              </tr>`;
            })}</tbody>
          </table>`
        : null}
    </section>
    ${data ? html`<${NewConfiguration} drivers=${data.providers} onCreated=${(created) => { setNotice(`Added ${created.name}.`); reload(); }} />` : null}
  `;
}

function RateLimits() {
  const [form, setForm] = useState({ userId: '', requestsPerMinute: '', tokensPerMinute: '' });
  const [saved, setSaved] = useState(null);
  const set = (field) => (event) => setForm({ ...form, [field]: event.currentTarget.value });
  const [save, state] = useAction(async () => {
    const limit = (value) => (value === '' ? null : Number(value));
    const { setUserRateLimit } = await request(RATE_LIMIT, { userId: form.userId.trim(), requestsPerMinute: limit(form.requestsPerMinute), tokensPerMinute: limit(form.tokensPerMinute) });
    setSaved(setUserRateLimit);
  });
  const shown = (value) => (value === null ? 'no limit' : `${count(value)} per minute`);
  return html`<form class="card form-grid" onSubmit=${(event) => { event.preventDefault(); save(); }} aria-labelledby="rate-limits">
    <h2 id="rate-limits">A user's rate limits</h2>
    <p class="wide muted">Replaces the user's overrides; an empty field removes that override, so the gateway's default applies again.</p>
    <${Field} label="User id" required value=${form.userId} onInput=${set('userId')} hint="From a budget's user, a usage record, or the CLI." />
    <${Field} label="Requests per minute" type="number" min="1" step="1" value=${form.requestsPerMinute} onInput=${set('requestsPerMinute')} />
    <${Field} label="Tokens per minute" type="number" min="1" step="1" value=${form.tokensPerMinute} onInput=${set('tokensPerMinute')} />
    <div class="actions wide"><button type="submit" class="primary" disabled=${state.busy || !form.userId.trim()}>Save the limits</button></div>
    <div class="wide">
      <${ErrorMessage} error=${state.error} />
      ${saved ? html`<${Notice} kind="success">${saved.email}: requests ${shown(saved.rateLimit.requestsPerMinute)}, tokens ${shown(saved.rateLimit.tokensPerMinute)}.<//>` : null}
    </div>
  </form>`;
}

export function AdminPage({ viewer }) {
  if (viewer.role !== 'ADMIN') return html`<${PageHeader} title="Administration" /><p class="message error" role="alert">Only admins manage providers and rate limits.</p>`;
  return html`<section>
    <${PageHeader} title="Administration" />
    <${Configurations} />
    <${RateLimits} />
  </section>`;
}
