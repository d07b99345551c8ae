// Budgets: what applies to the viewer (admins: every budget), set and delete them, and the budgetEvents
// subscription's warnings as they happen while the page is open.
import { useEffect, useState } from 'preact/hooks';
import { usd, when } from '../lib/format.js';
import { request, subscribe } from '../lib/graphql.js';
import { html } from '../lib/html.js';
import { ConfirmButton, ErrorMessage, Field, Loading, Notice, PageHeader, SelectField, useAction, useQuery } from '../lib/ui.js';

const BUDGETS = `query ConsoleBudgets { budgets {
  id scope period limit spent reserved remaining warnAt allowUnpriced periodStart updatedAt
  user { id email } project { id name }
} }`;
const OWN_PROJECTS = 'query ConsoleBudgetProjects { projects(first: 100) { edges { node { id name owner { id } } } } }';
const SET = 'mutation ConsoleSetBudget($input: SetBudgetInput!) { setBudget(input: $input) { id scope period limit } }';
const DELETE = 'mutation ConsoleDeleteBudget($id: ID!) { deleteBudget(id: $id) }';
const EVENTS = 'subscription ConsoleBudgetEvents { budgetEvents { kind spent limit at budget { id scope period project { name } user { email } } } }';
const DECIMAL = /^\d+(\.\d{1,8})?$/;

function target(budget) {
  if (budget.scope === 'GLOBAL') return 'everyone';
  if (budget.scope === 'USER') return budget.user?.email ?? 'a user';
  return budget.project?.name ?? 'a project';
}

function SetBudget({ viewer, onSaved }) {
  const admin = viewer.role === 'ADMIN';
  const projects = useQuery(OWN_PROJECTS, {});
  const owned = (projects.data?.projects.edges.map((edge) => edge.node) ?? []).filter((project) => admin || project.owner.id === viewer.id);
  const [form, setForm] = useState({ scope: admin ? 'GLOBAL' : 'PROJECT', userId: viewer.id, projectId: '', period: 'MONTH', limit: '', warnAt: '80', allowUnpriced: false });
  const set = (field) => (event) => setForm({ ...form, [field]: event.currentTarget.type === 'checkbox' ? event.currentTarget.checked : event.currentTarget.value });
  const projectId = form.projectId || owned[0]?.id || '';
  const [save, state] = useAction(async () => {
    const input = {
      scope: form.scope,
      period: form.period,
      limit: form.limit.trim(),
      warnAt: form.warnAt === '' ? null : Number(form.warnAt) / 100,
      allowUnpriced: form.allowUnpriced,
      ...(form.scope === 'USER' ? { userId: form.userId.trim() } : {}),
      ...(form.scope === 'PROJECT' ? { projectId } : {}),
    };
    const { setBudget } = await request(SET, { input });
    onSaved(setBudget);
  });
  const validLimit = DECIMAL.test(form.limit.trim());
  const scopes = admin ? ['GLOBAL', 'USER', 'PROJECT'] : ['PROJECT'];
  if (!admin && projects.data && !owned.length) return html`<p class="card muted">You may set budgets on your own projects; you have none yet.</p>`;
  return html`<form class="card form-grid" onSubmit=${(event) => { event.preventDefault(); save(); }} aria-labelledby="set-budget">
    <h2 id="set-budget">Set a budget</h2>
    <p class="wide muted">Creates the budget of that scope, target and period, or replaces its limit (spend so far is kept).</p>
    <${SelectField} label="Scope" value=${form.scope} onChange=${set('scope')} options=${scopes.map((scope) => [scope, { GLOBAL: 'Everyone (GLOBAL)', USER: 'One user (USER)', PROJECT: 'One project (PROJECT)' }[scope]])} />
    ${form.scope === 'USER' ? html`<${Field} label="User id" value=${form.userId} required onInput=${set('userId')} hint="Yours is filled in; another user's id comes from their budgets or usage records." />` : null}
    ${form.scope === 'PROJECT'
      ? html`<${SelectField} label="Project" value=${projectId} onChange=${set('projectId')} options=${owned.map((project) => [project.id, project.name])} />`
      : null}
    <${SelectField} label="Period (UTC)" value=${form.period} onChange=${set('period')} options=${[['DAY', 'Per day'], ['MONTH', 'Per month'], ['TOTAL', 'In total']]} />
    <${Field} label="Limit (USD)" inputmode="decimal" required value=${form.limit} onInput=${set('limit')} placeholder="25.00" hint="An exact amount, up to 8 decimals." aria-invalid=${form.limit && !validLimit ? 'true' : 'false'} />
    <${Field} label="Warn at (% of the limit)" type="number" min="1" max="100" step="1" value=${form.warnAt} onInput=${set('warnAt')} hint="Empty: no warning." />
    <div class="field checkbox wide"><label><input type="checkbox" checked=${form.allowUnpriced} onChange=${set('allowUnpriced')} /> Let calls of unknown cost pass (counted at 0)</label></div>
    <div class="actions wide"><button type="submit" class="primary" disabled=${state.busy || !validLimit || (form.scope === 'PROJECT' && !projectId)}>Save the budget</button></div>
    <div class="wide"><${ErrorMessage} error=${state.error ?? projects.error} /></div>
  </form>`;
}

