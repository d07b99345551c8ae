// The shapes the incident analysis shares between the local rules, the prompt and the parser.

export const RECOMMENDATION_TYPES = [
  'MEMORY',
  'DISK',
  'CPU',
  'NETWORK',
  'LATENCY',
  'ERRORS',
  'DATABASE',
  'CERTIFICATE',
  'DEPLOYMENT',
  'SECURITY',
  'GENERAL',
] as const;
export type RecommendationType = (typeof RECOMMENDATION_TYPES)[number];

export const PRIORITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Lower is more urgent: sorts recommendations most urgent first. */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3 };

export interface IncidentInput {
  title: string;
  description: string;
  severity: Priority;
  service: string | null;
  /** Arbitrary JSON from monitoring: never trusted, never assumed to have a shape. */
  alerts: unknown;
}

export interface RecommendationDraft {
  type: RecommendationType;
  title: string;
  description: string;
  priority: Priority;
  /** 0 to 1. */
  confidence: number;
  /** Ordered, concrete steps. */
  actions: string[];
}
