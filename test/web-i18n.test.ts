import fs from 'node:fs';
import path from 'node:path';

/**
 * The web console speaks zh-CN and English (issue 16): every area's words (web/src/<area>/i18n.ts) must have
 * the same keys and the same {{placeholders}} in both languages, no empty text, and Chinese text in zh-CN —
 * a key missing in one language would show the raw key to its users.
 */

const webSrc = path.resolve(__dirname, '../web/src');
const files = fs
  .readdirSync(webSrc, { recursive: true, encoding: 'utf8' })
  .filter((f) => path.basename(f) === 'i18n.ts' && !f.startsWith('shared'))
  .map((f) => path.join(webSrc, f));

type Words = { [key: string]: string | Words };

function flatten(words: Words, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(words)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key.replace(/_(zero|one|two|few|many|other)$/, ''), v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)[^}]*\}\}/g)].map((m) => m[1]).sort();

let data: Record<string, Record<string, Words>>;
beforeAll(() => {
  const stored = new Map<string, string>();
  Object.assign(globalThis, {
    localStorage: { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => stored.set(k, v) },
  });
  // Loaded by path, not imported: the console's sources are type-checked by web/tsconfig.json (DOM), not here.
  const load = (file: string) => require(file) as { i18n?: { store: { data: typeof data } } };
  const { i18n } = load(path.join(webSrc, 'shared/i18n.ts'));
  for (const f of files) load(f);
  data = i18n!.store.data;
});

test('the console has words for each area', () => {
  expect(files.length).toBeGreaterThanOrEqual(6);
  expect(Object.keys(data['zh-CN']!).sort()).toEqual(Object.keys(data.en!).sort());
});

test.each(['common', 'cases', 'whistles', 'supervision', 'assessment', 'admin'])('namespace %s: the same keys and placeholders in zh-CN and English, none empty, Chinese in zh-CN', (ns) => {
  const zh = flatten(data['zh-CN']![ns] ?? {});
  const en = flatten(data.en![ns] ?? {});
  expect(zh.size).toBeGreaterThan(0);
  expect([...zh.keys()].filter((k) => !en.has(k))).toEqual([]);
  expect([...en.keys()].filter((k) => !zh.has(k))).toEqual([]);
  for (const [key, text] of zh) {
    expect({ key, zh: text.trim().length > 0, en: (en.get(key) ?? '').trim().length > 0 }).toEqual({ key, zh: true, en: true });
    expect({ key, placeholders: placeholders(text) }).toEqual({ key, placeholders: placeholders(en.get(key)!) });
  }
  // Chinese words in zh-CN: at most a few keys may be the same in both (codes, units, proper names).
  const cjk = /[\u4e00-\u9fff]/;
  const notChinese = [...zh].filter(([, text]) => !cjk.test(text)).map(([k]) => k);
  expect(notChinese.length).toBeLessThanOrEqual(Math.max(3, Math.floor(zh.size * 0.05)));
});
