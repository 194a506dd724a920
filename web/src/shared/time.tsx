import { useEffect, useState } from 'react';
import dayjs from 'dayjs';
import duration from 'dayjs/plugin/duration';
import timezone from 'dayjs/plugin/timezone';
import utc from 'dayjs/plugin/utc';
import { Tag, Tooltip } from 'antd';
import { ClockCircleOutlined, ExclamationCircleOutlined, WarningOutlined } from '@ant-design/icons';
import { useTranslation } from './i18n';

/** Every time in the console is Beijing time (Asia/Shanghai), whatever the browser's zone. */
dayjs.extend(utc);
dayjs.extend(timezone);
dayjs.extend(duration);
export const beijing = 'Asia/Shanghai';

/** "2026-12-07 14:05" in Beijing time. */
export function formatTime(iso: string | undefined | null): string {
  return iso ? dayjs(iso).tz(beijing).format('YYYY-MM-DD HH:mm') : '—';
}

export function formatDate(iso: string | undefined | null): string {
  return iso ? dayjs(iso).tz(beijing).format('YYYY-MM-DD') : '—';
}

/** A span of milliseconds in the user's language: "2 天 3 小时" / "2 d 3 h" — at most two units. */
export function formatSpan(ms: number, t: (key: string, o?: Record<string, unknown>) => string): string {
  const d = dayjs.duration(Math.abs(ms));
  const parts: string[] = [];
  const units: [number, string][] = [
    [Math.floor(d.asDays()), 'common:time.days'],
    [d.hours(), 'common:time.hours'],
    [d.minutes(), 'common:time.minutes'],
  ];
  for (const [n, key] of units) if (n > 0 && parts.length < 2) parts.push(t(key, { count: n }));
  return parts.length ? parts.join(' ') : t('common:time.lessThanMinute');
}

/** Now, re-rendered every `everyMs` (default 15 s): live countdowns. */
export function useNow(everyMs = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** Tag text dark enough on antd's light warning/error backgrounds (WCAG AA 4.5:1; antd's own is below it). */
const strongText = { warning: '#874d00', error: '#a8071a' };

/**
 * A live countdown to a deadline: time left, "due soon" (less than `warnMs` left) or overdue — each with its
 * own icon and words, never colour alone. The exact Beijing time is in the tooltip.
 */
export function Countdown({ due, warnMs = 24 * 3600_000, met }: { due: string | undefined | null; warnMs?: number; met?: boolean }) {
  const { t } = useTranslation('common');
  const now = useNow();
  if (!due) return <span>—</span>;
  const left = dayjs(due).valueOf() - now;
  if (met) return <Tag>{t('time.met')}</Tag>;
  const exact = `${formatTime(due)} (${t('time.beijing')})`;
  if (left < 0)
    return (
      <Tooltip title={exact}>
        <Tag color="error" style={{ color: strongText.error }} icon={<ExclamationCircleOutlined aria-hidden />}>
          {t('time.overdueBy', { span: formatSpan(left, t) })}
        </Tag>
      </Tooltip>
    );
  return (
    <Tooltip title={exact}>
      <Tag color={left < warnMs ? 'warning' : 'default'} style={left < warnMs ? { color: strongText.warning } : undefined} icon={left < warnMs ? <WarningOutlined aria-hidden /> : <ClockCircleOutlined aria-hidden />}>
        {left < warnMs ? t('time.dueSoon', { span: formatSpan(left, t) }) : t('time.left', { span: formatSpan(left, t) })}
      </Tag>
    </Tooltip>
  );
}

export { dayjs };
