//! `index.html`: the README and the summary on one page, charts inlined.
//!
//! The page loads nothing: no script, no stylesheet or font from elsewhere, no image by URL. It
//! is also well-formed XML, which the tests check by parsing it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::doc::{Block, Doc, Ids};
use crate::svg::esc;

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: system-ui, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1a1a1a;
       margin: 0; background: #fafafa; line-height: 1.45; }
header { background: #20262e; color: #f2f2f2; padding: 18px 32px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: #c8ccd2; font-size: 14px; }
.layout { display: flex; align-items: flex-start; }
nav { position: sticky; top: 0; max-height: 100vh; overflow-y: auto; width: 230px; flex: none;
      padding: 16px 12px 16px 24px; font-size: 13px; box-sizing: border-box; }
nav ul { list-style: none; padding-left: 0; margin: 0; }
nav li.l3 { padding-left: 12px; }
nav a { color: #2a5db0; text-decoration: none; display: block; padding: 2px 0; }
main { flex: 1; min-width: 0; padding: 8px 32px 48px 16px; max-width: 1800px; }
h1 { font-size: 24px; margin-top: 28px; }
h2 { font-size: 20px; margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin-top: 20px; }
code { background: #eef0f3; padding: 1px 4px; border-radius: 3px; font-size: 90%; }
pre { background: #20262e; color: #f2f2f2; padding: 10px 14px; border-radius: 4px; overflow-x: auto; }
pre code { background: none; padding: 0; }
.table { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0 16px; background: #fff; }
th, td { border: 1px solid #d6d9de; padding: 4px 8px; text-align: left; white-space: nowrap; }
th { background: #eef0f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; margin: 16px 0; }
.charts figure { margin: 0; flex: 0 1 auto; }
figure { margin: 16px 0; background: #fff; border: 1px solid #e1e4e8; border-radius: 4px; padding: 8px;
         overflow-x: auto; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #666; margin-top: 4px; }
figcaption a { color: #666; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 6px 10px; }
"#;

/// The whole page.
pub(crate) fn render(
    title: &str,
    subtitle: &str,
    docs: &[&Doc],
    svgs: &BTreeMap<String, String>,
) -> String {
    let mut ids = Ids::default();
    let mut body = String::new();
    let mut nav = String::new();
    for doc in docs {
        // Walk the blocks with a copy of the id counter, in the order `Doc::html` will, so the
        // links get exactly the ids the headings will have.
        let mut preview = ids.clone();
        for b in &doc.blocks {
            match b {
                Block::Heading(level, text) => {
                    let id = preview.next(text);
                    if *level <= 3 {
                        let _ = writeln!(
                            nav,
                            r##"<li class="l{level}"><a href="#{id}">{}</a></li>"##,
                            esc(text)
                        );
                    }
                }
                Block::Chart(file, _) => {
                    preview.next(file.trim_end_matches(".svg"));
                }
                _ => {}
            }
        }
        body.push_str(&doc.html(svgs, &mut ids));
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1>{title}</h1><p>{subtitle}</p></header>
<div class="layout">
<nav><ul>
{nav}</ul></nav>
<main>
{body}</main>
</div>
</body>
</html>
"#,
        title = esc(title),
        subtitle = esc(subtitle),
    )
}
