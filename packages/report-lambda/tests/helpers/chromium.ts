import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's `chromium` (installed by .ci/run); the tests need it, there is no download fallback. */
export async function chromiumPath(): Promise<string> {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const { stdout } = await run('which', [name]);
      if (stdout.trim() !== '') return stdout.trim();
    } catch {
      // not this name
    }
  }
  throw new Error('chromium is not installed: apt-get install -y chromium (.ci/run does this)');
}

async function chromium(args: readonly string[]): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'report-chromium-'));
  try {
    const { stdout } = await run(
      await chromiumPath(),
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** A PNG of the page as a mail client with a 1280-pixel-wide window would show it. */
export async function screenshot(htmlFile: string, pngFile: string): Promise<void> {
  await chromium(['--window-size=1280,1600', `--screenshot=${pngFile}`, pathToFileURL(htmlFile).href]);
}

export interface Visibility {
  /** For each text: whether an element showing it is laid out, visible and inside the page. */
  readonly shown: Record<string, boolean>;
  readonly scrollWidth: number;
}

/**
 * Lays the page out in Chromium and reports, for each text, whether some element that holds it is
 * rendered with a size, not hidden, not transparent, and not pushed off the page — what "visible" means
 * for a reader, checked on a copy of the page with a probe script appended.
 */
export async function visibleTexts(html: string, texts: readonly string[]): Promise<Visibility> {
  const dir = await mkdtemp(join(tmpdir(), 'report-probe-'));
  try {
    const probe = `<script>
const wanted = ${JSON.stringify(texts)};
const shown = {};
const all = [...document.body.querySelectorAll('*')];
for (const text of wanted) {
  const holders = all.filter((e) => e.textContent.includes(text) && ![...e.children].some((c) => c.textContent.includes(text)));
  shown[text] = holders.some((e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && Number(s.opacity) > 0 && r.left >= 0 && s.color !== s.backgroundColor;
  });
}
const out = document.createElement('pre');
out.id = 'jit-visibility';
out.textContent = JSON.stringify({ shown, scrollWidth: document.documentElement.scrollWidth });
document.body.appendChild(out);
</script>`;
    const file = join(dir, 'probe.html');
    await writeFile(file, html.replace(/<\/body>/i, `${probe}</body>`));
    const dom = await chromium(['--window-size=1280,1600', '--dump-dom', pathToFileURL(file).href]);
    const match = /<pre id="jit-visibility">([\s\S]*?)<\/pre>/.exec(dom);
    if (match === null) throw new Error('the probe did not run');
    const json = (match[1] as string)
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    return JSON.parse(json) as Visibility;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(bytes: Buffer): { width: number; height: number } {
  if (bytes.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
