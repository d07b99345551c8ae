import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import { AuthService, type Viewer } from '../modules/auth/auth.service.ts';
import type { PubSub } from './pubsub.ts';

/** Long-lived dependencies shared by every request. */
export interface AppDeps {
  orm: MikroORM;
  config: Config;
  logger: Logger;
  pubsub: PubSub;
}

export interface Services {
  auth: AuthService;
}

export interface Context {
  /** One EntityManager fork per operation: the identity map never leaks between requests. */
  em: EntityManager;
  viewer: Viewer | null;
  /** Why a presented token was refused, reported as UNAUTHENTICATED when a field needs a viewer. */
  authProblem: string | null;
  services: Services;
  deps: AppDeps;
}

export interface SignedInContext extends Context {
  viewer: Viewer;
}

export function createServices(em: EntityManager): Services {
  return { auth: new AuthService(em) };
}

/** Builds the context from an Authorization value: the same for HTTP, SSE and WebSocket. */
export async function buildContext(deps: AppDeps, authorization: string | null | undefined): Promise<Context> {
  const em = deps.orm.em.fork();
  const services = createServices(em);
  const authentication = await services.auth.authenticate(authorization);
  return { em, viewer: authentication.viewer, authProblem: authentication.problem, services, deps };
}
