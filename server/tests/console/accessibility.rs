//! Accessibility of every page the suite visits: axe-core's rules (vendored, injected into the
//! page, never served by the server) with no serious or critical violation, and every form
//! field with a label — checked by axe's `label` rule and again here, in words a reader of the
//! failure can act on.

use serde_json::{json, Value};

use crate::browser::Browser;

/// axe-core, compiled into the test binary (see the folder's README for its origin).
const AXE: &str = include_str!("vendor/axe-core-4.14.1/axe.min.js");
const AXE_VERSION: &str = "4.14.1";

/// Every violation axe finds, as `{id, impact, help, nodes: ["<selector>: <summary>"]}`.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then(result => done({
    rules: result.passes.length + result.violations.length + result.incomplete.length,
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ')),
    })),
  }))
  .catch(error => done({ error: String(error) }));
"#;

/// The form fields a person fills in (not hidden, not buttons) that no label names: a
/// `<label>` (wrapping it, or `for` its id) or `aria-labelledby` pointing at visible words.
/// An `aria-label` or a `placeholder` alone does not count: on a tablet the label is what a
/// person reads and taps.
const UNLABELLED_FIELDS: &str = r#"
const skipped = ['hidden', 'submit', 'button', 'reset', 'image'];
const words = el => (el ? el.textContent : '').replace(/\s+/g, ' ').trim();
return [...document.querySelectorAll('input, select, textarea')]
  .filter(field => !skipped.includes((field.getAttribute('type') || '').toLowerCase()))
  .filter(field => {
    const labels = [...field.labels].map(words).join(' ');
    const labelledBy = (field.getAttribute('aria-labelledby') || '').split(/\s+/)
      .map(id => words(document.getElementById(id))).join(' ');
    return (labels + labelledBy).trim() === '';
  })
  .map(field => field.outerHTML.slice(0, 200));
"#;

impl Browser {
    /// A screenshot of the page (`target/console-screenshots/<name>.png`) and its accessibility
    /// check: what every page a scenario visits goes through.
    pub async fn check_page(&self, name: &str) {
        self.screenshot(name).await;
        self.assert_accessible(name).await;
        let errors = self.browser_errors();
        assert!(
            errors.is_empty(),
            "{name}: the browser reported\n  {}",
            errors.join("\n  ")
        );
    }

    /// What [`Self::check_page`] fails on in the browser's console since the last check: a Content-Security-
    /// Policy violation (an inline style or script the page would silently lose), a script
    /// error, an asset that failed to load or that needed the network. A page's own status (a
    /// 401 or 422 page is logged as a failed load too) and the favicon nobody serves are not
    /// errors.
    pub fn browser_errors(&self) -> Vec<String> {
        self.browser_log()
            .iter()
            .filter(|entry| {
                let message = entry["message"].as_str().unwrap_or_default();
                match entry["source"].as_str().unwrap_or_default() {
                    "security" | "javascript" => true,
                    "network" => message.contains("/assets/") || message.contains("net::ERR_"),
                    _ => false,
                }
            })
            .map(|entry| {
                format!(
                    "[{}] {}",
                    entry["source"].as_str().unwrap_or("?"),
                    entry["message"].as_str().unwrap_or("?")
                )
            })
            .collect()
    }

    /// Fails listing every serious or critical axe violation of the current page, and every
    /// form field without a label.
    pub async fn assert_accessible(&self, page: &str) {
        let problems = self.accessibility_problems().await;
        assert!(
            problems.is_empty(),
            "{page} ({}) is not accessible:\n  {}",
            self.path().await,
            problems.join("\n  ")
        );
    }

    /// What [`Self::assert_accessible`] fails on, one line each.
    pub async fn accessibility_problems(&self) -> Vec<String> {
        // Injected by WebDriver (a script the page's Content-Security-Policy does not govern),
        // once per page load.
        let loaded = self.js("return window.axe ? axe.version : null;", vec![]).await;
        if loaded.is_null() {
            self.js(&format!("{AXE}\nreturn true;"), vec![]).await;
        }
        let version = self.js("return window.axe ? axe.version : null;", vec![]).await;
        assert_eq!(version, json!(AXE_VERSION), "axe-core did not load into the page");

        let report = self.js_async(RUN_AXE, vec![]).await;
        if let Some(error) = report.get("error") {
            panic!("axe.run failed: {error}");
        }
        // axe that checked nothing would pass anything.
        assert!(
            report["rules"].as_u64().unwrap_or(0) > 0,
            "axe ran no rule: {report}"
        );
        let mut problems = Vec::new();
        for violation in report["violations"].as_array().into_iter().flatten() {
            let impact = violation["impact"].as_str().unwrap_or("unknown");
            let line = describe(violation);
            if matches!(impact, "serious" | "critical") {
                problems.push(line);
            } else {
                // Shown with the test's output when it fails; not a failure on its own.
                eprintln!("axe ({impact}, not failing): {line}");
            }
        }
        let unlabelled = self.js(UNLABELLED_FIELDS, vec![]).await;
        for field in unlabelled.as_array().into_iter().flatten() {
            problems.push(format!(
                "a form field without a label: {}",
                field.as_str().unwrap_or_default()
            ));
        }
        problems
    }
}

fn describe(violation: &Value) -> String {
    let nodes: Vec<&str> = violation["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    format!(
        "[{}] {} ({}): {}",
        violation["impact"].as_str().unwrap_or("unknown"),
        violation["id"].as_str().unwrap_or("?"),
        violation["help"].as_str().unwrap_or(""),
        nodes.join(" | ")
    )
}
