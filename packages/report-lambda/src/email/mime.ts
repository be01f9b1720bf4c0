import { randomBytes } from 'node:crypto';

/**
 * A MIME message with a plain-text and an HTML alternative, built by hand for SES v2's raw content: every
 * client shows one of the two parts, and the message carries `Auto-Submitted` so that auto-responders
 * stay quiet. Header values are stripped of control characters (no header injection from report data)
 * and non-ASCII text is encoded (RFC 2047 words in headers, base64 bodies).
 */
export interface MimeInput {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly date: Date;
  /** Extra `X-…` headers, e.g. the delivery id. */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default random */
  readonly boundary?: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const HEADER_NAME = /^X-[A-Za-z0-9-]{1,60}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** One header line's value: single line, no control characters. */
export function headerValue(value: string): string {
  return value.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
}

/** RFC 2047 encoded words for a header value that is not plain ASCII; each word stays under 76 characters. */
export function encodeHeaderWords(value: string): string {
  const clean = headerValue(value);
  if (PRINTABLE_ASCII.test(clean) && !clean.includes('=?')) return clean;
  const words: string[] = [];
  let current = '';
  // 45 bytes of UTF-8 give 60 base64 characters: with `=?UTF-8?B?` and `?=` a word is 72 characters.
  for (const char of clean) {
    if (Buffer.byteLength(current + char, 'utf8') > 45) {
      words.push(current);
      current = '';
    }
    current += char;
  }
  if (current !== '') words.push(current);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`).join('\r\n ');
}

function base64Lines(text: string): string {
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return lines.join('\r\n');
}

/** `Tue, 03 Mar 2026 09:05:00 +0000` (RFC 5322). */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

export function buildMime(input: MimeInput): string {
  // `=_` cannot occur in base64 text, so the boundary never collides with a body.
  const boundary = input.boundary ?? `=_jit_${randomBytes(12).toString('hex')}`;
  const headers = [
    `From: ${headerValue(input.from)}`,
    `To: ${input.to.map(headerValue).join(', ')}`,
    `Subject: ${encodeHeaderWords(input.subject)}`,
    `Date: ${rfc5322Date(input.date)}`,
    'MIME-Version: 1.0',
    'Auto-Submitted: auto-generated',
  ];
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (HEADER_NAME.test(name)) headers.push(`${name}: ${encodeHeaderWords(value)}`);
  }
  headers.push(`Content-Type: multipart/alternative; boundary="${boundary}"`);
  return [
    ...headers,
    '',
    'This is a multi-part message in MIME format.',
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(input.text),
    `--${boundary}`,
    'Content-Type: text/html; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(input.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
