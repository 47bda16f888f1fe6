//! miette's graphical report, one diagnostic per finding, secrets masked in every snippet.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::{Context, Counts, printable, summary_line};
use crate::diag::{Finding, Severity};
use crate::source::LineIndex;

/// How the terminal is: colour and width are pinned by the caller so output is reproducible.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Use ANSI colour and hyperlinks.
    pub color: bool,
    /// Wrap at this width.
    pub width: usize,
}

/// A file's masked text for snippets. Unlike miette's own sources it reports columns in
/// Unicode scalar values, as every other output does, and it hands miette only the lines
/// around a span: miette scans the text it is given from the start, so giving it the whole
/// file would make a report quadratic in the number of findings.
#[derive(Debug, Clone)]
struct Snippet {
    name: String,
    text: Arc<str>,
    lines: Arc<LineIndex>,
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text: &'a str = &self.text;
        if span.offset() > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let start = span.offset();
        let end = (span.offset() + span.len()).min(text.len());
        let first_line = self
            .lines
            .line_of(start)
            .saturating_sub(context_lines_before);
        let last_line = self.lines.line_of(end) + context_lines_after;
        let window_start = self.lines.start(first_line, text.len());
        let window_end = self.lines.start(last_line + 1, text.len());
        let window = &text[window_start..window_end];
        let local = SourceSpan::new((start - window_start).into(), end - start);
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        let absolute = SourceSpan::new(
            (inner.span().offset() + window_start).into(),
            inner.span().len(),
        );
        let (_, column) = self.lines.line_col(text, absolute.offset());
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            absolute,
            inner.line() + first_line,
            column - 1,
            inner.line_count(),
        )))
    }
}

struct Rendered {
    finding: Finding,
    source: Option<Snippet>,
    related: Vec<RelatedRendered>,
    same_file_labels: Vec<LabeledSpan>,
}

struct RelatedRendered {
    source: Snippet,
    label: LabeledSpan,
    message: String,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}
impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}
impl std::error::Error for Rendered {}

impl Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.finding.code.as_str()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.finding.help.is_empty())
            .then(|| Box::new(&self.finding.help) as Box<dyn fmt::Display>)
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.finding.code.docs_url()))
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let label = if self.finding.label.is_empty() {
            None
        } else {
            Some(self.finding.label.clone())
        };
        let primary = LabeledSpan::new_primary_with_span(label, self.finding.span.clone());
        Some(Box::new(
            std::iter::once(primary).chain(self.same_file_labels.iter().cloned()),
        ))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}

impl fmt::Debug for RelatedRendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for RelatedRendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for RelatedRendered {}
impl Diagnostic for RelatedRendered {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(self.label.clone())))
    }
}

/// The snippet source of each file, masked once however many findings point into it.
#[derive(Default)]
struct Snippets(BTreeMap<String, Snippet>);

impl Snippets {
    fn named(&mut self, ctx: &Context<'_>, file: &str) -> Option<Snippet> {
        if let Some(snippet) = self.0.get(file) {
            return Some(snippet.clone());
        }
        let source = ctx.sources.get(file)?;
        // Control characters of the file never reach the terminal.
        let snippet = Snippet {
            name: printable(file).into_owned(),
            text: Arc::from(printable(&source.masked_text()).as_ref()),
            lines: Arc::new(source.lines.clone()),
        };
        self.0.insert(file.to_owned(), snippet.clone());
        Some(snippet)
    }
}

/// Renders findings as miette reports followed by a summary line.
pub fn render(findings: &[Finding], ctx: &Context<'_>, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(style.color);
    let mut out = String::new();
    let mut snippets = Snippets::default();
    for finding in findings {
        let file = finding.file.to_string_lossy().into_owned();
        // Messages and labels may quote a value or a name from a file, control characters
        // and all (`"\u001b[2J"` is a valid TOML string).
        let mut finding = finding.clone();
        for text in [&mut finding.message, &mut finding.label, &mut finding.help] {
            *text = printable(text).into_owned();
        }
        for r in &mut finding.related {
            r.label = printable(&r.label).into_owned();
        }
        let shown_file = printable(&file).into_owned();
        let mut same_file_labels = Vec::new();
        let mut related = Vec::new();
        for r in &finding.related {
            let rfile = r.file.to_string_lossy().into_owned();
            if rfile == file {
                same_file_labels.push(LabeledSpan::new_with_span(
                    Some(r.label.clone()),
                    r.span.clone(),
                ));
            } else if let Some(source) = snippets.named(ctx, &rfile) {
                related.push(RelatedRendered {
                    source,
                    label: LabeledSpan::new_primary_with_span(
                        Some(r.label.clone()),
                        r.span.clone(),
                    ),
                    message: format!("{}: {}", printable(&rfile), r.label),
                });
            }
        }
        let source = snippets.named(ctx, &file);
        let rendered = Rendered {
            finding: finding.clone(),
            source: source.clone(),
            related,
            same_file_labels,
        };
        let mut text = String::new();
        if source.is_none() {
            // A finding about a folder or a file without text: name it in the heading.
            text.push_str(&format!("{shown_file}: "));
        }
        if handler.render_report(&mut text, &rendered).is_err() {
            text = format!("{}: {} [{}]\n", shown_file, finding.message, finding.code);
        }
        out.push_str(&text);
        out.push('\n');
    }
    out.push_str(&summary_line(Counts::of(findings), ctx));
    out.push('\n');
    out
}
