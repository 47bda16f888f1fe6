//! `portflow init`: a new ports repo ready for CI, and `--update-schemas` to refresh its schema copies.

use std::io;
use std::path::{Path, PathBuf};

use crate::atomic;
use crate::loa::template::{self, Kind};
use crate::schema::SchemaKind;
use crate::{Environment, Exit, Output};

/// Where portflow lives: its releases, its action (`owner/repo@vVERSION`) and its docs.
pub const PORTFLOW_GIT: &str = "https://github.com/portflow/portflow";

const PORTING_TOML: &str = include_str!("../../assets/init/porting.toml");
const README: &str = include_str!("../../assets/init/README.md");
const GITIGNORE: &str = include_str!("../../assets/init/gitignore");
const GITATTRIBUTES: &str = include_str!("../../assets/init/gitattributes");
const PORTS_WORKFLOW: &str = include_str!("../../.github/workflows/ports.yml");
const CODEOWNERS: &str = include_str!("../../.github/CODEOWNERS");
const PRE_COMMIT_CONFIG: &str = include_str!("../../assets/init/pre-commit-config.yaml");

/// Failures of `init`.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// Files that would be overwritten.
    #[error(
        "refusing to overwrite existing files in {dir}: {files}; init writes only into a folder without them (use `--update-schemas` to refresh only the schema copies)"
    )]
    Exists {
        /// The target folder.
        dir: PathBuf,
        /// The files already there.
        files: String,
    },
    /// `--update-schemas` outside a ports repo.
    #[error(
        "{0} has no porting.toml: `--update-schemas` refreshes the schemas of an existing ports repo"
    )]
    NotARepo(PathBuf),
    /// Writing failed.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// What was being written.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// The built-in pipeline could not be adapted (a portflow build bug).
    #[error("the built-in workflow has no portflow build steps and action to replace")]
    Workflow,
}

/// Every file a new ports repo starts with, as (repo-relative path, contents).
pub fn files() -> Result<Vec<(String, String)>, InitError> {
    let mut files = vec![
        ("porting.toml".to_owned(), PORTING_TOML.to_owned()),
        ("README.md".to_owned(), README.to_owned()),
        (".gitignore".to_owned(), GITIGNORE.to_owned()),
        (".gitattributes".to_owned(), GITATTRIBUTES.to_owned()),
        ("ports/.gitkeep".to_owned(), String::new()),
        (
            ".github/workflows/ports.yml".to_owned(),
            team_workflow(PORTS_WORKFLOW).ok_or(InitError::Workflow)?,
        ),
        (".github/CODEOWNERS".to_owned(), team_codeowners(CODEOWNERS)),
        (
            ".pre-commit-config.yaml".to_owned(),
            PRE_COMMIT_CONFIG.to_owned(),
        ),
    ];
    for kind in SchemaKind::ALL {
        files.push((
            format!("schemas/{}", kind.file_name()),
            kind.text().to_owned(),
        ));
    }
    for (kind, folder) in [(Kind::Loa, "loa"), (Kind::Email, "email")] {
        for (name, text) in template::builtin_sources(kind) {
            files.push((format!("templates/{folder}/{name}"), (*text).to_owned()));
        }
    }
    Ok(files)
}

/// The note in this repo's pipeline on how it gets portflow: it ends where the workflow starts.
const OWN_BUILD_NOTE: &str = "# In the portflow repository itself";

/// The steps that build portflow from this repo's source; a team's repo has none.
const BUILD_STEPS: [&str; 2] = ["Cache the portflow build", "Build portflow"];

/// The action a team's pipeline runs: portflow's own (`action.yml` at the root of
/// [`PORTFLOW_GIT`]), pinned to the release of the binary that writes the pipeline.
pub fn action_ref() -> String {
    let repo = PORTFLOW_GIT.trim_start_matches("https://github.com/");
    format!("{repo}@v{}", env!("CARGO_PKG_VERSION"))
}

/// This repo's pipeline builds portflow from its own source and hands it to the action in
/// this repo (`uses: ./` with `install: false`); a team's repo has no source: its pipeline
/// runs the action pinned to this release, which downloads the release's binary.
pub fn team_workflow(source: &str) -> Option<String> {
    let action = action_ref();
    let version = env!("CARGO_PKG_VERSION");
    let note_start = source.find(OWN_BUILD_NOTE)?;
    let note_end = note_start + source[note_start..].find("\nname: ")? + 1;
    let mut text = format!(
        "{}# portflow runs through its GitHub action, pinned to a release: to upgrade, change the\n\
         # version in every `uses: {action}` line. The docs/ named here are portflow's:\n\
         # {PORTFLOW_GIT}/tree/v{version}/docs\n{}",
        &source[..note_start],
        &source[note_end..]
    );
    for name in BUILD_STEPS {
        text = without_steps(&text, name)?;
    }
    let local = "        uses: ./\n";
    let builds_itself = "          install: false\n";
    let uses = text.matches(local).count();
    if uses == 0 || text.matches(builds_itself).count() != uses {
        return None;
    }
    Some(
        text.replace(local, &format!("        uses: {action}\n"))
            .replace(builds_itself, ""),
    )
}

/// `text` without the steps called `name`; `None` when it has none.
fn without_steps(text: &str, name: &str) -> Option<String> {
    let head = format!("      - name: {name}\n");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut removed = 0;
    while let Some(start) = rest.find(&head) {
        // The step ends where the next step (or the comment introducing it) starts.
        let tail = &rest[start + 1..];
        let next = [tail.find("\n      - name: "), tail.find("\n      # ")]
            .into_iter()
            .flatten()
            .min()?;
        out.push_str(&rest[..start]);
        rest = &rest[start + 1 + next + 1..];
        removed += 1;
    }
    out.push_str(rest);
    (removed > 0).then_some(out)
}

