import { GENERAL_TRIAGE, INCIDENT_RULES, type IncidentRule, type MetricRule, type ServiceRef } from './incident-rules.table.ts';
import { PRIORITIES, PRIORITY_RANK, type IncidentInput, type Priority, type RecommendationDraft } from './incident.types.ts';

// The local provider: deterministic rules over an incident's text and alert data (no network, no model,
// no clock). The knowledge lives in the table; this file reads the incident and applies it.

// Alerts are untrusted JSON of up to 1 MB: the walk is bounded in depth, nodes and collected text.
const MAX_DEPTH = 8;
const MAX_NODES = 2_000;
const MAX_CHILDREN = 200;
const MAX_READINGS = 500;
const MAX_STRING_CHARS = 500;
const MAX_ALERT_TEXT_CHARS = 20_000;
const MAX_DESCRIPTION_CHARS = 50_000;
const MAX_RECOMMENDATIONS = 5;

type Unit = '%' | 'ms' | 's' | 'us' | 'd';
type Level = 'CRITICAL' | 'HIGH' | 'OK';

interface Reading {
  /** Normalised: lower snake_case, at most the two innermost keys (`memory_percent`, `disk_var`). */
  name: string;
  value: number;
  /** The unit written in the value ("93%", "2.5s"), if any. */
  unit: Unit | null;
}

interface Measured {
  name: string;
  value: number;
  rule: MetricRule;
  level: Level;
}

interface CompiledRule {
  rule: IncidentRule;
  strong: RegExp[];
  weak: RegExp[];
}

// A space in a keyword stands for an optional separator, so "roll out" also reads rollout and roll-out.
const keywordPattern = (source: string) => new RegExp(`\\b(?:${source.replaceAll(' ', '[\\s_-]*')})\\b`, 'i');

const COMPILED: readonly CompiledRule[] = INCIDENT_RULES.map((rule) => ({
  rule,
  strong: rule.strong.map(keywordPattern),
  weak: rule.weak.map(keywordPattern),
}));

// Keys whose string values name things rather than describe them: a pod called "disk-cleaner" or a
// runbook URL ending in /memory says nothing about the incident.
const IDENTIFIER_KEYS = new Set([
  'id', 'uid', 'uuid', 'fingerprint', 'instance', 'host', 'hostname', 'ip', 'address', 'pod', 'pod_name', 'namespace',
  'job', 'container', 'node', 'cluster', 'region', 'zone', 'availability_zone', 'url', 'uri', 'link', 'href',
  'generator_url', 'runbook', 'runbook_url', 'dashboard', 'dashboard_url', 'panel_url', 'silence_url', 'external_url',
  'image', 'receiver', 'group_key', 'starts_at', 'ends_at', 'timestamp', 'time', 'date', 'created_at', 'updated_at',
  'version', 'account', 'account_id', 'env', 'environment', 'team', 'owner',
]);
// {"metric": "memory_percent", "value": 96}: a metric spelled as a pair (Prometheus puts the name in metric.__name__).
const WRAPPER_KEYS = new Set(['labels', 'annotations', 'metrics', 'values', 'data', 'result', 'results', 'series', 'tags', 'fields', 'stats', 'details']);
const LABEL_KEYS = new Set(['metric', 'metric_name', 'name', 'key']);
const VALUE_KEYS = new Set(['value', 'current', 'current_value', 'last', 'latest', 'observed', 'reading', 'val']);

// Names that carry a number in the right family but not the measurement itself.
const THRESHOLD_WORDS = /(^|_)(threshold|thresholds|target|slo|objective|warn|warning|crit|critical|limit|limits|alert_at|trigger)(_|$)/;
const NOT_A_PERCENT = /(^|_)(bytes?|[kmgt]i?b|count|total|capacity|size|cores?|seconds?|secs?|ms|sum|bucket)(_|$)/;
const NOT_A_DURATION = /(^|_)(count|total|sum|bucket|bytes?|percent|pct|ratio)(_|$)/;
const NOT_A_COUNT = /(^|_)(percent|pct|ratio|rate|bytes?|seconds?|secs?|ms)(_|$)/;
const PERCENT_NAME = /(^|_)(percent|pct|percentage)(_|$)/;
const RATIO_NAME = /(^|_)(ratio|fraction)(_|$)/;
// disk_free_percent 3 means 97 percent used; success_rate 0.9 means 10 percent errors.
const INVERTED_NAME = /(^|_)(free|avail|available|usable|idle|remaining|left|success|successful|succeeded)(_|$)/;
const NAME_UNITS: readonly [RegExp, Unit][] = [
  [/(^|_)(ms|millis|milliseconds?)(_|$)/, 'ms'],
  [/(^|_)(us|micros|microseconds?)(_|$)/, 'us'],
  [/(^|_)(s|sec|secs|seconds?)(_|$)/, 's'],
];
const MS_PER_UNIT: Record<'ms' | 's' | 'us', number> = { ms: 1, s: 1000, us: 0.001 };

