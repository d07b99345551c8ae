import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';

export const ROLES = ['ADMIN', 'MEMBER'] as const;
export type Role = (typeof ROLES)[number];

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  schema: 'auth',
  properties: {
    ...baseProperties(),
    email: p.string().length(320).unique(),
    name: p.string().length(200).nullable(),
    role: p.enum(ROLES).default('MEMBER'),
  },
});

export type User = InferEntity<typeof UserSchema>;
