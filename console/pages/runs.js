// Live runs: create an incident and analyse it, follow the run as it happens (analysisProgress over
// SSE: progress, stages, the model's text as it streams), then read its recommendations. Past runs are
// listed from the incidents' recommendations.
import { useEffect, useRef, useState } from 'preact/hooks';
import { percent, when } from '../lib/format.js';
import { ApiError, request, subscribe } from '../lib/graphql.js';
import { html } from '../lib/html.js';
import { ErrorMessage, Field, Loading, PageHeader, SelectField, useAction, useId, useQuery } from '../lib/ui.js';

const PROVIDERS = 'query ConsoleRunProviders { providers { id name available } activeIntelligenceProvider { name provider model } }';
const INCIDENTS = `query ConsoleIncidents { incidents(first: 25) { edges { node {
  id title severity status service createdAt
  recommendations { id runId createdAt provider model isFallback }
} } } }`;
const CREATE = 'mutation ConsoleCreateIncident($input: CreateIncidentInput!) { createIncident(input: $input) { id } }';
const ANALYZE = 'mutation ConsoleAnalyze($incidentId: ID!, $provider: ProviderKind) { analyzeIncident(incidentId: $incidentId, provider: $provider) { id status } }';
const RUN = `query ConsoleRun($id: ID!) { analysisRun(id: $id) {
  id kind status progress stage provider model error createdAt startedAt finishedAt
  incident { id title severity description service }
} }`;
const PROGRESS = `subscription ConsoleRunProgress($runId: ID!, $afterSeq: Int) {
  analysisProgress(runId: $runId, afterSeq: $afterSeq) { seq stage message progress status delta at }
}`;
const RECOMMENDATIONS = `query ConsoleRecommendations($id: ID!) { incident(id: $id) { recommendations {
  id runId type title description priority confidence actions provider model isFallback
} } }`;
const CANCEL = 'mutation ConsoleCancelRun($id: ID!) { cancelAnalysisRun(id: $id) { id status } }';

const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

function NewAnalysis({ navigate }) {
  const providers = useQuery(PROVIDERS, {});
  const [form, setForm] = useState({ title: '', description: '', severity: 'MEDIUM', service: '', provider: '' });
  const set = (field) => (event) => setForm({ ...form, [field]: event.currentTarget.value });
  const [start, state] = useAction(async () => {
    const input = { title: form.title.trim(), description: form.description, severity: form.severity, ...(form.service.trim() ? { service: form.service.trim() } : {}) };
    const { createIncident } = await request(CREATE, { input });
    const { analyzeIncident } = await request(ANALYZE, { incidentId: createIncident.id, provider: form.provider || null });
    navigate(`runs/${analyzeIncident.id}`);
  });
  const active = providers.data?.activeIntelligenceProvider;
  const routed = active ? `Routed: ${active.name}` : 'Routed: the local rules';
  const routedHint = active
    ? `Left routed, the run uses the active configuration (${active.provider} ${active.model}).`
    : 'Left routed, the run uses the local rules: no configuration is active.';
  const options = [['', routed], ...(providers.data?.providers ?? []).map((p) => [p.id, `${p.name}${p.available ? '' : ' (no key)'}`])];
  const textareaId = useId('description');
  return html`<form class="card form-grid" onSubmit=${(event) => { event.preventDefault(); start(); }} aria-labelledby="new-analysis">
    <h2 id="new-analysis">Analyse an incident</h2>
    <${Field} label="Title" name="title" required maxlength="300" value=${form.title} onInput=${set('title')} placeholder="Disk full on db-1" />
    <div class="field wide">
      <label for=${textareaId}>Description</label>
      <textarea id=${textareaId} name="description" rows="4" value=${form.description} onInput=${set('description')} placeholder="What happened, what the alerts say"></textarea>
    </div>
    <${SelectField} label="Severity" name="severity" value=${form.severity} onChange=${set('severity')} options=${SEVERITIES} />
    <${Field} label="Service (optional)" name="service" value=${form.service} onInput=${set('service')} />
    <${SelectField} label="Provider (optional)" name="provider" value=${form.provider} onChange=${set('provider')} options=${options} hint=${routedHint} />
    <div class="actions wide">
      <button type="submit" class="primary" disabled=${state.busy || !form.title.trim()}>${state.busy ? 'Starting…' : 'Create and analyse'}</button>
    </div>
    <div class="wide"><${ErrorMessage} error=${state.error ?? providers.error} /></div>
  </form>`;
}

