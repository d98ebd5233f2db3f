/**
 * What the command line writes: tables and lines for people, JSON for scripts, progress only on a terminal.
 * Values that come from records (and, defensively, every table cell) are cleaned so that nothing read from a
 * stream can move the cursor, recolour the terminal or forge a line.
 */
import { forLog } from '../../../kinesis/src/index.js';

/** The part of a stream the CLI writes to (process.stdout, or a test's collector). */
export interface CliStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Where `run` writes and what it may read of its process: injectable, so tests run commands in-process. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  /** Aborted to stop a command that follows a stream (`tail --follow`): Ctrl-C in the real bin. */
  signal?: AbortSignal;
}

/** Longest table cell, characters: a cell is a label, an id or a cut value, never a payload. */
const MAX_CELL_CHARS = 1_000;

// What JSON.stringify leaves as is but a terminal may act on: DEL, C1 controls (0x9b is CSI), line and paragraph
// separators, bidi overrides. C0 controls are already escaped by JSON.stringify.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with every character a terminal could act on written as a \u escape (still the same JSON value). */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A string from a record for JSON output: cut to `max` characters with the original length noted (not cleaned). */
export const cut = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max)}...(${text.length} chars)` : text;

/** A value for a human line: control characters replaced, cut to `max` with the original length noted. */
export const cell = (value: unknown, max = MAX_CELL_CHARS): string =>
  value === undefined || value === null ? '-' : forLog(value, max);

export class Output {
  private progressShown = false;

  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** A line for people (already cleaned by the caller when it holds record content). */
  line(text: string): void {
    this.endProgress();
    this.io.stdout.write(`${text}\n`);
  }

  /** One JSON value on one line (NDJSON for streams of values, a document otherwise). */
  jsonLine(value: unknown): void {
    this.endProgress();
    this.io.stdout.write(`${safeJson(value)}\n`);
  }

  /** A JSON document, indented for reading. */
  document(value: unknown): void {
    this.endProgress();
    this.io.stdout.write(`${safeJson(value, 2)}\n`);
  }

  /** Rows under a header: columns aligned on a terminal, tab-separated otherwise (for cut and awk). */
  table(header: string[], rows: unknown[][]): void {
    const cells = [header, ...rows.map((row) => row.map((value) => cell(value)))];
    if (!this.io.stdout.isTTY) {
      for (const row of cells) this.line(row.join('\t'));
      return;
    }
    const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
    for (const row of cells)
      this.line(
        row
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      );
  }

  /** A status line on stderr, only when stderr is a terminal (redrawn in place; scripts never see it). */
  progress(text: string): void {
    if (!this.io.stderr.isTTY) return;
    this.io.stderr.write(`\r${cell(text, 200)}\x1b[K`);
    this.progressShown = true;
  }

  endProgress(): void {
    if (!this.progressShown) return;
    this.io.stderr.write('\r\x1b[K');
    this.progressShown = false;
  }
}
