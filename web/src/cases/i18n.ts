import { addTranslations } from '../shared/i18n';

addTranslations('cases', {
  'zh-CN': { menu: { intake: '受理登记', cases: '我的案件' } },
  en: { menu: { intake: 'New case', cases: 'Cases' } },
});
