import { z } from 'zod';
import { jsonCandidates } from './json-candidates.ts';
import { PRIORITIES, RECOMMENDATION_TYPES, type Priority, type RecommendationDraft, type RecommendationType } from '../../llm/local/incident.types.ts';

export type ParseOutcome = { ok: true; recommendations: RecommendationDraft[] } | { ok: false; reason: string };

const MAX_RECOMMENDATIONS = 10;
const MAX_ACTIONS = 12;

const text = (max: number) =>
  z
    .unknown()
    .optional()
    .transform((value) => (typeof value === 'string' ? value.trim().slice(0, max) : typeof value === 'number' ? String(value) : ''));

const recommendationSchema = z.object({
  type: z.unknown().optional().transform((value): RecommendationType => {
    const upper = typeof value === 'string' ? value.trim().toUpperCase() : '';
    return (RECOMMENDATION_TYPES as readonly string[]).includes(upper) ? (upper as RecommendationType) : 'GENERAL';
  }),
  title: text(300),
  description: text(4000),
  priority: z.unknown().optional().transform((value): Priority => {
    const upper = typeof value === 'string' ? value.trim().toUpperCase() : '';
    return (PRIORITIES as readonly string[]).includes(upper) ? (upper as Priority) : 'MEDIUM';
  }),
  confidence: z.unknown().optional().transform((value) => {
    const number = typeof value === 'number' ? value : typeof value === 'string' ? Number.parseFloat(value) : Number.NaN;
    if (!Number.isFinite(number)) return 0.5;
    // 85 or "85%" mean 0.85.
    const ratio = number > 1 || (typeof value === 'string' && value.includes('%')) ? number / 100 : number;
    return Math.min(Math.max(ratio, 0), 1);
  }),
  actions: z.unknown().optional().transform((value) => {
    const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
    return list
      .map((item) => (typeof item === 'string' ? item.trim().slice(0, 1000) : ''))
      .filter((item) => item.length > 0)
      .slice(0, MAX_ACTIONS);
  }),
});

/**
 * Reads a model's recommendations: a JSON array bare, in code fences or surrounded by prose, or wrapped as
 * { "recommendations": [...] }. Fields are normalised; entries without a title are dropped.
 */
export function parseRecommendations(answer: string): ParseOutcome {
  let reason = answer.trim() ? 'the answer holds no complete JSON array' : 'the answer was empty';
  for (const value of jsonCandidates(answer)) {
    const list = Array.isArray(value)
      ? value
      : value && typeof value === 'object' && Array.isArray((value as { recommendations?: unknown }).recommendations)
        ? (value as { recommendations: unknown[] }).recommendations
        : null;
    if (list === null) {
      reason = 'the JSON is neither an array nor an object with a recommendations array';
      continue;
    }
    const recommendations = list
      .filter((item): item is Record<string, unknown> => Boolean(item) && typeof item === 'object' && !Array.isArray(item))
      .flatMap((item) => {
        const parsed = recommendationSchema.safeParse(item);
        return parsed.success && parsed.data.title.length > 0 ? [parsed.data] : [];
      })
      .slice(0, MAX_RECOMMENDATIONS);
    if (recommendations.length > 0) return { ok: true, recommendations };
    reason = 'the answer holds no recommendation with a title';
  }
  return { ok: false, reason };
}
