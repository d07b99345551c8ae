// Usage: totals, cost and tokens by day (stacked by provider or by model), and breakdowns by provider,
// model and project, over a UTC date range. Every number shown is one the API summed.
import { useEffect, useState } from 'preact/hooks';
import { StackedDailyChart } from '../lib/chart.js';
import { addDays, compareDecimal, count, usd, utcDay } from '../lib/format.js';
import { request } from '../lib/graphql.js';
import { html } from '../lib/html.js';
import { ErrorMessage, Field, Loading, PageHeader, useQuery } from '../lib/ui.js';

const BUCKET = 'key calls tokens cost';
const SUMMARY = `query ConsoleUsage($filter: UsageFilter) {
  usage(filter: $filter) {
    calls inputTokens outputTokens totalTokens totalCost unknownCostCalls
    byProvider { ${BUCKET} } byModel { ${BUCKET} } byDay { ${BUCKET} }
  }
}`;
const PROJECTS = 'query ConsoleUsageProjects { projects(first: 100) { edges { node { id name } } } }';
// The gateway allows 30 aliases per document: larger sets are asked in several documents.
const ALIASES_PER_QUERY = 25;

/** One document asking `selection` of usage under each filter, as aliases u0, u1, ... */
async function usageByFilters(filters, selection) {
  const chunks = [];
  for (let start = 0; start < filters.length; start += ALIASES_PER_QUERY) chunks.push(filters.slice(start, start + ALIASES_PER_QUERY));
  const answers = await Promise.all(
    chunks.map((chunk) => {
      const variables = Object.fromEntries(chunk.map((filter, index) => [`f${index}`, filter]));
      const definitions = chunk.map((_, index) => `$f${index}: UsageFilter`).join(', ');
      const fields = chunk.map((_, index) => `u${index}: usage(filter: $f${index}) { ${selection} }`).join('\n');
      return request(`query ConsoleUsageParts(${definitions}) {\n${fields}\n}`, variables).then((data) => chunk.map((_, index) => data[`u${index}`]));
    }),
  );
  return answers.flat();
}

const byCostDescending = (a, b) => compareDecimal(b.cost, a.cost) || a.key.localeCompare(b.key);

function defaultRange() {
  const today = utcDay(new Date());
  return { from: addDays(today, -29), to: today };
}

function daysOf(from, to) {
  const days = [];
  for (let day = from; day <= to && days.length < 1000; day = addDays(day, 1)) days.push(day);
  return days;
}

function Totals({ usage }) {
  const items = [
    ['Cost (USD)', usd(usage.totalCost), 'total-cost', usage.totalCost],
    ['Calls', count(usage.calls), 'total-calls', usage.calls],
    ['Total tokens', count(usage.totalTokens), 'total-tokens', usage.totalTokens],
    ['Input tokens', count(usage.inputTokens), 'input-tokens', usage.inputTokens],
    ['Output tokens', count(usage.outputTokens), 'output-tokens', usage.outputTokens],
    ['Calls of unknown cost', count(usage.unknownCostCalls), 'unknown-cost-calls', usage.unknownCostCalls],
  ];
  return html`<dl class="totals">
    ${items.map(([label, text, id, value]) => html`<div class="total"><dt>${label}</dt><dd data-testid=${id} data-value=${String(value)}>${text}</dd></div>`)}
  </dl>`;
}

