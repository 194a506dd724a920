import { addTranslations } from '../shared/i18n';

addTranslations('admin', {
  'zh-CN': { menu: { partners: '合作机构', calendar: '工作日历', urgencies: '吹哨紧急程度' } },
  en: { menu: { partners: 'Partners', calendar: 'Working-day calendar', urgencies: 'Whistle urgencies' } },
});
