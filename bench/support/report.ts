// The figures of one run: printed as they come, then written as JSON and as a Markdown table.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface Figure {
  /** Stable id, for comparing runs (`call.latency.c1`). */
  id: string;
  name: string;
  /** The headline number, in `unit`; the table shows `value` text. */
  measured: number;
  unit: string;
  value: string;
  goal: string;
  /** null: reported without a goal. */
  pass: boolean | null;
  /** The raw numbers behind the headline (baselines, percentiles, counts). */
  details: Record<string, unknown>;
}

export function verdictOf(figure: Figure): string {
  return figure.pass === null ? 'INFO' : figure.pass ? 'PASS' : 'MISS';
}

export class Report {
  readonly figures: Figure[] = [];
  readonly notes: string[] = [];

  add(figure: Figure): void {
    this.figures.push(figure);
    console.log(`${verdictOf(figure).padEnd(4)}  ${figure.name}: ${figure.value}  (goal: ${figure.goal})`);
  }

  note(text: string): void {
    this.notes.push(text);
    console.log(`      ${text}`);
  }

  markdown(header: string): string {
    const escape = (text: string) => text.replaceAll('|', '\\|');
    const rows = this.figures.map((figure) => {
      const verdict = figure.pass === null ? 'info' : figure.pass ? 'pass' : '**miss**';
      return `| ${escape(figure.name)} | ${escape(figure.value)} | ${escape(figure.goal)} | ${verdict} |`;
    });
    return [header, '', '| figure | value | goal | verdict |', '| --- | --- | --- | --- |', ...rows].join('\n');
  }

  async write(jsonPath: string, markdownPath: string, meta: Record<string, unknown>, header: string): Promise<void> {
    await mkdir(dirname(jsonPath), { recursive: true });
    await writeFile(jsonPath, `${JSON.stringify({ ...meta, figures: this.figures, notes: this.notes }, null, 2)}\n`);
    const notes = this.notes.length ? ['', ...this.notes.map((note) => `- ${note}`)] : [];
    await writeFile(markdownPath, `${[this.markdown(header), ...notes].join('\n')}\n`);
  }
}
