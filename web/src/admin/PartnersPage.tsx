import { useState } from 'react';
import { App, Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { CheckCircleOutlined, KeyOutlined, MailOutlined, MessageOutlined, PlusOutlined, ApiOutlined, StopOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { clearStaleErrors, showApiErrors } from './forms';
import { ProblemAlert, ProblemPage } from '../shared/problems';
import { formatTime } from '../shared/time';
import { PartnerForm, partnerKinds } from './PartnerForm';
import { ShownOnce } from './ShownOnce';
import './i18n';

type Partner = Schemas['Partner'];
type Channel = Schemas['ContactChannel'];

const channelIcon = { webhook: <ApiOutlined />, email: <MailOutlined />, sms: <MessageOutlined /> };
const channelValue = (c: Channel) => (c.type === 'webhook' ? c.url : c.type === 'email' ? c.address : c.phone);

/** Minting a partner's API token: its lifetime, checked by the API (the error beside the field). */
function MintToken(props: { partner: Partner | undefined; onClose: () => void; onMinted: (token: string, expiresAt: string) => void }) {
  return props.partner ? <MintTokenDialog {...props} partner={props.partner} /> : null;
}

function MintTokenDialog({ partner, onClose, onMinted }: { partner: Partner; onClose: () => void; onMinted: (token: string, expiresAt: string) => void }) {
  const { t, i18n } = useTranslation('admin');
  const [form] = Form.useForm<{ ttl: string }>();
  const [problem, setProblem] = useState<unknown>();
  const mint = $api.useMutation('post', '/api/partners/{id}/tokens');
  const submit = async () => {
    setProblem(undefined);
    try {
      const minted = await mint.mutateAsync({ params: { path: { id: partner.id } }, body: { ttl: form.getFieldValue('ttl') as string } });
      onMinted(minted.token, minted.expiresAt);
    } catch (err) {
      setProblem(showApiErrors(form, err));
    }
  };
  return (
    <Modal
      open
      title={t('partners.mintTitle', { name: i18n.resolvedLanguage === 'en' ? partner.name : partner.nameZh })}
      onCancel={onClose}
      onOk={() => void submit()}
      okText={t('partners.mint')}
      cancelText={t('common:cancel')}
      confirmLoading={mint.isPending}
    >
      <ProblemAlert problem={problem} />
      <Form form={form} name="mint" onFieldsChange={clearStaleErrors(form)} layout="vertical" initialValues={{ ttl: '365d' }}>
        <Form.Item name="ttl" label={t('partners.ttl')} extra={t('partners.ttlHelp')}>
          <Input autoComplete="off" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The partner registry (admins): who takes task notices, by which channels; register, change, deactivate, rotate the secret, mint a token. */
export default function PartnersPage() {
  const { t, i18n } = useTranslation('admin');
  const zh = i18n.resolvedLanguage !== 'en';
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Partner['kind'] | undefined>();
  const [active, setActive] = useState<'true' | 'false' | undefined>();
  const [cursors, setCursors] = useState<string[]>([]);
  const [editing, setEditing] = useState<Partner | 'new' | undefined>();
  const [minting, setMinting] = useState<Partner | undefined>();
  const [secret, setSecret] = useState<string | undefined>();
  const [token, setToken] = useState<{ token: string; expiresAt: string } | undefined>();
  const [actionProblem, setActionProblem] = useState<unknown>();
  const cursor = cursors.at(-1);
  const list = $api.useQuery('get', '/api/partners', { params: { query: { kind, active, limit: 50, ...(cursor ? { cursor } : {}) } } }, { refetchInterval: 5000 });
  const rotate = $api.useMutation('post', '/api/partners/{id}/webhook-secret');
  const deactivate = $api.useMutation('delete', '/api/partners/{id}');
  const change = $api.useMutation('patch', '/api/partners/{id}');

  if (list.error && (list.error as { status?: number }).status !== undefined && [403, 404].includes((list.error as { status: number }).status)) return <ProblemPage problem={list.error} />;

  const refresh = () => queryClient.invalidateQueries({ queryKey: ['get', '/api/partners'] });
  const act = async (run: () => Promise<unknown>, done?: string) => {
    setActionProblem(undefined);
    try {
      await run();
      if (done) void message.success(done);
    } catch (err) {
      setActionProblem(err);
    } finally {
      await refresh();
    }
  };
  const name = (p: Partner) => (zh ? p.nameZh : p.name);

  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('partners.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('partners.intro')}</Typography.Paragraph>
      <ProblemAlert problem={actionProblem ?? list.error} onClose={() => setActionProblem(undefined)} />
      <Space wrap style={{ marginBottom: 16 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
          {t('partners.register')}
        </Button>
        <Select
          aria-label={t('partners.kind')}
          allowClear
          placeholder={t('partners.kind')}
          style={{ width: 200 }}
          value={kind}
          onChange={(v) => {
            setKind(v);
            setCursors([]);
          }}
          options={partnerKinds.map((k) => ({ value: k, label: t(`partners.kinds.${k}`) }))}
        />
        <Select
          aria-label={t('partners.active')}
          allowClear
          placeholder={t('partners.active')}
          style={{ width: 160 }}
          value={active}
          onChange={(v) => {
            setActive(v);
            setCursors([]);
          }}
          options={[
            { value: 'true', label: t('partners.activeYes') },
            { value: 'false', label: t('partners.activeNo') },
          ]}
        />
      </Space>
      <Table<Partner>
        rowKey="id"
        loading={list.isPending}
        dataSource={list.data?.items}
        pagination={false}
        locale={{ emptyText: t('partners.empty') }}
        scroll={{ x: 'max-content' }}
        columns={[
          {
            title: t('partners.nameZh'),
            key: 'name',
            render: (_, p) => (
              <>
                <div>{name(p)}</div>
                <Typography.Text type="secondary" code>
                  {p.id}
                </Typography.Text>
              </>
            ),
          },
          { title: t('partners.kind'), key: 'kind', render: (_, p) => t(`partners.kinds.${p.kind}`) },
          {
            title: t('partners.channels'),
            key: 'channels',
            render: (_, p) => (
              <Space direction="vertical" size={2}>
                {p.channels.map((c) => (
                  <span key={c.type}>
                    {channelIcon[c.type]} {t(`partners.channelTypes.${c.type}`)}: <Typography.Text>{channelValue(c)}</Typography.Text>
                  </span>
                ))}
              </Space>
            ),
          },
          { title: t('partners.services'), key: 'services', render: (_, p) => (p.services.length ? p.services.join(', ') : t('common:none')) },
          { title: t('partners.locale'), key: 'locale', render: (_, p) => t(`partners.locales.${p.locale}`) },
          {
            title: t('partners.active'),
            key: 'active',
            render: (_, p) =>
              p.active ? (
                <Tag icon={<CheckCircleOutlined style={{ color: '#237804' }} />}>{t('partners.activeYes')}</Tag>
              ) : (
                <Tag icon={<StopOutlined style={{ color: '#a8071a' }} />}>{t('partners.activeNo')}</Tag>
              ),
          },
          { title: t('partners.updatedAt'), key: 'updatedAt', render: (_, p) => formatTime(p.updatedAt) },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, p) => (
              <Space wrap size={4}>
                <Button size="small" onClick={() => setEditing(p)} aria-label={`${t('partners.edit')} ${name(p)}`}>
                  {t('partners.edit')}
                </Button>
                <Popconfirm
                  title={t('partners.rotateConfirm')}
                  okText={t('common:confirm')}
                  cancelText={t('common:cancel')}
                  onConfirm={() =>
                    act(async () => {
                      const r = await rotate.mutateAsync({ params: { path: { id: p.id } } });
                      setSecret(r.webhookSecret);
                    })
                  }
                >
                  <Button size="small" icon={<KeyOutlined />} aria-label={`${t('partners.rotate')} ${name(p)}`}>
                    {t('partners.rotate')}
                  </Button>
                </Popconfirm>
                {p.active && (
                  <Button size="small" onClick={() => setMinting(p)} aria-label={`${t('partners.mint')} ${name(p)}`}>
                    {t('partners.mint')}
                  </Button>
                )}
                {p.active ? (
                  <Popconfirm
                    title={t('partners.deactivateConfirm')}
                    okText={t('common:confirm')}
                    cancelText={t('common:cancel')}
                    onConfirm={() => act(() => deactivate.mutateAsync({ params: { path: { id: p.id } } }), t('partners.deactivated', { id: p.id }))}
                  >
                    <Button size="small" icon={<StopOutlined />} aria-label={`${t('partners.deactivate')} ${name(p)}`}>
                      {t('partners.deactivate')}
                    </Button>
                  </Popconfirm>
                ) : (
                  <Button
                    size="small"
                    aria-label={`${t('partners.reactivate')} ${name(p)}`}
                    onClick={() => void act(() => change.mutateAsync({ params: { path: { id: p.id } }, body: { active: true } }), t('partners.reactivated', { id: p.id }))}
                  >
                    {t('partners.reactivate')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Space style={{ marginTop: 16 }}>
        <Button disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          {t('partners.previousPage')}
        </Button>
        <Button disabled={!list.data?.nextCursor} onClick={() => list.data?.nextCursor && setCursors((c) => [...c, list.data.nextCursor!])}>
          {t('partners.nextPage')}
        </Button>
      </Space>
      <PartnerForm
        open={editing !== undefined}
        partner={editing === 'new' ? undefined : editing}
        onClose={() => setEditing(undefined)}
        onRegistered={(id, s) => {
          void message.success(t('partners.registered', { id }));
          setSecret(s);
        }}
      />
      <MintToken
        partner={minting}
        onClose={() => setMinting(undefined)}
        onMinted={(tk, expiresAt) => {
          setMinting(undefined);
          setToken({ token: tk, expiresAt });
        }}
      />
      <ShownOnce title={t('partners.secretTitle')} warning={t('partners.secretWarning')} label={t('partners.secretLabel')} value={secret} onClose={() => setSecret(undefined)} />
      <ShownOnce
        title={t('partners.tokenTitle')}
        warning={t('partners.tokenWarning')}
        label={t('partners.tokenLabel')}
        value={token?.token}
        extra={token ? t('partners.tokenExpires', { time: formatTime(token.expiresAt) }) : undefined}
        onClose={() => setToken(undefined)}
      />
    </>
  );
}
