/** The status page's stylesheet: system fonts only, light and dark. */
export const PAGE_CSS = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #6b7385; --line: #d6dae3; --box: #f4f6fa; --ok: #1f8a4c; --bad: #c0392b; --accent: #2f6fdf; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #99a1b3; --line: #39404f; --box: #222733; } }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); margin: 0; }
header { display: flex; gap: 1rem; align-items: baseline; padding: .8rem 1.2rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.15rem; margin: 0; }
main { padding: 0 1.2rem 2rem; max-width: 1300px; }
h2 { font-size: 1rem; margin: 1.4rem 0 .6rem; }
.muted { color: var(--muted); }
.error { color: var(--bad); }
.row { display: flex; gap: .5rem; }
.row input { flex: 1; }
input, select, button { font: inherit; padding: .3rem .5rem; }
button { cursor: pointer; }
.pipeline { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; margin-bottom: .6rem; }
.pipeline h3 { margin: 0 0 .4rem; font-size: .95rem; }
.flow { display: flex; align-items: center; gap: .4rem; flex-wrap: wrap; }
.stage { display: flex; flex-direction: column; gap: .3rem; }
.node { background: var(--box); border: 1px solid var(--line); border-left: 4px solid var(--muted); border-radius: 4px; padding: .25rem .5rem; font-family: ui-monospace, monospace; font-size: .85rem; }
.node.running { border-left-color: var(--ok); }
.node.failed { border-left-color: var(--bad); }
.node small { display: block; color: var(--muted); font-family: system-ui, sans-serif; }
.arrow { color: var(--muted); font-size: 1.2rem; padding: 0 .2rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 1rem; }
.chart { border: 1px solid var(--line); border-radius: 6px; padding: .5rem; }
.chart h3 { margin: 0 0 .3rem; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: .6rem; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.preview { font-family: ui-monospace, monospace; font-size: .8rem; max-width: 480px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#tail-output { white-space: pre-wrap; word-break: break-all; background: var(--box); border: 1px solid var(--line); border-radius: 6px; padding: .5rem; height: 260px; overflow: auto; font-size: .8rem; }
`;
