/**
 * Splits a CloudTrail log file's JSON text into the text of each record while the text streams in, so a
 * file is never held (or parsed) whole: memory stays at one record plus one chunk, whatever the file's size.
 *
 * Accepted shapes: `{"Records":[ … ]}` (what CloudTrail writes; other top-level keys are skipped) and a bare
 * array of records. Each element's text is handed out as is, to be parsed on its own; the envelope's
 * structure (brackets, strings, commas between elements, nothing after the document) is checked here, so a
 * truncated or garbled file is reported instead of silently yielding fewer records.
 */

export type SplitItem =
  /** One element of the records array, `index` counting from 0. */
  | { readonly type: 'record'; readonly index: number; readonly text: string }
  /** One element larger than `maxRecordChars`: skipped, the file goes on. */
  | { readonly type: 'oversize'; readonly index: number; readonly chars: number };

export interface RecordSplitterOptions {
  /** Longest element kept; CloudTrail events are at most 256 KB. @default 4_194_304 */
  readonly maxRecordChars?: number;
}

/** The envelope cannot be read any further (truncated, garbled, not a log file). */
export class SplitError extends Error {
  override readonly name = 'SplitError';
}

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const BOM = 0xfeff;

// Runs of characters that change nothing: inside strings everything but quote and backslash, inside a
// record everything but brackets and quotes.
const STRING_BODY = /[^"\\]*/y;
const RECORD_BODY = /[^"{}[\]]*/y;
const MAX_KEY_CHARS = 64;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

type TopState = 'start' | 'object' | 'bare' | 'done';
/** Where the top-level object's parser is between tokens. */
type MemberState = 'key' | 'colon' | 'value' | 'after-value';

export class RecordSplitter {
  private readonly maxRecordChars: number;
  private buffer = '';
  /** Where the scan resumes in `buffer`. */
  private pos = 0;
  /** Offset of `buffer[0]` in the whole text, for messages. */
  private bufferOffset = 0;
  private top: TopState = 'start';
  private member: MemberState = 'key';
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Depth of the records array's elements (1 for a bare array, 2 inside `{"Records":[…]}`); 0 when outside it. */
  private recordsDepth = 0;
  private sawRecords = false;
  /** Inside the records array: whether an element must come next (after `[` or `,`). */
  private expectElement = false;
  private elementsInArray = 0;
  private inElement = false;
  /** Start of the current element in `buffer` (of its part not yet counted, once it is oversize). */
  private elementStart = 0;
  private elementKind: 'container' | 'string' | 'primitive' = 'container';
  private oversize = false;
  private oversizeChars = 0;
  private index = 0;
  private key = '';
  private keyTooLong = false;
  private capturingKey = false;

  constructor(options: RecordSplitterOptions = {}) {
    this.maxRecordChars = options.maxRecordChars ?? 4_194_304;
  }

  /** Records complete after this chunk. Throws SplitError when the text cannot be a log file. */
  push(chunk: string): SplitItem[] {
    const out: SplitItem[] = [];
    if (chunk === '') return out;
    this.buffer += chunk;
    this.scan(out);
    if (this.inElement && !this.oversize && this.pos - this.elementStart > this.maxRecordChars) this.oversize = true;
    // Keep only the text of an unfinished element that is still wanted.
    const keep = this.inElement && !this.oversize ? this.elementStart : this.pos;
    if (this.inElement && this.oversize) this.oversizeChars += keep - this.elementStart;
    this.buffer = this.buffer.slice(keep);
    this.pos -= keep;
    this.bufferOffset += keep;
    // An unfinished element now starts the buffer (or, once oversize, its uncounted rest does).
    this.elementStart = 0;
    return out;
  }

  /** Call at the end of the text: throws when it ended early or held no records array. */
  end(): void {
    if (this.top === 'start') throw new SplitError('empty file: no JSON document');
    if (this.top !== 'done') {
      const where = this.inString ? 'inside a string' : `${this.depth} bracket${this.depth === 1 ? '' : 's'} open`;
      throw new SplitError(
        `the JSON ends early (${where}) after ${this.index} record${this.index === 1 ? '' : 's'}: the file is truncated`,
      );
    }
    if (!this.sawRecords) throw new SplitError('not a CloudTrail log file: no "Records" array');
  }

  /** Records handed out so far (including oversize ones). */
  get records(): number {
    return this.index;
  }

  private fail(position: number, what: string): never {
    throw new SplitError(`${what} at character ${this.bufferOffset + position}`);
  }

  private scan(out: SplitItem[]): void {
    const text = this.buffer;
    const length = text.length;
    let i = this.pos;
    while (i < length) {
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          if (this.capturingKey) this.captureKey(text, i, i + 1);
          i += 1;
          continue;
        }
        STRING_BODY.lastIndex = i;
        STRING_BODY.test(text);
        const stop = STRING_BODY.lastIndex;
        if (this.capturingKey) this.captureKey(text, i, stop);
        i = stop;
        if (i >= length) break;
        if (text.charCodeAt(i) === BACKSLASH) {
          if (this.capturingKey) this.captureKey(text, i, Math.min(i + 2, length));
          if (i + 1 >= length) this.escape = true;
          i += 2;
          continue;
        }
        // The closing quote.
        this.inString = false;
        i += 1;
        if (this.capturingKey) {
          this.capturingKey = false;
          this.member = 'colon';
        } else if (this.top === 'object' && this.depth === 1) {
          this.member = 'after-value';
        }
        if (this.inElement && this.elementKind === 'string' && this.depth === this.recordsDepth) {
          this.finishElement(out, i);
        }
        continue;
      }

      // Inside a record: jump to the next character that matters.
      if (this.recordsDepth > 0 && this.depth > this.recordsDepth) {
        RECORD_BODY.lastIndex = i;
        RECORD_BODY.test(text);
        i = RECORD_BODY.lastIndex;
        if (i >= length) break;
      }

      const code = text.charCodeAt(i);

      if (this.top === 'done') {
        if (!isWhitespace(code)) this.fail(i, 'data after the end of the JSON document');
        i += 1;
        continue;
      }

      if (this.top === 'start') {
        if (isWhitespace(code) || code === BOM) {
          i += 1;
          continue;
        }
        if (code === OPEN_OBJECT) {
          this.top = 'object';
          this.member = 'key';
          this.depth = 1;
        } else if (code === OPEN_ARRAY) {
          this.top = 'bare';
          this.depth = 1;
          this.openRecords();
        } else {
          this.fail(i, `not JSON: starts with ${JSON.stringify(text[i])}`);
        }
        i += 1;
        continue;
      }

      if (this.recordsDepth > 0 && this.depth === this.recordsDepth) {
        if (!this.inElement) {
          i = this.betweenRecords(text, i, code);
          continue;
        }
        if (this.elementKind === 'primitive') {
          // A number, true, null… ends at the first separator; it is not a record, parsing it says so.
          if (code === COMMA || code === CLOSE_ARRAY || isWhitespace(code)) {
            this.finishElement(out, i);
            continue;
          }
          if (code === QUOTE || code === OPEN_OBJECT || code === OPEN_ARRAY || code === CLOSE_OBJECT) {
            this.fail(i, `an unexpected ${JSON.stringify(text[i])} inside a record`);
          }
          i += 1;
          continue;
        }
      }

      switch (code) {
        case QUOTE:
          this.inString = true;
          if (this.top === 'object' && this.depth === 1) {
            if (this.member === 'key') {
              this.capturingKey = true;
              this.key = '';
              this.keyTooLong = false;
            } else if (this.member !== 'value') {
              this.fail(i, 'a string where a comma or "}" belongs');
            }
          }
          break;
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          if (this.top === 'object' && this.depth === 1) {
            if (this.member !== 'value') this.fail(i, `an unexpected ${JSON.stringify(text[i])}`);
            this.member = 'after-value';
            this.depth += 1;
            if (code === OPEN_ARRAY && !this.keyTooLong && this.key === 'Records') this.openRecords();
          } else {
            this.depth += 1;
          }
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          this.depth -= 1;
          if (this.depth === 0) {
            if ((this.top === 'object') !== (code === CLOSE_OBJECT)) this.fail(i, 'mismatched brackets');
            if (this.top === 'object' && this.member !== 'after-value' && this.member !== 'key') {
              this.fail(i, 'an object member without a value');
            }
            this.top = 'done';
          } else if (this.inElement && this.depth === this.recordsDepth) {
            this.finishElement(out, i + 1);
          }
          break;
        case COLON:
          if (this.top === 'object' && this.depth === 1) {
            if (this.member !== 'colon') this.fail(i, 'an unexpected ":"');
            this.member = 'value';
          }
          break;
        case COMMA:
          if (this.top === 'object' && this.depth === 1) {
            if (this.member !== 'after-value') this.fail(i, 'an unexpected ","');
            this.member = 'key';
          }
          break;
        default:
          if (this.top === 'object' && this.depth === 1 && !isWhitespace(code)) {
            // A number, true, false or null as the value of a top-level key.
            if (this.member !== 'value' && this.member !== 'after-value') {
              this.fail(i, `an unexpected ${JSON.stringify(text[i])}`);
            }
            this.member = 'after-value';
          }
      }
      i += 1;
    }
    this.pos = Math.min(i, length);
  }

  /** Between two elements of the records array: whitespace, one comma, the end, or the next element. */
  private betweenRecords(text: string, i: number, code: number): number {
    if (isWhitespace(code)) return i + 1;
    if (code === COMMA) {
      if (this.expectElement) this.fail(i, 'a comma where a record belongs');
      this.expectElement = true;
      return i + 1;
    }
    if (code === CLOSE_ARRAY) {
      if (this.expectElement && this.elementsInArray > 0) this.fail(i, 'a comma before the end of the records');
      this.closeRecords();
      return i + 1;
    }
    if (!this.expectElement) this.fail(i, 'a missing comma between records');
    if (code === CLOSE_OBJECT || code === COLON) this.fail(i, `an unexpected ${JSON.stringify(text[i])}`);
    this.expectElement = false;
    this.elementsInArray += 1;
    this.inElement = true;
    this.elementStart = i;
    this.oversize = false;
    this.oversizeChars = 0;
    if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      this.elementKind = 'container';
      this.depth += 1;
    } else if (code === QUOTE) {
      this.elementKind = 'string';
      this.inString = true;
    } else {
      this.elementKind = 'primitive';
    }
    return i + 1;
  }

  private captureKey(text: string, from: number, to: number): void {
    if (this.keyTooLong) return;
    this.key += text.slice(from, to);
    if (this.key.length > MAX_KEY_CHARS) this.keyTooLong = true;
  }

  private openRecords(): void {
    this.recordsDepth = this.depth;
    this.sawRecords = true;
    this.expectElement = true;
    this.elementsInArray = 0;
  }

  private closeRecords(): void {
    this.depth -= 1;
    this.recordsDepth = 0;
    if (this.depth === 0) this.top = 'done';
  }

  private finishElement(out: SplitItem[], end: number): void {
    const chars = this.oversizeChars + end - this.elementStart;
    if (this.oversize || chars > this.maxRecordChars) out.push({ type: 'oversize', index: this.index, chars });
    else out.push({ type: 'record', index: this.index, text: this.buffer.slice(this.elementStart, end) });
    this.index += 1;
    this.inElement = false;
    this.oversize = false;
    this.oversizeChars = 0;
  }
}
