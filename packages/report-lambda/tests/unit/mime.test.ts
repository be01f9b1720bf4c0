import { describe, expect, it } from 'vitest';
import { buildMime, encodeHeaderWords, rfc5322Date } from '../../src/email/mime.js';
import { parseMail } from '../helpers/mime.js';

const input = {
  from: 'jit-reports@example.com',
  to: ['auditor@example.com', 'second@example.org'],
  subject: '[JIT Access] OK · 111111111111 · tier ops',
  text: 'Digest chain: valid\nline two',
  html: '<!DOCTYPE html><html><body><p>Digest chain: valid</p></body></html>',
  date: new Date('2026-03-02T12:00:00Z'),
  headers: { 'X-Jit-Report-Delivery': 'session-01J' },
};

describe('buildMime', () => {
  it('builds a message with a text and an HTML alternative that mail clients can read back', () => {
    const raw = buildMime(input);
    const mail = parseMail(raw);
    expect(mail.subject).toBe(input.subject);
    expect(mail.text).toBe(input.text);
    expect(mail.html).toBe(input.html);
    expect(mail.headers).toMatchObject({
      from: 'jit-reports@example.com',
      to: 'auditor@example.com, second@example.org',
      date: 'Mon, 02 Mar 2026 12:00:00 +0000',
      'mime-version': '1.0',
      'auto-submitted': 'auto-generated',
      'x-jit-report-delivery': 'session-01J',
    });
    expect(mail.headers['content-type']).toMatch(/^multipart\/alternative; boundary="=_jit_[0-9a-f]{24}"$/);
  });

  it('keeps every line within the 998 characters SMTP allows and ends lines with CRLF', () => {
    const raw = buildMime({ ...input, html: `<p>${'x'.repeat(5000)}</p>` });
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    expect(raw.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('encodes a subject that is not plain ASCII as RFC 2047 words', () => {
    const subject = 'Neustart — Dienst ✓ 🚀 '.repeat(4);
    const encoded = encodeHeaderWords(subject);
    expect(encoded).toMatch(/^=\?UTF-8\?B\?/);
    for (const line of encoded.split('\r\n')) expect(line.length).toBeLessThan(78);
    expect(parseMail(buildMime({ ...input, subject })).subject).toBe(subject.trim());
  });

  it('cannot be made to add headers through report data', () => {
    const raw = buildMime({
      ...input,
      subject: 'hello\r\nBcc: attacker@example.net',
      headers: { 'X-Ok': 'a\nb', Bcc: 'x@example.net' },
    });
    const mail = parseMail(raw);
    expect(mail.headers.bcc).toBeUndefined();
    expect(mail.subject).toBe('hello Bcc: attacker@example.net');
    expect(mail.headers['x-ok']).toBe('a b');
  });

  it('writes dates the way RFC 5322 asks', () => {
    expect(rfc5322Date(new Date('2026-12-31T23:59:59Z'))).toBe('Thu, 31 Dec 2026 23:59:59 +0000');
  });
});
