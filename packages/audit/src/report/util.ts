/** `T` with every property whose value may be undefined turned into an optional property without undefined. */
export type Defined<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/**
 * Drops properties whose value is undefined, so objects built from optional CloudTrail fields satisfy
 * `exactOptionalPropertyTypes` and serialise without `"field": undefined` noise.
 */
export function defined<T extends object>(value: T): Defined<T> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = item;
  return out as Defined<T>;
}
