import { builder } from '../../graphql/builder.ts';
import { ProjectRef } from '../projects/projects.schema.ts';
import { EXPORT_FORMATS, type ExportFile } from './export.service.ts';

const ExportFormatEnum = builder.enumType('ExportFormat', { values: EXPORT_FORMATS });

const ProjectExportRef = builder.objectRef<ExportFile>('ProjectExport').implement({
  description: 'A rendered export. The same project state gives the same bytes, so sha256 and byteSize match the download.',
  fields: (t) => ({
    filename: t.exposeString('filename'),
    contentType: t.exposeString('contentType'),
    byteSize: t.exposeInt('byteSize'),
    sha256: t.exposeString('sha256'),
    downloadUrl: t.exposeString('downloadUrl', { description: 'GET it with the same Bearer token to download the file.' }),
    text: t.string({ nullable: true, description: 'The content, for MARKDOWN and JSON.', resolve: (file) => file.text }),
  }),
});

builder.mutationFields((t) => ({
  exportProject: t.withAuth({ signedIn: true }).field({
    type: ProjectExportRef,
    args: { projectId: t.arg.id({ required: true }), format: t.arg({ type: ExportFormatEnum, required: true }) },
    resolve: (_root, { projectId, format }, { services, viewer }) => services.exports.export(viewer, projectId, format),
  }),
  importProject: t.withAuth({ signedIn: true }).field({
    type: ProjectRef,
    description: 'Creates a project from a JSON export (agoraExportVersion 1).',
    args: { document: t.arg({ type: 'JSON', required: true }) },
    resolve: (_root, { document }, { services, viewer }) => services.exports.import(viewer, document),
  }),
}));
