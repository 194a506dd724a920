import { Suspense, useEffect, useMemo, useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { Button, ConfigProvider, Layout, Menu, Result, Space, Spin, Typography, App as AntApp } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import 'dayjs/locale/zh-cn';
import { dayjs } from '../shared/time';
import { currentLanguage, useTranslation } from '../shared/i18n';
import { useSession } from '../shared/session';
import type { ConsoleRoute } from '../shared/routes';
import { casesRoutes } from '../cases/routes';
import { whistlesRoutes } from '../whistles/routes';
import { supervisionRoutes } from '../supervision/routes';
import { adminRoutes } from '../admin/routes';
import { assessmentRoutes } from '../assessment/routes';
import { LanguageSwitch } from './LanguageSwitch';
import { SignIn } from './SignIn';
import './i18n';

/** Every page of the console, as its area lists them. */
const allRoutes: ConsoleRoute[] = [...casesRoutes, ...whistlesRoutes, ...supervisionRoutes, ...assessmentRoutes, ...adminRoutes];

function Loading() {
  const { t } = useTranslation('common');
  return (
    <div style={{ padding: 48, textAlign: 'center' }} role="status">
      <Spin /> <span style={{ marginLeft: 8 }}>{t('loading')}</span>
    </div>
  );
}

function Shell() {
  const { t } = useTranslation('common');
  const { me, signOut } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const role = me!.role;
  const routes = useMemo(() => allRoutes.filter((r) => r.roles.includes(role)), [role]);
  const menu = routes.filter((r) => r.menu).sort((a, b) => a.menu!.order - b.menu!.order);
  const selected = menu.filter((r) => location.pathname === r.path || location.pathname.startsWith(`${r.path}/`)).map((r) => r.path);
  const scope = me!.station?.nameZh ?? me!.station?.name ?? me!.department?.nameZh ?? me!.department?.name ?? me!.subdistrict?.nameZh ?? me!.subdistrict?.name;
  const scopeEn = me!.station?.name ?? me!.department?.name ?? me!.subdistrict?.name;
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 16, background: '#fff', borderBottom: '1px solid #f0f0f0', paddingInline: 24 }}>
        <Typography.Text strong style={{ fontSize: 16, whiteSpace: 'nowrap' }}>
          {t('appName')}
        </Typography.Text>
        <span style={{ flex: 1 }} />
        <Typography.Text>{t('beijingTimeNote')}</Typography.Text>
        <Space>
          <span data-testid="identity">
            {t(`roles.${role}`)}
            {(currentLanguage() === 'zh-CN' ? scope : scopeEn) ? ` · ${currentLanguage() === 'zh-CN' ? scope : scopeEn}` : ''}
          </span>
          <LanguageSwitch />
          <Button onClick={signOut}>{t('signOut')}</Button>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={208} theme="light" breakpoint="lg" collapsedWidth={0}>
          <nav aria-label="menu">
            <Menu
              mode="inline"
              selectedKeys={selected}
              items={menu.map((r) => ({ key: r.path, icon: r.menu!.icon, label: t(r.menu!.label) }))}
              onClick={({ key }) => navigate(key)}
            />
          </nav>
        </Layout.Sider>
        <Layout.Content style={{ padding: 24 }}>
          <main>
            <Suspense fallback={<Loading />}>
              <Routes>
                {routes.map((r) => (
                  <Route key={r.path} path={r.path} element={r.element} />
                ))}
                <Route path="/" element={menu[0] ? <Navigate to={menu[0].path} replace /> : <Result status="404" />} />
                <Route path="*" element={<Result status="404" title={t('problems.notFound')} />} />
              </Routes>
            </Suspense>
          </main>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

/** The user's "reduce motion" setting (WCAG 2.3.3): then Ant Design's transitions are off, and nothing waits on one. */
function usePrefersReducedMotion(): boolean {
  const query = '(prefers-reduced-motion: reduce)';
  const [reduced, setReduced] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const changed = () => setReduced(list.matches);
    list.addEventListener('change', changed);
    return () => list.removeEventListener('change', changed);
  }, []);
  return reduced;
}

export function App() {
  const { i18n } = useTranslation('common');
  const reducedMotion = usePrefersReducedMotion();
  const { token, me, loading } = useSession();
  const zh = i18n.language !== 'en';
  dayjs.locale(zh ? 'zh-cn' : 'en');
  return (
    <ConfigProvider locale={zh ? zhCN : enUS} theme={{ token: { colorPrimary: '#0958d9', colorLink: '#0958d9', colorError: '#cf1322', colorTextDescription: 'rgba(0, 0, 0, 0.65)', colorTextTertiary: 'rgba(0, 0, 0, 0.65)', colorTextPlaceholder: '#6b6b6b', motion: !reducedMotion } }}>
      <AntApp>
        <BrowserRouter basename="/console">{!token ? <SignIn /> : loading || !me ? <Loading /> : <Shell />}</BrowserRouter>
      </AntApp>
    </ConfigProvider>
  );
}
