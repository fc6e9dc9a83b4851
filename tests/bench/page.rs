//! The current table of `docs/performance.md`. A full run (every function, not `--only`,
//! not `--check`) writes its results between the page's two markers, so the page always
//! holds one run of all functions against one hello-world floor, with the machine and the
//! date it ran on; the rest of the page is prose that humans edit.

use std::collections::BTreeMap;

/// The page the current table lives on, relative to the workspace root.
pub const PAGE: &str = "docs/performance.md";
/// The start of the line that opens the generated block (the line is kept as it is).
pub const BEGIN: &str = "<!-- lambda-bench:begin";
/// The line that closes it.
pub const END: &str = "<!-- lambda-bench:end -->";

/// What a run measured on, and how.
pub struct RunContext<'a> {
    /// When the run finished (RFC 3339, UTC).
    pub date: &'a str,
    /// `cpu`, `cores` and `arch`, as `lambda-bench.json` records them.
    pub host: &'a BTreeMap<&'static str, String>,
    /// The commit measured, if known.
    pub commit: Option<&'a str>,
    pub runs: usize,
    pub warm: usize,
}

/// The generated block: a line saying when, where and how, then `tables` (the timings
/// table, its hello-world floor first, and the cost table).
pub fn block(context: &RunContext<'_>, tables: &str) -> String {
    let host = |key: &str| context.host.get(key).map_or("unknown", String::as_str);
    let commit = context
        .commit
        .map_or(String::new(), |c| format!(", commit `{c}`"));
    format!(
        "Run of {date}{commit}, on {cpu} ({cores} cores, {arch}): {runs} fresh starts per \
         function, each right after a start of the hello-world floor, and {warm} warm \
         invocations per start; full-core figures.\n\n{tables}",
        date = context.date,
        cpu = host("cpu"),
        cores = host("cores"),
        arch = host("arch"),
        runs = context.runs,
        warm = context.warm,
        tables = tables.trim_end(),
    )
}

/// `page` with what lies between its markers replaced by `block` (the marker lines stay).
/// Fails, changing nothing, unless the page has exactly one opening marker followed by
/// one closing marker.
pub fn replace_block(page: &str, block: &str) -> Result<String, String> {
    let lines: Vec<&str> = page.lines().collect();
    let begins: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with(BEGIN))
        .collect();
    let ends: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == END).collect();
    let (begin, end) = match (begins.as_slice(), ends.as_slice()) {
        ([begin], [end]) if begin < end => (*begin, *end),
        _ => {
            return Err(format!(
                "{PAGE} must hold one line starting with `{BEGIN}` and, after it, one `{END}`"
            ))
        }
    };
    let mut out: Vec<&str> = lines[..=begin].to_vec();
    out.extend(block.trim_end().lines());
    out.extend(&lines[end..]);
    let mut text = out.join("\n");
    if page.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE_TEXT: &str = "# Performance\n\nMethod.\n\n<!-- lambda-bench:begin (written by `make bench`) -->\nold table\nold notes\n<!-- lambda-bench:end -->\n\n## After\n";

    fn host() -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            ("cpu", "Test CPU".to_owned()),
            ("cores", "2".to_owned()),
            ("arch", "x86_64".to_owned()),
        ])
    }

    #[test]
    fn a_full_run_replaces_only_what_lies_between_the_markers() {
        let page = replace_block(PAGE_TEXT, "new table\n").unwrap();
        assert_eq!(
            page,
            "# Performance\n\nMethod.\n\n<!-- lambda-bench:begin (written by `make bench`) -->\nnew table\n<!-- lambda-bench:end -->\n\n## After\n"
        );
        // Written again, the page holds the same one table.
        assert_eq!(replace_block(&page, "new table").unwrap(), page);
    }

    #[test]
    fn a_page_without_both_markers_in_order_is_left_alone_with_an_error() {
        for page in [
            "# Performance\n",
            "<!-- lambda-bench:end -->\n<!-- lambda-bench:begin -->\n",
            "<!-- lambda-bench:begin -->\n<!-- lambda-bench:begin -->\n<!-- lambda-bench:end -->\n",
        ] {
            assert!(replace_block(page, "table").is_err(), "{page}");
        }
    }

    #[test]
    fn the_block_names_the_date_the_machine_the_commit_and_the_method() {
        let host = host();
        let context = RunContext {
            date: "2026-12-04T12:00:00.000Z",
            host: &host,
            commit: Some("abc1234"),
            runs: 30,
            warm: 10,
        };
        let text = block(&context, "| function |\n|---|\n| hello-world (floor) |\n\n");
        assert!(text.starts_with(
            "Run of 2026-12-04T12:00:00.000Z, commit `abc1234`, on Test CPU (2 cores, x86_64): 30 fresh starts"
        ));
        assert!(text.contains("10 warm invocations"));
        assert!(text.ends_with("| hello-world (floor) |"));
    }
}
