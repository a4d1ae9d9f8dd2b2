import type { JobInfo } from './job.js';

/**
 * The CLI's progress line on a terminal: records, scenarios done/total, and an ETA from the
 * scenario rate. Nothing is drawn when stderr is not a TTY (pipes and logs stay clean).
 */
const REDRAW_MS = 200;
const WIDTH = 24;

export class ProgressBar {
  private readonly startedAt = Date.now();
  private lastDrawAt = 0;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(job: JobInfo): void {
    if (!this.out.isTTY) return;
    const now = Date.now();
    if (now - this.lastDrawAt < REDRAW_MS && job.state === 'running') return;
    this.lastDrawAt = now;
    const { scenariosDone: done, scenariosTotal: total, records } = job.progress;
    const share = total > 0 ? done / total : 0;
    const filled = Math.round(share * WIDTH);
    const eta = share > 0 && share < 1 ? ` ETA ${Math.round(((now - this.startedAt) / share) * (1 - share) / 1000)}s` : '';
    this.draw(`[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${records} records, ${done}/${total} scenarios${eta}`);
  }

  waiting(queued: number): void {
    if (this.out.isTTY) this.draw(`waiting for the exporter to deliver: ${queued} queued`);
  }

  done(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  private draw(text: string): void {
    this.out.write(`\r${text}\x1b[K`);
    this.drawn = true;
  }
}
