import { useId, useState } from 'react';
import { Alert, Button, Input, Modal, Space, Typography } from 'antd';
import { CheckOutlined, CopyOutlined } from '@ant-design/icons';
import { useTranslation } from '../shared/i18n';

/**
 * A secret the API returns once (a webhook secret, a partner token): shown in a dialog with a warning and a copy
 * button, and forgotten when the dialog closes — the console keeps no copy, and the API never shows it again.
 */
export function ShownOnce({ title, warning, label, value, extra, onClose }: { title: string; warning: string; label: string; value: string | undefined; extra?: string; onClose: () => void }) {
  const { t } = useTranslation('admin');
  const [copied, setCopied] = useState(false);
  const id = useId();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value ?? '');
      setCopied(true);
    } catch {
      // No clipboard (an insecure origin, a denied permission): select the text for the user to copy.
      (document.getElementById(id) as HTMLTextAreaElement | null)?.select();
    }
  };
  const close = () => {
    setCopied(false);
    onClose();
  };
  return (
    <Modal
      open={value !== undefined}
      title={title}
      onCancel={close}
      maskClosable={false}
      destroyOnHidden
      footer={
        <Button type="primary" onClick={close}>
          {t('partners.close')}
        </Button>
      }
    >
      <Alert type="warning" showIcon message={warning} style={{ marginBottom: 16 }} />
      <label htmlFor={id}>
        <Typography.Text strong>{label}</Typography.Text>
      </label>
      <Input.TextArea id={id} data-testid="shown-once" readOnly value={value} autoSize={{ minRows: 2, maxRows: 8 }} style={{ fontFamily: 'monospace', marginTop: 4 }} />
      <Space style={{ marginTop: 8 }}>
        <Button icon={copied ? <CheckOutlined /> : <CopyOutlined />} onClick={() => void copy()}>
          {copied ? t('partners.copied') : t('partners.copy')}
        </Button>
        {extra && <Typography.Text type="secondary">{extra}</Typography.Text>}
      </Space>
    </Modal>
  );
}
