import { notFound } from '../../errors.ts';
import type { Role } from './user.entity.ts';

/**
 * Who does something: the signed-in viewer of a request, or the owner a job acts for. The one identity
 * every service takes; the request's Viewer (auth.service.ts) is an Actor with more fields.
 */
export interface Actor {
  id: string;
  role: Role;
}

/** The one ownership rule: owners and admins see a thing; anyone else is told it does not exist (NOT_FOUND). */
export function requireVisible<Thing extends { owner: { id: string } }>(actor: Actor, thing: Thing | null | undefined, what: string): Thing {
  if (!thing || (actor.role !== 'ADMIN' && thing.owner.id !== actor.id)) throw notFound(what);
  return thing;
}

export function isAdmin(actor: Actor): boolean {
  return actor.role === 'ADMIN';
}
