/**
 * Text the service forwards to departments and partners (a whistle's summary and location, an urge's
 * reason, a notice's free text and the address a partner is sent to) must not identify the resident beyond
 * what the notice needs. README "What leaves the service" lists what is caught.
 *
 * Text is compared after Unicode NFKD with combining marks dropped (full-width digits and letters become
 * ASCII, `Wáng` becomes `Wang`), case-insensitively, and with spaces, dashes, dots and zero-width or other
 * format characters allowed between the characters of what is looked for (`138 0013-8000`, `王 小明`,
 * `W\u200bang`). What is looked for:
 *
 * - the resident's name: a Chinese name in full and its given name without the surname when that has two
 *   characters or more (a one-character given name alone is too common to look for); a Latin (pinyin)
 *   name in full, with or without its spaces, and each of its words of two letters or more as a whole word;
 * - the resident's phone number (without its +86), in any formatting;
 * - anything shaped like a mainland mobile number (with or without +86) or a resident ID number (18
 *   characters, the last may be X in either case);
 * - with `address` checked: the resident's address in full, and its door — two numbers that follow each other
 *   in the address with four digits or more together (unit and room: `3号楼2单元501室` → 2 … 501; `Room 501,
 *   12 Qianggen Hutong` → 501 … 12), in that order with up to 12 other characters between them. A courtyard or
 *   building alone (`12号院3号楼`) is where a problem may be, and passes.
 */

export interface Resident {
  name: string;
  phone?: string | null;
  address?: string | null;
}

/** The detail of a 422 personal-data refusal, at the field's pointer. */
export const personalDataDetail = "must not contain the resident's name, phone number, ID number or address";

/** What is looked for: `address` adds the resident's own address (not for the address itself). */
export interface Checks {
  address?: boolean;
}

/** Compatibility form of text: NFKD without combining marks. Han characters and ASCII are unchanged. */
const fold = (v: string) => v.normalize('NFKD').replace(/\p{M}/gu, '');

const escape = (ch: string) => ch.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** Allowed between two characters of what is looked for. */
const formats = '\\p{Cf}';
const betweenDigits = `[\\s\\p{Pd}.${formats}]*`;
const betweenHan = `[\\s\\p{Pd}.·・${formats}]*`;
const betweenLetters = `[${formats}]*`;
const betweenAnything = `[\\s\\p{P}\\p{S}${formats}]*`;

const spread = (chars: string[], between: string) => chars.map(escape).join(between);
/** A Latin word ends where no Latin letter or digit follows (Han text around it is a boundary). */
const notWord = '[\\p{Script=Latin}\\p{N}]';

/** Mainland mobile numbers, with or without +86 / 0086. */
const mobile = `(?<!\\d)(?:(?:\\+|00)?8${betweenDigits}6${betweenDigits})?1${betweenDigits}[3-9](?:${betweenDigits}\\d){9}(?!\\d)`;
/** Resident ID numbers: 17 digits and a check character (a digit or X). */
const idNumber = `(?<!\\d)\\d(?:${betweenDigits}\\d){16}${betweenDigits}[\\dx](?![\\dx])`;

/** Compound surnames: the given name is what follows them. */
const compoundSurnames = new Set(
  '欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 夏侯 轩辕 端木 南宫 西门 独孤 申屠 澹台 太史 百里 呼延 万俟 闻人 钟离 赫连 拓跋 完颜 第五 左丘 东郭 公羊 濮阳 淳于 单于 太叔 仲孙 宗政 鲜于 闾丘 亓官 司空 司寇 子车 颛孙 羊舌 乐正 漆雕 壤驷 公良 夹谷 宰父 谷梁 段干 公冶 巫马 梁丘 公西 微生'.split(' '),
);

const han = /\p{Script=Han}/u;

/** The patterns of a name: see the module's comment. */
function namePatterns(name: string): string[] {
  const chars = [...fold(name).replace(/[\s\p{P}\p{Cf}]/gu, '')];
  if (chars.length === 0) return [];
  if (chars.some((c) => han.test(c))) {
    const surname = chars.length >= 3 && compoundSurnames.has(chars.slice(0, 2).join('')) ? 2 : 1;
    const given = chars.slice(surname);
    return [chars, ...(given.length >= 2 ? [given] : [])].filter((c) => c.length >= 2).map((c) => spread(c, betweenHan));
  }
  const words = fold(name)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => [...w].length >= 2);
  const whole = words.length > 1 ? [words.join('')] : [];
  return [...whole, ...words].map((w) => `(?<!${notWord})${spread([...w], betweenLetters)}(?!${notWord})`);
}

/** The resident's phone number without its country code, if it has five digits or more. */
function phonePattern(phone: string | null | undefined): string[] {
  const digits = fold(phone ?? '')
    .replace(/\D/g, '')
    .replace(/^(?:00)?86(?=1\d{10}$)/, '');
  return digits.length >= 5 ? [spread([...digits], betweenDigits)] : [];
}

/** The resident's address in full, and its door (see the module's comment). */
function addressPatterns(address: string | null | undefined): string[] {
  const folded = fold(address ?? '');
  const chars = [...folded.replace(/[\s\p{P}\p{S}\p{Cf}]/gu, '')];
  const out = chars.length >= 4 ? [spread(chars, betweenAnything)] : [];
  const numbers = folded.match(/\d+/g) ?? [];
  for (let i = 1; i < numbers.length; i++) {
    const pair = [numbers[i - 1]!, numbers[i]!];
    if (pair.join('').length >= 4) out.push(`(?<!\\d)${pair.join('\\D{1,12}?')}(?!\\d)`);
  }
  return out;
}

const cache = new Map<string, RegExp>();
/** One case-insensitive Unicode pattern for everything looked for (compiled once per resident and checks). */
function patternOf(resident: Resident, checks: Checks): RegExp {
  const key = JSON.stringify([resident.name, resident.phone ?? null, checks.address ? (resident.address ?? null) : null]);
  let re = cache.get(key);
  if (!re) {
    const parts = [mobile, idNumber, ...namePatterns(resident.name), ...phonePattern(resident.phone), ...(checks.address ? addressPatterns(resident.address) : [])];
    re = new RegExp(parts.map((p) => `(?:${p})`).join('|'), 'giu');
    if (cache.size > 500) cache.clear();
    cache.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/** True when `text` carries the resident's name or phone number, a mobile or ID number — or, with `address`, the resident's address or its door. */
export function leaksPersonalData(text: string, resident: Resident, checks: Checks = {}): boolean {
  return patternOf(resident, checks).test(fold(text));
}

/** Replaces what `leaksPersonalData` finds with ＊＊＊; text without any is returned as it is (with some, in its folded form). */
export function redactPersonalData(text: string, resident: Resident, checks: Checks = {}): string {
  if (!leaksPersonalData(text, resident, checks)) return text;
  return fold(text).replace(patternOf(resident, checks), '＊＊＊').normalize('NFC');
}