function LiveEvents() {
  const [events, setEvents] = useState([]);
  const [error, setError] = useState(null);
  useEffect(() => {
    const controller = new AbortController();
    subscribe(EVENTS, {}, ({ budgetEvents }) => setEvents((previous) => [budgetEvents, ...previous].slice(0, 20)), controller.signal).catch((problem) => {
      if (!controller.signal.aborted) setError(problem);
    });
    return () => controller.abort();
  }, []);
  return html`<section class="card" aria-labelledby="budget-events">
    <h2 id="budget-events">Live warnings</h2>
    <div aria-live="polite">
      ${events.length
        ? html`<ul class="plain">${events.map(
            (event) => html`<li class=${event.kind === 'EXCEEDED' ? 'message error' : 'message warn'}>
              <strong>${event.kind}</strong> ${event.budget.scope} ${event.budget.period} budget (${event.budget.project?.name ?? event.budget.user?.email ?? 'everyone'}): ${usd(event.spent)} of ${usd(event.limit)} · ${when(event.at)}
            </li>`,
          )}</ul>`
        : html`<p class="muted">Warnings and refusals appear here as they happen, while this page is open.</p>`}
    </div>
    <${ErrorMessage} error=${error} />
  </section>`;
}

export function BudgetsPage({ viewer }) {
  const { data, error, loading, reload } = useQuery(BUDGETS, {});
  const [saved, setSaved] = useState(null);
  const [remove, removing] = useAction(async (id) => {
    await request(DELETE, { id });
    reload();
  });
  const budgets = data?.budgets ?? [];
  return html`<section>
    <${PageHeader} title="Budgets" />
    <p class="lead">Limits in USD. A call reserves its largest possible cost under every budget that applies before it goes out, so spend never passes a limit.</p>
    <section class="card" aria-labelledby="budget-list">
      <h2 id="budget-list">${viewer.role === 'ADMIN' ? 'All budgets' : 'Budgets that apply to you'}</h2>
      <${ErrorMessage} error=${error ?? removing.error} />
      ${saved ? html`<${Notice} kind="success">Saved the ${saved.scope} ${saved.period} budget of ${usd(saved.limit)}.<//>` : null}
      ${loading && !data ? html`<${Loading} />` : null}
      ${data && !budgets.length ? html`<p class="muted">No budgets: calls are limited only by rate limits.</p>` : null}
      ${budgets.length
        ? html`<table class="data" data-testid="budgets">
            <caption class="visually-hidden">Budgets</caption>
            <thead><tr><th scope="col">Scope</th><th scope="col">Applies to</th><th scope="col">Period</th><th scope="col" class="num">Limit</th><th scope="col" class="num">Spent</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Remaining</th><th scope="col">Used</th><th scope="col">Warn at</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>${budgets.map(
              (budget) => html`<tr>
                <th scope="row" id=${`budget-${budget.id}`}>${budget.scope}</th>
                <td>${target(budget)}</td>
                <td>${budget.period}${budget.periodStart ? html`<div class="muted small">since ${budget.periodStart.slice(0, 10)}</div>` : null}</td>
                <td class="num">${usd(budget.limit)}</td>
                <td class="num">${usd(budget.spent)}</td>
                <td class="num">${usd(budget.reserved)}</td>
                <td class="num">${usd(budget.remaining)}</td>
                <td><meter min="0" max=${Number(budget.limit) || 1} value=${Number(budget.spent) + Number(budget.reserved)} high=${(budget.warnAt ?? 0.8) * (Number(budget.limit) || 1)} optimum="0" aria-label=${`Used of the ${budget.scope} budget`}></meter></td>
                <td>${budget.warnAt === null ? '—' : `${Math.round(budget.warnAt * 100)}%`}</td>
                <td>${viewer.role === 'ADMIN' || budget.scope === 'PROJECT'
                  ? html`<${ConfirmButton} label="Delete" describedBy=${`budget-${budget.id}`} disabled=${removing.busy} onConfirm=${() => remove(budget.id)} />`
                  : null}</td>
              </tr>`,
            )}</tbody>
          </table>`
        : null}
    </section>
    <${SetBudget} viewer=${viewer} onSaved=${(budget) => { setSaved(budget); reload(); }} />
    <${LiveEvents} />
  </section>`;
}
