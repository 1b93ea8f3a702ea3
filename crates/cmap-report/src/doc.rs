//! A small document model rendered twice: to Markdown (`README.md`, `summary.md`) and to HTML
//! (`index.html`), so the page and the Markdown can never disagree on a figure.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::svg::esc;

/// Inline text.
#[derive(Debug, Clone)]
pub(crate) enum Span {
    /// Plain text.
    Text(String),
    /// `code`.
    Code(String),
    /// **bold**.
    Bold(String),
    /// A link to a file of the report (relative).
    Link(String, String),
}

/// A block of a document.
#[derive(Debug, Clone)]
pub(crate) enum Block {
    /// A heading of level 1 to 4.
    Heading(u8, String),
    /// A paragraph.
    Para(Vec<Span>),
    /// A bulleted list.
    List(Vec<Vec<Span>>),
    /// A shell command block.
    Code(String),
    /// A table; `numeric` columns are right-aligned.
    Table {
        /// Column headings.
        head: Vec<String>,
        /// Which columns hold figures.
        numeric: Vec<bool>,
        /// Cells.
        rows: Vec<Vec<Vec<Span>>>,
    },
    /// A chart of the report, by file name under `charts/`, with its title.
    Chart(String, String),
    /// A remark set apart (warnings, omitted charts).
    Note(Vec<Span>),
}

/// Shorthand for a plain text span.
pub(crate) fn t(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// A list of blocks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Doc {
    /// In order.
    pub blocks: Vec<Block>,
}

impl Doc {
    /// Appends a block.
    pub(crate) fn push(&mut self, b: Block) {
        self.blocks.push(b);
    }