/** Splits camelCase and snake_case into words, so alert names read as text: KubePodOOMKilled -> Kube Pod OOM Killed. */
function words(text: string): string {
  return text
    .replace(/([a-z])(?=[A-Z])/g, '$1 ')
    .replace(/([A-Z0-9])(?=[A-Z][a-z])/g, '$1 ')
    .replaceAll('_', ' ');
}

/** memoryPercent, memory.percent, MEMORY_PERCENT -> memory_percent. */
function metricName(raw: string): string {
  return words(raw.slice(0, 200))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 80);
}

/** A number as monitoring writes it: 96, "96", "93%", "0.85", "2.5s", "1200 ms", "5 days". */
function parseReading(value: unknown): { value: number; unit: Unit | null } | null {
  if (typeof value === 'number') return Number.isFinite(value) ? { value, unit: null } : null;
  if (typeof value !== 'string' || value.length > 40) return null;
  const match = /^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)\s*(%|ms|s|secs?|seconds?|us|µs|d|days?)?\s*$/i.exec(value);
  if (!match) return null;
  const number = Number(match[1]);
  if (!Number.isFinite(number)) return null;
  const written = match[2]?.toLowerCase();
  const unit: Unit | null =
    written === undefined ? null
    : written === '%' ? '%'
    : written === 'ms' ? 'ms'
    : written === 'us' || written === 'µs' ? 'us'
    : written.startsWith('d') ? 'd'
    : 's';
  return { value: number, unit };
}

/**
 * Walks arbitrary alert JSON, bounded, collecting its descriptive text and its named numbers. Breadth
 * first, with a cap on each container's children, so one huge list cannot hide the summary beside it.
 */
function walkAlerts(alerts: unknown): { text: string; readings: Reading[] } {
  const texts: string[] = [];
  const readings: Reading[] = [];
  let textChars = 0;

  const addText = (text: string) => {
    const piece = text.slice(0, Math.min(MAX_STRING_CHARS, MAX_ALERT_TEXT_CHARS - textChars));
    if (!/[a-z]/i.test(piece)) return;
    texts.push(piece);
    textChars += piece.length;
  };
  const addReading = (name: string, value: unknown) => {
    const reading = name && readings.length < MAX_READINGS ? parseReading(value) : null;
    if (reading) readings.push({ name, ...reading });
  };

  let root = alerts;
  if (typeof alerts === 'string' && /^\s*[[{]/.test(alerts)) {
    // Some senders store the alert payload as a JSON string.
    try {
      root = JSON.parse(alerts);
    } catch {
      // Not JSON after all: it is read as text below.
    }
  }

  const queue: { value: unknown; path: readonly string[]; depth: number }[] = [{ value: root, path: [], depth: 0 }];
  const enqueue = (value: unknown, path: readonly string[], depth: number) => {
    if (queue.length < MAX_NODES && depth <= MAX_DEPTH && value !== null && value !== undefined) queue.push({ value, path, depth });
  };
  for (let head = 0; head < queue.length; head += 1) {
    const { value, path, depth } = queue[head]!;
    const key = path.at(-1) ?? '';
    if (typeof value === 'number') addReading(path.join('_'), value);
    else if (typeof value === 'string') {
      if (parseReading(value)) addReading(path.join('_'), value);
      else if (!IDENTIFIER_KEYS.has(key)) addText(value);
    } else if (Array.isArray(value)) {
      for (const item of value.slice(0, MAX_CHILDREN)) enqueue(item, path, depth + 1);
    } else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      const entries = Object.keys(record)
        .slice(0, MAX_CHILDREN)
        .map((rawKey) => [metricName(rawKey), record[rawKey]] as const);
      const pair = metricPair(entries);
      if (pair) addReading(pair.name, pair.value);
      for (const [childKey, child] of entries) {
        if (pair && (childKey === pair.labelKey || childKey === pair.valueKey)) continue;
        // A metric is named by its two innermost keys: {"memory": {"percent": 96}} reads memory_percent,
        // but a wrapper adds nothing: {"labels": {"memory_usage": 0.9}} reads memory_usage.
        enqueue(child, WRAPPER_KEYS.has(key) || !key ? [childKey] : [key, childKey], depth + 1);
      }
    }
  }
  return { text: texts.join('\n'), readings };
}

function metricPair(entries: readonly (readonly [string, unknown])[]) {
  const label = entries.find(([key, child]) => LABEL_KEYS.has(key) && labelName(child) !== null);
  const value = entries.find(([key, child]) => VALUE_KEYS.has(key) && pairValue(child) !== null);
  if (!label || !value) return null;
  return { labelKey: label[0], valueKey: value[0], name: metricName(labelName(label[1]) ?? ''), value: pairValue(value[1]) };
}

function labelName(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const name: unknown = (value as Record<string, unknown>)['__name__'];
    return typeof name === 'string' ? name : null;
  }
  return null;
}

