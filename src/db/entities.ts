import { AccessTokenSchema } from '../modules/auth/access-token.entity.ts';
import { UserSchema } from '../modules/auth/user.entity.ts';
import { IntelligenceProviderSchema, ProviderHealthSchema } from '../modules/providers/intelligence-provider.entity.ts';
import { UsageRecordSchema } from '../modules/usage/usage-record.entity.ts';
import { UsageDailySchema } from '../modules/usage/usage-daily.entity.ts';
import { UsageDailyTotalSchema } from '../modules/usage/usage-daily-total.entity.ts';
import { UsageHourlySchema } from '../modules/usage/usage-hourly.entity.ts';
import { UsageDailyTagSchema, UsageHourlyTagSchema } from '../modules/usage/usage-tags.entity.ts';
import { ApiKeySchema } from '../modules/keys/api-key.entity.ts';
import { IncidentSchema } from '../modules/incidents/incident.entity.ts';
import { RecommendationSchema } from '../modules/incidents/recommendation.entity.ts';
import { AnalysisRunSchema } from '../modules/analysis/analysis-run.entity.ts';
import { AnalysisEventSchema } from '../modules/analysis/analysis-event.entity.ts';
import { ProjectSchema } from '../modules/projects/project.entity.ts';
import { SpecificationSchema } from '../modules/projects/specification.entity.ts';
import { CodeFileSchema } from '../modules/projects/code-file.entity.ts';
import { TemplateSchema } from '../modules/templates/template.entity.ts';
import { BudgetReservationSchema, BudgetSchema } from '../modules/budgets/budget.entity.ts';
import { IdempotencyKeySchema } from '../modules/idempotency/idempotency-key.entity.ts';
import { ResponseCacheEntrySchema } from '../modules/cache/response-cache.entity.ts';
import { RateLimitWindowSchema } from '../modules/ratelimits/rate-limit-window.entity.ts';

/** Every entity the ORM knows; a new module adds its entities here (and a migration). */
export const entities = [
  UserSchema,
  AccessTokenSchema,
  IntelligenceProviderSchema,
  UsageRecordSchema,
  UsageDailySchema,
  UsageHourlySchema,
  UsageDailyTotalSchema,
  UsageDailyTagSchema,
  UsageHourlyTagSchema,
  ApiKeySchema,
  IncidentSchema,
  RecommendationSchema,
  AnalysisRunSchema,
  AnalysisEventSchema,
  ProjectSchema,
  SpecificationSchema,
  CodeFileSchema,
  TemplateSchema,
  BudgetSchema,
  BudgetReservationSchema,
  IdempotencyKeySchema,
  RateLimitWindowSchema,
  ProviderHealthSchema,
  ResponseCacheEntrySchema,
];
