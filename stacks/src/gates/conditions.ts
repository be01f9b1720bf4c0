type ContextValue = string | readonly string[];
export type Context = Readonly<Record<string, ContextValue>>;

/** Marks a key to leave out of the request context. */
const OMIT: unique symbol = Symbol('omit');
type Variant = Record<string, ContextValue | typeof OMIT>;

function concrete(value: string): string {
  return value.replace(/\*/g, 'x').replace(/\?/g, 'x');
}

function values(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

/** A value that matches none of `patterns`, in the shape of the key (an ARN for ARN keys). */
function mismatch(patterns: readonly string[], account: string): string {
  if (patterns.some((p) => p.startsWith('arn:'))) return `arn:aws:iam::${account}:policy/NotTheExpectedOne`;
  return 'not-the-expected-value';
}

/**
 * Request contexts under which every condition of a statement holds: the situations a conditional
 * deny exists for. Negated operators (`StringNotEquals`, `ArnNotLike`, ...) hold both when the key
 * is missing and when it has another value, so both are produced.
 */
export function contextsSatisfying(
  condition: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined,
  account: string,
): Context[] {
  if (!condition) return [{}];
  let variants: Variant[] = [{}];
  for (const [rawOperator, block] of Object.entries(condition)) {
    const setOp = rawOperator.startsWith('ForAnyValue:') || rawOperator.startsWith('ForAllValues:');
    const operator = rawOperator.replace(/^(ForAnyValue|ForAllValues):/, '').replace(/IfExists$/, '');
    for (const [key, raw] of Object.entries(block)) {
      const patterns = values(raw);
      let options: (ContextValue | typeof OMIT)[];
      if (operator === 'Null') {
        options = [patterns[0] === 'true' ? OMIT : 'x'];
      } else if (/Not/.test(operator)) {
        const other = mismatch(patterns, account);
        options = [OMIT, setOp ? [other] : other];
      } else if (operator === 'Bool') {
        options = [patterns[0] ?? 'true'];
      } else {
        const first = concrete(patterns[0] ?? 'x');
        options = [setOp ? [first] : first];
      }
      variants = variants.flatMap((v) => options.map((o): Variant => ({ ...v, [key]: o })));
    }
  }
  return variants.map((v) => Object.fromEntries(Object.entries(v).filter(([, val]) => val !== OMIT)) as Context);
}

/** Condition keys a statement's conditions test. */
export function conditionKeys(
  condition: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined,
): string[] {
  if (!condition) return [];
  return Object.values(condition).flatMap((block) => Object.keys(block));
}
