import { useEffect, useRef } from 'react';
import { init, use, type ComposeOption, type ECharts } from 'echarts/core';
import { BarChart, type BarSeriesOption } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, type GridComponentOption, type LegendComponentOption, type TooltipComponentOption } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { useTranslation } from '../shared/i18n';
import { departmentName, ratesOf, type Assessment } from './figures';

// Only what this chart draws: bars, axes' grid, legend, tooltip, on a canvas (echarts/core tree-shaken).
use([BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

type Option = ComposeOption<BarSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption>;

/**
 * The departments' rates as grouped bars: on-time check-in and report rates (%, left axis) and satisfaction
 * (score 1–5, right axis). An image to screen readers, labelled; the table beside it is its text alternative.
 * Loaded only on the assessment pages (its own chunk).
 */
export default function AssessmentChart({ items }: { items: Assessment[] }) {
  const { t, i18n } = useTranslation('assessment');
  const zh = i18n.language !== 'en';
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | undefined>(undefined);

  useEffect(() => {
    const el = element.current!;
    const c = init(el, undefined, { renderer: 'canvas' });
    chart.current = c;
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      c.dispose();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    const rates = items.map(ratesOf);
    const option: Option = {
      animation: false,
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0 },
      grid: { left: 56, right: 56, top: 48, bottom: 64 },
      xAxis: { type: 'category', data: items.map((a) => departmentName(a, zh)), axisLabel: { interval: 0, rotate: items.length > 6 ? 30 : 0 } },
      yAxis: [
        { type: 'value', name: t('chart.percent'), min: 0, max: 100 },
        { type: 'value', name: t('chart.scoreAxis'), min: 0, max: 5, splitLine: { show: false } },
      ],
      series: [
        { type: 'bar', name: t('chart.checkInRate'), data: rates.map((r) => r.checkIn.percent), itemStyle: { color: '#0958d9' } },
        { type: 'bar', name: t('chart.reportRate'), data: rates.map((r) => r.report.percent), itemStyle: { color: '#389e0d' } },
        // Hatched, so the third series is told apart by more than its colour.
        {
          type: 'bar',
          name: t('chart.satisfaction'),
          yAxisIndex: 1,
          data: rates.map((r) => r.satisfaction),
          itemStyle: { color: '#d46b08', decal: { symbol: 'rect', dashArrayX: [1, 0], dashArrayY: [3, 3], rotation: Math.PI / 4, color: 'rgba(255,255,255,0.5)' } },
        },
      ],
    };
    chart.current?.setOption(option, { notMerge: true });
  }, [items, zh, t]);

  return (
    <figure style={{ margin: '0 0 24px' }}>
      <figcaption>
        <strong>{t('chart.title')}</strong>
      </figcaption>
      <div ref={element} role="img" aria-label={t('chart.label')} data-testid="assessment-chart" style={{ width: '100%', height: 360 }} />
    </figure>
  );
}
