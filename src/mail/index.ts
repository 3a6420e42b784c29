/** The mail parser's public surface: pure functions over raw messages, plus archive readers. */
export { parseMail, classifyMail, cleanContent, decodedHeaders, findReferences, findListIds } from './parse.js';
export type { ParsedMail, ParseOptions, ParseResult, MailKind, ClassifyLookup, Classification, ParentId } from './parse.js';
export { cleanSubject, splitPrefixes, parseSeriesMarker, parseVersion, isReplySubject, normalizeTitle } from './subject.js';
export { parsePatch, parsePullRequest, findFilenames } from './diff.js';
export { hashDiff } from './hash.js';
export { splitFromHeader, restoreDmarcSender } from './author.js';
export type { Person } from './author.js';
export { parseMailDate } from './date.js';
export { countTags, extractTrailers, extractSeriesHints } from './tags.js';
export type { Trailer, TagCounts, SeriesHints } from './tags.js';
export { readMbox, readMaildir, isEnvelopeLine } from './mbox.js';
export type { MboxMessage, MboxOptions, MaildirMessage } from './mbox.js';
export {
  SERIES_WINDOW_MINUTES,
  decidePatchSeries,
  decideCoverSeries,
  seriesMailOf,
  seriesNameAfterPatch,
  seriesNameAfterCover,
  findPreviousVersion,
  parseDependencyRef,
  SeriesAssembler,
} from './series.js';
export type { SeriesLookup, SeriesRecord, SeriesMail, SeriesDecision, SeriesId, VersionCandidate, PreviousVersion, AssembledSeries, AssembleOutcome, DependencyRef } from './series.js';
export { autodelegate, fnmatch } from './delegate.js';
export { findProject } from './project.js';
export type { ProjectCandidate } from './project.js';
export type { DelegationRule } from './delegate.js';
export { describeMessage, mailParseCommand } from './describe.js';
export type { MessageDescription } from './describe.js';
