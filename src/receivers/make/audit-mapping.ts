import { SeverityNumber, newLogRecord, type KeyValue, type LogRecord, type Logs } from '../../pdata/model.js';
import { attr } from '../../pdata/values.js';
import { msToNanos, resourceLogs, type ResourceContext } from './mapping.js';

/**
 * An audit log entry of `GET /audit-logs/v2/organization/{id}` (or `/team/{id}`) → one LogRecord
 * (docs/make-receiver.md, "Audit logs"). Actor name and email are personal data: they are mapped
 * only with `include_actor_identity`, and never for an anonymized actor.
 */

export interface MakeAuditLogEntry {
  imtId: string;
  uuid: string;
  createdAt: string;
  triggeredAt: string;
  organizationId?: number;
  organization?: { id: number; name?: string };
  eventName: string;
  team?: { id: number; name?: string };
  actor?: { id: number; name?: string; email?: string; anonymized?: boolean };
  targetId?: string | number;
  version?: { from?: string; to?: string };
}

export const AUDIT_EVENT_PREFIX = 'make.audit.';

function optional(out: KeyValue[], key: string, value: unknown): void {
  if (value !== undefined && value !== null && value !== '') out.push(attr(key, value));
}

export function auditEntryToLogRecord(e: MakeAuditLogEntry, includeActorIdentity: boolean, observedFallbackMs: number): LogRecord {
  const attributes: KeyValue[] = [];
  optional(attributes, 'make.audit.uuid', e.uuid);
  optional(attributes, 'make.audit.event', e.eventName);
  optional(attributes, 'make.audit.actor.id', e.actor?.id);
  if (e.actor?.anonymized) attributes.push(attr('make.audit.actor.anonymized', true));
  else if (includeActorIdentity) {
    optional(attributes, 'make.audit.actor.name', e.actor?.name);
    optional(attributes, 'make.audit.actor.email', e.actor?.email);
  }
  optional(attributes, 'make.team.id', e.team?.id);
  optional(attributes, 'make.team.name', e.team?.name);
  optional(attributes, 'make.audit.target_id', e.targetId === undefined ? undefined : String(e.targetId));
  optional(attributes, 'make.audit.version.from', e.version?.from);
  optional(attributes, 'make.audit.version.to', e.version?.to);
  const triggered = Date.parse(e.triggeredAt);
  const created = Date.parse(e.createdAt);
  const who = e.actor?.id !== undefined ? ` by user ${e.actor.id}` : '';
  const what = e.targetId !== undefined ? ` on ${String(e.targetId)}` : '';
  return newLogRecord({
    timeUnixNano: Number.isNaN(triggered) ? 0n : msToNanos(triggered),
    observedTimeUnixNano: msToNanos(Number.isNaN(created) ? observedFallbackMs : created),
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: { stringValue: `Make audit: ${e.eventName}${what}${who}` },
    attributes,
    eventName: `${AUDIT_EVENT_PREFIX}${e.eventName}`,
  });
}

export function auditEntriesToLogs(ctx: ResourceContext, organizationId: number | undefined, entries: MakeAuditLogEntry[], includeActorIdentity: boolean, nowMs: number): Logs {
  const resource: KeyValue[] = [attr('service.name', ctx.serviceName)];
  const org = organizationId ?? entries.find((e) => typeof e.organizationId === 'number')?.organizationId ?? entries.find((e) => e.organization)?.organization?.id;
  optional(resource, 'make.organization.id', org);
  optional(resource, 'make.zone', ctx.zone);
  return { resourceLogs: [resourceLogs(resource, entries.map((e) => auditEntryToLogRecord(e, includeActorIdentity, nowMs)))] };
}
