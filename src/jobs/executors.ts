// Which executor runs each kind of run, and what each one is given: only the services it calls.
// A module that adds a run kind adds its executor here.
import type { EntityManager } from '@mikro-orm/postgresql';
import { repositoryExecutor } from '../modules/github/repository.executor.ts';
import { incidentAnalysisExecutor } from '../modules/incidents/incident-analysis.executor.ts';
import { type AppDeps, createServices } from '../services.ts';
import type { ExecutorRegistry } from './run-worker.ts';

export function runExecutors(deps: AppDeps): ExecutorRegistry {
  const services = (em: EntityManager) => createServices(em, deps);
  const repository = (em: EntityManager) => {
    const { calls, github } = services(em);
    return repositoryExecutor({ calls, github });
  };
  return {
    INCIDENT_ANALYSIS: (em) => incidentAnalysisExecutor({ calls: services(em).calls }),
    REPOSITORY_ANALYSIS: repository,
    REPOSITORY_IMPORT: repository,
  };
}
