import { useCallback } from 'react';
import { $api, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';

/**
 * The service catalogue (GET /api/services, whole: withdrawn items too, so old cases still show their
 * service's name), cached for the session's pages; and names in the user's language.
 */
export type ServiceItem = Schemas['ServiceItem'];
export type Catalogue = Schemas['ServiceCatalogue'];

export function useCatalogue() {
  return $api.useQuery('get', '/api/services', {}, { staleTime: 5 * 60_000 });
}

/** A name in the console's language: `nameZh` in Chinese, `name` in English. */
export function useLocalName(): (named: { name: string; nameZh: string } | undefined) => string {
  const { i18n } = useTranslation();
  // i18n.language, not resolvedLanguage: the latter is unset until a language has words when the page loads in English.
  const zh = !i18n.language.startsWith('en');
  return useCallback((named) => (named ? (zh ? named.nameZh : named.name) : ''), [zh]);
}
