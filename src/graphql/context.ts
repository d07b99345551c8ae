import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { lazyFork } from '../db/lazy-fork.ts';
import { lazyRecord } from '../lazy.ts';
import type { Viewer } from '../modules/auth/auth.service.ts';
import type { AnalysisRun } from '../modules/analysis/analysis-run.entity.ts';
import type { User } from '../modules/auth/user.entity.ts';
import type { ProviderHealthView } from '../modules/providers/circuit-breaker.ts';
import type { IntelligenceProvider } from '../modules/providers/intelligence-provider.entity.ts';
import type { Recommendation } from '../modules/incidents/recommendation.entity.ts';
import type { CodeFile } from '../modules/projects/code-file.entity.ts';
import type { SpecificationView } from '../modules/projects/specification.entity.ts';
import type { UsageSummary } from '../modules/usage/usage.service.ts';
import { type AppDeps, createServices, type Services } from '../services.ts';

export type { AppDeps, Services };

/** Per-operation batching of list fields, so a page of N parents costs a constant number of queries. */
export interface Loaders {
  recommendationsByIncident: DataLoader<string, Recommendation[]>;
  specificationsByProject: DataLoader<string, SpecificationView[]>;
  codeFilesByProject: DataLoader<string, CodeFile[]>;
  runsByProject: DataLoader<string, AnalysisRun[]>;
  usageByProject: DataLoader<string, UsageSummary>;
  users: DataLoader<string, User | null>;
  /** Provider configurations by id (a page of configurations' fallbacks) and their circuit breakers. */
  configurations: DataLoader<string, IntelligenceProvider | null>;
  providerHealth: DataLoader<string, ProviderHealthView>;
}

export interface Context {
  /** One EntityManager fork per operation: the identity map never leaks between requests. */
  em: EntityManager;
  viewer: Viewer | null;
  /** Why a presented token was refused, reported as UNAUTHENTICATED when a field needs a viewer. */
  authProblem: string | null;
  services: Services;
  loaders: Loaders;
  deps: AppDeps;
  /** Aborted when the HTTP client goes away (yoga's request); absent on WebSocket. */
  request?: Request;
}

export interface SignedInContext extends Context {
  viewer: Viewer;
}

function createLoaders(services: Services): Loaders {
  // Each built when a resolver first asks for it.
  return lazyRecord<Loaders>({
    recommendationsByIncident: () => new DataLoader((ids) => services.incidents.recommendationsFor(ids)),
    specificationsByProject: () => new DataLoader((ids) => services.projects.specificationsFor(ids)),
    codeFilesByProject: () => new DataLoader((ids) => services.projects.codeFilesFor(ids)),
    runsByProject: () => new DataLoader((ids) => services.projects.runsFor(ids)),
    usageByProject: () => new DataLoader((ids) => services.usage.summariesForProjects(ids)),
    users: () => new DataLoader((ids) => services.auth.usersByIds(ids)),
    configurations: () => new DataLoader((ids) => services.providers.byIds(ids)),
    providerHealth: () => new DataLoader((ids) => services.providers.healthOf(ids)),
  });
}

/** Builds the context from an Authorization value: the same for HTTP, SSE and WebSocket. */
export async function buildContext(deps: AppDeps, authorization: string | null | undefined): Promise<Context> {
  // Forked on first use: an operation that only sends statements through the pool never builds one.
  const em = lazyFork(deps.orm.em);
  const services = createServices(em, deps);
  const authentication = await services.auth.authenticate(authorization);
  return { em, viewer: authentication.viewer, authProblem: authentication.problem, services, loaders: createLoaders(services), deps };
}
