//! Benchmarks on a synthetic ports repo: `cargo bench` (or `cargo bench -- 2000` for a
//! repo of 2000 ports). Prints the median of several runs of `check`, `status` and `render`
//! through the same entry point the binary uses, and the peak memory (Linux).
//! `cargo bench --bench repo -- 10000 --keep DIR` also leaves the repo in DIR (a new folder)
//! for timing the binary or other tools on the same files.

use std::path::Path;
use std::time::{Duration, Instant};

use portflow::{Environment, Exit};

/// A valid, complete US landline request with `count` numbers starting at `first`.
fn request(first: u32, count: u32) -> String {
    let mut text = String::from(
        "#:schema ../../schemas/request.schema.json
account = \"bench\"
requested_by = \"ops@example.com\"
country = \"US\"
losing_carrier = \"Comcast Business\"
port_type = \"full\"

[end_user]
type = \"business\"
name = \"Bench Dental LLC\"
authorized_person = \"Maria Lopez\"
",
    );
    text.push_str(&format!("billing_number = \"{}\"\n", number(first)));
    text.push_str(
        "
[end_user.service_address]
street = \"1200 Quillfeather Ave\"
locality = \"Seattle\"
region = \"WA\"
postal_code = \"98101\"
country = \"US\"
",
    );
    for i in first..first + count {
        text.push_str(&format!(
            "\n[[numbers]]\nnumber = \"{}\"\ntype = \"landline\"\ntracking_source = \"Google Ads\"\nreceiving_number = \"+12065550100\"\n",
            number(i)
        ));
    }
    text.push_str(
        "\n[[documents]]\nkind = \"bill\"\npath = \"documents/bill.pdf\"\ndated = 2026-11-10\n",
    );
    text
}

/// Distinct valid NANP numbers: 100 per area code, in the fictional 555-01XX range.
fn number(i: u32) -> String {
    const AREAS: [u32; 20] = [
        201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224,
        225, 228,
    ];
    let area = AREAS[(i / 100) as usize % AREAS.len()];
    let round = i / (100 * AREAS.len() as u32);
    // Beyond 2000 numbers, move to other exchanges that are still valid.
    let exchange = 555 - round;
    format!("+1{area}{exchange}01{:02}", i % 100)
}

fn build_repo(root: &Path, ports: u32, numbers_per_port: u32) {
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(project.join("porting.toml"), root.join("porting.toml")).expect("porting.toml");
    std::fs::create_dir_all(root.join("schemas")).expect("schemas");
    for name in ["request", "event", "porting"] {
        let rel = format!("schemas/{name}.schema.json");
        std::fs::copy(project.join(&rel), root.join(&rel)).expect("schema");
    }
    let bill =
        std::fs::read(project.join("ports/2026-11-lakeside-dental/documents/bill-2026-11.pdf"))
            .expect("bundled bill");
    for p in 0..ports {
        let dir = root.join(format!("ports/bench-{p:05}"));
        std::fs::create_dir_all(dir.join("documents")).expect("port dir");
        std::fs::write(
            dir.join("request.toml"),
            request(p * numbers_per_port, numbers_per_port),
        )
        .expect("request");
        std::fs::write(dir.join("documents/bill.pdf"), &bill).expect("bill");
    }
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(label: &str, env: &Environment, args: &[&str], runs: usize) {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let out = portflow::run(args.iter().copied(), env);
        times.push(start.elapsed());
        assert_ne!(out.exit, Exit::Failure, "{label}: {}", out.stderr);
    }
    println!(
        "{label:<28} median {:>8.1} ms over {runs} runs",
        median(times).as_secs_f64() * 1e3
    );
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let ports: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(500);
    let numbers_per_port = 4;
    let dir = tempfile::tempdir().expect("tempdir");
    build_repo(dir.path(), ports, numbers_per_port);
    let args: Vec<String> = std::env::args().collect();
    if let Some(keep) = args
        .iter()
        .position(|a| a == "--keep")
        .and_then(|i| args.get(i + 1))
    {
        let keep = Path::new(keep);
        std::fs::create_dir(keep).expect("--keep DIR must be a new folder");
        build_repo(keep, ports, numbers_per_port);
        println!("repo kept in {}", keep.display());
    }
    let env = Environment::fixed(dir.path());
    println!("synthetic repo: {ports} ports × {numbers_per_port} numbers");
    time(
        "check",
        &env,
        &[
            "portflow",
            "check",
            "--format",
            "json",
            "--today",
            "2026-11-25",
        ],
        5,
    );
    time(
        "status",
        &env,
        &[
            "portflow",
            "status",
            "--format",
            "json",
            "--today",
            "2026-11-25",
        ],
        5,
    );
    let out = dir.path().join("out");
    let out = out.to_string_lossy();
    time(
        "render (first 50 ports)",
        &env,
        &{
            let mut args = vec![
                "portflow",
                "render",
                "--out",
                &out,
                "--force",
                "--today",
                "2026-11-25",
            ];
            let ids: Vec<String> = (0..ports.min(50))
                .map(|p| format!("bench-{p:05}"))
                .collect();
            let ids: &'static [String] = Box::leak(ids.into_boxed_slice());
            args.extend(ids.iter().map(String::as_str));
            args
        },
        3,
    );
    // Output cost must stay linear in the findings: one request listing a number 20,000
    // times gives 20,000 findings in a 1.1 MB file (once minutes, from a line scan and a
    // masked copy of the file per finding).
    let dup_dir = tempfile::tempdir().expect("tempdir");
    build_repo(dup_dir.path(), 1, 1);
    let dup_request = dup_dir.path().join("ports/bench-00000/request.toml");
    let mut text = std::fs::read_to_string(&dup_request).expect("request");
    let first = number(0);
    for _ in 0..20_000 {
        text.push_str(&format!(
            "\n[[numbers]]\nnumber = \"{first}\"\ntype = \"landline\"\n"
        ));
    }
    std::fs::write(&dup_request, text).expect("write");
    let dup_env = Environment::fixed(dup_dir.path());
    for format in ["json", "human"] {
        time(
            &format!("check, 20k findings ({format})"),
            &dup_env,
            &[
                "portflow",
                "check",
                "--format",
                format,
                "--today",
                "2026-11-25",
            ],
            3,
        );
    }
    if let Some(kib) = peak_rss_kib() {
        println!(
            "peak memory                  {:>8.1} MiB",
            kib as f64 / 1024.0
        );
    }
}
