import { addTranslations } from '../shared/i18n';

addTranslations('whistles', {
  'zh-CN': { menu: { inbox: '吹哨报到' } },
  en: { menu: { inbox: 'Whistles' } },
});
