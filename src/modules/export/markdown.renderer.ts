import { byCategory, type ExportDocument } from './export-document.ts';

/** Inline user text: Markdown's special characters escaped, so text cannot become structure. */
export function escapeInline(text: string): string {
  return text
    .replace(/[\\`*_{}[\]()<>#+!|~]/g, (character) => `\\${character}`)
    .replace(/\r?\n/g, ' ')
    .trim();
}

/** A table cell: inline escaping, and newlines as <br> (the one tag allowed through). */
function cell(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => escapeInline(line))
    .join('<br>');
}

/** A block of user text: each line escaped, paragraphs kept. */
function block(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => escapeInline(line))
    .join('  \n');
}

const percent = (value: number) => `${Math.round(value * 100)}%`;

export function renderMarkdown(document: ExportDocument): string {
  const { project } = document;
  const lines: string[] = [
    `# ${escapeInline(project.name)}`,
    '',
    project.description ? block(project.description) : '_No description._',
    '',
    `- Phase: ${project.phase}`,
    `- Maturity: ${project.maturityScore}/100`,
  ];
  if (project.llmProvider) lines.push(`- LLM: ${project.llmProvider}${project.llmModel ? ` (${escapeInline(project.llmModel)})` : ''}`);
  if (project.sourceRepoUrl) lines.push(`- Repository: ${escapeInline(project.sourceRepoUrl)}`);
  if (project.templateSlug) lines.push(`- Template: ${escapeInline(project.templateSlug)}`);

  lines.push('', '## Specifications', '');
  if (document.specifications.length === 0) lines.push('_None yet._');
  for (const [category, specifications] of byCategory(document.specifications)) {
    lines.push(`### ${escapeInline(category)}`, '', '| Key | Value | Confidence | Source |', '| --- | --- | --- | --- |');
    for (const specification of specifications) {
      lines.push(`| ${cell(specification.key)} | ${cell(specification.value)} | ${percent(specification.confidence)} | ${specification.source} |`);
    }
    lines.push('');
  }

  lines.push('## Recommendations', '');
  const recommendations = document.analyses.flatMap((analysis) => analysis.recommendations);
  if (recommendations.length === 0) lines.push('_None yet._', '');
  for (const recommendation of recommendations) {
    lines.push(`### ${escapeInline(recommendation.title)}`, '', `${recommendation.priority} · ${escapeInline(recommendation.type)} · confidence ${percent(recommendation.confidence)}`, '');
    if (recommendation.description) lines.push(block(recommendation.description), '');
    recommendation.actions.forEach((action, index) => lines.push(`${index + 1}. ${escapeInline(action)}`));
    lines.push('');
  }

  const { usage } = document;
  lines.push('## Usage', '', `${usage.calls} call(s), ${usage.totalTokens} token(s), ${usage.totalCost} USD.`, '');
  if (usage.byProvider.length) {
    lines.push('| Provider | Calls | Tokens | Cost (USD) |', '| --- | --- | --- | --- |');
    for (const bucket of usage.byProvider) lines.push(`| ${bucket.key} | ${bucket.calls} | ${bucket.tokens} | ${bucket.cost} |`);
    lines.push('');
  }

  lines.push('## Code files', '');
  if (document.codeFiles.length === 0) lines.push('_None yet._');
  for (const file of document.codeFiles) lines.push(`- \`${file.path.replace(/`/g, "'")}\`${file.language ? ` (${escapeInline(file.language)})` : ''}`);
  lines.push('');
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
