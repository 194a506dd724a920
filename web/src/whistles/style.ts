/**
 * Text in an empty table: antd draws it in colorTextDisabled (25 % black), which fails WCAG AA contrast on
 * white; 65 % black (colorTextSecondary) passes it.
 */
export const muted = { color: 'rgba(0, 0, 0, 0.65)' } as const;
