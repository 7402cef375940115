/** The dashboard's stylesheet, served as /assets/dashboard.css. Colours keep a 4.5:1 contrast for text. */
export const STYLES = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --soft: #f6f8fa; --accent: #0a58ca;
  --ok: #1a7f37; --bad: #b42318; --warn: #8a5a00; --info: #0a58ca; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
.top { display: flex; gap: 24px; align-items: center; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--soft); }
.brand { font-weight: 700; text-decoration: none; color: var(--fg); }
.top ul { display: flex; gap: 16px; list-style: none; margin: 0; padding: 0; }
.top a[aria-current="page"] { font-weight: 700; color: var(--fg); }
main { padding: 16px 20px 40px; max-width: 1200px; }
h1 { font-size: 20px; margin: 4px 0 12px; word-break: break-all; }
h2 { font-size: 16px; margin: 20px 0 8px; }
h3 { font-size: 14px; margin: 12px 0 4px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
caption { text-align: left; color: var(--muted); padding: 4px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
pre { background: var(--soft); padding: 8px; overflow: auto; max-height: 320px; white-space: pre-wrap; word-break: break-word; }
.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; padding: 10px; background: var(--soft); border: 1px solid var(--line); border-radius: 6px; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
input, select, button { font: inherit; padding: 4px 6px; border: 1px solid #8c959f; border-radius: 4px; background: #fff; color: var(--fg); }
button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
.actions, .bulk { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 12px 0; }
.bulk h2 { width: 100%; margin: 0; }
.counts ul { display: flex; flex-wrap: wrap; gap: 12px; list-style: none; padding: 0; margin: 12px 0; }
.counts a { text-decoration: none; padding: 2px 8px; border: 1px solid var(--line); border-radius: 12px; color: var(--fg); }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
.status-completed { color: var(--ok); } .status-failed { color: var(--bad); } .status-canceled, .status-skipped { color: var(--muted); }
.status-running, .status-pending, .status-scheduled { color: var(--info); } .status-waiting { color: var(--warn); }
.tag { font-size: 11px; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; }
.error-text { color: var(--bad); word-break: break-word; }
.error { border: 1px solid var(--bad); padding: 8px 12px; border-radius: 6px; margin: 10px 0; }
.notice { background: #e7f5ec; border: 1px solid var(--ok); padding: 6px 10px; border-radius: 6px; }
.muted, .empty { color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
.why ul { margin: 4px 0; padding-left: 20px; }
.blocker-failed { color: var(--bad); }
.pager { display: flex; gap: 16px; margin: 8px 0; }
.depth-1 { padding-left: 24px; } .depth-2 { padding-left: 40px; } .depth-3, .depth-4 { padding-left: 56px; }
svg.timeline, svg.graph { border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.timeline .grid { stroke: #eaeef2; }
.timeline .tick, .timeline .lane-label { font-size: 11px; fill: var(--fg); }
.timeline .tick { fill: var(--muted); } .timeline .tick-end { text-anchor: end; }
.sleep { fill: #f0d98c; } .queued { fill: #b6c2cf; }
.exec { fill: #2f81f7; } .exec-completed { fill: #1a7f37; } .exec-failed { fill: #cf222e; } .exec-skipped { fill: #8c959f; } .exec-running { fill: #2f81f7; }
.attempt { stroke: #cf222e; stroke-width: 2; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; list-style: none; padding: 0; font-size: 12px; color: var(--muted); }
.swatch { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; }
.swatch.sleep { background: #f0d98c; } .swatch.queued { background: #b6c2cf; } .swatch.exec-completed { background: #1a7f37; }
.swatch.exec-failed { background: #cf222e; } .swatch.attempt { background: #cf222e; width: 3px; }
.graph .node rect { fill: var(--soft); stroke: #8c959f; }
.graph .node-parallel rect { fill: #ddf4ff; } .graph .node-delay rect, .graph .node-wait_for_signal rect { fill: #fff8c5; }
.graph .node-condition rect { fill: #fbefff; }
.graph text { text-anchor: middle; font-size: 12px; fill: var(--fg); } .graph .node-type { fill: var(--muted); font-size: 11px; }
.graph .edge { stroke: #8c959f; stroke-width: 1.5; }
`