/** 96, "96%", or Prometheus' [timestamp, "96"]. */
function pairValue(value: unknown): number | string | null {
  const candidate = Array.isArray(value) && value.length === 2 ? value[1] : value;
  return (typeof candidate === 'number' || typeof candidate === 'string') && parseReading(candidate) ? candidate : null;
}

/** A reading in the rule's unit (percent, milliseconds, count, days), or null when it is not that measurement. */
function measure(reading: Reading, rule: MetricRule): number | null {
  const { name, value, unit } = reading;
  if (!rule.name.test(name) || THRESHOLD_WORDS.test(name)) return null;
  switch (rule.kind) {
    case 'percent': {
      if ((unit !== null && unit !== '%') || NOT_A_PERCENT.test(name)) return null;
      // A 0..1 value is a ratio unless the name or a percent sign says percent: cpu 0.2 is 20 percent.
      const percent = unit === '%' || PERCENT_NAME.test(name) ? value : RATIO_NAME.test(name) || (value >= 0 && value <= 1) ? value * 100 : value;
      if (percent < 0 || percent > 100) return null;
      return round(INVERTED_NAME.test(name) ? 100 - percent : percent);
    }
    case 'duration': {
      if (unit === '%' || unit === 'd' || value < 0 || NOT_A_DURATION.test(name)) return null;
      const fromName = NAME_UNITS.find(([pattern]) => pattern.test(name))?.[1];
      const effective = unit ?? fromName ?? rule.unitless ?? 'ms';
      return effective === '%' || effective === 'd' ? null : round(value * MS_PER_UNIT[effective]);
    }
    case 'count':
      return unit === null && value >= 0 && !NOT_A_COUNT.test(name) ? value : null;
    case 'days':
      return unit === null || unit === 'd' ? value : null;
  }
}

function levelOf(value: number, rule: MetricRule): Level {
  if (rule.direction === 'below') return value <= rule.critical ? 'CRITICAL' : value <= rule.high ? 'HIGH' : 'OK';
  return value >= rule.critical ? 'CRITICAL' : value >= rule.high ? 'HIGH' : 'OK';
}

const LEVEL_RANK: Record<Level, number> = { CRITICAL: 0, HIGH: 1, OK: 2 };

/** The worst of the rule's readings; the first one wins a tie, so the answer is stable. */
function worstReading(rule: IncidentRule, readings: readonly Reading[]): Measured | null {
  let worst: Measured | null = null;
  for (const metricRule of rule.metrics) {
    for (const reading of readings) {
      const value = measure(reading, metricRule);
      if (value === null) continue;
      const level = levelOf(value, metricRule);
      if (worst === null || LEVEL_RANK[level] < LEVEL_RANK[worst.level]) worst = { name: reading.name, value, rule: metricRule, level };
    }
  }
  return worst;
}

function keywordHits(patterns: readonly RegExp[], text: string): string[] {
  return patterns.flatMap((pattern) => {
    const match = pattern.exec(text);
    return match ? [match[0].toLowerCase().replace(/\s+/g, ' ').slice(0, 40)] : [];
  });
}

