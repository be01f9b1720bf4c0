import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeQueryParameters, decodeResponse } from '../../src/cloudtrail/protocol.js';
import { parseXml, type XmlElement, xmlToJson } from '../../src/cloudtrail/xml.js';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function serialize(element: XmlElement): string {
  if (element.children.length === 0) return `<${element.name}>${escapeXml(element.text)}</${element.name}>`;
  return `<${element.name}>${element.children.map(serialize).join('')}</${element.name}>`;
}

const xmlName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/);
// Text XML 1.0 can carry: no C0 controls other than tab, newline and carriage return, no lone surrogates.
const xmlText = fc
  .string({ maxLength: 20 })
  .filter((text) =>
    [...text].every((c) => (c >= ' ' || c === '\t' || c === '\n' || c === '\r') && !isLoneSurrogate(c)),
  );

function isLoneSurrogate(c: string): boolean {
  const code = c.charCodeAt(0);
  return c.length === 1 && code >= 0xd800 && code <= 0xdfff;
}
const tree: fc.Arbitrary<XmlElement> = fc.letrec<{ node: XmlElement }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ name: xmlName, children: fc.constant([] as XmlElement[]), text: xmlText }),
    fc.record({
      name: xmlName,
      children: fc.array(tie('node'), { minLength: 1, maxLength: 4 }),
      text: fc.constant(''),
    }),
  ),
})).node;

describe('parseXml', () => {
  it('reads back any element tree it is given as XML', () => {
    fc.assert(
      fc.property(tree, (root) => {
        expect(parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n${serialize(root)}`)).toEqual(root);
      }),
    );
  });

  it('never throws on arbitrary input; it returns a tree or undefined', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'grapheme' }),
          tree.map(serialize).map((x) => x.slice(0, -3)),
        ),
        (input) => {
          const result = parseXml(input);
          expect(result === undefined || typeof result.name === 'string').toBe(true);
        },
      ),
    );
  });

  it('refuses documents with a DOCTYPE (entity declarations)', () => {
    expect(parseXml('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')).toBeUndefined();
  });

  it('refuses mismatched tags, two roots and unknown entities', () => {
    expect(parseXml('<a><b></a></b>')).toBeUndefined();
    expect(parseXml('<a/><b/>')).toBeUndefined();
    expect(parseXml('<a>&nope;</a>')).toBeUndefined();
  });

  it('decodes entities, CDATA and namespaced names, and skips attributes', () => {
    expect(
      parseXml('<s3:Error xmlns:s3="x" a="1>2"><Message>a &lt;b&gt; &#x41;&#66;<![CDATA[<raw>]]></Message></s3:Error>'),
    ).toEqual({
      name: 'Error',
      text: '',
      children: [{ name: 'Message', text: 'a <b> AB<raw>', children: [] }],
    });
  });
});

describe('xmlToJson', () => {
  it('turns member lists into arrays and names into lower camel case', () => {
    const root = parseXml(
      '<ListUsersResult><Users><member><UserName>a</UserName></member></Users><IsTruncated>false</IsTruncated></ListUsersResult>',
    ) as XmlElement;

    expect(xmlToJson(root)).toEqual({ users: [{ userName: 'a' }], isTruncated: 'false' });
  });

  it('cannot reach Object.prototype through an element named __proto__', () => {
    const root = parseXml('<R><__proto__><polluted>yes</polluted></__proto__></R>') as XmlElement;

    const json = xmlToJson(root) as Record<string, unknown>;

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
  });
});

describe('decodeQueryParameters', () => {
  it('nests member lists, indexed lists and maps as CloudTrail shows them', () => {
    const params = new URLSearchParams({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: 'arn:aws:iam::1:role/R',
      'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      'Filter.1.Name': 'tag:env',
      'Filter.1.Value.1': 'prod',
      'Filter.1.Value.2': 'dev',
      MaxSessionDuration: '3600',
      AccountId: '000000000001',
      Enabled: 'true',
    });

    expect(decodeQueryParameters(params)).toEqual({
      roleArn: 'arn:aws:iam::1:role/R',
      policyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
      filter: [{ name: 'tag:env', value: ['prod', 'dev'] }],
      maxSessionDuration: 3600,
      accountId: '000000000001',
      enabled: true,
    });
  });

  it('is null for a call without parameters', () => {
    expect(
      decodeQueryParameters(new URLSearchParams({ Action: 'GetCallerIdentity', Version: '2011-06-15' })),
    ).toBeNull();
  });

  it('never throws and never pollutes prototypes, whatever the parameter names', () => {
    const names = fc.oneof(
      fc.string(),
      fc
        .array(
          fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'member', '1', '0', '99999'), xmlName),
          {
            minLength: 1,
            maxLength: 5,
          },
        )
        .map((parts) => parts.join('.')),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(names, fc.string()), { maxLength: 12 }), (pairs) => {
        const result = decodeQueryParameters(new URLSearchParams(pairs));
        expect(result === null || typeof result === 'object').toBe(true);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.hasOwn(Object.prototype, 'member')).toBe(false);
      }),
    );
  });
});

describe('decodeResponse error codes', () => {
  const xml = (status: number, body: string, service = 'sts') =>
    decodeResponse({ status, headers: { 'x-amzn-requestid': 'rid' }, body }, service, 'query');

  it('reads <Code> and <Message> of a Query-protocol error', () => {
    const decoded = xml(
      403,
      '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error></ErrorResponse>',
    );
    expect(decoded).toMatchObject({ errorCode: 'AccessDenied', errorMessage: 'not allowed', requestId: 'rid' });
  });

  it('reads the JSON protocol __type, a header-only error type, and a lower-case code', () => {
    const json = (body: string, headers: Record<string, string> = {}) =>
      decodeResponse({ status: 400, headers, body }, 'kms', 'json').errorCode;

    expect(json('{"__type":"NotFoundException","message":"x"}')).toBe('NotFoundException');
    expect(json('{"__type":"com.amazon.coral.service#ValidationException:http://internal"}')).toBe(
      'ValidationException',
    );
    expect(json('', { 'x-amzn-errortype': 'ThrottlingException:http://internal' })).toBe('ThrottlingException');
    expect(json('{"code":"InvalidRequest"}')).toBe('InvalidRequest');
  });

  it('names an unreadable error body after its HTTP status instead of passing it as success', () => {
    expect(decodeResponse({ status: 502, headers: {}, body: 'Bad Gateway' }, 'sts', 'query').errorCode).toBe('HTTP502');
    expect(decodeResponse({ status: 500, headers: {}, body: '<broken' }, 'iam', 'query').errorCode).toBe('HTTP500');
  });

  it('takes no error from a successful response', () => {
    expect(
      xml(200, '<GetCallerIdentityResponse><GetCallerIdentityResult/></GetCallerIdentityResponse>').errorCode,
    ).toBeUndefined();
  });
});
