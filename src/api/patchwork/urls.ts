/** The absolute URLs Patchwork puts in its JSON: API resources and the web paths git-pw and pwclient fetch. */

/** `<abc@x>` → `abc@x`, quoted for a path segment but keeping `@` (as Django's reverse does). */
export function msgidPath(msgid: string): string {
  const bare = msgid.replace(/^<|>$/g, '');
  return encodeURIComponent(bare).replace(/%40/g, '@');
}

export class Urls {
  constructor(
    readonly origin: string,
    /** `/api/1.3` (or whichever version the client asked for) */
    readonly apiPrefix: string,
  ) {}

  api(path: string): string {
    return `${this.origin}${this.apiPrefix}/${path}`;
  }
  project(id: number) {
    return this.api(`projects/${id}/`);
  }
  person(id: number) {
    return this.api(`people/${id}/`);
  }
  user(id: number) {
    return this.api(`users/${id}/`);
  }
  patch(id: number) {
    return this.api(`patches/${id}/`);
  }
  cover(id: number) {
    return this.api(`covers/${id}/`);
  }
  series(id: number) {
    return this.api(`series/${id}/`);
  }
  patchWeb(linkName: string, msgid: string) {
    return `${this.origin}/project/${encodeURIComponent(linkName)}/patch/${msgidPath(msgid)}/`;
  }
  coverWeb(linkName: string, msgid: string) {
    return `${this.origin}/project/${encodeURIComponent(linkName)}/cover/${msgidPath(msgid)}/`;
  }
  seriesWeb(linkName: string, id: number) {
    return `${this.origin}/project/${encodeURIComponent(linkName)}/list/?series=${id}`;
  }
  seriesMbox(id: number) {
    return `${this.origin}/series/${id}/mbox/`;
  }
}