function serviceRef(service: string | null): ServiceRef & { known: boolean } {
  const name = (service ?? '').replace(/[\u0000-\u001f\u007f`]/g, '').replace(/\s+/g, ' ').trim().slice(0, 80);
  if (!name) return { name: 'the affected service', ref: '<service>', known: false };
  // Only a plain identifier goes into commands; anything else would make a pasted command do something else.
  return { name, ref: /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) ? name : '<service>', known: true };
}

const demote = (priority: Priority): Priority => PRIORITIES[Math.min(PRIORITY_RANK[priority] + 1, PRIORITIES.length - 1)] ?? priority;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function formatValue(value: number, rule: MetricRule): string {
  switch (rule.kind) {
    case 'percent':
      return `${round(value, 1)}%`;
    case 'duration':
      return value >= 1000 ? `${round(value / 1000, 2)} s` : `${round(value, 0)} ms`;
    case 'days':
      return `${value} days`;
    case 'count':
      return String(value);
  }
}

function evidence(strong: readonly string[], weak: readonly string[], metric: Measured | null): string {
  const sentences: string[] = [];
  const hits = [...strong, ...weak].slice(0, 5);
  if (hits.length > 0) sentences.push(`The incident or its alerts mention ${hits.map((hit) => `"${hit}"`).join(', ')}.`);
  if (strong.length === 0 && weak.length > 0) sentences.push('These words are ambiguous on their own: treat this as a lead to check.');
  if (metric) {
    const reading = `${metric.name} at ${formatValue(metric.value, metric.rule)}`;
    const high = formatValue(metric.rule.high, metric.rule);
    const critical = formatValue(metric.rule.critical, metric.rule);
    sentences.push(
      metric.level === 'CRITICAL' ? `The alerts show ${reading}, past the critical level of ${critical}.`
      : metric.level === 'HIGH' ? `The alerts show ${reading}, past the warning level of ${high} (critical at ${critical}).`
      : `The alerts show ${reading}, within the normal range (warning at ${high}), so the metrics do not confirm it.`,
    );
  }
  return sentences.join(' ');
}

/**
 * Priority: a metric past its level sets it; otherwise the incident's severity, one step lower when the
 * text is weak or the metrics contradict it. Confidence: highest when text and metrics agree, lowest for
 * one ambiguous word.
 */
function assess(score: number, metric: Measured | null, severity: Priority): { priority: Priority; confidence: number } {
  if (metric && metric.level !== 'OK') {
    const critical = metric.level === 'CRITICAL' ? 0.05 : 0;
    if (score === 0) return { priority: metric.level, confidence: round(0.7 + critical) };
    return { priority: metric.level, confidence: round(0.85 + critical + (score >= 3 ? 0.05 : 0)) };
  }
  const fromText = score >= 4 ? 0.7 : score >= 3 ? 0.65 : score >= 2 ? 0.55 : 0.35;
  const contradicted = metric !== null;
  return {
    priority: score < 2 || contradicted ? demote(severity) : severity,
    confidence: round(Math.max(fromText - (contradicted ? 0.2 : 0), 0.1)),
  };
}

/**
 * The local provider's answer for an incident: one recommendation per class of problem its text or alert
 * metrics point at, most urgent first (at most five), or a single general triage when none matches.
 * Pure and deterministic: the same incident always gets the same answer.
 */
export function analyzeIncidentLocally(incident: IncidentInput): RecommendationDraft[] {
  const severity: Priority = PRIORITIES.includes(incident.severity) ? incident.severity : 'MEDIUM';
  const service = serviceRef(typeof incident.service === 'string' ? incident.service : null);
  const alerts = walkAlerts(incident.alerts);
  const text = words(
    [incident.title, String(incident.description ?? '').slice(0, MAX_DESCRIPTION_CHARS), incident.service ?? '', alerts.text].join('\n'),
  );

  const found: RecommendationDraft[] = [];
  for (const { rule, strong, weak } of COMPILED) {
    const strongHits = keywordHits(strong, text);
    const weakHits = keywordHits(weak, text);
    const score = 2 * strongHits.length + weakHits.length;
    const metric = worstReading(rule, alerts.readings);
    if (score === 0 && (metric === null || metric.level === 'OK')) continue;
    found.push({
      type: rule.type,
      title: service.known ? `${rule.title} on ${service.name}` : rule.title,
      description: `${rule.description} ${evidence(strongHits, weakHits, metric)}`,
      ...assess(score, metric, severity),
      actions: rule.actions(service),
    });
  }
  if (found.length === 0) return [generalTriage(severity, service, alerts.readings.length)];
  // Array.prototype.sort is stable: equal recommendations keep the table's order.
  return found
    .sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || b.confidence - a.confidence)
    .slice(0, MAX_RECOMMENDATIONS);
}

function generalTriage(severity: Priority, service: ServiceRef & { known: boolean }, readings: number): RecommendationDraft {
  const metrics = readings > 0 ? ` The alerts carry ${readings} number(s); none is past a level the rules know.` : '';
  return {
    type: 'GENERAL',
    title: service.known ? `${GENERAL_TRIAGE.title} on ${service.name}` : GENERAL_TRIAGE.title,
    description: `${GENERAL_TRIAGE.description}${metrics}`,
    priority: severity,
    confidence: 0.3,
    actions: GENERAL_TRIAGE.actions(service),
  };
}