function PastRuns({ navigate }) {
  const { data, error, loading, reload } = useQuery(INCIDENTS, {});
  const [analyze, state] = useAction(async (incidentId) => {
    const { analyzeIncident } = await request(ANALYZE, { incidentId, provider: null });
    navigate(`runs/${analyzeIncident.id}`);
  });
  const incidents = data?.incidents.edges.map((edge) => edge.node) ?? [];
  return html`<section class="card" aria-labelledby="past-runs">
    <div class="card-header"><h2 id="past-runs">Incidents and past runs</h2><button type="button" onClick=${reload}>Refresh</button></div>
    <${ErrorMessage} error=${error ?? state.error} />
    ${loading && !data ? html`<${Loading} />` : null}
    ${data && !incidents.length ? html`<p class="muted">No incidents yet.</p>` : null}
    ${incidents.length
      ? html`<table class="data" data-testid="past-runs">
          <caption class="visually-hidden">Incidents, newest first, with their analysis runs</caption>
          <thead><tr><th scope="col">Incident</th><th scope="col">Severity</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Runs</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${incidents.map((incident) => {
              const runs = [];
              for (const recommendation of incident.recommendations) {
                if (recommendation.runId && !runs.some((run) => run.id === recommendation.runId)) runs.push({ ...recommendation, id: recommendation.runId });
              }
              return html`<tr>
                <th scope="row">${incident.title}${incident.service ? html` <span class="muted">(${incident.service})</span>` : null}</th>
                <td><span class=${`badge severity-${incident.severity.toLowerCase()}`}>${incident.severity}</span></td>
                <td>${incident.status}</td>
                <td>${when(incident.createdAt)}</td>
                <td>${runs.length
                  ? html`<ul class="plain">${runs.map((run) => html`<li><a href=${`#/runs/${encodeURIComponent(run.id)}`}>${when(run.createdAt)} · ${run.provider}${run.isFallback ? ' (fallback)' : ''}</a></li>`)}</ul>`
                  : html`<span class="muted">none</span>`}</td>
                <td><button type="button" onClick=${() => analyze(incident.id)} disabled=${state.busy} aria-label=${`Analyse “${incident.title}” again`}>Analyse</button></td>
              </tr>`;
            })}
          </tbody>
        </table>`
      : null}
  </section>`;
}

function Recommendations({ items }) {
  if (!items.length) return html`<p class="muted">This run left no recommendations.</p>`;
  return html`<ol class="recommendations" data-testid="recommendations">
    ${items.map(
      (item) => html`<li class="recommendation">
        <h3>${item.title}</h3>
        <p class="meta">
          <span class="badge">${item.type}</span>
          <span class=${`badge severity-${item.priority.toLowerCase()}`}>priority ${item.priority}</span>
          <span>confidence ${percent(item.confidence)}</span>
          <span>${item.provider} · ${item.model}</span>
          ${item.isFallback ? html`<span class="badge warn">local fallback</span>` : null}
        </p>
        <p>${item.description}</p>
        ${item.actions.length ? html`<ol class="steps">${item.actions.map((action) => html`<li>${action}</li>`)}</ol>` : null}
      </li>`,
    )}
  </ol>`;
}

/** The events as steps: a run of model-text events becomes one step (the text itself shows beside). */
function stepsOf(events) {
  const steps = [];
  for (const event of events) {
    const previous = steps.at(-1);
    if (event.delta !== null && previous?.pieces && previous.first.stage === event.stage) {
      previous.last = event;
      previous.pieces++;
    } else steps.push({ first: event, last: event, pieces: event.delta !== null ? 1 : 0 });
  }
  return steps;
}

/** Follows one run: replays its stored events, then live ones, resuming after the last seq if the stream breaks. */
function useRunProgress(runId) {
  const [state, setState] = useState({ events: [], text: '', progress: 0, status: null, stage: null, done: false, error: null, connected: false });
  useEffect(() => {
    const controller = new AbortController();
    let lastSeq = 0;
    setState({ events: [], text: '', progress: 0, status: null, stage: null, done: false, error: null, connected: false });
    (async () => {
      for (let attempt = 0; !controller.signal.aborted; attempt++) {
        try {
          setState((previous) => ({ ...previous, connected: true, error: null }));
          await subscribe(
            PROGRESS,
            { runId, afterSeq: lastSeq },
            ({ analysisProgress: event }) => {
              if (event.seq <= lastSeq) return;
              lastSeq = event.seq;
              attempt = 0;
              setState((previous) => ({
                ...previous,
                events: [...previous.events, event],
                text: previous.text + (event.delta ?? ''),
                progress: event.progress,
                status: event.status,
                stage: event.stage,
              }));
            },
            controller.signal,
          );
          setState((previous) => ({ ...previous, done: true, connected: false }));
          return;
        } catch (error) {
          if (controller.signal.aborted) return;
          const resumable = error instanceof ApiError && (error.code === 'STREAM_CLOSED' || error.code === 'NETWORK');
          if (!resumable || attempt >= 5) {
            setState((previous) => ({ ...previous, error, connected: false }));
            return;
          }
          setState((previous) => ({ ...previous, connected: false }));
          await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
        }
      }
    })();
    return () => controller.abort();
  }, [runId]);
  return state;
}

function RunView({ runId }) {
  const run = useQuery(RUN, { id: runId });
  const live = useRunProgress(runId);
  const [recommendations, setRecommendations] = useState(null);
  const [cancel, cancelling] = useAction(() => request(CANCEL, { id: runId }));
  const streamRef = useRef(null);
  const eventsRef = useRef(null);
  const info = run.data?.analysisRun;
  const status = live.status ?? info?.status;
  const finished = live.done || TERMINAL.has(status);

  useEffect(() => {
    if (live.done) run.reload();
  }, [live.done]);
  useEffect(() => {
    if (!finished || !info?.incident) return;
    request(RECOMMENDATIONS, { id: info.incident.id })
      .then((data) => setRecommendations(data.incident.recommendations.filter((item) => item.runId === runId)))
      .catch(() => setRecommendations([]));
  }, [finished, info?.incident?.id]);
  useEffect(() => {
    for (const element of [streamRef.current, eventsRef.current]) if (element) element.scrollTop = element.scrollHeight;
  }, [live.text, live.events.length]);

  if (run.error) return html`<${PageHeader} title="Run" /><${ErrorMessage} error=${run.error} /><p><a href="#/runs">Back to the runs</a></p>`;
  if (!info) return html`<${PageHeader} title="Run" /><${Loading} />`;
  const progress = live.events.length ? live.progress : info.progress;
  return html`<section>
    <${PageHeader} title=${info.incident ? `Analysis: ${info.incident.title}` : 'Run'}>
      <a href="#/runs">All runs</a>
    <//>
    <div class="card run">
      <dl class="facts">
        <div><dt>Status</dt><dd data-testid="run-status">${status}</dd></div>
        <div><dt>Stage</dt><dd>${live.stage ?? info.stage}</dd></div>
        <div><dt>Provider</dt><dd>${info.provider ?? 'routed'}${info.model ? ` · ${info.model}` : ''}</dd></div>
        <div><dt>Started</dt><dd>${when(info.startedAt ?? info.createdAt)}</dd></div>
        ${info.finishedAt ? html`<div><dt>Finished</dt><dd>${when(info.finishedAt)}</dd></div>` : null}
      </dl>
      <div class="progress-row">
        <label for="run-progress">Progress</label>
        <progress id="run-progress" max="1" value=${progress} data-testid="run-progress"></progress>
        <span data-testid="run-progress-text" aria-hidden="true">${percent(progress)}</span>
      </div>
      <p class="visually-hidden" role="status">${status} ${percent(progress)}</p>
      ${!finished ? html`<button type="button" class="danger" onClick=${cancel} disabled=${cancelling.busy}>Cancel the run</button>` : null}
      <${ErrorMessage} error=${live.error ?? cancelling.error} />
      ${info.error ? html`<p class="message error">${info.error}</p>` : null}
    </div>
    <div class="run-columns">
      <section class="card" aria-labelledby="run-events">
        <h2 id="run-events">Events</h2>
        <ol class="events" data-testid="run-events" ref=${eventsRef} tabindex="0" aria-label="Run events">
          ${stepsOf(live.events).map(
            (step) => html`<li>
              <span class="muted">#${step.first.seq}${step.last !== step.first ? `–${step.last.seq}` : ''} ${step.first.at.slice(11, 19)}</span>
              <strong>${step.first.stage}</strong> ${step.pieces ? `Model output (${step.pieces} pieces)` : step.first.message}
            </li>`,
          )}
        </ol>
        ${!live.events.length && !finished ? html`<p class="muted">Waiting for the first event…</p>` : null}
      </section>
      <section class="card" aria-labelledby="run-output">
        <h2 id="run-output">Model output</h2>
        ${live.text
          ? html`<pre class="stream" ref=${streamRef} tabindex="0" data-testid="run-stream">${live.text}</pre>`
          : html`<p class="muted">${finished ? 'No model text: the local rules answered.' : 'The text appears here as the model writes it.'}</p>`}
      </section>
    </div>
    <section class="card" aria-labelledby="run-recommendations">
      <h2 id="run-recommendations">Recommendations</h2>
      ${finished ? (recommendations ? html`<${Recommendations} items=${recommendations} />` : html`<${Loading} />`) : html`<p class="muted">They appear when the run ends.</p>`}
    </section>
  </section>`;
}

export function RunsPage({ path, navigate }) {
  if (path[0]) return html`<${RunView} key=${path[0]} runId=${path[0]} />`;
  return html`<section>
    <${PageHeader} title="Live runs" />
    <${NewAnalysis} navigate=${navigate} />
    <${PastRuns} navigate=${navigate} />
  </section>`;
}
