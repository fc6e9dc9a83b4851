//! The README is the way in and `docs/` holds the rest: these tests fail when a relative
//! link in `README.md` or a `docs/*.md` page points at a file or heading that does not
//! exist, or when a docs page cannot be reached from the README.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use integration_tests::workspace_root;

/// `README.md` and every `docs/*.md` page, as paths relative to the workspace root.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![PathBuf::from("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(workspace_root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| Path::new("docs").join(p.file_name().unwrap()))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The lines of a page outside fenced code blocks (a diagram or a shell example may hold
/// text that looks like a link or a heading).
fn prose(text: &str) -> Vec<&str> {
    let mut in_fence = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence {
            lines.push(line);
        }
    }
    lines
}

/// The targets of the inline links `[text](target)` of a page, in prose only.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose(text) {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].trim();
            // `[text](url "title")`: the title is not part of the target.
            let target = target.split_whitespace().next().unwrap_or_default();
            if !target.is_empty() {
                targets.push(target.to_owned());
            }
            rest = &after[end..];
        }
    }
    targets
}

/// The anchor a heading gets on the usual code hosts: lower case, punctuation other than
/// `-` and `_` dropped, spaces made `-`; a repeated heading gets `-1`, `-2`, ….
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The anchors of a page's headings.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for line in prose(text) {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if hashes == 0 || hashes > 6 || !line[hashes..].starts_with(' ') {
            continue;
        }
        // Code spans in a heading keep their text: `` # Local gateway (`sam local`) `` is
        // `#local-gateway-sam-local`.
        let base = slug(&line[hashes..]);
        let mut anchor = base.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

/// `base`/`relative` with `.` and `..` resolved, without touching the file system.
fn normalize(base: &Path, relative: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for component in base.join(relative).components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Every broken relative link of every page, as "page: target (why)".
fn broken_links() -> Vec<String> {
    let root = workspace_root();
    let mut broken = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(root.join(&page)).unwrap();
        let dir = page.parent().unwrap_or(Path::new(""));
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (target.as_str(), None),
            };
            let linked = if file.is_empty() {
                page.clone()
            } else {
                normalize(dir, file)
            };
            let path = root.join(&linked);
            if !path.exists() {
                broken.push(format!("{}: {target} (no such file)", page.display()));
                continue;
            }
            if let Some(anchor) = anchor {
                if linked.extension().is_some_and(|e| e == "md") {
                    let linked_text = fs::read_to_string(&path).unwrap();
                    if !anchors(&linked_text).contains(anchor) {
                        broken.push(format!("{}: {target} (no such heading)", page.display()));
                    }
                }
            }
        }
    }
    broken
}

#[test]
fn every_relative_link_in_the_readme_and_docs_resolves_to_a_file_and_heading() {
    let broken = broken_links();
    assert!(broken.is_empty(), "broken links: {broken:#?}");
}

#[test]
fn every_docs_page_is_linked_from_the_readme() {
    let readme = fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let linked: BTreeSet<PathBuf> = link_targets(&readme)
        .iter()
        .filter(|t| !t.contains("://"))
        .map(|t| normalize(Path::new(""), t.split('#').next().unwrap()))
        .collect();
    let unlinked: Vec<_> = pages()
        .into_iter()
        .skip(1)
        .filter(|page| !linked.contains(page))
        .collect();
    assert!(
        unlinked.is_empty(),
        "docs pages the README does not link: {unlinked:?}"
    );
}

#[test]
fn the_readme_stays_short() {
    let readme = fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 200,
        "README.md has {lines} lines; reference material belongs in docs/"
    );
}

#[test]
fn a_heading_anchor_is_its_lowercased_text_without_punctuation() {
    assert_eq!(
        slug("The contract, from outside"),
        "the-contract-from-outside"
    );
    assert_eq!(
        slug("Local gateway (sam local start-api)"),
        "local-gateway-sam-local-start-api"
    );
    assert_eq!(slug("API (v1)"), "api-v1");
}

#[test]
fn a_repeated_heading_gets_a_numbered_anchor_and_code_blocks_hold_none() {
    let page = "# Notes\n\n## Notes\n\n```sh\n# not a heading\n```\n";
    let found = anchors(page);
    assert_eq!(
        found,
        BTreeSet::from(["notes".to_owned(), "notes-1".to_owned()])
    );
}

#[test]
fn links_are_read_from_prose_and_not_from_code() {
    let page = "See [a](docs/a.md#x) and [`b`](../b.json \"title\").\n```\n[c](c.md)\n```\n";
    assert_eq!(link_targets(page), ["docs/a.md#x", "../b.json"]);
}
