/**
 * A small XML reader for AWS responses (Query protocol, EC2, S3). It keeps what CloudTrail
 * records need — element names without namespace prefixes, text, children in order — and
 * drops attributes, comments and processing instructions. Response bodies come from moto or
 * from a client, so malformed input is expected: it yields `undefined`, never an exception.
 */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(raw: string): string | undefined {
  let bad = false;
  const out = raw.replace(/&([^;&<]{0,10});?/g, (match, name: string) => {
    if (!match.endsWith(';')) {
      bad = true;
      return match;
    }
    const named = ENTITIES[name];
    if (named !== undefined) return named;
    const code = name.startsWith('#x')
      ? Number.parseInt(name.slice(2), 16)
      : name.startsWith('#')
        ? Number.parseInt(name.slice(1), 10)
        : Number.NaN;
    if (!Number.isInteger(code) || code < 0 || code > 0x10ffff) {
      bad = true;
      return match;
    }
    return String.fromCodePoint(code);
  });
  return bad ? undefined : out;
}

const NAME = /^[A-Za-z_][\w.:-]*/;

/** Parses one XML document; `undefined` when it is not well-formed enough to trust. */
export function parseXml(input: string): XmlElement | undefined {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  while (i < input.length) {
    const lt = input.indexOf('<', i);
    const textEnd = lt === -1 ? input.length : lt;
    if (textEnd > i) {
      const raw = input.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (raw.trim() !== '') return undefined;
      } else {
        const text = decodeEntities(raw);
        if (text === undefined) return undefined;
        top.text += text;
      }
    }
    if (lt === -1) break;
    i = lt;
    if (input.startsWith('<?', i)) {
      const end = input.indexOf('?>', i + 2);
      if (end === -1) return undefined;
      i = end + 2;
    } else if (input.startsWith('<!--', i)) {
      const end = input.indexOf('-->', i + 4);
      if (end === -1) return undefined;
      i = end + 3;
    } else if (input.startsWith('<![CDATA[', i)) {
      const end = input.indexOf(']]>', i + 9);
      const top = stack[stack.length - 1];
      if (end === -1 || top === undefined) return undefined;
      top.text += input.slice(i + 9, end);
      i = end + 3;
    } else if (input.startsWith('<!', i)) {
      // DOCTYPE and friends: AWS never sends them, and entity declarations are a risk.
      return undefined;
    } else if (input.startsWith('</', i)) {
      const end = input.indexOf('>', i + 2);
      if (end === -1) return undefined;
      const name = localName(input.slice(i + 2, end).trim());
      const top = stack.pop();
      if (top === undefined || top.name !== name) return undefined;
      i = end + 1;
      if (stack.length === 0) root = top;
    } else {
      const match = NAME.exec(input.slice(i + 1));
      if (match === null) return undefined;
      const end = tagEnd(input, i + 1 + match[0].length);
      if (end === -1) return undefined;
      const selfClosing = input[end - 1] === '/';
      const element: XmlElement = { name: localName(match[0]), children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent === undefined && root !== undefined) return undefined;
      parent?.children.push(element);
      if (selfClosing) {
        if (parent === undefined) root = element;
      } else {
        stack.push(element);
      }
      i = end + 1;
    }
  }
  return stack.length === 0 ? root : undefined;
}

/** Index of the `>` closing a start tag, skipping quoted attribute values. */
function tagEnd(input: string, from: number): number {
  let quote: string | undefined;
  for (let j = from; j < input.length; j++) {
    const c = input[j];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '<') {
      return -1;
    } else if (c === '>') {
      return j;
    }
  }
  return -1;
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(':');
  return colon === -1 ? qualified : qualified.slice(colon + 1);
}

/** The first descendant (depth-first, the element itself included) with this name. */
export function findElement(element: XmlElement, name: string): XmlElement | undefined {
  if (element.name === name) return element;
  for (const child of element.children) {
    const found = findElement(child, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Text of the first descendant with this name, trimmed. */
export function findText(element: XmlElement, name: string): string | undefined {
  const found = findElement(element, name);
  return found === undefined ? undefined : found.text.trim();
}

const LIST_ITEM = new Set(['member', 'item', 'entry']);

/**
 * Turns an element's content into JSON the way CloudTrail shows responses: names in
 * lower camel case, `<member>`/`<item>` children as arrays, leaves as strings.
 */
export function xmlToJson(element: XmlElement, rename: (name: string) => string = lowerFirst): unknown {
  if (element.children.length === 0) return element.text.trim();
  if (element.children.every((child) => LIST_ITEM.has(child.name))) {
    return element.children.map((child) => xmlToJson(child, rename));
  }
  const groups = new Map<string, unknown[]>();
  for (const child of element.children) {
    const key = rename(child.name);
    const group = groups.get(key) ?? [];
    group.push(xmlToJson(child, rename));
    groups.set(key, group);
  }
  // fromEntries defines own properties, so a `__proto__` element cannot reach a prototype.
  return Object.fromEntries([...groups].map(([key, values]) => [key, values.length === 1 ? values[0] : values]));
}

export function lowerFirst(name: string): string {
  return name.length === 0 ? name : name[0]?.toLowerCase() + name.slice(1);
}
