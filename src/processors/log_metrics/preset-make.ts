import type { MetricSpec } from './config.js';

/**
 * `preset: make`: the usage and cost metrics of Make scenario executions (the records the `make`
 * receiver produces, docs/make-receiver.md), so that "which scenario burns my operations" is
 * `topk(5, sum by (scenario_id) (rate(make_scenario_operations_total[1h])))`.
 */

const IS_EXECUTION = 'event_name == "make.scenario.execution"';
const SCENARIO_ID = 'resource.attributes["make.scenario.id"]';

/** Make runs last from milliseconds up to its 40-minute limit. */
export const DURATION_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 2400];

export const MAKE_PRESET: MetricSpec[] = [
  {
    name: 'make_scenario_executions_total',
    description: 'Make scenario executions by outcome.',
    type: 'counter',
    labels: { scenario_id: SCENARIO_ID, scenario_name: 'resource.attributes["make.scenario.name"]', status: 'attributes["make.execution.status"]' },
    where: IS_EXECUTION,
  },
  {
    name: 'make_scenario_operations_total',
    description: 'Make operations consumed by scenario executions.',
    type: 'sum',
    value: 'attributes["make.execution.operations"]',
    labels: { scenario_id: SCENARIO_ID },
    where: `${IS_EXECUTION} and attributes["make.execution.operations"] != nil`,
  },
  {
    name: 'make_scenario_transfer_bytes_total',
    description: 'Bytes transferred by scenario executions.',
    type: 'sum',
    value: 'attributes["make.execution.transfer_bytes"]',
    labels: { scenario_id: SCENARIO_ID },
    where: `${IS_EXECUTION} and attributes["make.execution.transfer_bytes"] != nil`,
  },
  {
    name: 'make_scenario_centicredits_total',
    description: 'Make centicredits (1/100 credit) consumed by scenario executions.',
    type: 'sum',
    value: 'attributes["make.execution.centicredits"]',
    labels: { scenario_id: SCENARIO_ID },
    where: `${IS_EXECUTION} and attributes["make.execution.centicredits"] != nil`,
  },
  {
    name: 'make_scenario_execution_duration_seconds',
    description: 'Duration of scenario executions.',
    type: 'histogram',
    // Double(): OTTL divides integers as integers (Go semantics), which would truncate to seconds.
    value: 'Double(attributes["make.execution.duration_ms"]) / 1000.0',
    buckets: DURATION_BUCKETS_SECONDS,
    labels: { scenario_id: SCENARIO_ID },
    where: `${IS_EXECUTION} and attributes["make.execution.duration_ms"] != nil`,
  },
];
