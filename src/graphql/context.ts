import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import { AuthService, type Viewer } from '../modules/auth/auth.service.ts';
import { CallsService } from '../modules/calls/calls.service.ts';
import { KeysService, keyKindOf } from '../modules/keys/keys.service.ts';
import { ProvidersService } from '../modules/providers/providers.service.ts';
import { UsageService } from '../modules/usage/usage.service.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { PubSub } from './pubsub.ts';

/** Long-lived dependencies shared by every request. */
export interface AppDeps {
  orm: MikroORM;
  config: Config;
  logger: Logger;
  pubsub: PubSub;
  secretBox: SecretBox;
}

export interface Services {
  auth: AuthService;
  providers: ProvidersService;
  usage: UsageService;
  calls: CallsService;
  keys: KeysService;
}

export interface Context {
  /** One EntityManager fork per operation: the identity map never leaks between requests. */
  em: EntityManager;
  viewer: Viewer | null;
  /** Why a presented token was refused, reported as UNAUTHENTICATED when a field needs a viewer. */
  authProblem: string | null;
  services: Services;
  deps: AppDeps;
  /** Aborted when the HTTP client goes away (yoga's request); absent on WebSocket. */
  request?: Request;
}

export interface SignedInContext extends Context {
  viewer: Viewer;
}

export function createServices(em: EntityManager, deps: Pick<AppDeps, 'config' | 'secretBox'>): Services {
  const providers = new ProvidersService(em, deps.secretBox);
  const usage = new UsageService(em);
  const keys = new KeysService(em, deps.secretBox);
  const calls = new CallsService(em, {
    providers,
    usage,
    environmentKeys: deps.config.providerKeys,
    userKey: (userId, kind) => {
      const keyKind = keyKindOf(kind);
      return keyKind ? keys.secretFor(userId, keyKind) : Promise.resolve(null);
    },
  });
  return { auth: new AuthService(em), providers, usage, calls, keys };
}

/** Builds the context from an Authorization value: the same for HTTP, SSE and WebSocket. */
export async function buildContext(deps: AppDeps, authorization: string | null | undefined): Promise<Context> {
  const em = deps.orm.em.fork();
  const services = createServices(em, deps);
  const authentication = await services.auth.authenticate(authorization);
  return { em, viewer: authentication.viewer, authProblem: authentication.problem, services, deps };
}
