/**
 * Text the service forwards to departments and partners (a whistle's summary and location, an urge's
 * reason) must not identify the resident: it must not carry the case's resident's name or phone number,
 * nor anything shaped like a mainland mobile or resident ID number.
 */

/** Mainland mobile numbers and resident ID numbers (18 characters, the last may be X). */
const personalNumber = /(?<!\d)(1[3-9]\d{9}|\d{17}[\dXx])(?!\d)/;

const digits = (v: string) => v.replace(/\D/g, '');

/** True when `text` carries the resident's name or phone number, or a mobile or ID number. */
export function leaksPersonalData(text: string, resident: { name: string; phone?: string | null }): boolean {
  const phone = resident.phone ? digits(resident.phone) : undefined;
  const name = resident.name.trim();
  return (name.length >= 2 && text.includes(name)) || (phone !== undefined && phone.length >= 5 && digits(text).includes(phone)) || personalNumber.test(text.replace(/[\s-]/g, ''));
}
