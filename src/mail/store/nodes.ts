/** The in-memory records a batch builds before they are written (ids are filled in once allocated). */
import type { ParsedMail } from '../parse.js';

/** a stored series' id, or `n<k>` for one the batch creates */
export type SeriesKey = number | string;

export interface SeriesNode {
  key: SeriesKey;
  id: number;
  isNew: boolean;
  projectId: number;
  name: string | null;
  date: Date;
  /** lower-cased email */
  submitter: string;
  submitterId: number;
  version: number;
  total: number;
  receivedTotal: number;
  /** received_all as stored before this batch (false for new series) */
  receivedAllBefore: boolean;
  numbers: Set<number>;
  patchOneName: string | null;
  /** names of the series' patches known so far (stored and from this batch) */
  patchNames: string[];
  cover: CoverNode | null;
  coverId: number | null;
  previousVersionId: number | null;
  previousVersionReason: string | null;
  changeId: string | null;
  basedOn: string[];
  dependsOn: string[];
  supersedes: string[];
  /** message ids of this batch's mails in the series */
  msgids: string[];
  /** references registered to the series by this batch */
  newReferences: string[];
  /** changed by this batch */
  dirty: boolean;
}

interface MailNode {
  index: number;
  projectId: number;
  raw: Buffer;
  mail: ParsedMail;
  date: Date;
  submitter: string;
  id: number;
  messageId: number;
}

export interface PatchNode extends MailNode {
  series: SeriesNode | null;
  number: number | null;
  state: string;
  delegateId: number | null;
  /** null: not computed (git unavailable); the landed-patch matcher fills it in */
  gitPatchId: string | null;
  counts: { acked: number; reviewed: number; tested: number };
}

export interface CoverNode extends MailNode {
  series: SeriesNode | null;
}

export interface CommentNode extends MailNode {
  on: 'patch' | 'cover';
  parent: { patch: number | PatchNode | null; cover: number | CoverNode | null };
}

export interface DropNode {
  index: number;
  reason: string;
  msgid: string | null;
  projectId: number | null;
  raw: Buffer;
}

/** What became of one mail of a batch, in the batch's order. */
export type StoreOutcome =
  | { status: 'patch'; msgid: string; projectId: number; id: number; seriesId: number | null; number: number | null }
  | { status: 'cover'; msgid: string; projectId: number; id: number; seriesId: number }
  | { status: 'comment'; msgid: string; projectId: number; id: number; on: 'patch' | 'cover'; parentId: number }
  | { status: 'duplicate'; msgid: string; projectId: number }
  | { status: 'dropped'; msgid: string | null; projectId: number | null; reason: string };
