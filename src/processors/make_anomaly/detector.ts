import { ScenarioModel, type Anomaly, type ModelState, type Run } from './scenario-model.js';

/**
 * Every scenario's model, fed in arrival order. Deterministic: time comes from the runs and from
 * `tick(now)`, never from the wall clock, so the synthetic evaluation (bench/make-anomaly.ts) and
 * the processor run the same code.
 */

export interface ScenarioAnomaly extends Anomaly {
  scenarioId: string;
}

export class AnomalyDetector {
  private readonly models = new Map<string, ScenarioModel>();
  /** Scenarios whose state changed since the last `takeDirty` (to persist). */
  private readonly dirty = new Set<string>();

  constructor(private readonly graceMs: number) {}

  restore(scenarioId: string, state: ModelState): void {
    this.models.set(scenarioId, new ScenarioModel(state));
  }

  add(scenarioId: string, run: Run): ScenarioAnomaly[] {
    let m = this.models.get(scenarioId);
    if (!m) this.models.set(scenarioId, (m = new ScenarioModel()));
    this.dirty.add(scenarioId);
    return m.add(run).map((a) => ({ ...a, scenarioId }));
  }

  tick(nowMs: number): ScenarioAnomaly[] {
    const out: ScenarioAnomaly[] = [];
    for (const [id, m] of this.models) {
      const found = m.tick(nowMs, this.graceMs);
      if (found.length > 0) this.dirty.add(id);
      for (const a of found) out.push({ ...a, scenarioId: id });
    }
    return out;
  }

  /** Marks scenarios for the next `takeDirty` again (their write failed). */
  markDirty(ids: string[]): void {
    for (const id of ids) if (this.models.has(id)) this.dirty.add(id);
  }

  scenarioIds(): string[] {
    return [...this.models.keys()];
  }

  takeDirty(): [string, ModelState][] {
    const out = [...this.dirty].map((id) => [id, this.models.get(id)!.snapshot()] as [string, ModelState]);
    this.dirty.clear();
    return out;
  }
}
