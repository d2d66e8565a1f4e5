//! `--format html`: one self-contained audit report. CSS, script and chart are
//! inline and a Content-Security-Policy forbids every network fetch, so the
//! file opens the same offline, from an artifact store or an e-mail.
//!
//! Sections: the coverage matrix first (`#coverage-matrix`: a row per
//! resource type, a column per rule, each cell counting the (rule, resource)
//! pairs that passed, failed, were unknown or suppressed, and the resources
//! the rule does not apply to), so a clean run still shows what was checked;
//! summary counts (`#count-resources`, `#count-rules`, `#count-passed`,
//! `#count-fail`, `#count-unknown`, `#count-suppressed`); the scan record
//! (tool, rule pack, time, every input with its SHA-256); an SVG chart of findings by rule and status and by
//! severity; the findings table, filterable by text, rule, severity and
//! status (state kept in the URL fragment, e.g. `#filter=MCP004` or
//! `#rule=MCP004&status=fail`, so a filtered view can be linked); evidence per
//! resource; remediation per rule; errors, warnings and notes.
//!
//! Printing expands every section and shows every row (`beforeprint`, and
//! print CSS); `#print` opens the same view on screen.
//!
//! Every piece of finding text is escaped; the script reads only `data-`
//! attributes, never report text, so a message cannot inject markup or code.
//! The time shown is `SOURCE_DATE_EPOCH` when set (reproducible output), else
//! the time of rendering.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{
    by_severity, escape_xml, help_uri, location_text, plural, rule_meta, status_str, value_text,
    SEVERITIES_DESC,
};
use crate::findings::{Finding, Report, RuleMeta, Severity, Status};