    /// The document as GitHub-flavoured Markdown.
    pub(crate) fn markdown(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            match b {
                Block::Heading(level, text) => {
                    let _ = writeln!(
                        out,
                        "{} {}\n",
                        "#".repeat(usize::from(*level)),
                        md_text(text)
                    );
                }
                Block::Para(spans) => {
                    let _ = writeln!(out, "{}\n", md_spans(spans));
                }
                Block::List(items) => {
                    for item in items {
                        let _ = writeln!(out, "- {}", md_spans(item));
                    }
                    out.push('\n');
                }
                Block::Code(code) => {
                    let _ = writeln!(out, "```sh\n{code}\n```\n");
                }
                Block::Table {
                    head,
                    numeric,
                    rows,
                } => {
                    let head: Vec<String> = head.iter().map(|h| md_text(h)).collect();
                    let _ = writeln!(out, "| {} |", head.join(" | "));
                    let align: Vec<&str> = numeric
                        .iter()
                        .map(|n| if *n { "---:" } else { "---" })
                        .collect();
                    let _ = writeln!(out, "|{}|", align.join("|"));
                    for row in rows {
                        let cells: Vec<String> = row.iter().map(|c| md_spans(c)).collect();
                        let _ = writeln!(out, "| {} |", cells.join(" | "));
                    }
                    out.push('\n');
                }
                Block::Chart(file, title) => {
                    let _ = writeln!(out, "![{}](charts/{file})\n", md_text(title));
                }
                Block::Note(spans) => {
                    let _ = writeln!(out, "> {}\n", md_spans(spans));
                }
            }
        }
        out
    }

    /// The document as an HTML fragment, with each chart's SVG (from `svgs`, by file name)
    /// inlined. Headings get ids from `ids`, which keeps them unique across documents.
    pub(crate) fn html(&self, svgs: &BTreeMap<String, String>, ids: &mut Ids) -> String {
        let mut out = String::new();
        let mut in_grid = false;
        for b in &self.blocks {
            // Consecutive charts share a wrapping row, so a wide screen shows them side by side.
            let chart = matches!(b, Block::Chart(..));
            if chart && !in_grid {
                out.push_str("<div class=\"charts\">\n");
            } else if !chart && in_grid {
                out.push_str("</div>\n");
            }
            in_grid = chart;
            match b {
                Block::Heading(level, text) => {
                    let id = ids.next(text);
                    let _ = writeln!(out, r#"<h{level} id="{id}">{}</h{level}>"#, esc(text));
                }
                Block::Para(spans) => {
                    let _ = writeln!(out, "<p>{}</p>", html_spans(spans));
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        let _ = writeln!(out, "<li>{}</li>", html_spans(item));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Code(code) => {
                    let _ = writeln!(out, "<pre><code>{}</code></pre>", esc(code));
                }
                Block::Table {
                    head,
                    numeric,
                    rows,
                } => {
                    out.push_str("<div class=\"table\"><table>\n<thead><tr>");
                    for (h, n) in head.iter().zip(numeric) {
                        let _ = write!(
                            out,
                            "<th{}>{}</th>",
                            if *n { r#" class="num""# } else { "" },
                            esc(h)
                        );
                    }
                    out.push_str("</tr></thead>\n<tbody>\n");
                    for row in rows {
                        out.push_str("<tr>");
                        for (c, n) in row.iter().zip(numeric) {
                            let _ = write!(
                                out,
                                "<td{}>{}</td>",
                                if *n { r#" class="num""# } else { "" },
                                html_spans(c)
                            );
                        }
                        out.push_str("</tr>\n");
                    }
                    out.push_str("</tbody></table></div>\n");
                }
                Block::Chart(file, title) => {
                    let svg = svgs.get(file).map(|s| inline_svg(s)).unwrap_or_default();
                    let _ = writeln!(
                        out,
                        r#"<figure id="{}" aria-label="{}">{svg}<figcaption><a href="charts/{f}">charts/{f}</a></figcaption></figure>"#,
                        esc(&ids.next(file.trim_end_matches(".svg"))),
                        esc(title),
                        f = esc(file),
                    );
                }
                Block::Note(spans) => {
                    let _ = writeln!(out, r#"<p class="note">{}</p>"#, html_spans(spans));
                }
            }
        }
        if in_grid {
            out.push_str("</div>\n");
        }
        out
    }
}

/// Unique element ids for one page.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ids {
    used: BTreeMap<String, usize>,
}

impl Ids {
    /// An id made from `text`, unique on the page.
    pub(crate) fn next(&mut self, text: &str) -> String {
        let base = crate::fmt::slug(text);
        let n = self.used.entry(base.clone()).or_default();
        *n += 1;
        if *n == 1 { base } else { format!("{base}-{n}") }
    }
}

/// An SVG document as an element of an HTML page: the XML namespace is implied there, and
/// leaving it out keeps every URL-looking string off the page.
fn inline_svg(svg: &str) -> String {
    svg.replacen(r#" xmlns="http://www.w3.org/2000/svg""#, "", 1)
        .trim_end()
        .to_owned()
}

fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn md_spans(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| match s {
            Span::Text(t) => md_text(t),
            Span::Code(c) => format!("`{}`", c.replace('|', "\\|")),
            Span::Bold(b) => format!("**{}**", md_text(b)),
            Span::Link(text, href) => format!("[{}]({href})", md_text(text)),
        })
        .collect()
}

fn html_spans(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| match s {
            Span::Text(t) => esc(t),
            Span::Code(c) => format!("<code>{}</code>", esc(c)),
            Span::Bold(b) => format!("<strong>{}</strong>", esc(b)),
            Span::Link(text, href) => format!(r#"<a href="{}">{}</a>"#, esc(href), esc(text)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_what_would_change_the_layout() {
        let mut d = Doc::default();
        d.push(Block::Table {
            head: vec!["a|b".into()],
            numeric: vec![true],
            rows: vec![vec![vec![t("x*y_z"), Span::Code("p|q".into())]]],
        });
        assert_eq!(d.markdown(), "| a\\|b |\n|---:|\n| x\\*y\\_z`p\\|q` |\n\n");
    }

    #[test]
    fn ids_are_unique() {
        let mut ids = Ids::default();
        assert_eq!(ids.next("Read heavy"), "read-heavy");
        assert_eq!(ids.next("read-heavy"), "read-heavy-2");
    }
}
