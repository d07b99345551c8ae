import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';

export interface TemplateSpecification {
  category: string;
  key: string;
  value: string;
}

export interface TemplateFile {
  path: string;
  language: string | null;
  content: string;
}

export const TemplateSchema = defineEntity({
  name: 'Template',
  tableName: 'templates',
  schema: 'specs',
  properties: {
    ...baseProperties(),
    slug: p.string().length(100).unique(),
    name: p.string().length(200),
    description: p.text().default(''),
    category: p.string().length(100),
    specifications: p.json<TemplateSpecification[]>(),
    files: p.json<TemplateFile[]>(),
    /** Shipped with Agora (seeded on start when missing); admins may still edit them. */
    builtIn: p.boolean().default(false),
  },
});

export type Template = InferEntity<typeof TemplateSchema>;
