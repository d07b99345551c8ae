import type { Content, TDocumentDefinitions } from 'pdfmake/interfaces.js';
import { renderPdf, renderPdfStream } from '../../integrations/pdf/pdf.renderer.ts';
import { byCategory, type ExportDocument } from './export-document.ts';

const percent = (value: number) => `${Math.round(value * 100)}%`;

/** The same content as the Markdown export: a title page, tables per category, page numbers. */
function projectPdfDefinition(document: ExportDocument): TDocumentDefinitions {
  const { project, usage } = document;
  const content: Content[] = [
    { text: project.name, style: 'title', margin: [0, 180, 0, 12] },
    { text: project.description || 'No description.', style: 'subtitle' },
    {
      margin: [0, 24, 0, 0],
      ul: [
        `Phase: ${project.phase}`,
        `Maturity: ${project.maturityScore}/100`,
        ...(project.llmProvider ? [`LLM: ${project.llmProvider}${project.llmModel ? ` (${project.llmModel})` : ''}`] : []),
        ...(project.sourceRepoUrl ? [`Repository: ${project.sourceRepoUrl}`] : []),
        `Last change: ${project.updatedAt.toISOString().slice(0, 10)}`,
      ],
    },
    { text: 'Specifications', style: 'h1', pageBreak: 'before' },
  ];
  if (document.specifications.length === 0) content.push({ text: 'None yet.', italics: true });
  for (const [category, specifications] of byCategory(document.specifications)) {
    content.push({ text: category, style: 'h2' });
    content.push({
      table: {
        headerRows: 1,
        widths: ['25%', '*', 'auto', 'auto'],
        body: [
          [{ text: 'Key', bold: true }, { text: 'Value', bold: true }, { text: 'Confidence', bold: true }, { text: 'Source', bold: true }],
          ...specifications.map((specification) => [specification.key, specification.value, percent(specification.confidence), specification.source]),
        ],
      },
      layout: 'lightHorizontalLines',
    });
  }
  const recommendations = document.analyses.flatMap((analysis) => analysis.recommendations);
  content.push({ text: 'Recommendations', style: 'h1' });
  if (recommendations.length === 0) content.push({ text: 'None yet.', italics: true });
  for (const recommendation of recommendations) {
    content.push({ text: recommendation.title, style: 'h2' });
    content.push({ text: `${recommendation.priority} · ${recommendation.type} · confidence ${percent(recommendation.confidence)}`, italics: true });
    if (recommendation.description) content.push({ text: recommendation.description, margin: [0, 4, 0, 4] });
    if (recommendation.actions.length) content.push({ ol: recommendation.actions });
  }
  content.push({ text: 'Usage', style: 'h1' });
  content.push({ text: `${usage.calls} call(s), ${usage.totalTokens} token(s), ${usage.totalCost} USD.` });
  if (usage.byProvider.length) {
    content.push({
      table: {
        headerRows: 1,
        body: [
          [{ text: 'Provider', bold: true }, { text: 'Calls', bold: true }, { text: 'Tokens', bold: true }, { text: 'Cost (USD)', bold: true }],
          ...usage.byProvider.map((bucket) => [bucket.key, String(bucket.calls), String(bucket.tokens), bucket.cost]),
        ],
      },
      layout: 'lightHorizontalLines',
      margin: [0, 6, 0, 0],
    });
  }
  content.push({ text: 'Code files', style: 'h1' });
  content.push(document.codeFiles.length ? { ul: document.codeFiles.map((file) => `${file.path}${file.language ? ` (${file.language})` : ''}`) } : { text: 'None yet.', italics: true });

  const definition: TDocumentDefinitions = {
    info: { title: project.name, subject: 'Agora project export', creator: 'Agora', producer: 'Agora' },
    pageSize: 'A4',
    pageMargins: [48, 56, 48, 56],
    defaultStyle: { font: 'Roboto', fontSize: 10 },
    styles: {
      title: { fontSize: 26, bold: true },
      subtitle: { fontSize: 13, color: '#444444' },
      h1: { fontSize: 16, bold: true, margin: [0, 16, 0, 8] },
      h2: { fontSize: 12, bold: true, margin: [0, 10, 0, 4] },
    },
    footer: (page, pages) => ({ text: `${project.name} · ${page} / ${pages}`, alignment: 'center', fontSize: 8, margin: [0, 20, 0, 0] }),
    content,
  };
  return definition;
}

// The project's own last change dates the file: the same state gives the same bytes.
export function renderProjectPdf(document: ExportDocument): Promise<Buffer> {
  return renderPdf(projectPdfDefinition(document), document.project.updatedAt);
}

export function renderProjectPdfStream(document: ExportDocument): Promise<ReadableStream<Uint8Array>> {
  return renderPdfStream(projectPdfDefinition(document), document.project.updatedAt);
}
