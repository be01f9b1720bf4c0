import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordSplitter, SplitError, type SplitItem } from '../../src/records/recordSplitter.js';

function split(text: string, chunkSizes: readonly number[] = [text.length || 1], maxRecordChars?: number): SplitItem[] {
  const splitter = new RecordSplitter(maxRecordChars === undefined ? {} : { maxRecordChars });
  const items: SplitItem[] = [];
  let at = 0;
  let turn = 0;
  while (at < text.length) {
    const size = Math.max(1, chunkSizes[turn % chunkSizes.length] ?? 1);
    items.push(...splitter.push(text.slice(at, at + size)));
    at += size;
    turn += 1;
  }
  splitter.end();
  return items;
}

function records(items: readonly SplitItem[]): unknown[] {
  return items.map((item) => (item.type === 'record' ? JSON.parse(item.text) : { oversize: item.chars }));
}

function failure(text: string): string {
  try {
    split(text);
  } catch (error) {
    if (error instanceof SplitError) return error.message;
    throw error;
  }
  return 'no error';
}

describe('RecordSplitter', () => {
  it('hands out each element of a CloudTrail log file, however the text is cut', () => {
    const file = {
      Records: [
        { eventName: 'A', n: [1, { x: '}]' }] },
        { eventName: 'B', s: 'quote " and \\ backslash' },
      ],
    };
    const text = JSON.stringify(file, null, 2);
    for (const size of [1, 2, 3, 5, 64, text.length]) {
      expect(records(split(text, [size]))).toEqual(file.Records);
    }
  });

  it('reads a bare array of records (Stratus Red Team publishes its logs so)', () => {
    expect(records(split('[{"a":1},{"b":2}]'))).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('skips other top-level keys, even when they hold arrays of objects', () => {
    const text = JSON.stringify({ Other: [{ Records: [{ wrong: true }] }], Records: [{ right: true }], tail: 'x' });
    expect(records(split(text, [4]))).toEqual([{ right: true }]);
  });

  it('hands out elements that are not objects as they are, for the record parser to refuse', () => {
    expect(records(split('{"Records":[1, "two", null, {"ok":true}]}'))).toEqual([1, 'two', null, { ok: true }]);
  });

  it('reports a file cut short, with the records read before it', () => {
    expect(failure('{"Records":[{"a":1},{"b":')).toMatch(/ends early .* after 1 record: the file is truncated/);
    expect(failure('{"Records":[{"a":"unterminated')).toMatch(/ends early \(inside a string\)/);
  });

  it('refuses garbled envelopes: missing commas, extra commas, data after the end, mismatched brackets', () => {
    expect(failure('{"Records":[{} {}]}')).toMatch(/missing comma between records/);
    expect(failure('{"Records":[{},]}')).toMatch(/comma before the end/);
    expect(failure('{"Records":[,{}]}')).toMatch(/comma where a record belongs/);
    expect(failure('{"Records":[]} trailing')).toMatch(/data after the end/);
    expect(failure('{"Records":[]]')).toMatch(/mismatched brackets/);
  });

  it('refuses text that is not a log file', () => {
    expect(failure('')).toMatch(/empty file/);
    expect(failure('not json')).toMatch(/not JSON/);
    expect(failure('{"records":[]}')).toMatch(/no "Records" array/);
    expect(failure('{"Records":{"a":1}}')).toMatch(/no "Records" array/);
  });

  it('skips a record larger than the limit and goes on with the next', () => {
    const big = { data: 'x'.repeat(500) };
    const items = split(JSON.stringify({ Records: [{ a: 1 }, big, { b: 2 }] }), [7], 200);
    expect(items.map((i) => i.type)).toEqual(['record', 'oversize', 'record']);
    expect(items[1]).toMatchObject({ index: 1 });
    expect((items[1] as { chars: number }).chars).toBe(JSON.stringify(big).length);
    expect(records([items[0] as SplitItem, items[2] as SplitItem])).toEqual([{ a: 1 }, { b: 2 }]);
  });

  // Property tests: the splitter reads untrusted files.
  const record = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
  const layout = fc.constantFrom<(v: unknown) => string>(
    (v) => JSON.stringify(v),
    (v) => JSON.stringify(v, null, 2),
    (v) => JSON.stringify(v, null, '\t'),
  );
  const cuts = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 });

  it('yields exactly the records JSON.parse finds, for any records, layout and chunking', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 12 }), layout, cuts, fc.boolean(), (list, format, sizes, bare) => {
        const text = format(bare ? list : { Records: list, After: [{ x: 1 }] });
        expect(records(split(text, sizes))).toEqual(JSON.parse(text).Records ?? JSON.parse(text));
      }),
    );
  });

  it('detects every truncation of a log file', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (list, at) => {
          const text = JSON.stringify({ Records: list });
          const cut = text.slice(0, Math.floor(at * (text.length - 1)));
          expect(() => split(cut, [5])).toThrow(SplitError);
        },
      ),
    );
  });

  it('throws nothing but SplitError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), cuts, (text, sizes) => {
        try {
          split(text, sizes);
        } catch (error) {
          expect(error).toBeInstanceOf(SplitError);
        }
      }),
    );
  });
});
