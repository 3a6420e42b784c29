/** An apply-check result as the check run / status / PR comment a maintainer reads. */
import type { CheckReport } from '../lifecycle/extras.js';
import type { ApplyCheckResult } from './apply-check.js';

export function toReport(result: ApplyCheckResult): CheckReport {
  const applied = result.patches.filter((p) => p.status === 'applied').length;
  const failed = result.patches.find((p) => p.status === 'failed');
  const title = {
    clean: `all ${result.patches.length} patches apply cleanly${result.spec ? ' and the spec lists them' : ''}`,
    conflict: `conflict: ${failed?.file ?? 'a patch'} does not apply (${applied} of ${result.patches.length} applied before it)`,
    spec_error: `the spec has ${result.spec?.problems.length ?? 0} problem(s) with its patch lines`,
    not_applicable: `spec OK; the patches were not applied (${result.note ?? 'no package sources'})`,
  }[result.outcome];
  const lines: string[] = [];
  if (result.mode === 'packaging') {
    lines.push(
      result.note
        ? `Packaging repository: the patches change the upstream sources, and ${result.note}, so they were not applied.`
        : 'Packaging repository: every Patch of the spec was applied to the unpacked Source0, in order, as %prep does.',
    );
  }
  if (!result.note) {
    lines.push('| # | patch | result |', '| --- | --- | --- |');
    for (const [i, p] of result.patches.entries()) lines.push(`| ${i + 1} | \`${p.file}\` | ${p.status.replace('_', ' ')} |`);
    if (failed?.error) lines.push('', `\`${failed.file}\`:`, '```', failed.error, '```');
  }
  if (result.spec) {
    lines.push('', result.spec.problems.length ? `Spec \`${result.spec.path}\`:` : `Spec \`${result.spec.path}\`: every Patch file exists and every %patch line names a defined patch.`);
    for (const problem of result.spec.problems) lines.push(`- ${problem}`);
  }
  const conclusion = result.outcome === 'clean' ? 'success' : result.outcome === 'not_applicable' ? 'neutral' : 'failure';
  return { conclusion, title, summary: lines.join('\n') };
}
