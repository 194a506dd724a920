import { addTranslations } from '../shared/i18n';

addTranslations('supervision', {
  'zh-CN': { menu: { summary: '今日概览', stuck: '督办清单', alerts: '预警' } },
  en: { menu: { summary: 'Morning summary', stuck: 'Stuck cases', alerts: 'Alerts' } },
});
