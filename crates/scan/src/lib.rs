#![doc = include_str!("../README.md")]

pub mod advisory;
pub(crate) mod ahead;
pub mod engine;
pub mod error;
pub mod fix;
pub mod identify;
pub mod kind;
pub(crate) mod known;
pub mod limits;
pub mod log4j;
pub(crate) mod memo;
pub mod output;
pub(crate) mod plan;
pub mod report;
pub(crate) mod reuse;
pub mod source;
pub mod walk;
pub mod zipfile;

pub use advisory::Advisories;
pub use error::{Result, ScanError};
pub use limits::Limits;
pub use report::{
    Component, Confidence, ErrorRecord, Evidence, EvidenceKind, Finding, Report, Status, Verdict,
};
pub use walk::{Options, Progress, scan};

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// The modules each module of this crate imports (`crate::m::…`, `crate::{m, …}`), read
    /// from the source; comments are left out, the crate root is never a target.
    fn imports() -> BTreeMap<String, BTreeSet<String>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut modules = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                let code: String = std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .map(|l| l.split("//").next().unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join("\n");
                modules.insert(name, code);
            }
        }
        let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
        let mut graph = BTreeMap::new();
        for (name, code) in &modules {
            let mut deps = BTreeSet::new();
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + "crate::".len()..];
                let targets: Vec<String> = match rest.strip_prefix('{') {
                    Some(list) => list[..list.find('}').unwrap_or(list.len())]
                        .split(',')
                        .map(|item| ident(item.trim()))
                        .collect(),
                    None => vec![ident(rest)],
                };
                for t in targets {
                    // An item of the crate root (a re-export) counts as an import of the root.
                    deps.insert(if modules.contains_key(&t) { t } else { "lib".to_owned() });
                }
            }
            deps.remove(name);
            graph.insert(name.clone(), deps);
        }
        graph
    }

    #[test]
    fn no_module_imports_the_crate_root_and_the_imports_have_no_loop() {
        let graph = imports();
        assert!(graph.len() > 10, "{graph:?}");
        assert!(graph["plan"].contains("zipfile") && graph["reuse"].contains("zipfile"), "{graph:?}");
        for (name, deps) in &graph {
            assert!(name == "lib" || !deps.contains("lib"), "{name} imports the crate root: {deps:?}");
        }
        // The ZIP reader imports none of the run-wide caches or plans.
        for cache in ["reuse", "memo", "plan", "engine", "ahead", "walk", "kind"] {
            assert!(!graph["zipfile"].contains(cache), "zipfile imports {cache}");
        }
        // Depth-first search for a back edge.
        fn visit<'g>(
            node: &'g str,
            graph: &'g BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<&'g str>,
            done: &mut BTreeSet<&'g str>,
        ) {
            if let Some(at) = path.iter().position(|n| *n == node) {
                panic!("import loop: {} -> {node}", path[at..].join(" -> "));
            }
            if !done.insert(node) {
                return;
            }
            path.push(node);
            for dep in graph.get(node).into_iter().flatten() {
                visit(dep, graph, path, done);
            }
            path.pop();
        }
        let mut done = BTreeSet::new();
        for name in graph.keys() {
            visit(name, &graph, &mut Vec::new(), &mut done);
        }
    }
}
