import { Typography } from 'antd';

/** A page not built yet (temporary during issue 16). */
export default function Placeholder({ title }: { title: string }) {
  return <Typography.Title level={2}>{title}</Typography.Title>;
}
