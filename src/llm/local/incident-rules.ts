import { INCIDENT_RULES, type IncidentRule, type MetricRule, PRIORITY_RANK } from './incident-rules.table.ts';
import type { IncidentInput, Priority, RecommendationDraft } from './incident.types.ts';

// The local provider: deterministic rules over an incident's text and alert data (no network, no model).

interface Signals {
  text: string;
  metrics: { name: string; value: number }[];
}

const MAX_DEPTH = 8;
const MAX_NODES = 2000;
const MAX_STRING = 500;
const MAX_RECOMMENDATIONS = 5;

/** Walks arbitrary alert JSON, bounded, collecting its text and its named numbers. */
function collectSignals(alerts: unknown): Signals {
  const texts: string[] = [];
  const metrics: Signals['metrics'] = [];
  let nodes = 0;
  const visit = (value: unknown, name: string | null, depth: number) => {
    if (nodes++ > MAX_NODES || depth > MAX_DEPTH || value === null || value === undefined) return;
    if (typeof value === 'string') {
      const number = numeric(value);
      if (name && number !== null) metrics.push({ name, value: number });
      else texts.push(value.slice(0, MAX_STRING));
      return;
    }
    if (typeof value === 'number') {
      if (name && Number.isFinite(value)) metrics.push({ name, value });
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) visit(item, name, depth + 1);
      return;
    }
    if (typeof value === 'object') {
      const record = value as Record<string, unknown>;
      // {name: "memory_percent", value: 96}: a metric spelled as a pair.
      const label = [record.metric, record.name, record.__name__].find((candidate) => typeof candidate === 'string') as string | undefined;
      const pairValue = typeof record.value === 'number' ? record.value : typeof record.value === 'string' ? numeric(record.value) : null;
      if (label && pairValue !== null) metrics.push({ name: label.toLowerCase(), value: pairValue });
      for (const [key, child] of Object.entries(record)) {
        if (key === 'value' && label && pairValue !== null) continue;
        visit(child, key.toLowerCase(), depth + 1);
      }
    }
  };
  visit(alerts, null, 0);
  return { text: texts.join('\n'), metrics };
}

function numeric(text: string): number | null {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  return match ? Number(match[1]) : null;
}

/** A metric's value in the rule's unit: ratios (0..1] read as percents, seconds as milliseconds. */
function normalise(metric: { name: string; value: number }, rule: MetricRule): number {
  if (rule.unit === 'percent') return metric.value > 0 && metric.value <= 1 && !/count|total/.test(metric.name) ? metric.value * 100 : metric.value;
  return /(_s|_seconds|_sec)$/.test(metric.name) ? metric.value * 1000 : metric.value;
}

function metricPriority(rule: IncidentRule, metrics: Signals['metrics']): Priority | null {
  let best: Priority | null = null;
  for (const metricRule of rule.metrics) {
    for (const metric of metrics) {
      if (!metricRule.name.test(metric.name)) continue;
      const value = normalise(metric, metricRule);
      const priority: Priority | null = value >= metricRule.critical ? 'CRITICAL' : value >= metricRule.high ? 'HIGH' : null;
      if (priority && (best === null || PRIORITY_RANK[priority] < PRIORITY_RANK[best])) best = priority;
    }
  }
  return best;
}

export function analyzeIncidentLocally(incident: IncidentInput): RecommendationDraft[] {
  const signals = collectSignals(incident.alerts);
  const text = [incident.title, incident.description, incident.service ?? '', signals.text].join('\n');
  const service = incident.service?.trim() || 'the affected service';
  const found: RecommendationDraft[] = [];
  for (const rule of INCIDENT_RULES) {
    const textHits = new Set((text.match(new RegExp(rule.keywords.source, 'gi')) ?? []).map((hit) => hit.toLowerCase())).size;
    const fromMetrics = metricPriority(rule, signals.metrics);
    if (textHits === 0 && fromMetrics === null) continue;
    const confidence = fromMetrics !== null && textHits > 0 ? 0.9 : fromMetrics !== null ? 0.75 : textHits > 1 ? 0.65 : 0.5;
    const priority = fromMetrics ?? incident.severity;
    found.push({
      type: rule.type,
      title: incident.service ? `${rule.title} on ${incident.service}` : rule.title,
      description: rule.description,
      priority,
      confidence,
      actions: rule.actions(service),
    });
  }
  if (found.length === 0) return [generalTriage(incident, service)];
  return found
    .sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || b.confidence - a.confidence)
    .slice(0, MAX_RECOMMENDATIONS);
}

function generalTriage(incident: IncidentInput, service: string): RecommendationDraft {
  return {
    type: 'GENERAL',
    title: 'Triage the incident',
    description: 'No known pattern matched this incident; these are the first steps of a general triage.',
    priority: incident.severity,
    confidence: 0.3,
    actions: [
      `Confirm the impact: which users and endpoints of ${service} are affected, since when.`,
      'Check what changed just before it started: deploys, configuration, traffic, dependencies.',
      `Read ${service}'s recent errors and its dashboards (latency, errors, saturation).`,
      'Name an incident lead and a channel, and post updates at a fixed interval.',
    ],
  };
}
