/** Counting what an import did, and saying it the way Patchwork's parsearchive does. */
import type { StoreOutcome } from '../store/mail-store.js';

export interface ImportSummary {
  processed: number;
  patches: number;
  covers: number;
  comments: number;
  duplicates: number;
  dropped: number;
  droppedByReason: Map<string, number>;
}

export function emptySummary(): ImportSummary {
  return { processed: 0, patches: 0, covers: 0, comments: 0, duplicates: 0, dropped: 0, droppedByReason: new Map() };
}

export function tally(summary: ImportSummary, outcomes: StoreOutcome[]): void {
  for (const o of outcomes) {
    summary.processed++;
    switch (o.status) {
      case 'patch':
        summary.patches++;
        break;
      case 'cover':
        summary.covers++;
        break;
      case 'comment':
        summary.comments++;
        break;
      case 'duplicate':
        summary.duplicates++;
        break;
      case 'dropped':
        summary.dropped++;
        summary.droppedByReason.set(o.reason, (summary.droppedByReason.get(o.reason) ?? 0) + 1);
        break;
    }
  }
}

/** `Processed N messages --> …` then one line per drop reason, most frequent first. */
export function formatSummary(s: ImportSummary): string {
  const lines = [
    `Processed ${s.processed} messages --> ${s.patches} patches, ${s.covers} covers, ${s.comments} comments, ${s.duplicates} duplicates, ${s.dropped} dropped`,
  ];
  const reasons = [...s.droppedByReason].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  for (const [reason, n] of reasons) lines.push(`  dropped ${n}: ${reason}`);
  return lines.join('\n') + '\n';
}

export function summaryJson(s: ImportSummary): Record<string, unknown> {
  return { ...s, droppedByReason: Object.fromEntries(s.droppedByReason) };
}
