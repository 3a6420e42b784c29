/**
 * Patchwork's autodelegation (parser.py find_delegate_by_filename): rules are tried by priority (highest
 * first, then by path); every file of the patch must map to the same user, else nobody is delegated.
 * Paths are fnmatch patterns. Patchwork's code matches them against file names with the first component
 * (`a/`, `b/`) removed, while its documentation shows `?/patchwork/views/*`; we accept both styles.
 */

export interface DelegationRule<U> {
  path: string;
  priority: number;
  user: U;
}

const cache = new Map<string, RegExp>();

/** Python fnmatch semantics (POSIX, case-sensitive): `*` and `?` also match `/`; `[!…]` negates. */
export function fnmatch(name: string, pattern: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    let src = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '*') src += '.*';
      else if (c === '?') src += '.';
      else if (c === '[') {
        const close = pattern.indexOf(']', i + 2);
        if (close === -1) src += '\\[';
        else {
          let body = pattern.slice(i + 1, close);
          const negate = body.startsWith('!');
          if (negate) body = body.slice(1);
          src += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/^\^/, '\\^')}]`;
          i = close;
        }
      } else src += c.replace(/[.+^${}()|\\/]/g, '\\$&');
    }
    re = new RegExp(`^${src}$`, 's');
    cache.set(pattern, re);
  }
  return re.test(name);
}

export function autodelegate<U>(filenames: string[], rules: Array<DelegationRule<U>>, same: (a: U, b: U) => boolean = Object.is): U | null {
  if (!filenames.length) return null;
  const ordered = [...rules].sort((a, b) => b.priority - a.priority || a.path.localeCompare(b.path));
  let delegate: U | null = null;
  for (const file of filenames) {
    const rule = ordered.find((r) => fnmatch(file, r.path) || fnmatch(`a/${file}`, r.path));
    if (!rule) return null;
    if (delegate !== null && !same(delegate, rule.user)) return null;
    delegate = rule.user;
  }
  return delegate;
}
