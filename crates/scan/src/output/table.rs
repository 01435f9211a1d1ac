//! A readable summary for terminals.

use crate::report::{Report, Severity};
use std::fmt::Write;

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Renders the report as aligned text tables.
pub fn render(report: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "AI components ({})", report.components.len());
    if !report.components.is_empty() {
        let _ = writeln!(o, "  {:<40} {:<16} {:<18} WHERE", "NAME", "VERSION", "KIND");
        for c in &report.components {
            let at = match c.line {
                Some(l) => format!("{}:{l}", c.path),
                None => c.path.clone(),
            };
            let _ = writeln!(
                o,
                "  {:<40} {:<16} {:<18} {}",
                cut(&c.name, 40),
                cut(c.version.as_deref().unwrap_or("-"), 16),
                c.kind,
                at
            );
        }
    }
    if !report.models.is_empty() {
        let _ = writeln!(o, "\nModels ({})", report.models.len());
        for m in &report.models {
            let _ = writeln!(
                o,
                "  {:<48} {:<18} {}",
                cut(&m.name, 48),
                m.kind,
                m.provider.as_deref().unwrap_or("-")
            );
        }
    }
    if !report.files.is_empty() {
        let bad = report.files.iter().filter(|f| f.verdict != "clean").count();
        let _ = writeln!(o, "\nModel files ({}, {bad} not clean)", report.files.len());
        let mut files: Vec<_> = report.files.iter().collect();
        files.sort_by_key(|f| match f.verdict.as_str() {
            "malicious" => 0,
            "suspicious" => 1,
            _ => 2,
        });
        for f in files {
            let why = f
                .evidence
                .iter()
                .find(|e| e.severity == f.verdict)
                .map(|e| format!("{} {}", e.kind, e.detail))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  {:<10} {:<13} {:<44} {}",
                f.verdict,
                f.format,
                cut(&f.path, 44),
                cut(&why, 60)
            );
        }
    }
    let _ = writeln!(o, "\nFindings ({})", report.findings.len());
    for f in &report.findings {
        let at = match f.line {
            Some(l) => format!("{}:{l}", f.path),
            None => f.path.clone(),
        };
        let id = match &f.subject {
            Some(sub) => format!("{}:{sub}", f.id),
            None => f.id.clone(),
        };
        let _ = writeln!(
            o,
            "  {:<8} {:<44} {}",
            f.severity.as_str().to_uppercase(),
            cut(&id, 44),
            at
        );
        let _ = writeln!(o, "           {}", cut(&f.evidence, 110));
    }
    if !report.errors.is_empty() {
        let _ = writeln!(o, "\nErrors ({})", report.errors.len());
        for e in &report.errors {
            let _ = writeln!(o, "  {}: {}", e.path, e.error);
        }
    }
    let by_sev: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|s| {
            (
                s,
                report.findings.iter().filter(|f| f.severity == *s).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let _ = writeln!(
        o,
        "\n{} files, {:.1} MB in {} ms; {} components, {} model files, {} findings{}",
        report.stats.files,
        report.stats.bytes as f64 / 1e6,
        report.stats.elapsed_ms,
        report.components.len(),
        report.files.len(),
        report.findings.len(),
        if by_sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_sev.join(", "))
        }
    );
    o
}
