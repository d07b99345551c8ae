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

/** The one ownership rule: owners and admins see a thing; anyone else is told it does not exist. */
export function requireVisible(actor: Actor, ownerId: string | null | undefined, what: string): void {
  if (ownerId === null || ownerId === undefined || (actor.role !== 'ADMIN' && ownerId !== actor.id)) throw notFound(what);
}

export function isAdmin(actor: Actor): boolean {
  return actor.role === 'ADMIN';
}
