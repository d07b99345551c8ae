import { repositoryRun } from '../github/repository.executor.ts';
import { analyzeIncidentRun } from '../incidents/incident-analysis.executor.ts';
import type { RunKind } from './analysis-run.entity.ts';
import type { Executor } from './analysis.worker.ts';

/** Which executor runs each kind of run; a module that adds a kind adds it here. */
export const executors: Partial<Record<RunKind, Executor>> = {
  INCIDENT_ANALYSIS: analyzeIncidentRun,
  REPOSITORY_ANALYSIS: repositoryRun,
  REPOSITORY_IMPORT: repositoryRun,
};
