import { AppError } from '../errors.js';

/**
 * A branch name as `git check-ref-format --branch` would accept it (the common cases). Branch names go into
 * refspecs, ls-remote patterns and API paths: no option look-alikes, no refspec syntax, no control characters.
 */
export function isBranchName(branch: string): boolean {
  return (
    branch.length > 0 &&
    !branch.startsWith('-') &&
    !/[\s\x00-\x1f\x7f~^:?*[\\]|\.\.|@\{|\/\/|^\/|\/$|\.lock$|\.$/.test(branch)
  );
}

export function assertBranchName(branch: string, field = 'scm_branch'): void {
  if (!isBranchName(branch)) {
    throw new AppError('invalid_branch', `${field} ${JSON.stringify(branch)} is not a valid git branch name`, { field });
  }
}
