import { randomUUID } from 'node:crypto';
import { p } from '@mikro-orm/core';

/** The fields every entity shares: a UUID primary key and UTC timestamps kept by the ORM. */
export function baseProperties() {
  return {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  };
}
