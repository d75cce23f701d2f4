//! The documentation stands alone and matches the API (no database needed):
//!
//! - every operation of the OpenAPI document has a heading in `docs/api.md`, and every endpoint
//!   heading there is an operation of the document or one of [`NOT_IN_OPENAPI`];
//! - every link in `README.md` and `docs/**/*.md` stays inside the repository: a relative link
//!   names a file that exists (and a heading that exists, when it has an anchor into a Markdown
//!   file), and no link leaves it (`http(s)` only to localhost examples).
//!
//! An endpoint heading has exactly this form, at level 3: ``### `POST /orders/` `` — the method
//! in capitals, one space, the path as the OpenAPI document writes it, all in one code span.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use aforro_server::openapi::ApiDoc;
use utoipa::OpenApi;

/// Endpoints `docs/api.md` documents that the OpenAPI document does not describe: the
/// document itself, its browsable view, and the Prometheus scrape.
const NOT_IN_OPENAPI: &[&str] = &["GET /metrics", "GET /openapi.json", "GET /docs"];

/// The methods an OpenAPI path item may hold.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Hosts an absolute `http(s)` link may name: examples of a local run, nothing outside.
const LOCAL_HOSTS: &[&str] = &["localhost", "127.0.0.1"];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate lives in the workspace")
        .to_path_buf()
}

fn read(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `README.md` and every Markdown file under `docs/`, as paths relative to the repository.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, root: &Path, found: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, found);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                found.push(path.strip_prefix(root).expect("under the root").to_path_buf());
            }
        }
    }
    let root = repo_root();
    let mut files = vec![PathBuf::from("README.md")];
    walk(&root.join("docs"), &root, &mut files);
    files
}

// ---------------------------------------------------------------------------------------------
// Markdown, as much of it as these checks need.

/// The lines of `text` outside fenced code blocks, with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<&str> = None;
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(marker)) => fence = Some(marker),
            (Some(open), Some(marker)) if open == marker => fence = None,
            (None, None) => lines.push((i + 1, line)),
            _ => {}
        }
    }
    lines
}

