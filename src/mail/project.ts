/**
 * Which project a mail belongs to (Patchwork's find_project): the projects sharing the mail's list id are
 * tried in order; one whose subject filter matches the subject wins, else the one without a filter.
 * With an explicit list id (`parsemail --list-id`) only that id is tried; otherwise each list-id header
 * in turn, first match wins.
 */

export interface ProjectCandidate {
  listId: string;
  /** a regular expression searched in the subject (multi-line, case-insensitive); empty = any */
  subjectMatch: string | null;
}

const compiled = new Map<string, RegExp | null>();

function subjectFilter(source: string): RegExp | null {
  let re = compiled.get(source);
  if (re === undefined) {
    try {
      re = new RegExp(source, 'im');
    } catch {
      re = null; // an invalid filter matches nothing rather than everything
    }
    compiled.set(source, re);
  }
  return re;
}

function byListId<P extends ProjectCandidate>(listId: string, subject: string, projects: readonly P[]): P | null {
  let fallback: P | null = null;
  for (const p of projects) {
    if (p.listId !== listId) continue;
    if (!p.subjectMatch) fallback = p;
    else if (subjectFilter(p.subjectMatch)?.test(subject)) return p;
  }
  return fallback;
}

export function findProject<P extends ProjectCandidate>(
  mail: { listIds: string[]; subject: string },
  projects: readonly P[],
  explicitListId?: string,
): P | null {
  if (explicitListId) return byListId(explicitListId, mail.subject, projects);
  for (const id of mail.listIds) {
    const p = byListId(id, mail.subject, projects);
    if (p) return p;
  }
  return null;
}
