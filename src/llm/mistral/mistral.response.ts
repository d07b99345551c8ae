import type { ContentChunk } from '@mistralai/mistralai/models/components';

/** Message content is a string, or chunks (text, thinking, references) of which we keep the text. */
export function contentText(content: string | ContentChunk[] | null | undefined): string {
  if (typeof content === 'string') return content;
  return (content ?? []).flatMap((chunk) => (chunk.type === 'text' && 'text' in chunk && typeof chunk.text === 'string' ? [chunk.text] : [])).join('');
}
