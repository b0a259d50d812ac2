/**
 * The HTML report's inline stylesheet and script. Inline because the page must be one file that
 * opens anywhere (a CI artifact, an air-gapped jump host, an e-mail attachment): no external URL,
 * no web font, no CDN. The script only reads the DOM (no data is embedded in it), so nothing from a
 * run can end up inside a <script> element.
 */

export const CSS = `
:root{--ok:#2f9e44;--changed:#e8a317;--failed:#e03131;--unreachable:#862e9c;--skipped:#74a3c7;--ignored:#e64980;
--fg:#1f2328;--muted:#656d76;--line:#d8dee4;--bg:#f6f8fa;--card:#fff;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:20px 24px 48px}
header.top{background:#24292f;color:#f6f8fa;padding:18px 24px}
header.top .wrap{max-width:1240px;margin:0 auto}
header.top h1{margin:0;font-size:22px;font-weight:600;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
header.top .brand{color:#8c959f;font-weight:400}
.meta{display:flex;flex-wrap:wrap;gap:4px 22px;margin:8px 0 0;color:#c9d1d9;font-size:13px}
.meta b{color:#8c959f;font-weight:400;margin-right:4px}
.meta code{font-family:var(--mono);font-size:12px}
.badge{display:inline-block;padding:2px 9px;border-radius:12px;font-size:12px;font-weight:600;letter-spacing:.03em;text-transform:uppercase;color:#fff}
.badge.check{background:#0969da}
.o-ok{background:var(--ok)}.o-changed{background:var(--changed)}.o-failed{background:var(--failed)}.o-unreachable{background:var(--unreachable)}.o-aborted{background:#57606a}
.cards{display:grid;grid-template-columns:repeat(8,1fr);gap:10px;margin:18px 0 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;border-top:4px solid var(--line)}
.card .n{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.ok{border-top-color:var(--ok)}.card.changed{border-top-color:var(--changed)}.card.failed{border-top-color:var(--failed)}
.card.unreachable{border-top-color:var(--unreachable)}.card.skipped{border-top-color:var(--skipped)}.card.ignored{border-top-color:var(--ignored)}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:16px 0}
h2{font-size:16px;margin:0 0 10px;display:flex;align-items:baseline;gap:8px}
h2 small{color:var(--muted);font-weight:400;font-size:13px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:5px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em}
td.num,th.num{text-align:right}
td.zero{color:#b1bac4}
td.hot-changed{color:#b07800;font-weight:600}td.hot-failed,td.hot-unreachable{color:var(--failed);font-weight:600}
.pill{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:7px;vertical-align:middle}
.st{font-size:11px;font-weight:600;text-transform:uppercase;padding:1px 7px;border-radius:10px;color:#fff;white-space:nowrap}
.s-ok{background:var(--ok)}.s-changed{background:var(--changed)}.s-failed{background:var(--failed)}
.s-unreachable{background:var(--unreachable)}.s-skipped{background:var(--skipped)}.s-ignored{background:var(--ignored)}
.legend{display:flex;gap:14px;color:var(--muted);font-size:12px;margin:-4px 0 10px;flex-wrap:wrap}
.legend i{display:inline-block;width:12px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.tl{display:grid;grid-template-columns:minmax(90px,max-content) 1fr;column-gap:12px;row-gap:6px;align-items:center}
.tl .host{font-family:var(--mono);font-size:12.5px;white-space:nowrap}
.track{position:relative;overflow:hidden;height:24px;background:repeating-linear-gradient(90deg,#f6f8fa 0 1px,transparent 1px 100%);background-color:#fbfcfd;border:1px solid #eaeef2;border-radius:4px}
.axis{position:relative;height:18px;font-size:11px;color:var(--muted)}
.axis span{position:absolute;transform:translateX(-50%);white-space:nowrap}
.axis span:first-child{transform:none}
.axis span.end{transform:translateX(-100%)}
.bar{position:absolute;top:2px;bottom:2px;min-width:3px;border-radius:3px;overflow:hidden;color:#fff;font-size:11px;line-height:18px;
padding:0 4px;white-space:nowrap;text-overflow:clip;text-decoration:none;box-shadow:inset -1px 0 0 rgba(255,255,255,.7)}
.bar:hover{box-shadow:inset 0 0 0 2px #24292f;z-index:2}
.bar.planned{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.35) 0 4px,transparent 4px 8px)}
.item{border:1px solid var(--line);border-radius:6px;margin:10px 0;overflow:hidden}
.item>.head{background:var(--bg);padding:7px 12px;display:flex;gap:10px;align-items:center;flex-wrap:wrap;border-bottom:1px solid var(--line)}
.item .host{font-family:var(--mono);font-size:12.5px;color:var(--muted)}
.item .task{font-weight:600}
.item .why{color:var(--muted)}
.item .dur{margin-left:auto;color:var(--muted);font-size:12px}
pre{margin:0;padding:8px 12px;font:12px/1.5 var(--mono);overflow:auto;max-height:420px;white-space:pre}
pre.err{white-space:pre-wrap;background:#fff5f5;color:#8a1c1c}
.diff span{display:block}
.diff .add{background:#e6ffec;color:#116329}.diff .del{background:#ffebe9;color:#a40e26}
.diff .hunk{color:#0969da;background:#f1f8ff}.diff .hdr{color:var(--muted);font-weight:600}
.empty{color:var(--muted);font-style:italic}
.filters{display:flex;gap:12px;margin:8px 0;font-size:13px;flex-wrap:wrap}
.filters label{cursor:pointer;user-select:none}
summary{cursor:pointer;font-weight:600}
nav.toc{display:flex;gap:16px;font-size:13px;margin-top:6px}
nav.toc a{color:#0969da;text-decoration:none}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
:target{scroll-margin-top:12px}
.item:target{box-shadow:0 0 0 3px #0969da55}
@media (max-width:900px){.cards{grid-template-columns:repeat(4,1fr)}}
@media print{header.top{background:none;color:#000}.bar{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
`

export const JS = `
(function(){
  // times are written in UTC; show them in the reader's zone
  document.querySelectorAll('time[datetime]').forEach(function(t){
    var d=new Date(t.getAttribute('datetime'));
    if(!isNaN(d))t.textContent=d.toLocaleString();
  });
  // a bar links to its task; a task inside a closed <details> must be opened to be seen
  function reveal(){
    var id=decodeURIComponent(location.hash.slice(1));var el=id&&document.getElementById(id);
    for(var p=el;p;p=p.parentElement)if(p.tagName==='DETAILS')p.open=true;
    if(el)el.scrollIntoView({block:'center'});
  }
  window.addEventListener('hashchange',reveal);reveal();
  // status filter of the task table
  var boxes=document.querySelectorAll('.filters input[data-status]');
  function filter(){
    var on={};boxes.forEach(function(b){on[b.getAttribute('data-status')]=b.checked});
    document.querySelectorAll('#all-tasks tbody tr').forEach(function(r){r.hidden=!on[r.getAttribute('data-status')]});
  }
  boxes.forEach(function(b){b.addEventListener('change',filter)});filter();
  document.documentElement.setAttribute('data-ready','true');
})();
`
