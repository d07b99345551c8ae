import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../errors.ts';
import { defaultModel } from '../../llm/catalogue.ts';
import { providerName } from '../../llm/provider-kinds.ts';
import type { ProviderKind } from '../../llm/types.ts';
import type { Route } from '../calls/call-router.ts';
import type { CallsService } from '../calls/calls.service.ts';
import { type Executor, RunCancelled, type RunContext, type RunOutcome } from '../analysis/run-context.ts';
import { buildIncidentPrompt } from './incident-prompt.ts';
import { analyzeIncidentLocally } from './incident-rules.ts';
import type { IncidentInput, RecommendationDraft } from './incident.types.ts';
import { parseRecommendations } from './recommendation-parser.ts';
import { IncidentSchema } from './incident.entity.ts';
import { RecommendationSchema } from './recommendation.entity.ts';

interface Saved extends RecommendationDraft {
  provider: ProviderKind;
  model: string;
  isFallback: boolean;
}

// The answer's expected size, to turn streamed characters into progress between 0.15 and 0.8.
const EXPECTED_ANSWER_CHARS = 3000;
const ANALYSIS_MAX_TOKENS = 2000;

/**
 * Analyses an incident: the routed provider is asked for recommendations, streamed as the run's deltas;
 * when no AI provider serves, or its answer fails or cannot be parsed, the local rules answer, with one
 * fallback recommendation saying why. The call is routed once, and that route serves the call.
 */
export function incidentAnalysisExecutor(deps: { calls: CallsService }): Executor {
  return (context) => analyzeIncident(context, deps.calls);
}

async function analyzeIncident(context: RunContext, calls: CallsService): Promise<RunOutcome> {
  await context.step('preparing', 'Reading the incident', 0.05);
  const incident = await context.em.findOneOrFail(IncidentSchema, { id: context.run.incident!.id });
  const input: IncidentInput = {
    title: incident.title,
    description: incident.description,
    severity: incident.severity,
    service: incident.service ?? null,
    alerts: incident.alerts ?? null,
  };
  const local = analyzeIncidentLocally(input);
  const localModel = defaultModel('LOCAL');
  const fromRules = (drafts: RecommendationDraft[]): Saved[] =>
    drafts.map((draft) => ({ ...draft, provider: 'LOCAL', model: localModel, isFallback: false }));

  const requested = context.run.provider ?? null;
  let route: Route;
  try {
    route = await calls.prepare(context.actor, { provider: requested });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return finishWith(context, withFallback(requested ?? 'LOCAL', error.message, fromRules(local)), 'LOCAL', localModel);
  }

  const { kind, model } = route;
  if (kind === 'LOCAL') {
    await context.servedBy('LOCAL', localModel);
    await context.step('analysing', 'Applying the local rules', 0.5);
    return finishWith(context, fromRules(local), 'LOCAL', localModel);
  }

  await context.servedBy(kind, model);
  const prompt = buildIncidentPrompt(input, { contextWindow: route.modelInfo?.contextWindow ?? null, maxOutputTokens: ANALYSIS_MAX_TOKENS });
  await context.step('calling provider', `Asking ${providerName(kind)} (${model})${prompt.truncated ? '; the incident was shortened to fit' : ''}`, 0.15);
  let text = '';
  // Who answered: the route's configuration, or one of its fallbacks when it failed before answering.
  let served: { kind: ProviderKind; model: string } = { kind, model };
  try {
    const request = calls.request({ prompt: prompt.prompt, system: prompt.system, maxTokens: ANALYSIS_MAX_TOKENS });
    for await (const event of calls.stream(context.actor, route, request, context.signal)) {
      if (event.done) {
        served = { kind: event.result.provider, model: event.result.model };
        break;
      }
      text += event.delta;
      await context.delta(event.delta, 0.15 + 0.65 * Math.min(text.length / EXPECTED_ANSWER_CHARS, 1));
    }
  } catch (error) {
    if (context.signal.aborted) throw new RunCancelled('The run was cancelled.');
    if (!(error instanceof AppError)) throw error;
    const reason = error.code === 'BUDGET_EXCEEDED' ? `The call to ${providerName(kind)} was refused: ${error.message}` : `${providerName(kind)} failed: ${error.message}`;
    await context.step('fallback', `${reason} The local rules answer instead.`, 0.82);
    return finishWith(context, withFallback(kind, reason, fromRules(local)), kind, model);
  }

  if (served.kind !== kind || served.model !== model) await context.servedBy(served.kind, served.model);
  const by = served.kind === kind ? '' : ` (${providerName(kind)} failed; ${providerName(served.kind)} answered)`;
  await context.step('parsing', `Reading the recommendations${by}`, 0.85);
  const parsed = parseRecommendations(text);
  if (!parsed.ok) {
    return finishWith(context, withFallback(served.kind, `The answer of ${providerName(served.kind)} could not be used: ${parsed.reason}`, fromRules(local)), served.kind, served.model);
  }
  const fromModel: Saved[] = parsed.recommendations.map((draft) => ({ ...draft, provider: served.kind, model: served.model, isFallback: false }));
  return finishWith(context, fromModel, served.kind, served.model);
}

function withFallback(provider: ProviderKind, reason: string, rules: Saved[]): Saved[] {
  const fallback: Saved = {
    type: 'GENERAL',
    title: 'AI analysis unavailable: local rules used',
    description: `${reason} The other recommendations come from Agora's local rules.`,
    priority: 'MEDIUM',
    confidence: 0,
    actions: ['Check the provider configuration and key, then run the analysis again.'],
    provider,
    model: 'fallback',
    isFallback: true,
  };
  return [fallback, ...rules];
}

async function finishWith(context: RunContext, recommendations: Saved[], provider: ProviderKind, model: string): Promise<RunOutcome> {
  await context.step('saving', `Saving ${recommendations.length} recommendation(s)`, 0.95);
  const incidentId = context.run.incident!.id;
  const runId = context.run.id;
  const fallback = recommendations.some((recommendation) => recommendation.isFallback);
  return {
    message: fallback ? 'Done, with the local rules as a fallback' : 'Done',
    result: { recommendations: recommendations.length, provider, model, fallback },
    save: async (em: EntityManager) => {
      // One timestamp for the run's recommendations: lists order runs by it, then each run by position.
      const createdAt = new Date();
      for (const [position, recommendation] of recommendations.entries()) {
        em.create(RecommendationSchema, {
          createdAt,
          incident: incidentId,
          run: runId,
          type: recommendation.type,
          title: recommendation.title,
          description: recommendation.description,
          priority: recommendation.priority,
          confidence: recommendation.confidence,
          actions: recommendation.actions,
          provider: recommendation.provider,
          model: recommendation.model,
          isFallback: recommendation.isFallback,
          position,
        });
      }
      await em.flush();
    },
  };
}
