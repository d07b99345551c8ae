// The viewer's provider keys: add (it replaces the previous key for that provider), revoke. Only the
// hint (last four characters) is ever shown; the secret goes to the API once and is cleared from the form.
import { useState } from 'preact/hooks';
import { when } from '../lib/format.js';
import { request } from '../lib/graphql.js';
import { html } from '../lib/html.js';
import { ConfirmButton, ErrorMessage, Field, Loading, Notice, PageHeader, SelectField, useAction, useQuery } from '../lib/ui.js';

const KEYS = 'query ConsoleKeys { apiKeys { id provider label hint createdAt lastUsedAt revokedAt } }';
const ADD = 'mutation ConsoleAddKey($input: AddApiKeyInput!) { addApiKey(input: $input) { id provider hint } }';
const REVOKE = 'mutation ConsoleRevokeKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }';
const KINDS = ['OPENAI', 'CLAUDE', 'GEMINI', 'MISTRAL', 'GROK', 'COPILOT', 'OLLAMA', 'GITHUB'];

function AddKey({ onAdded }) {
  const [form, setForm] = useState({ provider: 'OPENAI', apiKey: '', label: '' });
  const [added, setAdded] = useState(null);
  const [add, state] = useAction(async () => {
    const { addApiKey } = await request(ADD, { input: { provider: form.provider, apiKey: form.apiKey, label: form.label.trim() || null } });
    setForm({ ...form, apiKey: '', label: '' });
    setAdded(addApiKey);
    onAdded();
  });
  return html`<form class="card form-grid" onSubmit=${(event) => { event.preventDefault(); add(); }} aria-labelledby="add-key">
    <h2 id="add-key">Add a key</h2>
    <${SelectField} label="Provider" value=${form.provider} onChange=${(event) => setForm({ ...form, provider: event.currentTarget.value })} options=${KINDS} />
    <${Field} label="API key" type="password" autocomplete="off" spellcheck="false" required value=${form.apiKey}
      hint="Stored encrypted; it replaces your previous key for this provider and is never shown again."
      onInput=${(event) => setForm({ ...form, apiKey: event.currentTarget.value })} />
    <${Field} label="Label (optional)" value=${form.label} onInput=${(event) => setForm({ ...form, label: event.currentTarget.value })} />
    <div class="actions wide"><button type="submit" class="primary" disabled=${state.busy || !form.apiKey}>Add the key</button></div>
    <div class="wide">
      <${ErrorMessage} error=${state.error} />
      ${added ? html`<${Notice} kind="success">Added your ${added.provider} key ${added.hint}.<//>` : null}
    </div>
  </form>`;
}

export function KeysPage() {
  const { data, error, loading, reload } = useQuery(KEYS, {});
  const [revoke, revoking] = useAction(async (id) => {
    await request(REVOKE, { id });
    reload();
  });
  const keys = data?.apiKeys ?? [];
  return html`<section>
    <${PageHeader} title="Provider keys" />
    <p class="lead">Your own keys for the providers. A call uses your key for its provider first, then the configuration's, then the gateway's environment.</p>
    <${AddKey} onAdded=${reload} />
    <section class="card" aria-labelledby="your-keys">
      <h2 id="your-keys">Your keys</h2>
      <${ErrorMessage} error=${error ?? revoking.error} />
      ${loading && !data ? html`<${Loading} />` : null}
      ${data && !keys.length ? html`<p class="muted">No keys yet.</p>` : null}
      ${keys.length
        ? html`<table class="data" data-testid="keys">
            <caption class="visually-hidden">Your provider keys, newest first</caption>
            <thead><tr><th scope="col">Provider</th><th scope="col">Label</th><th scope="col">Key</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>${keys.map(
              (key) => html`<tr class=${key.revokedAt ? 'revoked' : ''}>
                <th scope="row" id=${`key-${key.id}`}>${key.provider}</th>
                <td>${key.label ?? html`<span class="muted">—</span>`}</td>
                <td><code>${key.hint}</code></td>
                <td>${when(key.createdAt)}</td>
                <td>${when(key.lastUsedAt)}</td>
                <td>${key.revokedAt ? `revoked ${when(key.revokedAt)}` : 'active'}</td>
                <td>${key.revokedAt ? null : html`<${ConfirmButton} label="Revoke" describedBy=${`key-${key.id}`} disabled=${revoking.busy} onConfirm=${() => revoke(key.id)} />`}</td>
              </tr>`,
            )}</tbody>
          </table>`
        : null}
    </section>
  </section>`;
}
