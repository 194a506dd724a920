import { $api } from '../shared/api';
import { currentLanguage } from '../shared/i18n';

/**
 * Names for the codes a whistle carries — departments (GET /api/departments) and urgencies
 * (GET /api/whistle-urgencies) — in the user's language; an unknown code is shown as itself.
 */

type Named = { name: string; nameZh: string };
const nameIn = (n: Named | undefined, code: string) => (n ? (currentLanguage() === 'zh-CN' ? n.nameZh : n.name) : code);

export function useDepartmentNames(): { name: (id: string) => string; all: { id: string; label: string }[] } {
  const { data } = $api.useQuery('get', '/api/departments', {}, { staleTime: 5 * 60_000 });
  const items = data?.items ?? [];
  const byId = new Map(items.map((d) => [d.id, d]));
  return { name: (id) => nameIn(byId.get(id), id), all: items.map((d) => ({ id: d.id, label: nameIn(d, d.id) })) };
}

export function useUrgencyNames(): (code: string) => string {
  const { data } = $api.useQuery('get', '/api/whistle-urgencies', {}, { staleTime: 5 * 60_000 });
  const byCode = new Map((data?.items ?? []).map((u) => [u.code, u]));
  return (code) => nameIn(byCode.get(code), code);
}
