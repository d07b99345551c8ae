import { builder } from '../../graphql/builder.ts';
import type { Template, TemplateFile, TemplateSpecification } from './template.entity.ts';

const TemplateSpecificationRef = builder.objectRef<TemplateSpecification>('TemplateSpecification').implement({
  fields: (t) => ({ category: t.exposeString('category'), key: t.exposeString('key'), value: t.exposeString('value') }),
});

const TemplateFileRef = builder.objectRef<TemplateFile>('TemplateFile').implement({
  fields: (t) => ({
    path: t.exposeString('path'),
    language: t.string({ nullable: true, resolve: (file) => file.language }),
    content: t.exposeString('content'),
  }),
});

export const TemplateRef = builder.objectRef<Template>('Template').implement({
  description: 'A starting point for a project: the specifications and files it seeds.',
  fields: (t) => ({
    id: t.exposeID('id'),
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    category: t.exposeString('category'),
    builtIn: t.exposeBoolean('builtIn'),
    specifications: t.field({ type: [TemplateSpecificationRef], resolve: (template) => template.specifications }),
    files: t.field({ type: [TemplateFileRef], resolve: (template) => template.files }),
  }),
});

const TemplateSpecificationInput = builder.inputType('TemplateSpecificationInput', {
  fields: (t) => ({ category: t.string({ required: true }), key: t.string({ required: true }), value: t.string({ required: true }) }),
});
const TemplateFileInput = builder.inputType('TemplateFileInput', {
  fields: (t) => ({ path: t.string({ required: true }), language: t.string(), content: t.string({ required: true }) }),
});
const templateInput = (name: string, required: boolean) =>
  builder.inputType(name, {
    fields: (t) => ({
      slug: t.string({ required }),
      name: t.string({ required }),
      description: t.string(),
      category: t.string({ required }),
      specifications: t.field({ type: [TemplateSpecificationInput] }),
      files: t.field({ type: [TemplateFileInput] }),
    }),
  });
const CreateTemplateInput = templateInput('CreateTemplateInput', true);
const UpdateTemplateInput = templateInput('UpdateTemplateInput', false);

builder.queryField('templates', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: [TemplateRef],
    resolve: (_root, _args, { services }) => services.templates.list(),
  }),
);

builder.mutationFields((t) => ({
  createTemplate: t.withAuth({ admin: true }).field({
    type: TemplateRef,
    args: { input: t.arg({ type: CreateTemplateInput, required: true }) },
    resolve: (_root, { input }, { services }) => services.templates.create(input),
  }),
  updateTemplate: t.withAuth({ admin: true }).field({
    type: TemplateRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateTemplateInput, required: true }) },
    resolve: (_root, { id, input }, { services }) => services.templates.update(id, input),
  }),
  deleteTemplate: t.withAuth({ admin: true }).boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services }) => services.templates.delete(id),
  }),
}));
