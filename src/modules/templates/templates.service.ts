import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { AppError, badInput, notFound } from '../../errors.ts';
import { normaliseFilePath } from './file-paths.ts';
import { isUuid } from '../../db/query.ts';
import { BUILT_IN_TEMPLATES } from './builtin-templates.ts';
import { type Template, TemplateSchema } from './template.entity.ts';

const templateInput = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,98}$/, 'slug must be lower-case letters, digits and hyphens'),
  name: z.string().trim().min(1, 'name is required').max(200),
  description: z.string().max(10_000).default(''),
  category: z.string().trim().min(1).max(100),
  specifications: z
    .array(z.object({ category: z.string().trim().min(1).max(100), key: z.string().trim().min(1).max(200), value: z.string().max(10_000) }))
    .max(500)
    .default([]),
  files: z
    .array(z.object({ path: z.string().min(1), language: z.string().max(50).nullable().default(null), content: z.string().max(1_000_000) }))
    .max(500)
    .default([]),
});

export type TemplateInput = z.input<typeof templateInput>;
/** As it arrives from the API: any field may be missing or null (null means "not given"). */
export type LooseTemplateInput = { [K in keyof TemplateInput]?: TemplateInput[K] | null };

/** Seeding the built-in templates, one process at a time. */
const SEED_LOCK = 727_006;

export class TemplatesService {
  private readonly em: EntityManager;

  constructor(em: EntityManager) {
    this.em = em;
  }

  list(): Promise<Template[]> {
    return this.em.find(TemplateSchema, {}, { orderBy: { name: 'asc' } });
  }

  async get(id: string): Promise<Template> {
    const template = isUuid(id) ? await this.em.findOne(TemplateSchema, { id }) : await this.em.findOne(TemplateSchema, { slug: id });
    if (!template) throw notFound('The template');
    return template;
  }

  async create(input: LooseTemplateInput): Promise<Template> {
    const data = parse(stripNulls(input));
    if (await this.em.count(TemplateSchema, { slug: data.slug })) throw new AppError('CONFLICT', `A template with the slug "${data.slug}" already exists.`);
    const template = this.em.create(TemplateSchema, { ...data, builtIn: false });
    await this.em.flush();
    return template;
  }

  async update(id: string, input: LooseTemplateInput): Promise<Template> {
    const template = await this.get(id);
    const data = parse({ ...pick(template), ...stripNulls(input) });
    if (data.slug !== template.slug && (await this.em.count(TemplateSchema, { slug: data.slug }))) {
      throw new AppError('CONFLICT', `A template with the slug "${data.slug}" already exists.`);
    }
    this.em.assign(template, data);
    await this.em.flush();
    return template;
  }

  async delete(id: string): Promise<boolean> {
    await this.em.remove(await this.get(id)).flush();
    return true;
  }

  /** Inserts the built-in templates whose slug is missing; existing ones (maybe edited) stay as they are. */
  async seedBuiltIns(): Promise<number> {
    // Replicas starting together seed one after the other (the lock), so the second finds them all there.
    return this.em.transactional(async (em) => {
      await em.execute('select pg_advisory_xact_lock(?)', [SEED_LOCK]);
      const existing = new Set((await em.find(TemplateSchema, {}, { fields: ['slug'] })).map((template) => template.slug));
      let added = 0;
      for (const template of BUILT_IN_TEMPLATES) {
        if (existing.has(template.slug)) continue;
        em.create(TemplateSchema, { ...template, builtIn: true });
        added += 1;
      }
      await em.flush();
      return added;
    });
  }
}

function parse(input: unknown) {
  const parsed = templateInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw badInput(`${issue.path.join('.') || 'input'}: ${issue.message}`);
  }
  return { ...parsed.data, files: parsed.data.files.map((file) => ({ ...file, path: normaliseFilePath(file.path) })) };
}

function pick(template: Template): TemplateInput {
  return {
    slug: template.slug,
    name: template.name,
    description: template.description,
    category: template.category,
    specifications: template.specifications,
    files: template.files,
  };
}

function stripNulls<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null && value !== undefined)) as Partial<T>;
}
