import type Database from 'better-sqlite3';
import { dirname } from 'node:path';
import { GatewayError } from '../errors.js';
import type { StageRecord } from './stage-format.js';
import { foldStage, type StageDamage } from './stage-fold.js';
import { removeStage, StageLog, STAGE_SPILL_BYTES, type StageSlot } from './stage-log.js';
import { syncDirectory } from './sync-directory.js';
import type { WalDurability } from './wal-durability.js';

/** How long the stage log must stay idle before it is cut back to its idle segments (stage-log.ts). */
const STAGE_TRIM_DELAY_MS = 1_000;

interface PendingStage {
  record: StageRecord;
  resolve: (at: StageSlot) => void;
  reject: (err: unknown) => void;
}

/**
 * The database's side of the stage log (stage-log.ts; docs/architecture.md §8): appends queued
 * in one event-loop turn go out in the database's group commit and resolve once durable; the
 * queues mark what they hand out, spill and deliver; an idle stage gives its files back; and at
 * open, what a crashed run left in the stage is folded into the tables, its damage kept for the
 * queues (and the `queue` command) to report.
 */
export class StageCoordinator {
  private stageLog?: StageLog;
  private writes: PendingStage[] = [];
  private trimTimer?: NodeJS.Timeout;
  private onError?: (message: string) => void;
  /** Per exporter: records of a crashed run's stage that failed their checksum at open. */
  private readonly corruptAtOpen = new Map<string, number>();
  private damageAtOpen: StageDamage[] = [];
  private damageTaken = false;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly fsync: boolean,
    private readonly durability: WalDurability,
    private readonly scheduleFlush: () => void,
  ) {}

  /** The log itself, once `start` made it (the gateway's connection only). */
  get log(): StageLog | undefined {
    return this.stageLog;
  }

  /** Open the stage log (the gateway's connection; the `queue` command writes to the tables). */
  start(onError: (message: string) => void): void {
    this.onError = onError;
    const directory = dirname(this.path);
    this.stageLog ??= new StageLog(
      directory,
      (slot) => this.durability.segmentReopened(slot, StageLog.path(directory, slot)),
      () => this.scheduleTrim(),
    );
  }

  /** Whether `stage` takes this request (the stage log is on and it is small enough). */
  canStage(exporterId: string, payloadBytes: number): boolean {
    return this.stageLog !== undefined && !this.closed && this.stageLog.hasRoom && StageLog.fits(exporterId, payloadBytes);
  }

  /** True when the stage holds more than it should: queues then spill staged requests to SQLite. */
  get full(): boolean {
    return (this.stageLog?.liveBytes ?? 0) > STAGE_SPILL_BYTES;
  }

  /** Write a request in the next group commit; resolves once durable with where it lives. */
  stage(record: StageRecord): Promise<StageSlot> {
    if (this.closed || !this.stageLog) return Promise.reject(new GatewayError('QUEUE_CLOSED', `queue database ${this.path} is closed`));
    return new Promise<StageSlot>((resolve, reject) => {
      this.writes.push({ record, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** A staged request was handed to a worker (stage-log.ts, markTaken). */
  markTaken(at: StageSlot): void {
    this.stageLog?.markTaken(at);
  }

  /** A staged request is being copied into row `rowId` (stage-log.ts, markSpilled). */
  markSpilled(at: StageSlot, rowId: number): void {
    this.stageLog?.markSpilled(at, rowId);
  }

  /** A staged request was delivered, or is in SQLite durably now: its stage space may be reused. */
  unstage(at: StageSlot): void {
    this.stageLog?.release(at);
  }

  /** Append what waits (part of the database's flush); each resolves once durable. */
  flush(): void {
    const batch = this.writes;
    if (batch.length === 0) return;
    this.writes = [];
    let placed: StageSlot[];
    let slots: number[];
    try {
      ({ placed, slots } = this.stageLog!.append(batch.map((w) => w.record)));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    const settle = (error?: unknown) => {
      // Refused: the client sends it again, so its stage space is free (a copy that reaches the disk
      // anyway is at worst delivered twice).
      if (error !== undefined) for (const at of placed) this.stageLog?.release(at);
      batch.forEach((w, i) => (error === undefined ? w.resolve(placed[i]!) : w.reject(error)));
    };
    if (!this.fsync) return settle();
    this.durability.afterStageSync(slots, { resolve: () => settle(), reject: settle });
  }

  /**
   * At open, before any queue reads its table: what a crashed run left in the stage log goes into
   * the queue tables (a record that fails its checksum into the dead-letter store), made durable,
   * then the stage is removed. Only the directory's owner may do this.
   */
  fold(db: Database.Database, queueTable: (exporterId: string) => string): void {
    const directory = dirname(this.path);
    const { folded, corrupt, damage } = foldStage(db, directory, queueTable);
    for (const [exporterId, n] of corrupt) this.corruptAtOpen.set(exporterId, (this.corruptAtOpen.get(exporterId) ?? 0) + n);
    this.damageAtOpen.push(...damage);
    if (folded > 0) {
      // On disk before the stage goes: synchronous=NORMAL does not sync the WAL at commit.
      const error = this.durability.syncNow();
      if (error) throw error;
      syncDirectory(directory);
    }
    removeStage(directory);
  }

  /** Damage found at open (a salvage reports its own here too). */
  addDamage(damage: StageDamage): void {
    this.damageAtOpen.push(damage);
  }

  /** Every damage found at open and not taken by a queue yet (the `queue` command prints them). */
  get damageFound(): readonly StageDamage[] {
    return this.damageAtOpen;
  }

  /**
   * Damage charged to this exporter, once; the first queue to open also takes what is charged to
   * exporters that have no queue now (`known`: the others that have one).
   */
  takeDamageAtOpen(exporterId: string, known: Set<string>): StageDamage[] {
    const mine = this.damageAtOpen.filter((d) => d.exporterId === exporterId || (!this.damageTaken && !known.has(d.exporterId)));
    this.damageTaken = true;
    this.damageAtOpen = this.damageAtOpen.filter((d) => !mine.includes(d));
    return mine;
  }

  /** Records of a crashed run's stage that failed their checksum at open, for this exporter (once). */
  takeCorruptAtOpen(exporterId: string): number {
    const n = this.corruptAtOpen.get(exporterId) ?? 0;
    this.corruptAtOpen.delete(exporterId);
    return n;
  }

  /** No new appends; a spare segment being created finishes (or fails) first. */
  async closing(): Promise<void> {
    this.closed = true;
    clearTimeout(this.trimTimer);
    await this.stageLog?.settled();
  }

  /** After the queues spilled what they staged and the database closed: the stage is deleted. */
  close(): void {
    this.stageLog?.close();
    this.stageLog = undefined;
  }

  /** The stage drained: give its files back once it stayed idle for STAGE_TRIM_DELAY_MS. */
  private scheduleTrim(delayMs = STAGE_TRIM_DELAY_MS): void {
    if (this.trimTimer) return;
    this.trimTimer = setTimeout(() => {
      this.trimTimer = undefined;
      if (this.closed || !this.stageLog) return;
      let slots: ReturnType<StageLog['trim']>;
      try {
        slots = this.stageLog.trim(STAGE_TRIM_DELAY_MS);
      } catch (err) {
        // The files stay (and are reused); only their space is not given back yet.
        this.onError?.(`could not delete the stage log's files: ${(err as Error).message}`);
        return;
      }
      if (slots === 'wait') return this.scheduleTrim(STAGE_TRIM_DELAY_MS / 4);
      if (slots === 'busy' || slots.length === 0) return;
      this.durability.segmentsDeleted(slots);
    }, delayMs);
    this.trimTimer.unref();
  }
}
