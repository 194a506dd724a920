import { Select } from 'antd';
import { currentLanguage, setLanguage, useTranslation, type Language } from '../shared/i18n';

/** 中文 / English, remembered in this browser. */
export function LanguageSwitch() {
  const { t } = useTranslation('common');
  return (
    <Select<Language>
      aria-label={t('language')}
      value={currentLanguage()}
      onChange={setLanguage}
      style={{ width: 110 }}
      options={[
        { value: 'zh-CN', label: '中文' },
        { value: 'en', label: 'English' },
      ]}
    />
  );
}
