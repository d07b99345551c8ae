import { z } from 'zod';
import { parseJsonText } from '../../llm/json-text.ts';
import {
  PRIORITIES,
  RECOMMENDATION_TYPES,
  type Priority,
  type RecommendationDraft,
  type RecommendationType,
} from './incident.types.ts';
import { MAX_SCAN_STEPS, nextOpening, scanBalanced } from '../analysis/json-candidates.ts';

export type ParseOutcome = { ok: true; recommendations: RecommendationDraft[] } | { ok: false; reason: string };

const MAX_RECOMMENDATIONS = 10;
const MAX_ACTIONS = 10;
const MAX_TITLE_CHARS = 200;
const MAX_DESCRIPTION_CHARS = 2000;
const MAX_ACTION_CHARS = 500;
// Bounds on the work an answer can cause (the scan also has a step budget: see json-candidates.ts).
const MAX_ANSWER_CHARS = 200_000;

const TYPE_ALIASES: Readonly<Record<string, RecommendationType>> = {
  ERROR: 'ERRORS',
  CERT: 'CERTIFICATE',
  CERTS: 'CERTIFICATE',
  CERTIFICATES: 'CERTIFICATE',
  TLS: 'CERTIFICATE',
  SSL: 'CERTIFICATE',
  DB: 'DATABASE',
  DATABASES: 'DATABASE',
  DEPLOY: 'DEPLOYMENT',
  DEPLOYMENTS: 'DEPLOYMENT',
  RAM: 'MEMORY',
  STORAGE: 'DISK',
  DNS: 'NETWORK',
  NETWORKING: 'NETWORK',
};
const CONFIDENCE_WORDS: Readonly<Record<string, number>> = { 'VERY HIGH': 0.9, HIGH: 0.8, MEDIUM: 0.5, MODERATE: 0.5, LOW: 0.3, 'VERY LOW': 0.1 };
// Models sometimes write an action as an object; the first of these fields holding text is the step.
const ACTION_FIELDS = ['action', 'step', 'command', 'description', 'text', 'title'] as const;

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const upper = (value: unknown) => (typeof value === 'string' ? oneLine(value).toUpperCase() : '');

function toType(value: unknown): RecommendationType {
  const name = upper(value);
  return RECOMMENDATION_TYPES.find((type) => type === name) ?? TYPE_ALIASES[name] ?? 'GENERAL';
}

function toPriority(value: unknown): Priority {
  const name = upper(value);
  return PRIORITIES.find((priority) => priority === name) ?? 'MEDIUM';
}

/** 0.85, "0.85", 85, "85%" and "high" all read as a 0..1 confidence; anything else is 0.5. */
function toConfidence(value: unknown): number {
  let number = Number.NaN;
  let percent = false;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string') {
    const match = /^\s*(-?(?:\d+(?:\.\d*)?|\.\d+))\s*(%?)\s*$/.exec(value);
    if (match) {
      number = Number(match[1]);
      percent = match[2] === '%';
    } else number = CONFIDENCE_WORDS[upper(value)] ?? Number.NaN;
  }
  if (!Number.isFinite(number)) return 0.5;
  const ratio = percent || number > 1 ? number / 100 : number;
  return Math.round(Math.min(Math.max(ratio, 0), 1) * 10_000) / 10_000;
}

function toAction(item: unknown): string {
  if (typeof item === 'string') return item.trim().slice(0, MAX_ACTION_CHARS);
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    const record = item as Record<string, unknown>;
    const text = ACTION_FIELDS.map((field) => record[field]).find((field) => typeof field === 'string' && field.trim());
    return typeof text === 'string' ? text.trim().slice(0, MAX_ACTION_CHARS) : '';
  }
  return '';
}

function toActions(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items
    .slice(0, MAX_ACTIONS * 4)
    .map(toAction)
    .filter((action) => action.length > 0)
    .slice(0, MAX_ACTIONS);
}

function toDescription(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? value.trim().slice(0, MAX_DESCRIPTION_CHARS) : '';
}

// A field the model may leave out: zod 4 runs the transform on an absent key only when it is optional.
const lenient = <T>(normalise: (value: unknown) => T) => z.unknown().optional().transform(normalise);

/** One entry of the model's array; an entry without a title fails and is dropped. */
const recommendationSchema: z.ZodType<RecommendationDraft> = z.object({
  type: lenient(toType),
  title: z
    .string()
    .transform((title) => oneLine(title).slice(0, MAX_TITLE_CHARS))
    .pipe(z.string().min(1)),
  description: lenient(toDescription),
  priority: lenient(toPriority),
  confidence: lenient(toConfidence),
  actions: lenient(toActions),
});

/** The array itself, or the array of `{ "recommendations": [...] }`. */
const listSchema = z.union([
  z.array(z.unknown()),
  z.object({ recommendations: z.array(z.unknown()) }).transform((wrapper) => wrapper.recommendations),
]);

// An opening that reads like JSON rather than prose ("[see below]"): when it never closes, the answer was cut.
const JSON_OPENING = /^(?:\[\s*[[{"\]\d-]|\{\s*["}])/;

const fail = (reason: string): ParseOutcome => ({ ok: false, reason });

/**
 * Reads a model's recommendations: a JSON array bare, in code fences or surrounded by prose, or wrapped as
 * `{ "recommendations": [...] }`. The first array found wins; fields are normalised and entries without a
 * title are dropped. Never throws and never evaluates the text.
 */
export function parseRecommendations(text: string): ParseOutcome {
  if (!text.trim()) return fail('the answer is empty');
  if (text.length > MAX_ANSWER_CHARS) return fail(`the answer is longer than ${MAX_ANSWER_CHARS} characters`);

  const budget = { steps: MAX_SCAN_STEPS };
  let cutOff = false;
  let reason: string | null = null;
  let start = nextOpening(text, 0);
  while (start !== -1) {
    const scan = scanBalanced(text, start, budget);
    if (scan.kind === 'exhausted') {
      reason ??= 'the answer has too many brackets to search for its JSON';
      break;
    }
    if (scan.kind === 'unterminated' && JSON_OPENING.test(text.slice(start, start + 40))) cutOff = true;
    const list = scan.kind === 'closed' ? parseJsonText(listSchema, text.slice(start, scan.end)) : null;
    if (scan.kind !== 'closed' || list === null) {
      // Prose in brackets, a broken value, or JSON of another shape: look inside it and further on.
      start = nextOpening(text, start + 1);
      continue;
    }
    const recommendations: RecommendationDraft[] = [];
    for (const entry of list) {
      const parsed = recommendationSchema.safeParse(entry);
      if (parsed.success) recommendations.push(parsed.data);
      if (recommendations.length === MAX_RECOMMENDATIONS) break;
    }
    if (recommendations.length > 0) return { ok: true, recommendations };
    reason = list.length === 0 ? 'the JSON array of recommendations is empty' : 'no entry of the JSON array is a recommendation with a title';
    start = nextOpening(text, scan.end);
  }
  if (cutOff) return fail('the JSON array is never closed: the answer looks cut off (was the output limit reached?)');
  return fail(reason ?? 'the answer holds no JSON array of recommendations (bare, fenced, or as {"recommendations": [...]})');
}
