/** The dashboard's one stylesheet, served by the app itself (no CDN); dark when the system asks for it. */
export const STYLESHEET = `
:root { --bg: #fff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0969da; --add: #dafbe1; --del: #ffebe9; --hunk: #ddf4ff; --bad: #cf222e; --good: #1a7f37; --warn: #9a6700; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #8d96a0; --line: #30363d; --accent: #4493f8; --add: #12361f; --del: #4b1619; --hunk: #0c2d6b; --bad: #f85149; --good: #3fb950; --warn: #d29922; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; gap: 1.2em; align-items: center; padding: .6em 1.2em; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header .who { margin-left: auto; display: flex; gap: .6em; align-items: center; }
main { padding: 1em 1.2em; max-width: 90em; }
a { color: var(--accent); }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; } h2 .more { font-size: .8em; font-weight: normal; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3em .5em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
.counts { display: flex; gap: 1em; flex-wrap: wrap; list-style: none; padding: 0; }
.counts li { border: 1px solid var(--line); border-radius: 6px; padding: .4em .8em; }
.status-error, .status-blocked, .check-fail { color: var(--bad); font-weight: 600; }
.status-ok, .check-success { color: var(--good); }
.status-paused, .check-warning { color: var(--warn); }
.muted { color: var(--muted); }
.notice { border: 1px solid var(--line); border-left: 4px solid var(--accent); padding: .5em .8em; }
.error-box { border-left-color: var(--bad); }
form.filters { display: flex; gap: .6em; flex-wrap: wrap; align-items: end; margin-bottom: 1em; }
label { display: flex; flex-direction: column; font-size: .9em; color: var(--muted); }
input, select, button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: .25em .5em; }
button { cursor: pointer; }
.actions { display: flex; gap: .6em; flex-wrap: wrap; align-items: center; margin: 1em 0; }
a.button { border: 1px solid var(--line); border-radius: 4px; padding: .25em .5em; text-decoration: none; }
section.preview { border-top: 1px solid var(--line); margin-top: 1.5em; }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 1em 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
form.inline { display: inline; }
form.stacked label:not(.check) { max-width: 32em; }
label.check { flex-direction: row; gap: 1em; color: var(--fg); } label.check > span:first-child { min-width: 8em; white-space: nowrap; }
details summary { cursor: pointer; padding: .2em 0; }
pre { overflow-x: auto; padding: .6em; border: 1px solid var(--line); border-radius: 4px; }
pre.diff { padding: 0; }
pre.diff span { display: block; padding: 0 .6em; }
.diff .add { background: var(--add); } .diff .del { background: var(--del); } .diff .hunk { background: var(--hunk); } .diff .meta { font-weight: 600; }
.command { width: 100%; font-family: ui-monospace, monospace; }
nav.pager { margin-top: 1em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(22em, 1fr)); gap: 1em 2em; }
.chart { margin: 0; --c0: #0969da; --c1: #bc4c00; --c2: #1a7f37; --c3: #8250df; --c4: #bf3989; --c5: #57606a; }
@media (prefers-color-scheme: dark) { .chart { --c0: #4493f8; --c1: #f0883e; --c2: #3fb950; --c3: #ab7df8; --c4: #f778ba; --c5: #8d96a0; } }
.chart svg { width: 100%; max-width: 720px; height: auto; display: block; }
.chart .series-0, .chart .marker-0 { fill: var(--c0); } .chart .line-0 { stroke: var(--c0); }
.chart .pattern-bg.series-1 { fill: var(--c1); } .chart .pattern-bg.series-2 { fill: var(--c2); } .chart .pattern-bg.series-3 { fill: var(--c3); } .chart .pattern-bg.series-4 { fill: var(--c4); }
.chart .pattern-ink { stroke: var(--bg); } .chart .pattern-dot { fill: var(--bg); } .chart .pattern-open { fill: var(--bg); stroke: var(--c5); stroke-width: 1.5; }
.chart .patterned { stroke: var(--fg); stroke-width: .6; }
.chart .grid { stroke: var(--line); } .chart .axis { stroke: var(--muted); }
.chart text { fill: var(--fg); font-size: 12px; } .chart .tick { fill: var(--muted); }
.chart .legend { list-style: none; padding: 0; margin: .3em 0; display: flex; gap: 1.2em; flex-wrap: wrap; }
.chart .legend svg { display: inline; width: auto; vertical-align: middle; }
.chart details table { width: auto; }
`;
