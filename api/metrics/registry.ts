import { collectDefaultMetrics, Registry } from 'prom-client';
import { type MetricsDeps, registeredCollectors, type Collector } from './collectors';
import { readModelCollector } from './read-model';
import { supervisionCollector } from './supervision';

const applied = new WeakMap<Registry, { deps: MetricsDeps; collectors: Set<Collector> }>();

/**
 * One app's registry (never prom-client's global one: tests build several apps in a process): the Node
 * process's metrics prefixed `stationflow_api_`, the read model's figures, supervision's (stuck cases by
 * reason, interventions), and every collector registered through `registerCollector`.
 */
export function metricsRegistry(deps: MetricsDeps): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'stationflow_api_' });
  readModelCollector(registry, deps);
  supervisionCollector(registry, deps);
  applied.set(registry, { deps, collectors: new Set([readModelCollector, supervisionCollector]) });
  addRegisteredCollectors(registry);
  return registry;
}

/** Adds to the registry the collectors registered since it was built (called before each scrape). */
export function addRegisteredCollectors(registry: Registry): void {
  const state = applied.get(registry);
  if (!state) throw new Error('addRegisteredCollectors() needs a registry made by metricsRegistry()');
  for (const collector of registeredCollectors()) {
    if (state.collectors.has(collector)) continue;
    state.collectors.add(collector);
    collector(registry, state.deps);
  }
}
