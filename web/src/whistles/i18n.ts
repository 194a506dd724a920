import { addTranslations } from '../shared/i18n';

addTranslations('whistles', {
  'zh-CN': { menu: { inbox: '吹哨报到', assessment: '部门考核' } },
  en: { menu: { inbox: 'Whistles', assessment: 'Our assessment' } },
});