function BucketTable({ caption, keyLabel, buckets, label = (key) => key, testId }) {
  if (!buckets.length) return null;
  return html`<table class="data" data-testid=${testId}>
    <caption>${caption}</caption>
    <thead><tr><th scope="col">${keyLabel}</th><th scope="col" class="num">Calls</th><th scope="col" class="num">Tokens</th><th scope="col" class="num">Cost (USD)</th></tr></thead>
    <tbody>
      ${buckets.map(
        (bucket) => html`<tr>
          <th scope="row">${label(bucket.key)}</th>
          <td class="num">${count(bucket.calls)}</td>
          <td class="num">${count(bucket.tokens)}</td>
          <td class="num" data-value=${bucket.cost}>${usd(bucket.cost)}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function Charts({ filter, usage, dimension, days }) {
  const [state, setState] = useState({ series: null, error: null });
  const keys = (dimension === 'provider' ? usage.byProvider : usage.byModel).slice().sort(byCostDescending).map((bucket) => bucket.key);
  const signature = JSON.stringify([filter, dimension, keys]);
  useEffect(() => {
    let live = true;
    setState({ series: null, error: null });
    const filters = keys.map((key) => ({ ...filter, [dimension]: key }));
    usageByFilters(filters, `byDay { ${BUCKET} }`)
      .then((parts) => {
        if (!live) return;
        setState({
          error: null,
          series: keys.map((key, index) => ({ key, byDay: new Map(parts[index].byDay.map((bucket) => [bucket.key, bucket])) })),
        });
      })
      .catch((error) => live && setState({ series: null, error }));
    return () => {
      live = false;
    };
  }, [signature]);
  if (state.error) return html`<${ErrorMessage} error=${state.error} />`;
  if (!state.series) return html`<${Loading} what="Drawing the charts" />`;
  const totals = new Map((dimension === 'provider' ? usage.byProvider : usage.byModel).map((bucket) => [bucket.key, bucket]));
  const seriesOf = (unit) =>
    state.series.map(({ key, byDay }) => ({
      label: key,
      total: unit === 'cost' ? totals.get(key)?.cost : count(totals.get(key)?.tokens),
      values: days.map((day) => (byDay.has(day) ? Number(unit === 'cost' ? byDay.get(day).cost : byDay.get(day).tokens) : 0)),
      exact: days.map((day) => (byDay.has(day) ? (unit === 'cost' ? byDay.get(day).cost : count(byDay.get(day).tokens)) : null)),
    }));
  const by = dimension === 'provider' ? 'provider' : 'model';
  return html`<div class="charts">
    <figure data-testid="cost-chart">
      <${StackedDailyChart} title=${`Cost by day (USD), by ${by}`} days=${days} series=${seriesOf('cost')} unit="cost" />
      <figcaption>The legend shows each ${by}'s exact total; hover a day for that day's. “Numbers by day” below lists the same in a table.</figcaption>
    </figure>
    <figure data-testid="tokens-chart">
      <${StackedDailyChart} title=${`Tokens by day, by ${by}`} days=${days} series=${seriesOf('tokens')} unit="tokens" />
    </figure>
  </div>`;
}

function ProjectBreakdown({ filter }) {
  const [state, setState] = useState({ rows: null, error: null });
  const signature = JSON.stringify(filter);
  useEffect(() => {
    let live = true;
    setState({ rows: null, error: null });
    (async () => {
      const projects = (await request(PROJECTS)).projects.edges.map((edge) => edge.node);
      const usage = await usageByFilters(
        projects.map((project) => ({ ...filter, projectId: project.id })),
        'calls totalTokens totalCost',
      );
      return projects
        .map((project, index) => ({ key: project.id, name: project.name, calls: usage[index].calls, tokens: usage[index].totalTokens, cost: usage[index].totalCost }))
        .filter((row) => row.calls > 0)
        .sort(byCostDescending);
    })()
      .then((rows) => live && setState({ rows, error: null }))
      .catch((error) => live && setState({ rows: null, error }));
    return () => {
      live = false;
    };
  }, [signature]);
  if (state.error) return html`<${ErrorMessage} error=${state.error} />`;
  if (!state.rows) return html`<${Loading} what="Adding up projects" />`;
  if (!state.rows.length) return html`<p class="muted">No project's calls in this range.</p>`;
  const names = new Map(state.rows.map((row) => [row.key, row.name]));
  return html`<${BucketTable} caption="By project" keyLabel="Project" buckets=${state.rows} label=${(key) => names.get(key)} testId="by-project" />`;
}

export function UsagePage({ params, navigate }) {
  const fallback = defaultRange();
  const from = /^\d{4}-\d{2}-\d{2}$/.test(params.from ?? '') ? params.from : fallback.from;
  const to = /^\d{4}-\d{2}-\d{2}$/.test(params.to ?? '') ? params.to : fallback.to;
  const dimension = params.by === 'model' ? 'model' : 'provider';
  const filter = { from: `${from}T00:00:00Z`, to: `${addDays(to, 1)}T00:00:00Z` };
  const { data, error, loading } = useQuery(SUMMARY, { filter });
  const [draft, setDraft] = useState({ from, to });
  useEffect(() => setDraft({ from, to }), [from, to]);
  const go = (next) => navigate('usage', { from, to, by: dimension, ...next });

  const apply = (event) => {
    event.preventDefault();
    if (draft.from && draft.to && draft.from <= draft.to) go({ from: draft.from, to: draft.to });
  };
  const preset = (days) => go({ from: addDays(fallback.to, 1 - days), to: fallback.to });
  const usage = data?.usage;
  const days = daysOf(from, to);
  const invalid = draft.from && draft.to && draft.from > draft.to;

  return html`<section>
    <${PageHeader} title="Usage" />
    <form class="toolbar" onSubmit=${apply} aria-label="Date range">
      <${Field} label="From (UTC day)" type="date" name="from" value=${draft.from} max=${draft.to} required onInput=${(event) => setDraft({ ...draft, from: event.currentTarget.value })} />
      <${Field} label="To (UTC day, included)" type="date" name="to" value=${draft.to} min=${draft.from} required onInput=${(event) => setDraft({ ...draft, to: event.currentTarget.value })} />
      <button type="submit" class="primary" disabled=${invalid}>Show</button>
      <div class="presets" role="group" aria-label="Quick ranges">
        ${[7, 30, 90].map((days) => html`<button type="button" onClick=${() => preset(days)}>Last ${days} days</button>`)}
      </div>
      <fieldset class="switch">
        <legend>Stack the charts by</legend>
        ${['provider', 'model'].map(
          (value) => html`<label><input type="radio" name="by" value=${value} checked=${dimension === value} onChange=${() => go({ by: value })} /> ${value}</label>`,
        )}
      </fieldset>
    </form>
    ${invalid ? html`<p class="message error" role="alert">“From” must not be after “To”.</p>` : null}
    <${ErrorMessage} error=${error} />
    ${loading && !usage ? html`<${Loading} what="Reading usage" />` : null}
    ${usage
      ? html`<div aria-busy=${loading ? 'true' : 'false'}>
          <${Totals} usage=${usage} />
          ${usage.calls === 0
            ? html`<p class="muted">No calls between ${from} and ${to}. Calls through callLlm, llmStream, the OpenAI-compatible /v1 endpoint and analyses show up here.</p>`
            : html`
                <${Charts} filter=${filter} usage=${usage} dimension=${dimension} days=${days} />
                <div class="breakdowns">
                  <div class="panel"><${BucketTable} caption="By provider" keyLabel="Provider" buckets=${usage.byProvider.slice().sort(byCostDescending)} testId="by-provider" /></div>
                  <div class="panel"><${BucketTable} caption="By model" keyLabel="Model" buckets=${usage.byModel.slice().sort(byCostDescending)} testId="by-model" /></div>
                  <div class="panel"><${ProjectBreakdown} filter=${filter} /></div>
                </div>
                <details class="by-day">
                  <summary>Numbers by day</summary>
                  <${BucketTable} caption="By UTC day" keyLabel="Day" buckets=${usage.byDay} testId="by-day" />
                </details>
              `}
        </div>`
      : null}
  </section>`;
}