const STYLE: &str = r#"
:root { --crit:#7b1fa2; --high:#c62828; --med:#ef6c00; --low:#1565c0; --info:#546e7a;
        --fail:#c62828; --unknown:#f9a825; --suppressed:#9e9e9e; --fg:#1d2329; --muted:#5f6b76; --line:#dde2e6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; background: #f6f8fa; }
header { background: #1d2329; color: #fff; padding: 16px 28px; }
header h1 { margin: 0; font-size: 20px; }
header .meta { color: #c5ccd3; font-size: 13px; margin-top: 4px; }
main { padding: 20px 28px; max-width: 1400px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 16px 20px; margin-bottom: 18px; }
h2 { font-size: 16px; margin: 0 0 12px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 120px; }
.card .n { font-size: 26px; font-weight: 600; display: block; }
.card.fail .n { color: var(--fail); } .card.unknown .n { color: #a67c00; } .card.suppressed .n { color: var(--muted); }
.card .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.charts { display: flex; gap: 28px; flex-wrap: wrap; align-items: flex-start; }
.legend span { display: inline-block; margin-right: 12px; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Consolas, monospace; background: #f0f3f5; padding: 1px 4px; border-radius: 3px; word-break: break-all; }
.msg { white-space: pre-wrap; }
.sev, .st { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; color: #fff; }
.sev-critical { background: var(--crit); } .sev-high { background: var(--high); } .sev-medium { background: var(--med); }
.sev-low { background: var(--low); } .sev-info { background: var(--info); }
.st-fail { background: var(--fail); } .st-unknown { background: var(--unknown); color: #222; } .st-suppressed { background: var(--suppressed); }
.filters { display: flex; gap: 10px; margin-bottom: 10px; flex-wrap: wrap; align-items: center; }
.filters input, .filters select { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; }
.filters input { min-width: 260px; }
#shown { color: var(--muted); }
details { margin: 6px 0; } summary { cursor: pointer; }
.ev td { border: 0; padding: 2px 8px; }
.why { color: var(--muted); font-size: 12px; }
.remediation { white-space: pre-wrap; }
ul.plain { margin: 0; padding-left: 18px; }
a { color: #0b5cad; }
.card.passed .n { color: #2e7d32; }
#coverage-matrix th.rule { text-align: center; white-space: nowrap; }
#coverage-matrix td.cell { text-align: center; white-space: nowrap; font-size: 12px; }
#coverage-matrix td.type { overflow-wrap: anywhere; min-width: 14em; }
.scroll { overflow-x: auto; }
.c { display: inline-block; min-width: 1.6em; padding: 0 4px; margin: 1px; border-radius: 8px; color: #fff; }
.c-passed { background: #2e7d32; } .c-failed { background: var(--fail); } .c-unknown { background: var(--unknown); color: #222; }
.c-suppressed { background: var(--suppressed); } .c-na { background: none; color: var(--muted); }
.kv th { width: 12em; text-transform: none; letter-spacing: 0; font-size: 13px; }
body.print-view .filters, body.print-view #shown { display: none; }
@media print {
  body { background: #fff; font-size: 11px; }
  header { background: #fff; color: #000; border-bottom: 2px solid #000; }
  header .meta { color: #000; }
  main { max-width: none; padding: 0; }
  section { border: 0; padding: 0; break-inside: avoid-page; }
  .filters, #shown { display: none; }
  tr.finding[hidden] { display: table-row; }
  details > summary { list-style: none; font-weight: 600; }
  details::details-content { content-visibility: visible; display: block; }
  a { color: #000; text-decoration: none; }
}
"#;

/// Applies the filter from the controls, mirrors it into the URL fragment,
/// and reads it back on load and on `hashchange`.
const SCRIPT: &str = r#"
(function () {
  // The print view: every section expanded and every row shown, whether
  // printed (beforeprint) or opened as `#print` to read or save whole.
  var printing = false;
  function expand(on) {
    printing = on;
    document.body.classList.toggle('print-view', on);
    Array.prototype.forEach.call(document.querySelectorAll('details'), function (d) {
      if (on) { d.setAttribute('data-was-open', d.open ? '1' : ''); d.open = true; }
      else if (d.hasAttribute('data-was-open')) { d.open = d.getAttribute('data-was-open') === '1'; d.removeAttribute('data-was-open'); }
    });
    if (apply) { apply(); }
  }
  window.addEventListener('beforeprint', function () { expand(true); });
  window.addEventListener('afterprint', function () { if (!/(^|[#&])print($|&)/.test(location.hash)) { expand(false); } });
  var q = document.getElementById('filter'), r = document.getElementById('f-rule'),
      sv = document.getElementById('f-severity'), st = document.getElementById('f-status');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.finding'));
  var apply = q ? function () {
    var text = q.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (row) {
      var ok = printing || ((!text || row.getAttribute('data-text').indexOf(text) >= 0) &&
               (!r.value || row.getAttribute('data-rule') === r.value) &&
               (!sv.value || row.getAttribute('data-severity') === sv.value) &&
               (!st.value || row.getAttribute('data-status') === st.value));
      row.hidden = !ok;
      if (ok) { n++; }
    });
    document.getElementById('shown-count').textContent = String(n);
  } : null;
  function fromHash() {
    var p = {}, flags = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) { p[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1).replace(/\+/g, ' ')); }
      else if (kv) { flags[kv] = true; }
    });
    if (q) { q.value = p.filter || ''; r.value = p.rule || ''; sv.value = p.severity || ''; st.value = p.status || ''; }
    if (!!flags.print !== printing) { expand(!!flags.print); } else if (apply) { apply(); }
  }
  function toHash() {
    var parts = [];
    [['filter', q], ['rule', r], ['severity', sv], ['status', st]].forEach(function (e) {
      if (e[1].value) { parts.push(e[0] + '=' + encodeURIComponent(e[1].value)); }
    });
    history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname);
    apply();
  }
  if (q) { [q, r, sv, st].forEach(function (el) { el.addEventListener('input', toHash); el.addEventListener('change', toHash); }); }
  window.addEventListener('hashchange', fromHash);
  fromHash();
})();
"#;

pub fn render(report: &Report, rules: &[RuleMeta]) -> String {
    let mut h = String::with_capacity(32 * 1024 + report.findings.len() * 1024);
    let s = &report.summary;
    let title = format!("mcpguard report: {} failed", s.fail);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        e(&title)
    );
    let inputs: Vec<String> = report
        .inputs
        .iter()
        .map(|i| format!("<code>{}</code> ({})", e(&i.path), e(&i.kind)))
        .collect();
    let _ = write!(
        h,
        "<header><h1>mcpguard compliance report</h1><div class=\"meta\">{} <span id=\"tool-version\">{}</span> · \
         generated <time id=\"generated\">{}</time> · schema {}</div></header>\n<main>\n",
        e(&report.tool.name),
        e(&report.tool.version),
        e(&generated_at()),
        e(&report.schema)
    );

    coverage(&mut h, report, rules);

    // Counts.
    h.push_str("<section id=\"summary\"><h2>Summary</h2>\n<div class=\"cards\">\n");
    for (id, class, label, n) in [
        ("count-resources", "", "resources", s.resources),
        ("count-rules", "", "rules", s.rules),
        ("count-passed", "passed", "passed", s.passed),
        ("count-fail", "fail", "failed", s.fail),
        ("count-unknown", "unknown", "unknown", s.unknown),
        ("count-suppressed", "suppressed", "suppressed", s.suppressed),
    ] {
        let _ = writeln!(
            h,
            "<div class=\"card {class}\"><span class=\"n\" id=\"{id}\">{n}</span><span class=\"l\">{label}</span></div>"
        );
    }
    h.push_str("</div>\n");
    let _ = writeln!(
        h,
        "<p>Inputs: {}</p>",
        if inputs.is_empty() {
            "none".to_string()
        } else {
            inputs.join(", ")
        }
    );
    if report.findings.is_empty() && report.errors.is_empty() {
        let _ = writeln!(
            h,
            "<p id=\"clean\"><strong>Every rule held:</strong> {} checked, no failure and nothing unknown.</p>",
            plural(s.passed, "rule and resource pair")
        );
    }
    if !report.errors.is_empty() {
        let _ = writeln!(
            h,
            "<p><strong>The scan is incomplete:</strong> {} (see below).</p>",
            plural(report.errors.len(), "error")
        );
    }
    h.push_str("</section>\n");
    scan_record(&mut h, report);

    if !report.findings.is_empty() {
        h.push_str("<section id=\"charts\"><h2>Findings by rule and severity</h2>\n<div class=\"charts\">\n");
        h.push_str(&rule_chart(report));
        h.push_str(&severity_chart(report));
        h.push_str("</div>\n<div class=\"legend\"><span><i style=\"background:var(--fail)\"></i>fail</span>\
                    <span><i style=\"background:var(--unknown)\"></i>unknown</span>\
                    <span><i style=\"background:var(--suppressed)\"></i>suppressed</span></div>\n</section>\n");
    }

    findings_table(&mut h, report);
    resources(&mut h, report);
    rule_docs(&mut h, report, rules);
    diagnostics(&mut h, report);

    let _ = write!(h, "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n");
    h
}

/// Counts of one coverage cell: passed, failed, unknown, suppressed.
type Cell = [usize; 4];

const CELL_LABELS: [&str; 4] = ["passed", "failed", "unknown", "suppressed"];

/// (ARM type, rule id) → counts, from the passes and findings.
fn coverage_cells(report: &Report) -> BTreeMap<(&str, &str), Cell> {
    let mut cells: BTreeMap<(&str, &str), Cell> = BTreeMap::new();
    for p in &report.passes {
        cells
            .entry((p.resource.arm_type.as_str(), p.rule_id.as_str()))
            .or_default()[0] += 1;
    }
    for f in &report.findings {
        let k = match f.status {
            Status::Fail => 1,
            Status::Unknown => 2,
            Status::Suppressed => 3,
        };
        cells
            .entry((f.resource.arm_type.as_str(), f.rule_id.as_str()))
            .or_default()[k] += 1;
    }
    cells
}

/// `Microsoft.ContainerInstance/containerGroups` → `ContainerInstance/containerGroups`.
fn short_type(t: &str) -> &str {
    t.strip_prefix("Microsoft.").unwrap_or(t)
}

/// The coverage matrix: a row per resource type any rule evaluated, a column
/// per rule that ran; each cell counts passed, failed, unknown and suppressed
/// pairs, and the resources of the type the rule did not apply to (n/a).
fn coverage(h: &mut String, report: &Report, rules: &[RuleMeta]) {
    let cells = coverage_cells(report);
    let mut rule_ids: Vec<&str> = report.passed.keys().map(String::as_str).collect();
    rule_ids.extend(report.findings.iter().map(|f| f.rule_id.as_str()));
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let mut types: Vec<&str> = cells.keys().map(|(t, _)| *t).collect();
    types.dedup();
    h.push_str("<section id=\"coverage\"><h2>Coverage: what was checked</h2>\n");
    let s = &report.summary;
    let _ = writeln!(
        h,
        "<p>{} on {}: <span class=\"c c-passed\">{}</span> passed, <span class=\"c c-failed\">{}</span> failed, \
         <span class=\"c c-unknown\">{}</span> unknown, <span class=\"c c-suppressed\">{}</span> suppressed; \
         a cell's <span class=\"c c-na\">n/a</span> counts the resources of that type the rule does not apply to.</p>",
        plural(s.rules, "rule"),
        plural(s.resources, "resource"),
        s.passed,
        s.fail,
        s.unknown,
        s.suppressed
    );
    if types.is_empty() {
        h.push_str("<p>No rule applied to any resource.</p>\n</section>\n");
        return;
    }
    h.push_str("<div class=\"scroll\"><table id=\"coverage-matrix\">\n<thead><tr><th>resource type</th><th>resources</th>");
    for id in &rule_ids {
        let title = rule_meta(rules, id).map(|m| m.title.as_str()).unwrap_or("");
        let _ = write!(
            h,
            "<th class=\"rule\" title=\"{}\"><a href=\"#rule={}\">{}</a></th>",
            a(title),
            a(&url_component(id)),
            e(id)
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for t in &types {
        let total = report.resource_types.get(*t).copied().unwrap_or(0);
        let _ = write!(
            h,
            "<tr><td class=\"type\" title=\"{}\"><code>{}</code></td><td>{total}</td>",
            a(t),
            e(short_type(t))
        );
        for id in &rule_ids {
            let c = cells.get(&(*t, *id)).copied().unwrap_or_default();
            let na = total.saturating_sub(c.iter().sum());
            let _ = write!(
                h,
                "<td class=\"cell\" data-type=\"{}\" data-rule=\"{}\" data-passed=\"{}\" data-failed=\"{}\" data-unknown=\"{}\" data-suppressed=\"{}\" data-na=\"{na}\">",
                a(t),
                a(id),
                c[0],
                c[1],
                c[2],
                c[3]
            );
            for (k, n) in c.iter().enumerate().filter(|(_, n)| **n > 0) {
                let _ = write!(
                    h,
                    "<span class=\"c c-{0}\" title=\"{n} {0}\">{n}</span>",
                    CELL_LABELS[k]
                );
            }
            if na > 0 {
                let _ = write!(
                    h,
                    "<span class=\"c c-na\" title=\"{na} not applicable\">{}</span>",
                    if na == total {
                        "n/a".to_string()
                    } else {
                        format!("{na} n/a")
                    }
                );
            }
            h.push_str("</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table></div>\n");
    let unchecked: Vec<String> = report
        .resource_types
        .iter()
        .filter(|(t, _)| !types.contains(&t.as_str()))
        .map(|(t, n)| format!("<code>{}</code> ({n})", e(short_type(t))))
        .collect();
    if !unchecked.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"why\" id=\"unchecked-types\">No rule applies to: {}.</p>",
            unchecked.join(", ")
        );
    }
    h.push_str("</section>\n");
}

/// What an auditor needs to reproduce the run: inputs and their digests, the
/// tool and rule pack, the time.
fn scan_record(h: &mut String, report: &Report) {
    h.push_str("<section id=\"scan\"><h2>Scan record</h2>\n<table class=\"kv\">\n");
    let _ = writeln!(
        h,
        "<tr><th>tool</th><td>{} {}</td></tr>",
        e(&report.tool.name),
        e(&report.tool.version)
    );
    if let Some(pack) = &report.rule_pack {
        let builtin = match &pack.builtin {
            Some(v) => format!("built-in rules of mcpguard {}", e(v)),
            None => "no built-in rules".to_string(),
        };
        let _ = writeln!(
            h,
            "<tr><th>rule pack</th><td id=\"rule-pack\">{builtin}; {} evaluated</td></tr>",
            plural(pack.rules, "rule")
        );
        for d in &pack.dirs {
            let _ = writeln!(
                h,
                "<tr><th>rules from</th><td><code>{}</code>: {}, sha256 <code>{}</code></td></tr>",
                e(&d.path),
                plural(d.files, "file"),
                e(&d.sha256)
            );
        }
    }
    let _ = writeln!(
        h,
        "<tr><th>generated</th><td><time>{}</time></td></tr>\n<tr><th>report schema</th><td>{}</td></tr>\n</table>",
        e(&generated_at()),
        e(&report.schema)
    );
    h.push_str("<table id=\"inputs\">\n<thead><tr><th>input</th><th>kind</th><th>sha256</th></tr></thead>\n<tbody>\n");
    for i in &report.inputs {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td></tr>",
            e(&i.path),
            e(&i.kind),
            i.sha256
                .as_deref()
                .map(e)
                .unwrap_or_else(|| "-".to_string())
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn e(s: &str) -> String {
    escape_xml(s, false)
}

fn a(s: &str) -> String {
    escape_xml(s, true)
}

/// `SOURCE_DATE_EPOCH` (reproducible builds' convention) or now, as RFC 3339.
fn generated_at() -> String {
    timestamp(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())
}

fn timestamp(source_date_epoch: Option<&str>) -> String {
    let when = source_date_epoch
        .and_then(|v| v.trim().parse::<i64>().ok())
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .unwrap_or_else(time::OffsetDateTime::now_utc);
    let when = when.replace_nanosecond(0).unwrap_or(when);
    when.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".to_string())
}

/// Per-rule counts by status, rules ordered by their most severe finding.
fn counts_by_rule(report: &Report) -> Vec<(&str, Severity, [usize; 3])> {
    let mut map: BTreeMap<&str, (Severity, [usize; 3])> = BTreeMap::new();
    for f in &report.findings {
        let entry = map.entry(&f.rule_id).or_insert((f.severity, [0; 3]));
        entry.0 = entry.0.max(f.severity);
        entry.1[status_index(f.status)] += 1;
    }
    let mut v: Vec<_> = map.into_iter().map(|(id, (sev, c))| (id, sev, c)).collect();
    v.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    v
}

fn status_index(s: Status) -> usize {
    match s {
        Status::Fail => 0,
        Status::Unknown => 1,
        Status::Suppressed => 2,
    }
}

const STATUS_COLOURS: [&str; 3] = ["var(--fail)", "var(--unknown)", "var(--suppressed)"];

/// Horizontal stacked bars, one per rule; a label links to the filtered table.
fn rule_chart(report: &Report) -> String {
    let rows = counts_by_rule(report);
    let max = rows
        .iter()
        .map(|(_, _, c)| c.iter().sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, row_h) = (170.0, 360.0, 24.0);
    let height = rows.len() as f64 * row_h + 8.0;
    let mut svg = format!(
        "<svg id=\"chart-rules\" role=\"img\" aria-label=\"findings by rule\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">\n",
        label_w + bar_w + 40.0,
        label_w + bar_w + 40.0
    );
    for (i, (id, sev, counts)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let total: usize = counts.iter().sum();
        let _ = writeln!(
            svg,
            "<a href=\"#rule={}\"><text x=\"0\" y=\"{:.0}\" font-size=\"12\" fill=\"#1d2329\">{} <tspan fill=\"#5f6b76\">{}</tspan></text></a>",
            a(&url_component(id)),
            y + 14.0,
            e(id),
            sev.as_str()
        );
        let mut x = label_w;
        for (k, n) in counts.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let w = bar_w * *n as f64 / max as f64;
            let _ = writeln!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"{}\"><title>{}: {n} {}</title></rect>",
                row_h - 8.0,
                STATUS_COLOURS[k],
                e(id),
                ["fail", "unknown", "suppressed"][k]
            );
            x += w;
        }
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.0}\" font-size=\"12\" fill=\"#5f6b76\">{total}</text>",
            x + 6.0,
            y + 14.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// One bar per severity (critical → info), stacked by status.
fn severity_chart(report: &Report) -> String {
    let groups = by_severity(report);
    let max = groups
        .iter()
        .map(|(_, fs)| fs.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, row_h) = (80.0, 240.0, 24.0);
    let height = SEVERITIES_DESC.len() as f64 * row_h + 8.0;
    let mut svg = format!(
        "<svg id=\"chart-severity\" role=\"img\" aria-label=\"findings by severity\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">\n",
        label_w + bar_w + 40.0,
        label_w + bar_w + 40.0
    );
    for (i, sev) in SEVERITIES_DESC.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let fs: Vec<&Finding> = groups
            .iter()
            .find(|(s, _)| s == sev)
            .map(|(_, f)| f.clone())
            .unwrap_or_default();
        let _ = writeln!(
            svg,
            "<a href=\"#severity={0}\"><text x=\"0\" y=\"{1:.0}\" font-size=\"12\" fill=\"#1d2329\">{0}</text></a>",
            sev.as_str(),
            y + 14.0
        );
        let mut x = label_w;
        for (k, st) in [Status::Fail, Status::Unknown, Status::Suppressed]
            .iter()
            .enumerate()
        {
            let n = fs.iter().filter(|f| f.status == *st).count();
            if n == 0 {
                continue;
            }
            let w = bar_w * n as f64 / max as f64;
            let _ = writeln!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"{}\"><title>{}: {n} {}</title></rect>",
                row_h - 8.0,
                STATUS_COLOURS[k],
                sev.as_str(),
                status_str(*st)
            );
            x += w;
        }
        let _ = writeln!(
            svg,
            "<text class=\"sev-total\" data-severity=\"{}\" x=\"{:.1}\" y=\"{:.0}\" font-size=\"12\" fill=\"#5f6b76\">{}</text>",
            sev.as_str(),
            x + 6.0,
            y + 14.0,
            fs.len()
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Percent-encodes what a URL fragment value cannot carry as is.
fn url_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Stable anchors for resources, in address order.
fn resource_anchors(report: &Report) -> BTreeMap<&str, String> {
    let mut addrs: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.resource.address.as_str())
        .collect();
    addrs.sort_unstable();
    addrs.dedup();
    addrs
        .into_iter()
        .enumerate()
        .map(|(i, a)| (a, format!("res-{}", i + 1)))
        .collect()
}

fn findings_table(h: &mut String, report: &Report) {
    let total = report.findings.len();
    h.push_str("<section id=\"findings\"><h2>Findings</h2>\n");
    if total == 0 {
        h.push_str("<p>No findings.</p></section>\n");
        return;
    }
    let mut rule_ids: Vec<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    h.push_str("<div class=\"filters\"><input id=\"filter\" type=\"search\" placeholder=\"filter: rule, resource, message…\" aria-label=\"filter\">\n<select id=\"f-rule\" aria-label=\"rule\"><option value=\"\">all rules</option>");
    for id in &rule_ids {
        let _ = write!(h, "<option value=\"{}\">{}</option>", a(id), e(id));
    }
    h.push_str("</select>\n<select id=\"f-severity\" aria-label=\"severity\"><option value=\"\">all severities</option>");
    for s in SEVERITIES_DESC {
        let _ = write!(h, "<option value=\"{0}\">{0}</option>", s.as_str());
    }
    h.push_str("</select>\n<select id=\"f-status\" aria-label=\"status\"><option value=\"\">all statuses</option><option value=\"fail\">fail</option><option value=\"unknown\">unknown</option><option value=\"suppressed\">suppressed</option></select>\n");
    let _ = writeln!(h, "<span id=\"shown\"><span id=\"shown-count\">{total}</span> of <span id=\"total-count\">{total}</span> shown</span></div>");
    h.push_str("<table id=\"findings-table\">\n<thead><tr><th>severity</th><th>status</th><th>rule</th><th>resource</th><th>location</th><th>message</th></tr></thead>\n<tbody>\n");
    let anchors = resource_anchors(report);
    for (_, fs) in by_severity(report) {
        for f in fs {
            let loc = location_text(f.location.as_ref()).unwrap_or_default();
            let text = format!(
                "{} {} {} {} {}",
                f.rule_id,
                f.resource.address,
                loc,
                f.message,
                status_str(f.status)
            )
            .to_lowercase();
            let anchor = anchors
                .get(f.resource.address.as_str())
                .cloned()
                .unwrap_or_default();
            let why = match &f.suppression {
                Some(s) => format!(
                    "<div class=\"why\">suppressed by {}: {}{}</div>",
                    e(&s.kind),
                    e(s.reason.as_deref().unwrap_or("no reason given")),
                    s.expires
                        .as_deref()
                        .map(|x| format!(", until {}", e(x)))
                        .unwrap_or_default()
                ),
                None => String::new(),
            };
            let _ = writeln!(
                h,
                "<tr class=\"finding\" data-rule=\"{}\" data-severity=\"{}\" data-status=\"{}\" data-text=\"{}\">\
                 <td><span class=\"sev sev-{1}\">{1}</span></td><td><span class=\"st st-{2}\">{2}</span></td>\
                 <td>{}</td><td><a href=\"#{}\"><code>{}</code></a></td><td>{}</td><td><div class=\"msg\">{}</div>{why}</td></tr>",
                a(&f.rule_id),
                f.severity.as_str(),
                status_str(f.status),
                a(&text),
                e(&f.rule_id),
                a(&anchor),
                e(&f.resource.address),
                if loc.is_empty() { "-".to_string() } else { format!("<code>{}</code>", e(&loc)) },
                e(&f.message),
            );
        }
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

/// Evidence, grouped by resource.
fn resources(h: &mut String, report: &Report) {
    if report.findings.is_empty() {
        return;
    }
    h.push_str("<section id=\"resources\"><h2>Evidence by resource</h2>\n");
    for (addr, anchor) in resource_anchors(report) {
        let fs: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.resource.address == addr)
            .collect();
        let Some(first) = fs.first() else { continue };
        let _ = writeln!(
            h,
            "<details id=\"{}\"><summary><code>{}</code> · {} · {}</summary>\n<p class=\"why\">{} <code>{}</code></p>",
            a(&anchor),
            e(addr),
            e(&first.resource.tf_type),
            plural(fs.len(), "finding"),
            e(&first.resource.arm_type),
            e(&first.resource.id)
        );
        for f in fs {
            let _ = writeln!(
                h,
                "<p><span class=\"sev sev-{0}\">{0}</span> <span class=\"st st-{1}\">{1}</span> <strong>{2}</strong> <span class=\"msg\">{3}</span></p>",
                f.severity.as_str(),
                status_str(f.status),
                e(&f.rule_id),
                e(&f.message)
            );
            if let Some(plan) = location_text(f.plan.as_ref()) {
                let _ = writeln!(
                    h,
                    "<p class=\"why\">in the plan: <code>{}</code></p>",
                    e(&plan)
                );
            }
            if !f.evidence.is_empty() {
                h.push_str("<table class=\"ev\">\n");
                for ev in &f.evidence {
                    let _ = writeln!(
                        h,
                        "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
                        e(&ev.path),
                        e(&value_text(&ev.value))
                    );
                }
                h.push_str("</table>\n");
            }
        }
        h.push_str("</details>\n");
    }
    h.push_str("</section>\n");
}

/// Remediation for every rule that has findings.
fn rule_docs(h: &mut String, report: &Report, rules: &[RuleMeta]) {
    let rows = counts_by_rule(report);
    if rows.is_empty() {
        return;
    }
    h.push_str("<section id=\"rules\"><h2>Rules and remediation</h2>\n");
    for (id, sev, counts) in rows {
        let meta = rule_meta(rules, id);
        let title = meta
            .map(|m| format!(": {}", e(&m.title)))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<details id=\"rule-{}\"><summary><strong>{}</strong>{title} <span class=\"sev sev-{2}\">{2}</span> · {3} failed, {4} unknown, {5} suppressed</summary>",
            a(&url_component(id)),
            e(id),
            sev.as_str(),
            counts[0],
            counts[1],
            counts[2]
        );
        match meta {
            Some(m) => {
                if !m.remediation.trim().is_empty() {
                    let _ = writeln!(
                        h,
                        "<h3>Remediation</h3><div class=\"remediation\">{}</div>",
                        e(m.remediation.trim())
                    );
                }
                if let Some(uri) = help_uri(m, &report.tool.version) {
                    let _ = writeln!(h, "<p><a href=\"{}\">Rule documentation</a></p>", a(&uri));
                }
                if !m.references.is_empty() {
                    h.push_str("<ul class=\"plain\">");
                    for r in &m.references {
                        let _ = write!(h, "<li><a href=\"{0}\">{1}</a></li>", a(r), e(r));
                    }
                    h.push_str("</ul>\n");
                }
            }
            None => h.push_str("<p class=\"why\">No metadata for this rule.</p>\n"),
        }
        h.push_str("</details>\n");
    }
    h.push_str("</section>\n");
}

fn diagnostics(h: &mut String, report: &Report) {
    if report.errors.is_empty()
        && report.warnings.is_empty()
        && report.notes.is_empty()
        && report.rules_skipped.is_empty()
    {
        return;
    }
    h.push_str(
        "<section id=\"diagnostics\"><h2>Errors, warnings and notes</h2>\n<ul class=\"plain\">\n",
    );
    for x in &report.errors {
        let _ = writeln!(
            h,
            "<li class=\"error\"><strong>error</strong> <code>{}</code>: {}</li>",
            e(&x.source),
            e(&x.message)
        );
    }
    for w in &report.warnings {
        let _ = writeln!(
            h,
            "<li class=\"warning\"><strong>warning</strong> <code>{}</code>: {}</li>",
            e(&w.source),
            e(&w.message)
        );
    }
    for n in &report.notes {
        let _ = writeln!(h, "<li class=\"note\">note: {}</li>", e(n));
    }
    for r in &report.rules_skipped {
        let _ = writeln!(
            h,
            "<li class=\"skipped\">rule <code>{}</code> (<code>{}</code>) not evaluated: {}</li>",
            e(&r.rule),
            e(&r.file),
            e(&r.reason)
        );
    }
    h.push_str("</ul>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_follows_source_date_epoch() {
        assert_eq!(timestamp(Some("1767225600")), "2026-01-01T00:00:00Z");
        // Garbage falls back to now rather than failing the report.
        assert!(timestamp(Some("yesterday")).ends_with('Z'));
        assert!(timestamp(None).len() >= 20);
    }

    #[test]
    fn fragments_are_encoded() {
        assert_eq!(url_component("MCP004"), "MCP004");
        assert_eq!(url_component("a b&c"), "a%20b%26c");
    }

    #[test]
    fn an_empty_report_renders_without_charts() {
        let mut r = Report::new();
        r.finish();
        let html = render(&r, &[]);
        assert!(html.contains("<p>No findings.</p>"));
        assert!(!html.contains("<svg"));
        assert!(html.contains("id=\"count-fail\">0<"));
    }
}
