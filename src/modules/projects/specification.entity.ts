import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';
import { ProjectSchema } from './project.entity.ts';

export const SPECIFICATION_SOURCES = ['MANUAL', 'TEMPLATE', 'GITHUB_IMPORT', 'ANALYSIS'] as const;
export type SpecificationSource = (typeof SPECIFICATION_SOURCES)[number];

export const SpecificationSchema = defineEntity({
  name: 'Specification',
  tableName: 'specifications',
  schema: 'specs',
  properties: {
    ...baseProperties(),
    project: () => p.manyToOne(ProjectSchema).deleteRule('cascade'),
    category: p.string().length(100),
    key: p.string().length(200),
    value: p.text(),
    /** 0 to 1: how sure the source is. */
    confidence: p.double().default(1),
    source: p.enum(SPECIFICATION_SOURCES).default('MANUAL'),
  },
  uniques: [{ properties: ['project', 'category', 'key'] }],
});

export type Specification = InferEntity<typeof SpecificationSchema>;

/** What readers of a specification see: read straight from SQL for lists, or the entity itself. */
export type SpecificationView = Pick<Specification, 'id' | 'category' | 'key' | 'value' | 'confidence' | 'source' | 'updatedAt'>;
