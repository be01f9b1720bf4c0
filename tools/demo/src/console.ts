/** Plain terminal styling: colour only on a TTY, and never when NO_COLOR is set. */
export interface Style {
  heading(text: string): string;
  ok(text: string): string;
  fail(text: string): string;
  dim(text: string): string;
}

export function makeStyle(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const on = Boolean(stream.isTTY) && env.NO_COLOR === undefined;
  const wrap = (code: string) => (text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { heading: wrap('1;36'), ok: wrap('32'), fail: wrap('31'), dim: wrap('2') };
}
