//! minijinja templates for LOAs and notices: where they come from (the repo's
//! `templates/<kind>/` folder, else the copies built into portflow), which one a port uses
//! (`<COUNTRY>.j2`, else `default.j2`), strict undefined values, and escaping of every
//! value for the LOA markup so data can never be read as markup.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

use super::markup;
use crate::repo::{CONFIG_MAX_BYTES, RepoError, read_regular};

/// The auto-escape mode of LOA templates.
const MARKUP: &str = "portflow-markup";

/// Follows a value that ends in a period, until [`join_periods`] removes it: a Unicode
/// noncharacter, kept for a program's internal use, and removed from every value.
const VALUE_PERIOD: char = '\u{FDD0}';

/// Drops the template's own period right after a value that already ends in one (with
/// only a closing `*` between them), so "for {{ end_user.name }}." prints "for Acme Inc."
/// rather than "Acme Inc..", and removes the marks.
fn join_periods(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut parts = text.split(VALUE_PERIOD);
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for part in parts {
        if let Some(rest) = part.strip_prefix('.') {
            out.push_str(rest);
        } else if let Some(rest) = part.strip_prefix("*.") {
            out.push('*');
            out.push_str(rest);
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Built-in LOA templates, used when the repo has no `templates/loa/` folder.
const BUILTIN_LOA: &[(&str, &str)] = &[
    ("default.j2", include_str!("../../templates/loa/default.j2")),
    ("GB.j2", include_str!("../../templates/loa/GB.j2")),
];

/// Built-in notice templates, used when the repo has no `templates/email/` folder.
const BUILTIN_EMAIL: &[(&str, &str)] = &[
    (
        "rejection.j2",
        include_str!("../../templates/email/rejection.j2"),
    ),
    (
        "completion.j2",
        include_str!("../../templates/email/completion.j2"),
    ),
    (
        "signature-request.j2",
        include_str!("../../templates/email/signature-request.j2"),
    ),
    (
        "scheduled.j2",
        include_str!("../../templates/email/scheduled.j2"),
    ),
    (
        "assisted.j2",
        include_str!("../../templates/email/assisted.j2"),
    ),
];

/// The templates built into portflow (the files of this repository's `templates/`), by
/// file name: what a repo without its own `templates/<kind>/` folder uses, and what a new
/// ports repo can start from.
pub fn builtin_sources(kind: Kind) -> &'static [(&'static str, &'static str)] {
    kind.builtin()
}

/// Which templates: LOAs or notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `templates/loa/`: LOA markup, values escaped for the markup.
    Loa,
    /// `templates/email/`: plain-text notices, values as they are.
    Email,
}

impl Kind {
    fn folder(self) -> &'static str {
        match self {
            Kind::Loa => "templates/loa",
            Kind::Email => "templates/email",
        }
    }

    fn builtin(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Loa => BUILTIN_LOA,
            Kind::Email => BUILTIN_EMAIL,
        }
    }
}

/// A template failure, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// No template of the wanted names exists.
    #[error("no template `{wanted}` in {folder}")]
    Missing {
        /// The names tried, joined.
        wanted: String,
        /// Where it was looked for.
        folder: String,
    },
    /// The template does not parse or fails while rendering.
    #[error("{file}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Render {
        /// The template file (repo-relative, or `built-in …`).
        file: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What went wrong.
        message: String,
    },
}

/// The templates of one kind for a repo.
#[derive(Debug, Clone)]
pub struct Templates {
    kind: Kind,
    /// The repo root, when the repo has a `templates/<kind>/` folder; built-in templates
    /// otherwise.
    root: Option<PathBuf>,
    /// The environment, made on first use and shared by every rendering (and thread): each
    /// template is read and compiled once.
    env: Arc<OnceLock<Environment<'static>>>,
}

/// How many instructions one rendering may run: a 1,000-number LOA needs well under a tenth
/// of it, and a template that loops without end stops with a clear error instead of hanging.
pub const FUEL: u64 = 5_000_000;

/// The most bytes one rendering may write: a 1,000-number LOA is about 100 kB of markup.
pub const MAX_OUTPUT_BYTES: usize = 8 << 20;

