import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { dirname, join } from 'node:path';
import type { TDocumentDefinitions } from 'pdfmake/interfaces.js';

// pdfmake 0.3 on the server: fonts set explicitly (Roboto, shipped in the package, so Unicode text renders
// and is embedded), no URL access at all, and local file access only to those fonts.
const require = createRequire(import.meta.url);

interface PdfMake {
  setFonts(fonts: Record<string, Record<string, string>>): void;
  setUrlAccessPolicy(policy: (url: string) => boolean): void;
  setLocalAccessPolicy(policy: (path: string) => boolean): void;
  createPdf(document: TDocumentDefinitions): { getBuffer(): Promise<Buffer>; getStream(): Promise<NodeJS.ReadableStream & { end(): void }> };
}

let configured: PdfMake | null = null;

/** pdfmake, loaded and configured on the first export (about 35 MB of resident memory a process that never exports a PDF does not spend). */
function pdfmake(): PdfMake {
  if (configured) return configured;
  const loaded = require('pdfmake') as PdfMake;
  const fontDirectory = join(dirname(require.resolve('pdfmake/package.json')), 'fonts', 'Roboto');
  loaded.setFonts({
    Roboto: {
      normal: join(fontDirectory, 'Roboto-Regular.ttf'),
      bold: join(fontDirectory, 'Roboto-Medium.ttf'),
      italics: join(fontDirectory, 'Roboto-Italic.ttf'),
      bolditalics: join(fontDirectory, 'Roboto-MediumItalic.ttf'),
    },
  });
  loaded.setUrlAccessPolicy(() => false);
  loaded.setLocalAccessPolicy((path) => path.startsWith(fontDirectory));
  configured = loaded;
  return loaded;
}

const dated = (document: TDocumentDefinitions, creationDate: Date): TDocumentDefinitions => ({
  ...document,
  info: { ...document.info, creationDate, modDate: creationDate },
});

/** Renders a document. A fixed creation date keeps the bytes (and the PDF's file id) deterministic. */
export function renderPdf(document: TDocumentDefinitions, creationDate: Date): Promise<Buffer> {
  return pdfmake().createPdf(dated(document, creationDate)).getBuffer();
}

/** The same bytes as `renderPdf`, handed on page by page as PDFKit writes them. */
export async function renderPdfStream(document: TDocumentDefinitions, creationDate: Date): Promise<ReadableStream<Uint8Array>> {
  const stream = await pdfmake().createPdf(dated(document, creationDate)).getStream();
  stream.end();
  return Readable.toWeb(stream as unknown as Readable) as ReadableStream<Uint8Array>;
}
