import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Form, Input, List, Space, Tag, Typography } from 'antd';
import { useSession } from '../shared/session';
import { currentLanguage, useTranslation } from '../shared/i18n';
import { LanguageSwitch } from './LanguageSwitch';

interface DemoIdentity {
  role: 'staff' | 'department' | 'supervisor' | 'admin' | 'partner';
  label: string;
  labelZh: string;
  token: string;
}

/** Demo people with fresh tokens: served by the API in development only (404 in production). */
async function fetchDemoIdentities(): Promise<DemoIdentity[]> {
  const res = await fetch('/console/demo-identities', { headers: { Accept: 'application/json' } });
  if (!res.ok) return [];
  return ((await res.json()) as { items: DemoIdentity[] }).items;
}

export function SignIn() {
  const { t } = useTranslation('common');
  const { signIn } = useSession();
  const demo = useQuery({ queryKey: ['demo-identities'], queryFn: fetchDemoIdentities, staleTime: 5 * 60_000 });
  const [error, setError] = useState<string>();
  const zh = currentLanguage() === 'zh-CN';

  const tryToken = async ({ token }: { token: string }) => {
    const res = await fetch('/api/me', { headers: { Authorization: `Bearer ${token.trim()}` } });
    if (res.ok) signIn(token.trim());
    else setError(t('signIn.invalid'));
  };

  return (
    <main style={{ maxWidth: 720, margin: '48px auto', padding: '0 16px' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 24 }}>
        <Typography.Title level={1} style={{ margin: 0, fontSize: 24 }}>
          {t('appName')} · {t('signIn.title')}
        </Typography.Title>
        <LanguageSwitch />
      </Space>
      {(demo.data?.length ?? 0) > 0 && (
        <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>{t('signIn.demoTitle')}</h2>} style={{ marginBottom: 24 }}>
          <Typography.Paragraph>{t('signIn.demoHint')}</Typography.Paragraph>
          <List
            dataSource={demo.data}
            renderItem={(d) => (
              <List.Item
                actions={[
                  <Button key="go" type="primary" onClick={() => signIn(d.token)} aria-label={`${t('signIn.signInWith')} ${zh ? d.labelZh : d.label}`}>
                    {t('signIn.signInWith')}
                  </Button>,
                ]}
              >
                <Space>
                  <Tag>{t(`roles.${d.role}`)}</Tag>
                  <span>{zh ? d.labelZh : d.label}</span>
                </Space>
              </List.Item>
            )}
          />
        </Card>
      )}
      <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>{t('signIn.tokenTitle')}</h2>}>
        {error && <Alert role="alert" type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
        <Form layout="vertical" onFinish={tryToken}>
          <Form.Item name="token" label={t('signIn.tokenLabel')} rules={[{ required: true, whitespace: true, message: t('signIn.tokenRequired') }]}>
            <Input.TextArea rows={3} placeholder={t('signIn.tokenPlaceholder')} autoComplete="off" spellCheck={false} />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            {t('signIn.title')}
          </Button>
        </Form>
      </Card>
    </main>
  );
}