/// Collects output up to [`MAX_OUTPUT_BYTES`]; past it, every write fails.
#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.over || self.bytes.len() + buf.len() > MAX_OUTPUT_BYTES {
            self.over = true;
            return Err(std::io::Error::other("template output over budget"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capped {
    fn into_string(self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Whether a template name is a plain file name (no folders, no `..`).
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && name.ends_with(".j2")
}

impl Templates {
    /// The templates of `kind` for the repo at `root`: its `templates/<kind>/` folder when
    /// present, else the built-in ones.
    pub fn for_repo(root: &Path, kind: Kind) -> Templates {
        // Anything at that path counts (reading refuses a link or a special file): a link
        // to a folder elsewhere must not quietly fall back to the built-in templates.
        let present = std::fs::symlink_metadata(root.join(kind.folder())).is_ok();
        Templates {
            kind,
            root: present.then(|| root.to_owned()),
            env: Arc::default(),
        }
    }

    /// The built-in templates of `kind`.
    pub fn builtin(kind: Kind) -> Templates {
        Templates {
            kind,
            root: None,
            env: Arc::default(),
        }
    }

    /// How a template file is named in messages.
    pub fn display(&self, name: &str) -> String {
        match self.root {
            Some(_) => format!("{}/{name}", self.kind.folder()),
            None => format!("built-in {}/{name}", self.kind.folder()),
        }
    }

    fn source(&self, name: &str) -> Result<Option<String>, RepoError> {
        if !plain_name(name) {
            return Ok(None);
        }
        match &self.root {
            // A regular file, not through a link, of bounded size: a template that is a FIFO
            // or a link to `/dev/zero` is an error, not a hang.
            Some(root) => {
                let rel = format!("{}/{name}", self.kind.folder());
                match read_regular(root, &rel, CONFIG_MAX_BYTES) {
                    Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
                    Err(RepoError::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            }
            None => Ok(self
                .kind
                .builtin()
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| (*text).to_owned())),
        }
    }

    /// The first of `names` that exists.
    pub fn pick(&self, names: &[String]) -> Result<String, TemplateError> {
        for name in names {
            match self.source(name) {
                Ok(Some(_)) => return Ok(name.clone()),
                Ok(None) => {}
                Err(e) => {
                    return Err(TemplateError::Render {
                        file: self.display(name),
                        line: None,
                        message: format!("cannot read the template: {e}"),
                    });
                }
            }
        }
        Err(TemplateError::Missing {
            wanted: names.join("` or `"),
            folder: match self.root {
                Some(_) => format!("`{}/`", self.kind.folder()),
                None => format!("portflow's built-in `{}/`", self.kind.folder()),
            },
        })
    }

    fn environment(&self) -> &Environment<'static> {
        self.env.get_or_init(|| self.new_environment())
    }

    fn new_environment(&self) -> Environment<'static> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        // Block tags on their own lines leave no blank lines behind (Jinja's usual setup).
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        // The loader reads the files; it does not hold the environment it serves.
        let this = Templates {
            env: Arc::default(),
            ..self.clone()
        };
        env.set_loader(move |name| {
            this.source(name).map_err(|e| {
                minijinja::Error::new(
                    ErrorKind::TemplateNotFound,
                    format!("cannot read `{name}`: {e}"),
                )
            })
        });
        match self.kind {
            Kind::Loa => env.set_auto_escape_callback(|_| AutoEscape::Custom(MARKUP.into())),
            Kind::Email => env.set_auto_escape_callback(|_| AutoEscape::None),
        }
        env.set_formatter(|out, state, value| {
            let markup = *state.auto_escape() == AutoEscape::Custom(MARKUP.into());
            if value.is_safe() || (value.is_none() && !markup) {
                return minijinja::escape_formatter(out, state, value);
            }
            // The LOA prints nothing for a missing value.
            let text = if value.is_none() {
                String::new()
            } else {
                value.to_string().replace(VALUE_PERIOD, "")
            };
            let mut shown = String::new();
            if markup {
                markup::escape(&text, &mut shown);
            } else {
                shown = text;
            }
            // A value that ends a sentence of its own ("Acme Inc.") is marked, so the
            // template's period after it is dropped (see `join_periods`).
            if shown.ends_with('.') {
                shown.push(VALUE_PERIOD);
            }
            out.write_str(&shown).map_err(minijinja::Error::from)
        });
        env
    }

    fn locate(&self, env: &Environment<'_>, name: &str, err: &minijinja::Error) -> TemplateError {
        let file = err
            .name()
            .map_or_else(|| self.display(name), |n| self.display(n));
        let budget = match err.kind() {
            ErrorKind::OutOfFuel => Some(format!(
                "the template runs more than {FUEL} instructions (an endless or huge loop?); simplify it"
            )),
            ErrorKind::WriteFailure => Some(format!(
                "the template writes more than {} MiB; simplify it",
                MAX_OUTPUT_BYTES >> 20
            )),
            _ => None,
        };
        if let Some(message) = budget {
            return TemplateError::Render {
                file,
                line: err.line(),
                message,
            };
        }
        let mut message = err.kind().to_string();
        if let Some(detail) = err.detail() {
            message.push_str(": ");
            message.push_str(detail);
        }
        if err.kind() == ErrorKind::UndefinedError {
            // Name the expression: the template source at the error's range.
            let source = env
                .get_template(err.name().unwrap_or(name))
                .ok()
                .map(|t| t.source().to_owned());
            if let (Some(source), Some(range)) = (source, err.range()) {
                if let Some(expr) = source.get(range) {
                    let named = format!("`{}` is undefined", expr.trim());
                    if !message.contains(&named) {
                        message.push_str(&format!(": {named}"));
                    }
                }
            }
            message.push_str(
                " (a value the template names is not in the data: check its spelling, or test optional values with `is defined`)",
            );
        }
        TemplateError::Render {
            file,
            line: err.line(),
            message,
        }
    }

    /// Renders the template `name` with `context`, within [`FUEL`] and [`MAX_OUTPUT_BYTES`].
    pub fn render(&self, name: &str, context: &Value) -> Result<String, TemplateError> {
        let env = self.environment();
        let template = env
            .get_template(name)
            .map_err(|e| self.locate(env, name, &e))?;
        let mut out = Capped::default();
        template
            .render_captured_to(context, &mut out)
            .map_err(|e| self.locate(env, name, &e))?;
        Ok(join_periods(&out.into_string()))
    }

    /// Renders the blocks `blocks` of the template `name` with `context`, each within the
    /// same budgets as [`Templates::render`].
    pub fn render_blocks(
        &self,
        name: &str,
        context: &Value,
        blocks: &[&str],
    ) -> Result<Vec<String>, TemplateError> {
        let env = self.environment();
        let template = env
            .get_template(name)
            .map_err(|e| self.locate(env, name, &e))?;
        let mut top = Capped::default();
        let mut captured = template
            .render_captured_to(context, &mut top)
            .map_err(|e| self.locate(env, name, &e))?;
        blocks
            .iter()
            .map(|block| {
                let mut out = Capped::default();
                captured
                    .with_state_mut(|state| state.render_block_to_write(block, &mut out))
                    .map_err(|e| self.locate(env, name, &e))?;
                Ok(join_periods(&out.into_string()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_for_the_markup() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("templates/loa")).expect("mkdir");
        std::fs::write(
            dir.path().join("templates/loa/default.j2"),
            "@field Name | {{ name }}\n{{ safe|safe }}\n",
        )
        .expect("write");
        let t = Templates::for_repo(dir.path(), Kind::Loa);
        let ctx = Value::from(minijinja::value::Serde(serde_json::json!({
            "name": "A | B *c* @pagebreak\nx",
            "safe": "@pagebreak",
        })));
        let out = t.render("default.j2", &ctx).expect("render");
        assert_eq!(
            out,
            "@field Name | A \\| B \\*c\\* \\@pagebreak x\n@pagebreak"
        );
    }

    #[test]
    fn a_value_ending_in_a_period_takes_the_sentence_period() {
        let ctx = Value::from(minijinja::value::Serde(serde_json::json!({
            "name": "Acme Inc.",
            "dots": "Wait...",
            "plain": "Acme",
            "sneaky": "x\u{FDD0}.",
        })));
        let templates = Templates::builtin(Kind::Loa);
        let env = templates.environment();
        let render = |source: &str| {
            let out = env.render_str(source, ctx.clone()).expect("render");
            join_periods(&out)
        };
        assert_eq!(render("for {{ name }}."), "for Acme Inc.");
        assert_eq!(render("*{{ name }}*. Next"), "*Acme Inc.* Next");
        assert_eq!(render("{{ name }}, {{ plain }}."), "Acme Inc., Acme.");
        assert_eq!(render("{{ dots }}."), "Wait...");
        assert_eq!(render("{{ name }}\n."), "Acme Inc.\n.");
        // A mark inside the data is removed, never trusted.
        assert_eq!(render("{{ sneaky }}."), "x.");
    }

    #[test]
    fn undefined_values_name_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("templates/loa")).expect("mkdir");
        std::fs::write(
            dir.path().join("templates/loa/GB.j2"),
            "@title LOA\n\n@field Name | {{ end_user.nmae }}\n",
        )
        .expect("write");
        let t = Templates::for_repo(dir.path(), Kind::Loa);
        let name = t
            .pick(&["GB.j2".to_owned(), "default.j2".to_owned()])
            .expect("pick");
        let ctx = Value::from(minijinja::value::Serde(
            serde_json::json!({ "end_user": { "name": "x" } }),
        ));
        let err = t.render(&name, &ctx).expect_err("strict");
        let text = err.to_string();
        assert!(text.starts_with("templates/loa/GB.j2 line 3: "), "{text}");
        assert!(text.contains("undefined"), "{text}");
    }

    #[test]
    fn builtins_fall_back_to_default() {
        let t = Templates::builtin(Kind::Loa);
        assert_eq!(
            t.pick(&["FR.j2".to_owned(), "default.j2".to_owned()])
                .expect("pick"),
            "default.j2"
        );
        assert_eq!(
            t.pick(&["GB.j2".to_owned(), "default.j2".to_owned()])
                .expect("pick"),
            "GB.j2"
        );
        assert!(t.pick(&["../x.j2".to_owned()]).is_err());
    }
}
