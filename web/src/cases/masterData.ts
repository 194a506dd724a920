import { $api } from '../shared/api';
import { currentLanguage } from '../shared/i18n';

/**
 * The master data the case page's forms need — departments, active partners, whistle urgencies — fetched when
 * a form opens (`fetch: true`), and the names the page shows for codes, read from what is already cached
 * (`fetch: false`: no request of its own, so opening a case costs one request; a code shows as itself until then).
 */

const cached = { staleTime: 5 * 60_000 };

export function useDepartments(fetch = true) {
  return $api.useQuery('get', '/api/departments', {}, { ...cached, enabled: fetch }).data?.items ?? [];
}

export function usePartners(fetch = true) {
  return $api.useQuery('get', '/api/partners', { params: { query: { active: 'true', limit: 100 } } }, { ...cached, enabled: fetch }).data?.items ?? [];
}

export function useUrgencies(fetch = true) {
  return $api.useQuery('get', '/api/whistle-urgencies', {}, { ...cached, enabled: fetch }).data?.items ?? [];
}

/** A master-data record's name in the current language. */
export function nameOf(x: { name: string; nameZh?: string }): string {
  return currentLanguage() === 'zh-CN' ? (x.nameZh ?? x.name) : x.name;
}

/** Names for the codes a case shows, from the cache only: the service, departments, partners. */
export function useCachedNames() {
  const services = $api.useQuery('get', '/api/services', {}, { ...cached, enabled: false }).data;
  const departments = useDepartments(false);
  const partners = usePartners(false);
  const service = (code: string) => {
    const found = services?.items.find((s) => s.code === code);
    return found ? nameOf(found) : code;
  };
  const department = (id: string) => {
    const d = departments.find((x) => x.id === id);
    return d ? nameOf(d) : id;
  };
  const partner = (id: string) => {
    const p = partners.find((x) => x.id === id);
    return p ? nameOf(p) : id;
  };
  return { service, department, partner };
}
