import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';
import { ProjectSchema } from './project.entity.ts';

export const CodeFileSchema = defineEntity({
  name: 'CodeFile',
  tableName: 'code_files',
  schema: 'specs',
  properties: {
    ...baseProperties(),
    project: () => p.manyToOne(ProjectSchema).deleteRule('cascade'),
    /** Relative, normalised: no leading slash, no `..`. */
    path: p.string().length(500),
    language: p.string().length(50).nullable(),
    content: p.text(),
  },
  uniques: [{ properties: ['project', 'path'] }],
});

export type CodeFile = InferEntity<typeof CodeFileSchema>;
