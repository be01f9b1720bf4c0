/**
 * Reads back the messages the report function builds (multipart/alternative, base64 parts, RFC 2047
 * subject): enough MIME for tests to check what an auditor's mail client would show.
 */
export interface ParsedMail {
  readonly headers: Readonly<Record<string, string>>;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

function unfold(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  let last: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last !== undefined) {
      headers[last] = `${headers[last] ?? ''}${line.trimStart()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).toLowerCase();
    headers[last] = line.slice(colon + 1).trim();
  }
  return headers;
}

function decodeWords(value: string): string {
  return value.replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/gi, (_m, data: string) =>
    Buffer.from(data, 'base64').toString('utf8'),
  );
}

export function parseMail(raw: string): ParsedMail {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = unfold(raw.slice(0, split));
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const boundary = /boundary="([^"]+)"/.exec(headers['content-type'] ?? '')?.[1];
  if (boundary === undefined) throw new Error(`not multipart: ${headers['content-type']}`);
  const parts: Record<string, string> = {};
  for (const part of body.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break;
    const at = part.search(/\r?\n\r?\n/);
    const partHeaders = unfold(part.slice(0, at).replace(/^\r?\n/, ''));
    const content = part.slice(at).trim();
    const type = (partHeaders['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    parts[type] =
      partHeaders['content-transfer-encoding']?.toLowerCase() === 'base64'
        ? Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8')
        : content;
  }
  return {
    headers,
    subject: decodeWords(headers.subject ?? ''),
    text: parts['text/plain'] ?? '',
    html: parts['text/html'] ?? '',
  };
}
