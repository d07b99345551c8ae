import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';
import { UserSchema } from '../auth/user.entity.ts';
import { PROVIDER_KINDS } from '../../llm/provider-kinds.ts';

export const PHASES = ['IDEA', 'PLANNING', 'DEVELOPMENT', 'TESTING', 'PRODUCTION', 'MAINTENANCE'] as const;
export type Phase = (typeof PHASES)[number];

export const ProjectSchema = defineEntity({
  name: 'Project',
  tableName: 'projects',
  schema: 'specs',
  properties: {
    ...baseProperties(),
    owner: () => p.manyToOne(UserSchema).deleteRule('cascade'),
    name: p.string().length(200),
    description: p.text().default(''),
    phase: p.enum(PHASES).default('PLANNING'),
    /** The provider calls for this project use unless a call names one. */
    llmProvider: p.enum(PROVIDER_KINDS).nullable(),
    llmModel: p.string().length(200).nullable(),
    sourceRepoUrl: p.string().length(500).nullable(),
    templateSlug: p.string().length(100).nullable(),
  },
  indexes: [{ properties: ['owner', 'createdAt'] }],
});

export type Project = InferEntity<typeof ProjectSchema>;

/** What readers of a project see: read straight from SQL for lists, or the entity itself. */
export type ProjectView = Pick<
  Project,
  'id' | 'name' | 'description' | 'phase' | 'llmProvider' | 'llmModel' | 'sourceRepoUrl' | 'templateSlug' | 'createdAt' | 'updatedAt'
> & { owner: { id: string } };
