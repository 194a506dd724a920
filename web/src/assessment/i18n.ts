import { addTranslations } from '../shared/i18n';

addTranslations('assessment', {
  'zh-CN': { menu: { own: '本部门考核', departments: '部门考核' } },
  en: { menu: { own: 'Our assessment', departments: 'Department assessment' } },
});
