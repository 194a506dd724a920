import { leaksPersonalData, redactPersonalData } from '../activities/shared/personal-data';

/**
 * The personal-data filter that guards what departments and partners are told (whistle summaries and
 * locations, urge reasons, notices): the bypasses found when probing the service from outside, and the
 * ordinary texts that must still pass.
 */

const chinese = { name: '王小明', phone: '+86 138-0013-8000', address: '新街口街道前根胡同12号院3号楼2单元501室' };
const latin = { name: 'Wang Fang', phone: '13900000000', address: 'Building 3, Unit 2, Room 501, 12 Qianggen Hutong' };
const compound = { name: '欧阳娜娜', phone: null };
const shortName = { name: '李明', phone: null };

const leaks = (text: string, r: Parameters<typeof leaksPersonalData>[1], address = true) => leaksPersonalData(text, r, { address });

describe('leaksPersonalData', () => {
  it.each([
    ['full-width digits of the phone', '请联系１３８００１３８０００', chinese],
    ['the phone with +86, spaces and dashes', 'call +86 138 0013-8000 at the gate', latin],
    ['the phone split by zero-width spaces', '138\u200b0013\u200b8000', chinese],
    ['the phone split by dots and a soft hyphen', '138.0013\u00ad8000', chinese],
    ['the resident’s own phone without +86', 'ring 13800138000', chinese],
    ['a short resident phone (landline)', 'tel 6601 2345', { name: 'X Y', phone: '66012345' }],
    ['any mobile number, with 0086', '008613912345678', chinese],
    ['an ID number with a lower-case x', '身份证 11010519491231002x', chinese],
    ['a full-width ID number with a full-width Ｘ', '１１０１０５１９４９１２３１００２Ｘ', chinese],
    ['an ID number with spaces', '110105 19491231 002X', chinese],
    ['the full Chinese name', '王小明反映下水道堵塞', chinese],
    ['the Chinese name with spaces', '王 小 明 家门口', chinese],
    ['the given name without the surname', '小明家门口积水', chinese],
    ['the given name after a compound surname', '娜娜说楼道灯坏了', compound],
    ['the full name with a compound surname', '欧阳娜娜', compound],
    ['the surname of a Latin name, lower case', 'wang says the drain is blocked', latin],
    ['the given name of a Latin name, upper case', 'ask FANG about it', latin],
    ['a Latin name without its space', 'wangfang reported it', latin],
    ['a Latin name in full-width letters', 'Ｗａｎｇ reported it', latin],
    ['a Latin name with accents', 'Wáng Fāng reported it', latin],
    ['a Latin name next to Chinese text', '联系wang师傅', latin],
    ['a Latin name split by a zero-width joiner', 'W\u200dang', latin],
    ['the door of the address (building, unit, room)', '3号楼2单元501室漏水', chinese],
    ['the unit and room as a Beijing short form', '2-501 门口', chinese],
    ['the unit and room in English', 'unit 2 room 501 leaks', latin],
    ['the unit and room in full-width digits', '２单元５０１', chinese],
    ['the full address with other spacing', '新街口街道 前根胡同 12号院 3号楼 2单元 501室', chinese],
  ])('catches %s', (_what, text, resident) => {
    expect(leaks(text, resident)).toBe(true);
  });

  it.each([
    ['a text sharing the surname', '王师傅修好了水管', chinese],
    ['a text sharing one character of the given name', '明天上午检查', chinese],
    ['a one-character given name alone', '明天再来', shortName],
    ['the surname alone of a two-character name', '李师傅', shortName],
    ['a Latin name inside another word', 'the swan swang; fangs', latin],
    ['the courtyard and building only (where the problem is)', '前根胡同12号院3号楼东侧', chinese],
    ['dates and times', '2026-05-12 14:00 到 2026-05-13', chinese],
    ['case and task ids', 'QG-20260512-0001 T1', chinese],
    ['a short number', 'about 501 bins in 2 rows', chinese],
  ])('lets through %s', (_what, text, resident) => {
    expect(leaks(text, resident)).toBe(false);
  });

  it('checks the address only when asked (the address a partner is sent to is the address)', () => {
    expect(leaksPersonalData('3号楼2单元501室', chinese)).toBe(false);
    expect(leaksPersonalData('3号楼2单元501室', chinese, { address: true })).toBe(true);
  });

  it('the filter fails closed on an empty or odd resident: generic numbers are still caught', () => {
    expect(leaksPersonalData('13800138000', { name: '', phone: '' })).toBe(true);
    expect(leaksPersonalData('nothing here', { name: '', phone: '' })).toBe(false);
    expect(leaksPersonalData('nothing here', { name: '  ', phone: '12' })).toBe(false);
  });
});

describe('redactPersonalData', () => {
  it('masks the name, phone and ID number and keeps the rest', () => {
    expect(redactPersonalData('前根胡同12号院 王小明收 138 0013 8000', chinese)).toBe('前根胡同12号院 ＊＊＊收 ＊＊＊');
    expect(redactPersonalData('c/o WANG, id 11010519491231002x', latin)).toBe('c/o ＊＊＊, id ＊＊＊');
  });

  it('returns text without personal data exactly as it was (full-width text stays full-width)', () => {
    expect(redactPersonalData('前根胡同１２号院 café', chinese)).toBe('前根胡同１２号院 café');
  });
});
