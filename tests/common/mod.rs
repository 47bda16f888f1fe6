//! Shared helpers for integration tests: temp ports repos and running the CLI in-process.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use portflow::{Environment, Output};
use tempfile::TempDir;

/// The project root (the bundled example repo).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temp ports repo with the bundled porting.toml and schema copies, and no ports.
pub struct TempRepo {
    pub dir: TempDir,
}

impl TempRepo {
    pub fn new() -> TempRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = project_root();
        std::fs::copy(root.join("porting.toml"), dir.path().join("porting.toml")).expect("copy");
        std::fs::create_dir_all(dir.path().join("schemas")).expect("mkdir");
        for name in ["request", "event", "porting"] {
            let file = format!("schemas/{name}.schema.json");
            std::fs::copy(root.join(&file), dir.path().join(&file)).expect("copy schema");
        }
        std::fs::create_dir_all(dir.path().join("ports")).expect("mkdir");
        TempRepo { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating folders), relative to the repo root.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
        self
    }

    /// Copies a bundled example port into this repo under the same relative folder.
    pub fn copy_port(&self, rel_dir: &str) -> &Self {
        copy_dir(
            &project_root().join(rel_dir),
            &self.dir.path().join(rel_dir),
        );
        self
    }

    /// Runs the CLI in-process in the repo root with a fixed environment.
    pub fn run(&self, args: &[&str]) -> Output {
        run_in(self.dir.path(), args)
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Runs `portflow <args>` in-process in `dir` with no terminal, no colour, width 80.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut argv = vec!["portflow"];
    argv.extend_from_slice(args);
    portflow::run(argv, &Environment::fixed(dir))
}

/// The findings of `check --format json` as JSON values.
pub fn json_findings(out: &Output) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("json output");
    doc["findings"].as_array().expect("findings").clone()
}

/// A complete, valid US landline request for a port at `ports/<id>/`.
pub const VALID_REQUEST: &str = r#"#:schema ../../schemas/request.schema.json
account = "acme-dental"
requested_by = "maria.lopez@example.com"
country = "US"
losing_carrier = "Comcast Business"
port_type = "full"

[end_user]
type = "business"
name = "Acme Dental LLC"
authorized_person = "Maria Lopez"
billing_number = "+12065550143"

[end_user.service_address]
street = "1200 Lakeside Ave"
locality = "Seattle"
region = "WA"
postal_code = "98101"
country = "US"

[[numbers]]
number = "+12065550143"
type = "landline"
tracking_source = "Google Ads"
receiving_number = "+12065550100"
"#;