/// This repo's CODEOWNERS also guards portflow's own source; a team's repo has none.
pub fn team_codeowners(source: &str) -> String {
    let mut out = String::new();
    let mut skip_comment = false;
    for line in source.lines() {
        let own_source = [
            "/src/",
            "/Cargo.toml",
            "/Cargo.lock",
            "/.ci/",
            "/action.yml",
        ]
        .iter()
        .any(|p| line.starts_with(p));
        if line.starts_with("# The pipeline builds portflow from this repository") {
            skip_comment = true;
        }
        if skip_comment {
            // The block about this repo's own source ends at the blank line after it.
            skip_comment = !line.is_empty();
            continue;
        }
        if own_source {
            continue;
        }
        // A team's repo has no docs/ of its own: point at portflow's.
        out.push_str(&line.replace(
            "docs/workflow.md",
            "https://github.com/portflow/portflow/blob/main/docs/workflow.md",
        ));
        out.push('\n');
    }
    out
}

fn write_all(root: &Path, files: &[(String, String)]) -> Result<(), InitError> {
    for (rel, text) in files {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| InitError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        atomic::write_new(&path, text.as_bytes(), None)
            .map_err(|source| InitError::Io { path, source })?;
    }
    Ok(())
}

/// Runs `portflow init [DIR] [--update-schemas]`.
pub fn run(
    dir: Option<&Path>,
    update_schemas: bool,
    env: &Environment,
) -> Result<Output, InitError> {
    let root = match dir {
        Some(d) => env.cwd.join(d),
        None => env.cwd.clone(),
    };
    if update_schemas {
        return update(&root);
    }
    let files = files()?;
    let existing: Vec<&str> = files
        .iter()
        .filter(|(rel, _)| std::fs::symlink_metadata(root.join(rel)).is_ok())
        .map(|(rel, _)| rel.as_str())
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists {
            dir: root,
            files: existing.join(", "),
        });
    }
    write_all(&root, &files)?;
    let mut stdout = format!("created a ports repo in {}:\n", root.display());
    for (rel, _) in &files {
        stdout.push_str(&format!("  {rel}\n"));
    }
    stdout.push_str(
        "next: edit porting.toml ([organization], [secrets] recipients, countries), commit, and \
         create your first port with `portflow new`\n",
    );
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: Exit::Clean,
    })
}

/// Rewrites the schema copies under `schemas/` from the binary: the fix for `schema::drift`.
fn update(root: &Path) -> Result<Output, InitError> {
    if !root.join("porting.toml").is_file() {
        return Err(InitError::NotARepo(root.to_owned()));
    }
    let mut stdout = String::new();
    for kind in SchemaKind::ALL {
        let rel = format!("schemas/{}", kind.file_name());
        let path = root.join(&rel);
        if std::fs::read_to_string(&path).is_ok_and(|t| t == kind.text()) {
            stdout.push_str(&format!("unchanged {rel}\n"));
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| InitError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        // Schema copies belong to portflow, not to the user: replace them atomically.
        atomic::replace(&path, kind.text().as_bytes(), None).map_err(|source| InitError::Io {
            path: path.clone(),
            source,
        })?;
        stdout.push_str(&format!("updated {rel}\n"));
    }
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: Exit::Clean,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_porting_toml_holds_the_placeholders_check_warns_about() {
        use crate::model::policy::Organization;
        let policy: toml::Table = toml::from_str(PORTING_TOML).expect("porting.toml");
        let organization = &policy["organization"];
        assert_eq!(
            organization["name"].as_str(),
            Some(Organization::PLACEHOLDER_NAME)
        );
        assert_eq!(
            organization["address"].as_str(),
            Some(Organization::PLACEHOLDER_ADDRESS)
        );
    }

    #[test]
    fn team_workflow_runs_the_pinned_action_instead_of_building() {
        let out = team_workflow(PORTS_WORKFLOW).expect("build steps found");
        assert!(
            !out.contains("cargo build") && !out.contains("install: false"),
            "{out}"
        );
        assert!(
            !out.contains("uses: ./") && !out.contains(OWN_BUILD_NOTE),
            "{out}"
        );
        assert_eq!(
            out.matches(&format!("uses: {}\n", action_ref())).count(),
            PORTS_WORKFLOW.matches("uses: ./\n").count()
        );
        // Every other step stays, the history cache among them.
        assert_eq!(
            out.matches("      - name: ").count(),
            PORTS_WORKFLOW.matches("      - name: ").count()
                - PORTS_WORKFLOW
                    .matches("      - name: Build portflow\n")
                    .count()
                - PORTS_WORKFLOW
                    .matches("      - name: Cache the portflow build\n")
                    .count()
        );
        assert!(out.contains("key: portflow-history-"));
    }

    #[test]
    fn action_ref_is_this_repo_at_this_version() {
        assert_eq!(
            action_ref(),
            format!("portflow/portflow@v{}", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn team_codeowners_drops_portflow_source() {
        let out = team_codeowners(CODEOWNERS);
        assert!(!out.contains("/src/") && !out.contains("/Cargo.toml"));
        assert!(
            !out.contains("action.yml") && !out.contains("# are policy too"),
            "{out}"
        );
        assert!(out.contains("/ports/**/events/*-submitted.toml"));
        assert!(out.contains("/porting.toml"));
    }
}
