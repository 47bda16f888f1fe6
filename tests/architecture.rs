//! The layers of src/ (ARCHITECTURE.md): imports only go down, and no files import each
//! other in a circle. Read from the `use crate::…` and `use super::…` lines of every file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module's layer, lowest first; a file may import its own layer or lower.
const LAYERS: &[(&str, u8)] = &[
    ("atomic", 0),
    ("diag", 0),
    ("model", 0),
    ("signed", 0),
    ("plural", 0),
    ("source", 0),
    ("stage", 0),
    ("numbering", 1),
    ("repo", 1),
    ("schema", 1),
    ("store", 1),
    ("loa", 2),
    ("notice", 2),
    ("scaffold", 2),
    ("secret", 2),
    ("rules", 3),
    ("engine", 4),
    ("report", 5),
    ("git", 6),
    ("cli", 7),
    ("commands", 8),
    ("", 9),
];

type Module = Vec<String>;

/// Every module of src/ (`git/pull.rs` is `["git", "pull"]`, lib.rs is `[]`) and its text
/// without its unit tests.
fn modules() -> BTreeMap<Module, String> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new("src") {
        let entry = entry.expect("src/ is readable");
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("main.rs") {
            continue;
        }
        let rel = path.strip_prefix("src").unwrap().with_extension("");
        let mut module: Module = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if module.last().is_some_and(|m| m == "mod" || m == "lib") {
            module.pop();
        }
        let text = std::fs::read_to_string(path).unwrap();
        let code = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .to_owned();
        out.insert(module, code);
    }
    out
}

/// The paths a `use` tree names: `a::{b, c::{d}}` gives `a::b` and `a::c::d`.
fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    match tree.find('{') {
        None => out.push(format!("{prefix}{tree}")),
        Some(open) => {
            let head = &tree[..open];
            let inner = &tree[open + 1..tree.rfind('}').unwrap()];
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices().chain([(inner.len(), ',')]) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        if !inner[start..i].trim().is_empty() {
                            expand(&inner[start..i], &format!("{prefix}{head}"), out);
                        }
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The modules a file imports: the longest known module each `use` path starts with.
fn imports(module: &Module, code: &str, known: &BTreeSet<Module>) -> BTreeSet<Module> {
    let mut out = BTreeSet::new();
    let mut statements = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let line_start = rest[..at].rfind('\n').map_or(0, |i| i + 1);
        let lead = rest[line_start..at].trim();
        let end = at + rest[at..].find(';').unwrap_or(rest.len() - at);
        if matches!(lead, "" | "pub" | "pub(crate)") {
            statements.push(&rest[at + 4..end]);
        }
        rest = &rest[end.max(at + 4)..];
    }
    for tree in statements {
        let mut paths = Vec::new();
        expand(tree, "", &mut paths);
        for path in paths {
            let mut parts: Vec<&str> = path.split("::").map(str::trim).collect();
            let mut target: Module = match parts.first() {
                Some(&"crate") => Vec::new(),
                Some(&"super") => module[..module.len() - 1].to_vec(),
                _ => continue,
            };
            parts.remove(0);
            for part in parts {
                let mut next = target.clone();
                next.push(part.to_owned());
                if !known.contains(&next) {
                    break;
                }
                target = next;
            }
            if &target != module {
                out.insert(target);
            }
        }
    }
    out
}

fn layer(module: &Module) -> u8 {
    let top = module.first().map_or("", String::as_str);
    LAYERS
        .iter()
        .find(|(name, _)| *name == top)
        .unwrap_or_else(|| panic!("`{top}` has no layer: add it to LAYERS and ARCHITECTURE.md"))
        .1
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "lib".to_owned()
    } else {
        module.join("/")
    }
}

fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let modules = modules();
    let known: BTreeSet<Module> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(m, code)| (m.clone(), imports(m, code, &known)))
        .collect()
}

#[test]
fn imports_only_go_down_a_layer() {
    let mut wrong = Vec::new();
    for (from, targets) in graph() {
        for to in targets {
            let from_top = from.first().map_or("", String::as_str);
            let up = if to.is_empty() {
                // The root's items (Environment, Output, Exit) are for the commands alone.
                from_top != "commands" && !from.is_empty()
            } else if from_top == "cli" {
                // The command line's types are built from the model and nothing else.
                to[0] != "model"
            } else {
                layer(&to) > layer(&from)
            };
            if up {
                wrong.push(format!("{} -> {}", name(&from), name(&to)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that go up a layer:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let graph = graph();
    // Depth-first search; a module met again while on the path closes a cycle.
    fn visit(
        m: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        path: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == m) {
            let circle: Vec<String> = path[at..].iter().chain([m]).map(name).collect();
            cycles.push(circle.join(" -> "));
            return;
        }
        if !done.insert(m.clone()) {
            return;
        }
        path.push(m.clone());
        for next in graph.get(m).into_iter().flatten() {
            visit(next, graph, path, done, cycles);
        }
        path.pop();
    }
    let (mut done, mut cycles) = (BTreeSet::new(), Vec::new());
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_import_reader_sees_nested_groups_and_super() {
    let known: BTreeSet<Module> = [
        vec![],
        vec!["git".into()],
        vec!["git".into(), "tree".into()],
    ]
    .into_iter()
    .chain([vec!["model".into()], vec!["model".into(), "event".into()]])
    .collect();
    let code = "use super::tree::GitTree;\npub use crate::{model::{self, event::Event}, Exit};";
    let got = imports(&vec!["git".into(), "pull".into()], code, &known);
    let want: BTreeSet<Module> = [
        vec!["git".to_owned(), "tree".to_owned()],
        vec!["model".to_owned()],
        vec!["model".to_owned(), "event".to_owned()],
        vec![],
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want);
    assert!(
        Path::new("ARCHITECTURE.md").is_file(),
        "the layers are documented"
    );
}