/// `line` without its inline code spans (a link inside backticks is text, not a link).
fn without_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + ticks..];
        match after.find(&"`".repeat(ticks)) {
            Some(end) => rest = &after[end + ticks..],
            None => {
                out.push_str(&rest[start..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

/// ATX headings outside code blocks: (line, level, text).
fn headings(text: &str) -> Vec<(usize, usize, String)> {
    prose_lines(text)
        .into_iter()
        .filter_map(|(number, line)| {
            let level = line.chars().take_while(|&c| c == '#').count();
            let rest = &line[level..];
            ((1..=6).contains(&level) && (rest.is_empty() || rest.starts_with(' ')))
                .then(|| (number, level, rest.trim().trim_end_matches('#').trim().to_owned()))
        })
        .collect()
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped (hyphens and underscores
/// kept), spaces made hyphens; a repeated one gets `-1`, `-2`, ….
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut anchors = BTreeSet::new();
    for (_, _, heading) in headings(text) {
        let visible = strip_link_targets(&heading);
        let slug: String = visible
            .trim()
            .to_lowercase()
            .chars()
            .filter(|&c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let count = seen.entry(slug.clone()).or_insert(0);
        anchors.insert(if *count == 0 {
            slug.clone()
        } else {
            format!("{slug}-{count}")
        });
        *count += 1;
    }
    anchors
}

/// `[text](target)` → `text`, as a heading's anchor is made from what it shows.
fn strip_link_targets(text: &str) -> String {
    let mut out = text.to_owned();
    for (start, end, _) in inline_links(text).into_iter().rev() {
        let label_end = text[start..end].find("](").map_or(end, |i| start + i);
        out.replace_range(start..end, &text[start + 1..label_end]);
    }
    out
}

/// Inline links and images of one line: (start, end, target).
fn inline_links(line: &str) -> Vec<(usize, usize, String)> {
    let mut links = Vec::new();
    let mut from = 0;
    while let Some(found) = line[from..].find("](") {
        let close = from + found;
        let open_target = close + 2;
        let Some(start) = line[..close].rfind('[') else {
            from = open_target;
            continue;
        };
        // The target runs to the parenthesis that closes it (targets may hold balanced ones).
        let mut depth = 1;
        let mut end = None;
        for (i, c) in line[open_target..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(open_target + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let inside = line[open_target..end].trim();
        // `<target>` or `target "title"`.
        let target = match inside.strip_prefix('<') {
            Some(rest) => rest.split('>').next().unwrap_or_default(),
            None => inside.split_whitespace().next().unwrap_or_default(),
        };
        links.push((start, end + 1, target.to_owned()));
        from = end + 1;
    }
    links
}

/// Every link target of a Markdown file outside code: inline links and images, reference
/// definitions, autolinks (`<https://…>`) and bare URLs (which GitHub turns into links).
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let mut targets = Vec::new();
    for (number, line) in prose_lines(text) {
        let line = without_code_spans(line);
        let mut rest = line.clone();
        for (start, end, target) in inline_links(&line).into_iter().rev() {
            targets.push((number, target));
            rest.replace_range(start..end, " ");
        }
        // `[label]: target`
        let definition = rest
            .trim_start()
            .strip_prefix('[')
            .and_then(|after| after.split_once("]:"))
            .filter(|(label, _)| !label.is_empty())
            .and_then(|(_, target)| target.split_whitespace().next())
            .map(|target| target.trim_matches(['<', '>']).to_owned());
        if let Some(target) = definition {
            targets.push((number, target));
            continue;
        }
        // Autolinks and bare URLs: any `scheme://` left in the prose.
        for (i, _) in rest.match_indices("://") {
            let scheme_start = rest[..i]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
                .map_or(0, |j| j + 1);
            let url_end = rest[i..]
                .find(|c: char| c.is_whitespace() || matches!(c, '>' | ')' | '"' | '\''))
                .map_or(rest.len(), |j| i + j);
            targets.push((number, rest[scheme_start..url_end].to_owned()));
        }
    }
    targets
}

// ---------------------------------------------------------------------------------------------
// The checks, on text, so that they can be shown to fail.

/// Every `METHOD /path` operation of an OpenAPI document (as JSON).
fn openapi_operations(document: &serde_json::Value) -> BTreeSet<String> {
    let paths = document["paths"].as_object().expect("the document has paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect()
}

/// The endpoint headings of `docs/api.md` (`METHOD /path`), or what is wrong with them: a
/// heading that names an endpoint in another form or at another level, or one named twice.
fn endpoint_headings(text: &str) -> Result<BTreeSet<String>, Vec<String>> {
    let is_endpoint = |words: &str| {
        words.split_once(' ').is_some_and(|(method, path)| {
            METHODS.contains(&method.to_lowercase().as_str())
                && method.chars().all(|c| c.is_ascii_alphabetic())
                && path.starts_with('/')
        })
    };
    let mut found = BTreeSet::new();
    let mut problems = Vec::new();
    for (number, level, heading) in headings(text) {
        let in_span = heading
            .strip_prefix('`')
            .and_then(|h| h.strip_suffix('`'))
            .filter(|h| !h.contains('`'));
        let endpoint = match in_span {
            Some(words) if is_endpoint(words) => words,
            _ if is_endpoint(&heading.replace('`', "")) => {
                problems.push(format!(
                    "line {number}: `{heading}` names an endpoint; write it as ### `METHOD /path`"
                ));
                continue;
            }
            _ => continue,
        };
        let (method, path) = endpoint.split_once(' ').unwrap_or_default();
        let well_formed = level == 3
            && method.chars().all(|c| c.is_ascii_uppercase())
            && !path.contains(char::is_whitespace);
        if !well_formed {
            problems.push(format!(
                "line {number}: `{heading}` must be ### `METHOD /path` (method in capitals, at level 3)"
            ));
        } else if !found.insert(endpoint.to_owned()) {
            problems.push(format!("line {number}: {endpoint} has a second heading"));
        }
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(problems)
    }
}

/// What differs between the document's operations and the page's endpoint headings.
fn endpoint_mismatches(operations: &BTreeSet<String>, documented: &BTreeSet<String>) -> Vec<String> {
    let mut problems: Vec<String> = operations
        .difference(documented)
        .map(|op| format!("{op} is in the OpenAPI document but has no ### `{op}` in docs/api.md"))
        .collect();
    problems.extend(
        documented
            .iter()
            .filter(|endpoint| !operations.contains(*endpoint) && !NOT_IN_OPENAPI.contains(&endpoint.as_str()))
            .map(|endpoint| {
                format!("docs/api.md documents {endpoint}, which the OpenAPI document does not have and NOT_IN_OPENAPI does not name")
            }),
    );
    problems.extend(
        NOT_IN_OPENAPI
            .iter()
            .filter(|endpoint| !documented.contains(**endpoint))
            .map(|endpoint| format!("{endpoint} (NOT_IN_OPENAPI) has no heading in docs/api.md")),
    );
    problems
}

/// What is wrong with the links of the Markdown file `file` (relative to `root`), whose text
/// is `text`. `anchors_of` gives the anchors of another Markdown file of the repository.
fn link_problems(
    root: &Path,
    file: &Path,
    text: &str,
    anchors_of: &dyn Fn(&Path) -> Option<BTreeSet<String>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let own_anchors = anchors(text);
    for (number, target) in link_targets(text) {
        let at = format!("{}:{number}: {target}", file.display());
        if target.is_empty() {
            problems.push(format!("{at}: empty link"));
            continue;
        }
        if let Some(fragment) = target.strip_prefix('#') {
            if !own_anchors.contains(fragment) {
                problems.push(format!("{at}: no heading here has that anchor"));
            }
            continue;
        }
        let has_scheme = target.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        });
        if has_scheme || target.starts_with("//") {
            let host = ["http://", "https://"]
                .iter()
                .find_map(|scheme| target.strip_prefix(scheme))
                .map(|rest| {
                    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                    let host_port = authority.rsplit('@').next().unwrap_or_default();
                    host_port.split(':').next().unwrap_or_default().to_owned()
                });
            match host {
                Some(host) if LOCAL_HOSTS.contains(&host.as_str()) => {}
                _ => problems.push(format!(
                    "{at}: leaves the repository (only http(s) examples on {LOCAL_HOSTS:?} may be absolute)"
                )),
            }
            continue;
        }
        if target.starts_with('/') {
            problems.push(format!("{at}: write it relative to the file, not from /"));
            continue;
        }
        let (path_part, fragment) = match target.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (target.as_str(), None),
        };
        let path_part = path_part
            .split('?')
            .next()
            .unwrap_or_default()
            .replace("%20", " ");
        // Resolve lexically inside the repository: a `..` above its root leaves it.
        let mut resolved = PathBuf::new();
        let mut escapes = false;
        let base = file.parent().unwrap_or(Path::new(""));
        for component in base.join(&path_part).components() {
            match component {
                Component::Normal(part) => resolved.push(part),
                Component::CurDir => {}
                Component::ParentDir => {
                    if !resolved.pop() {
                        escapes = true;
                        break;
                    }
                }
                Component::RootDir | Component::Prefix(_) => escapes = true,
            }
        }
        if escapes {
            problems.push(format!("{at}: points outside the repository"));
            continue;
        }
        let absolute = root.join(&resolved);
        if !absolute.exists() {
            problems.push(format!("{at}: {} does not exist", resolved.display()));
            continue;
        }
        if let Some(fragment) = fragment {
            if resolved.extension().is_some_and(|ext| ext == "md") {
                match anchors_of(&resolved) {
                    Some(anchors) if anchors.contains(fragment) => {}
                    _ => problems.push(format!(
                        "{at}: {} has no heading with that anchor",
                        resolved.display()
                    )),
                }
            }
        }
    }
    problems
}

fn repository_anchors(relative: &Path) -> Option<BTreeSet<String>> {
    std::fs::read_to_string(repo_root().join(relative))
        .ok()
        .map(|text| anchors(&text))
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn docs_api_md_has_a_heading_for_every_openapi_operation_and_nothing_else() {
    let document = serde_json::to_value(ApiDoc::openapi()).expect("the document serialises");
    let operations = openapi_operations(&document);
    assert!(
        operations.len() >= 20,
        "the document lists the API: {operations:?}"
    );
    let documented = endpoint_headings(&read("docs/api.md"))
        .unwrap_or_else(|problems| panic!("docs/api.md:\n{}", problems.join("\n")));
    let problems = endpoint_mismatches(&operations, &documented);
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_link_of_the_readme_and_docs_stays_inside_the_repository_and_resolves() {
    let root = repo_root();
    let files = markdown_files();
    assert!(files.len() > 10, "README.md and docs/*.md: {files:?}");
    let problems: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let text = read(file.to_str().expect("UTF-8 path"));
            link_problems(&root, file, &text, &repository_anchors)
        })
        .collect();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The checks above on inputs known to be wrong: each must be caught.
#[test]
fn the_checks_catch_what_they_are_for() {
    // Endpoint headings.
    let operations: BTreeSet<String> = ["GET /orders/{order_id}/", "POST /orders/"]
        .map(String::from)
        .into();
    let page =
        "## Orders\n### `POST /orders/`\n### `GET /metrics`\n### `GET /openapi.json`\n### `GET /docs`\n";
    let documented = endpoint_headings(page).expect("well-formed headings");
    let problems = endpoint_mismatches(&operations, &documented);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("GET /orders/{order_id}/"), "{problems:?}");
    let extra = format!("{page}### `DELETE /orders/{{order_id}}/`\n### `GET /orders/{{order_id}}/`\n");
    let problems = endpoint_mismatches(&operations, &endpoint_headings(&extra).expect("well-formed"));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("DELETE /orders/{order_id}/"), "{problems:?}");
    for wrong in [
        "## `GET /orders/`",
        "### GET /orders/",
        "### `get /orders/`",
        "### `POST /orders/`\n### `POST /orders/`",
    ] {
        assert!(endpoint_headings(wrong).is_err(), "{wrong}");
    }
    assert!(
        endpoint_headings("```\n### `GET /in/a/code/block`\n```\n### Not an endpoint\n")
            .is_ok_and(|found| found.is_empty())
    );

    // Links.
    let root = repo_root();
    let file = Path::new("docs/example.md");
    let problems = |text: &str| link_problems(&root, file, text, &repository_anchors);
    let fine = "# Title\n[a](api.md) [b](../README.md#configuration) [c](#title) \
                [d](../bench/RESULTS.md) http://127.0.0.1:8000/x <http://localhost:8025>\n\
                `[e](../../outside.md)` and `https://example.com` in code\n```\n[f](nowhere.md)\n```\n";
    assert_eq!(problems(fine), Vec::<String>::new());
    for wrong in [
        "[a](../../shared/api-contract.md)",
        "[a](../../../etc/passwd)",
        "[a](missing.md)",
        "[a](api.md#no-such-heading)",
        "[a](#no-such-heading)",
        "[a](https://example.com)",
        "[a](http://example.com:8000/x)",
        "see https://example.com",
        "<https://example.com>",
        "[a]: https://example.com",
        "[a](/README.md)",
        "[a](mailto:someone@example.com)",
        "[a](http://127.0.0.1.example.com/)",
    ] {
        assert_eq!(problems(wrong).len(), 1, "{wrong}: {:?}", problems(wrong));
    }

    // Anchors as GitHub makes them.
    let made = anchors("# Checking /docs in a browser\n## `POST /orders/`\n## A — b\n## Tests\n## Tests\n");
    for anchor in [
        "checking-docs-in-a-browser",
        "post-orders",
        "a--b",
        "tests",
        "tests-1",
    ] {
        assert!(made.contains(anchor), "{anchor}: {made:?}");
    }
}
