//! The shape of the code, checked on every `make test` so it stays the way
//! `docs/architecture.md` draws it:
//! - no circle of imports among the files of a crate (a file that uses a name of another file's
//!   module depends on it; a module and its own submodules are one unit, as `mod.rs` and the
//!   files it declares use each other by design);
//! - no file of `app/` over 600 lines unless its first lines say why (`Over 600 lines: …`).
//!
//! The imports are read from the sources (`crate::…` and `super::…` paths, braced groups
//! included; comments are skipped), so the check needs nothing but the checkout.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 600;
const LONG_FILE_REASON: &str = "Over 600 lines:";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("app/ is inside the workspace")
        .to_path_buf()
}

/// Every `src/` directory of a workspace crate (the crates the root Cargo.toml lists).
fn crate_sources() -> Vec<PathBuf> {
    let root = workspace();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let members = manifest
        .split("members = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("workspace members");
    members
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .map(|m| root.join(m).join("src"))
        .filter(|p| p.is_dir())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file under `src/` (`grpc/mod.rs` → `["grpc"]`, `lib.rs` → `[]`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The source without comments, so doc links and prose do not count as imports.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut in_block = false;
    for line in text.lines() {
        let mut l = line;
        if in_block {
            match l.find("*/") {
                Some(end) => {
                    in_block = false;
                    l = &l[end + 2..];
                }
                None => continue,
            }
        }
        if let Some(start) = l.find("/*") {
            in_block = !l[start..].contains("*/");
            l = &l[..start];
        }
        let l = l.split("//").next().unwrap_or("");
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The paths a `use` tree or an expression names after a `crate::`/`super::` start: `a::b`,
/// and for `a::{b, c::d}` each of `a::b`, `a::c::d`.
fn paths_from(chars: &[char], mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i < chars.len() && chars[i] == '{' {
            // A group: each comma-separated item at this depth extends the path.
            let mut depth = 0;
            let mut item_start = i + 1;
            let mut j = i;
            while j < chars.len() {
                match chars[j] {
                    '{' => depth += 1,
                    '}' | ',' if depth == 1 => {
                        paths_from(chars, item_start, path.clone(), out);
                        item_start = j + 1;
                        if chars[j] == '}' {
                            return;
                        }
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
                j += 1;
            }
            return;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        if start == i {
            break;
        }
        path.push(chars[start..i].iter().collect());
        if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            break;
        }
    }
    out.push(path);
}

/// The module-rooted paths a file names through `crate::` and `super::`.
fn named_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let boundary = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        let rest: String = chars[i..chars.len().min(i + 7)].iter().collect();
        if boundary && rest.starts_with("crate::") {
            paths_from(&chars, i + 7, Vec::new(), &mut out);
            i += 7;
        } else if boundary && rest.starts_with("super::") {
            // `super` of module a::b (`a/b.rs` or `a/b/mod.rs`) is `a`.
            let mut base = module.to_vec();
            let mut j = i;
            while chars[j..].iter().take(7).collect::<String>() == "super::" {
                base.pop();
                j += 7;
            }
            paths_from(&chars, j, base, &mut out);
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

struct Graph {
    /// file → the files it takes names from, with one named path each as the witness.
    edges: BTreeMap<PathBuf, BTreeMap<PathBuf, String>>,
}

fn graph_of(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_of(src, f), f.clone()))
        .collect();
    let mut edges = BTreeMap::new();
    for file in &files {
        let module = module_of(src, file);
        let text = std::fs::read_to_string(file).expect("read source");
        let mut deps = BTreeMap::new();
        for path in named_paths(&code_of(&text), &module) {
            // The longest prefix of the path that is a file's module.
            let Some(target) = (0..=path.len())
                .rev()
                .find_map(|n| modules.get_key_value(&path[..n]))
            else {
                continue;
            };
            let (target_module, target_file) = target;
            // A module and its ancestors or descendants are one unit.
            let related = target_module.starts_with(&module) || module.starts_with(target_module);
            if !related {
                deps.entry(target_file.clone())
                    .or_insert_with(|| path.join("::"));
            }
        }
        edges.insert(file.clone(), deps);
    }
    Graph { edges }
}

/// The strongly connected components with more than one file (Tarjan).
fn circles(g: &Graph) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        next: usize,
        out: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let g = s.g;
        for w in g.edges[v].keys() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in g.edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn no_crate_has_a_circle_of_imports() {
    let root = workspace();
    let sources = crate_sources();
    assert!(sources.len() >= 10, "workspace crates found: {sources:?}");
    let mut report = Vec::new();
    for src in &sources {
        let g = graph_of(src);
        for circle in circles(&g) {
            let mut lines = vec![format!("a circle of {} files:", circle.len())];
            for a in &circle {
                for (b, witness) in &g.edges[a] {
                    if circle.contains(b) {
                        lines.push(format!(
                            "  {} -> {} (uses {witness})",
                            a.strip_prefix(&root).unwrap_or(a).display(),
                            b.strip_prefix(&root).unwrap_or(b).display()
                        ));
                    }
                }
            }
            report.push(lines.join("\n"));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn no_file_of_app_is_long_without_a_reason() {
    let app = workspace().join("app");
    let mut files = Vec::new();
    for dir in ["src", "node/src", "state-machine/src", "tests", "benches"] {
        rust_files(&app.join(dir), &mut files);
    }
    assert!(files.len() > 50, "app files found: {}", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).expect("read source");
            let lines = text.lines().count();
            let explained = text.lines().take(20).any(|l| l.contains(LONG_FILE_REASON));
            (lines > MAX_LINES && !explained).then(|| {
                format!(
                    "{} has {lines} lines and no `{LONG_FILE_REASON} <why>` in its first lines",
                    f.strip_prefix(&app).unwrap_or(f).display()
                )
            })
        })
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}

#[test]
fn the_import_reader_sees_circles_and_groups() {
    let dir = std::env::temp_dir().join(format!("house-test-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("grpc")).expect("mkdir");
    let write = |p: &str, s: &str| std::fs::write(src.join(p), s).expect("write");
    write("lib.rs", "mod a;\nmod b;\nmod c;\nmod grpc;\n");
    write(
        "a.rs",
        "use crate::{b::Thing, grpc::{tx::Send}};\n// crate::c in a comment\n",
    );
    write("b.rs", "pub struct Thing;\nfn f() { crate::c::g() }\n");
    write("c.rs", "use crate::b::Thing;\n/* crate::a */\n");
    write("grpc/mod.rs", "mod tx;\nuse tx::Send;\n");
    write("grpc/tx.rs", "use super::super::b::Thing;\nuse super::X;\n");
    let g = graph_of(&src);
    let found = circles(&g);
    std::fs::remove_dir_all(&dir).expect("cleanup");
    assert_eq!(found, vec![vec![src.join("b.rs"), src.join("c.rs")]]);
    let a = &g.edges[&src.join("a.rs")];
    assert!(a.contains_key(&src.join("b.rs")) && a.contains_key(&src.join("grpc/tx.rs")));
    assert!(
        !a.contains_key(&src.join("c.rs")),
        "comments are not imports"
    );
    assert!(!g.edges[&src.join("c.rs")].contains_key(&src.join("a.rs")));
    assert!(g.edges[&src.join("grpc/tx.rs")].contains_key(&src.join("b.rs")));
    // A submodule using its parent (and the parent its child) is not an edge.
    assert!(!g.edges[&src.join("grpc/tx.rs")].contains_key(&src.join("grpc/mod.rs")));
    assert!(g.edges[&src.join("grpc/mod.rs")].is_empty());
}
