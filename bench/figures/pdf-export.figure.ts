// Figure 7: PDF export of a project with 2,000 specifications (20 categories of 100), through GraphQL
// (`exportProject(format: PDF)`: load, render, hash), interleaved with the pure render of the same
// document in this process (renderProjectPdf, no database, no GraphQL). Both give the same bytes (the
// export is deterministic), which the figure checks through the SHA-256.
import { createHash } from 'node:crypto';
import { loadExportDocument } from '../../src/modules/export/export-document.ts';
import { renderProjectPdf } from '../../src/modules/export/pdf.renderer.ts';
import { ProjectSchema } from '../../src/modules/projects/project.entity.ts';
import { UsageService } from '../../src/modules/usage/usage.service.ts';
import type { Bench } from '../support/bench.ts';
import { cpuMs, Deadline, fmt, median, rotation } from '../support/stats.ts';

const EXPORT = 'mutation($id: ID!) { exportProject(projectId: $id, format: PDF) { byteSize sha256 } }';

export async function pdfExportFigure(bench: Bench): Promise<void> {
  const { settings } = bench;
  const { createProject } = await bench.graphql<{ createProject: { id: string } }>(
    'mutation { createProject(input: { name: "Big specification set", description: "2,000 specifications for the PDF benchmark." }) { id } }',
  );
  await bench.db.sql.query(
    `insert into specs.specifications (id, created_at, updated_at, project_id, category, key, value, confidence, source)
     select gen_random_uuid(), now(), now(), $1, 'Category ' || lpad((i % 20)::text, 2, '0'), 'Key ' || lpad(i::text, 4, '0'),
            'A value of a few words for specification ' || i || ', with some Unicode: déjà vu, naïve, 東京, ✓', 0.9, 'MANUAL'
     from generate_series(1, 2000) as i`,
    [createProject.id],
  );
  const em = bench.db.orm.em.fork();
  const project = await em.findOneOrFail(ProjectSchema, { id: createProject.id });
  const document = await loadExportDocument(em, new UsageService(em), project);

  let rendered = { bytes: 0, sha256: '' };
  let exported = { byteSize: 0, sha256: '' };
  let gatewayCpu = 0;
  const ways = {
    graphql: async () => {
      const before = await bench.gateway.cpu();
      const started = performance.now();
      exported = (await bench.graphql<{ exportProject: { byteSize: number; sha256: string } }>(EXPORT, { id: createProject.id })).exportProject;
      const ms = performance.now() - started;
      gatewayCpu += cpuMs(before, await bench.gateway.cpu());
      return ms;
    },
    render: async () => {
      const started = performance.now();
      const bytes = await renderProjectPdf(document);
      const ms = performance.now() - started;
      rendered = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      return ms;
    },
  };
  type Name = keyof typeof ways;
  const names = Object.keys(ways) as Name[];
  const times: Record<Name, number[]> = { graphql: [], render: [] };
  for (const name of names) await ways[name]();
  gatewayCpu = 0;
  const deadline = new Deadline(settings.quick ? 20 : 60);
  await bench.profiled('pdf-export', async () => {
    for (let i = 0; i < (settings.quick ? 2 : 6) && !deadline.passed; i += 1) {
      for (const name of rotation(names, i)) times[name].push(await ways[name]());
    }
  });
  const p50 = median(times.graphql);
  const sameBytes = rendered.sha256 === exported.sha256;
  bench.report.add({
    id: 'pdf.export',
    name: 'PDF export of a project with 2,000 specifications, through GraphQL, p50',
    measured: p50,
    unit: 'ms',
    value:
      `${fmt(p50, 0)} ms (pure render ${fmt(median(times.render), 0)} ms; gateway CPU ${fmt(gatewayCpu / times.graphql.length, 0)} ms per export; ` +
      `${fmt(exported.byteSize / 1024, 0)} KiB${sameBytes ? ', same bytes as the pure render' : ', NOT the same bytes as the pure render'})`,
    goal: '< 2000 ms',
    pass: p50 < 2000,
    details: { exports: times.graphql.length, graphqlMs: times.graphql, renderMs: times.render, byteSize: exported.byteSize, sameBytes, gatewayCpuMsPerExport: gatewayCpu / times.graphql.length },
  });
}
