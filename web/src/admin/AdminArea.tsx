import type { ReactElement } from 'react';
import { ConfigProvider } from 'antd';

/**
 * The admin pages' theme: antd's description, placeholder and empty-state greys (45 % and 25 % black) fail WCAG
 * AA contrast on white, so they are 65 % black here, and a hovered button's blue is darker; and button labels keep their words as written (antd spaces
 * out two-character Chinese labels — "停 用" — which then no longer match the buttons' accessible names).
 */
const accessible = {
  token: {
    colorTextDescription: 'rgba(0, 0, 0, 0.65)',
    colorTextPlaceholder: 'rgba(0, 0, 0, 0.6)',
    colorTextQuaternary: 'rgba(0, 0, 0, 0.6)',
    colorTextTertiary: 'rgba(0, 0, 0, 0.65)',
    // The hovered button's text: the default derived blue is too light on white.
    colorPrimaryHover: '#003eb3',
  },
};

export function AdminArea({ page }: { page: ReactElement }) {
  return (
    <ConfigProvider theme={accessible} button={{ autoInsertSpace: false }}>
      {page}
    </ConfigProvider>
  );
}
