/**
 * RFC 2822 date parsing as lenient as Python's email.utils.parsedate_tz (which Patchwork uses), returning
 * UTC ISO 8601, or null for a date that cannot be read or lies outside years 1..9999.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec', 'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ZONES: Record<string, number> = { UT: 0, UTC: 0, GMT: 0, Z: 0, AST: -400, ADT: -300, EST: -500, EDT: -400, CST: -600, CDT: -500, MST: -700, MDT: -600, PST: -800, PDT: -700 };

const INT = /^[+-]?\d+$/;

function toInt(s: string): number | null {
  const t = s.trim();
  return INT.test(t) ? Number(t) : null;
}

export function parseMailDate(value: string | null | undefined): string | null {
  if (!value) return null;
  let data = value.split(/\s+/).filter((s) => s !== '');
  if (!data.length) return null;
  if (data[0]!.endsWith(',') || DAYS.includes(data[0]!.toLowerCase())) data.shift();
  else {
    const i = data[0]!.lastIndexOf(',');
    if (i >= 0) data[0] = data[0]!.slice(i + 1);
  }
  if (data.length === 3) {
    const stuff = data[0]!.split('-');
    if (stuff.length === 3) data = [...stuff, ...data.slice(1)];
  }
  if (data.length === 4) {
    const s = data[3]!;
    let i = s.indexOf('+');
    if (i === -1) i = s.indexOf('-');
    if (i > 0) data.splice(3, 1, s.slice(0, i), s.slice(i));
    else data.push('');
  }
  if (data.length < 5) return null;
  let [dd, mm, yy, tm, tz] = data.slice(0, 5) as [string, string, string, string, string];
  if (!(dd && mm && yy)) return null;
  mm = mm.toLowerCase();
  if (!MONTHS.includes(mm)) {
    [dd, mm] = [mm, dd.toLowerCase()];
    if (!MONTHS.includes(mm)) return null;
  }
  let month = MONTHS.indexOf(mm) + 1;
  if (month > 12) month -= 12;
  if (dd.endsWith(',')) dd = dd.slice(0, -1);
  if (yy.indexOf(':') > 0) [yy, tm] = [tm, yy];
  if (yy.endsWith(',')) {
    yy = yy.slice(0, -1);
    if (!yy) return null;
  }
  if (!/^\d/.test(yy)) [yy, tz] = [tz, yy];
  if (tm.endsWith(',')) tm = tm.slice(0, -1);
  let parts = tm.split(':');
  if (parts.length === 1 && tm.includes('.')) parts = tm.split('.');
  if (parts.length === 2) parts.push('0');
  if (parts.length !== 3) return null;
  const year0 = toInt(yy);
  const day = toInt(dd);
  const [hh, mi, ss] = parts.map(toInt);
  if (year0 === null || day === null || hh == null || mi == null || ss == null) return null;
  let year = year0;
  if (year < 100) year += year > 68 ? 1900 : 2000;
  let offset: number | null = null;
  const TZ = tz.toUpperCase();
  if (TZ in ZONES) offset = ZONES[TZ]!;
  else {
    offset = toInt(TZ);
    if (offset === 0 && TZ.startsWith('-')) offset = null;
  }
  let offsetSeconds = 0;
  if (offset) {
    const sign = offset < 0 ? -1 : 1;
    const abs = Math.abs(offset);
    offsetSeconds = sign * (Math.floor(abs / 100) * 3600 + (abs % 100) * 60);
  }
  // Date.UTC normalises out-of-range fields the way calendar.timegm's arithmetic does.
  const ms = Date.UTC(year, month - 1, day, hh, mi, ss) - offsetSeconds * 1000;
  if (!Number.isFinite(ms)) return null;
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || y < 1 || y > 9999) return null;
  return d.toISOString();
}
