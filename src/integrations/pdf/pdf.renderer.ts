import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TDocumentDefinitions } from 'pdfmake/interfaces.js';

// pdfmake 0.3 on the server: fonts set explicitly (Roboto, shipped in the package, so Unicode text renders
// and is embedded), no URL access at all, and local file access only to those fonts.
const require = createRequire(import.meta.url);
const pdfmake = require('pdfmake') as {
  setFonts(fonts: Record<string, Record<string, string>>): void;
  setUrlAccessPolicy(policy: (url: string) => boolean): void;
  setLocalAccessPolicy(policy: (path: string) => boolean): void;
  createPdf(document: TDocumentDefinitions): { getBuffer(): Promise<Buffer> };
};

const fontDirectory = join(dirname(require.resolve('pdfmake/package.json')), 'fonts', 'Roboto');
pdfmake.setFonts({
  Roboto: {
    normal: join(fontDirectory, 'Roboto-Regular.ttf'),
    bold: join(fontDirectory, 'Roboto-Medium.ttf'),
    italics: join(fontDirectory, 'Roboto-Italic.ttf'),
    bolditalics: join(fontDirectory, 'Roboto-MediumItalic.ttf'),
  },
});
pdfmake.setUrlAccessPolicy(() => false);
pdfmake.setLocalAccessPolicy((path) => path.startsWith(fontDirectory));

/** Renders a document. A fixed creation date keeps the bytes (and the PDF's file id) deterministic. */
export function renderPdf(document: TDocumentDefinitions, creationDate: Date): Promise<Buffer> {
  return pdfmake.createPdf({ ...document, info: { ...document.info, creationDate, modDate: creationDate } }).getBuffer();
}
