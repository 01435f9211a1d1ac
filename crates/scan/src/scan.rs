//! The scan: walk a folder, a file or an archive; hand each file to the
//! model-file analyser or the parsers; evaluate posture; assemble the
//! report. Text is checked and dropped file by file, so memory stays
//! bounded by the largest file read (capped) plus the small facts, not by
//! the size of the tree.

use crate::advisories::AdvisoryDb;
use crate::catalog::Catalog;
use crate::facts::Facts;
use crate::parse::{kind_of, parse_text, FileKind};
use crate::posture::mcp::ToolVerdict;
use crate::posture::rules::RuleSet;
use crate::posture::{self, builtin};
use crate::report::{FileEvidence, ModelFile, ModelRef, Report, ScanError};
use palisade_modelfile::Limits;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Bounds and switches of a scan.
#[derive(Debug, Clone)]
pub struct Options {
    /// Largest manifest/config/source file read; larger ones are listed as
    /// errors.
    pub max_text_bytes: u64,
    /// Limits of the model-file analyser.
    pub model_limits: Limits,
    /// Honour `.gitignore`, `.ignore` and git excludes.
    pub respect_gitignore: bool,
    /// Archive members read when the target is an archive.
    pub max_archive_members: usize,
    /// Bytes decompressed in total from a target archive.
    pub max_archive_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_text_bytes: 8 << 20,
            model_limits: Limits::default(),
            respect_gitignore: true,
            max_archive_members: 100_000,
            max_archive_bytes: 4 << 30,
        }
    }
}

/// Why a scanner could not be built (bad built-in data).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The component catalogue.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// The posture rules.
    #[error(transparent)]
    Rules(#[from] crate::posture::rules::RuleError),
    /// The built-in advisories.
    #[error(transparent)]
    Advisories(#[from] crate::advisories::AdvisoryError),
    /// The credential catalogue.
    #[error("credential catalogue: {0}")]
    Dlp(String),
}

/// Progress of a running scan, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Files seen so far.
    pub files: u64,
    /// Bytes read so far.
    pub bytes: u64,
}

type Inspector = Box<dyn Fn(&str) -> ToolVerdict + Send + Sync>;

/// A configured scanner; build once, scan many targets.
pub struct Scanner {
    catalog: Catalog,
    rules: RuleSet,
    advisories: AdvisoryDb,
    dlp: Arc<palisade_dlp::Engine>,
    inspector: Option<Inspector>,
    store: Option<Arc<palisade_store::Store>>,
    opts: Options,
}

/// Per-scan state.
struct Run<'a> {
    s: &'a Scanner,
    facts: Facts,
    files: Vec<ModelFile>,
    findings: Vec<crate::report::Finding>,
    errors: Vec<ScanError>,
    stats: crate::report::Stats,
    progress: &'a dyn Fn(Progress),
}

impl Scanner {
    /// A scanner with the built-in catalogue, rules and advisories, plus
    /// the store's imported advisories and tool pins when given.
    pub fn new(
        opts: Options,
        store: Option<Arc<palisade_store::Store>>,
    ) -> Result<Scanner, SetupError> {
        let catalog = Catalog::builtin()?;
        let rules = RuleSet::from_yaml(crate::posture::rules::BUILTIN, &catalog)?;
        Ok(Scanner {
            catalog,
            rules,
            advisories: AdvisoryDb::new(store.clone())?,
            dlp: palisade_dlp::Engine::builtin_credentials_shared().map_err(SetupError::Dlp)?,
            inspector: None,
            store,
            opts,
        })
    }

    /// Sets the tool-definition inspector (the guard, wired by the CLI).
    pub fn with_tool_inspector(mut self, f: Inspector) -> Scanner {
        self.inspector = Some(f);
        self
    }

    /// The component catalogue.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The posture rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Scans a folder, a file or an archive.
    pub fn scan(&self, target: &Path, progress: &dyn Fn(Progress)) -> Report {
        let started = Instant::now();
        let mut run = Run {
            s: self,
            facts: Facts::default(),
            files: Vec::new(),
            findings: Vec::new(),
            errors: Vec::new(),
            stats: Default::default(),
            progress,
        };
        if target.is_dir() {
            run.walk(target);
        } else if target.is_file() {
            let shown = target.display().to_string();
            match archive_kind(target) {
                Some(kind) => run.archive(target, &shown, kind),
                None => {
                    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    run.disk_file(target, &shown, name);
                }
            }
        } else {
            run.errors.push(ScanError {
                path: target.display().to_string(),
                error: "no such file or folder".into(),
            });
        }
        let mut report = run.finish();
        report.target = target.display().to_string();
        report.stats.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        report
    }
}

/// Archive formats a target may be.
#[derive(Debug, Clone, Copy)]
enum ArchiveKind {
    Zip,
    Tar,
    TarGz,
}

fn archive_kind(path: &Path) -> Option<ArchiveKind> {
    let mut head = [0u8; 262];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .ok()?;
    let head = &head[..n];
    let name = path.to_string_lossy().to_ascii_lowercase();
    if head.starts_with(b"PK\x03\x04") {
        // Model containers (PyTorch, .keras, .npz) are zips too; those are
        // model files, not projects.
        let model_ext = [
            ".pt", ".pth", ".keras", ".npz", ".ckpt", ".bin", ".mar", ".joblib", ".pkl",
        ];
        return (!model_ext.iter().any(|e| name.ends_with(e))).then_some(ArchiveKind::Zip);
    }
    if head.starts_with(&[0x1f, 0x8b]) && (name.ends_with(".tar.gz") || name.ends_with(".tgz")) {
        return Some(ArchiveKind::TarGz);
    }
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return Some(ArchiveKind::Tar);
    }
    None
}

fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn model_file(
    path: &str,
    size: u64,
    sha: Option<String>,
    r: palisade_modelfile::Report,
) -> ModelFile {
    let mut info = serde_json::Map::new();
    if let Some(t) = r.info.tensors {
        info.insert("tensors".into(), t.into());
    }
    if let Some(p) = r.info.parameters {
        info.insert("parameters".into(), p.into());
    }
    if !r.info.dtypes.is_empty() {
        info.insert("dtypes".into(), r.info.dtypes.clone().into());
    }
    if let Some(a) = &r.info.architecture {
        info.insert("architecture".into(), a.clone().into());
    }
    if let Some(c) = &r.info.chat_template {
        info.insert(
            "chat_template".into(),
            c.chars().take(400).collect::<String>().into(),
        );
    }
    ModelFile {
        path: path.to_string(),
        format: r.format.as_str().to_string(),
        verdict: r.verdict.as_str().to_string(),
        evidence: r
            .evidence
            .into_iter()
            .map(|e| FileEvidence {
                severity: e.severity.as_str().to_string(),
                kind: e.kind,
                detail: e.detail,
                location: e.location,
            })
            .collect(),
        size,
        sha256: sha,
        info,
        errors: r.errors,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Run<'_> {
    fn tick(&self) {
        (self.progress)(Progress {
            files: self.stats.files,
            bytes: self.stats.bytes,
        });
    }

    fn error(&mut self, path: &str, error: impl Into<String>) {
        self.errors.push(ScanError {
            path: path.to_string(),
            error: error.into(),
        });
    }

    fn walk(&mut self, root: &Path) {
        let mut wb = ignore::WalkBuilder::new(root);
        wb.hidden(false)
            .git_ignore(self.s.opts.respect_gitignore)
            .git_exclude(self.s.opts.respect_gitignore)
            .git_global(false)
            .ignore(self.s.opts.respect_gitignore)
            .parents(self.s.opts.respect_gitignore)
            .require_git(false)
            // Per-project exclusions for this scanner only (test fixtures
            // full of example keys), in .gitignore syntax.
            .add_custom_ignore_filename(".palisadeignore")
            .follow_links(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .filter_entry(|e| {
                let n = e.file_name().to_string_lossy();
                !(n == ".git"
                    || n == "node_modules"
                    || n == ".venv"
                    || n == "__pycache__"
                    || n == "target" && e.depth() > 0 && e.path().join("CACHEDIR.TAG").exists())
            });
        for entry in wb.build() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.error(&root.display().to_string(), format!("walking: {e}"));
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let shown = relative(root, entry.path());
            let name = entry.file_name().to_string_lossy().into_owned();
            self.disk_file(entry.path(), &shown, &name);
        }
    }

    fn disk_file(&mut self, path: &Path, shown: &str, name: &str) {
        self.stats.files += 1;
        let size = match std::fs::metadata(path) {
            Ok(m) => m.len(),
            Err(e) => return self.error(shown, format!("cannot read: {e}")),
        };
        let mut prefix = Vec::with_capacity(4096);
        match std::fs::File::open(path).and_then(|f| f.take(4096).read_to_end(&mut prefix)) {
            Ok(_) => {}
            Err(e) => return self.error(shown, format!("cannot read: {e}")),
        }
        let kind = kind_of(name);
        if kind.is_none() && palisade_modelfile::is_model_candidate(path, &prefix) {
            match palisade_modelfile::analyze_path(path, &self.s.opts.model_limits) {
                Ok(r) => {
                    self.stats.bytes += size.min(self.s.opts.model_limits.max_file_bytes);
                    self.record_model(shown, size, None, r);
                }
                Err(e) => self.error(shown, e.to_string()),
            }
            self.tick();
            return;
        }
        let Some(kind) = kind else {
            self.stats.skipped += 1;
            return;
        };
        if size > self.s.opts.max_text_bytes {
            self.stats.skipped += 1;
            return self.error(
                shown,
                format!(
                    "{size} bytes, larger than the {} byte limit for text files; not parsed",
                    self.s.opts.max_text_bytes
                ),
            );
        }
        let mut bytes = Vec::new();
        if let Err(e) = std::fs::File::open(path)
            .and_then(|f| f.take(self.s.opts.max_text_bytes).read_to_end(&mut bytes))
        {
            return self.error(shown, format!("cannot read: {e}"));
        }
        self.stats.bytes += bytes.len() as u64;
        self.text_file(shown, name, kind, &bytes);
        self.tick();
    }

    fn record_model(
        &mut self,
        shown: &str,
        size: u64,
        sha: Option<String>,
        r: palisade_modelfile::Report,
    ) {
        if r.format == palisade_modelfile::Format::Unknown && r.evidence.is_empty() {
            self.stats.skipped += 1;
            return;
        }
        self.facts.models.push(ModelRef {
            name: shown.to_string(),
            provider: None,
            kind: "model-artifact".into(),
            path: shown.to_string(),
            line: None,
        });
        self.files.push(model_file(shown, size, sha, r));
    }

    fn text_file(&mut self, shown: &str, name: &str, kind: FileKind, bytes: &[u8]) {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                return self.error(
                    shown,
                    format!("invalid UTF-8 at byte {}; not parsed", e.valid_up_to()),
                )
            }
        };
        let before_mcp = self.facts.mcp_servers.len();
        parse_text(shown, name, kind, text, &mut self.facts);
        if kind == FileKind::Terraform {
            crate::parse::source::models_in(shown, text, &mut self.facts);
        }
        // Check this file's texts now and drop them.
        let mcp_here = self.facts.mcp_servers.len() > before_mcp;
        let sources = std::mem::take(&mut self.facts.sources);
        let one = Facts {
            sources,
            ..Default::default()
        };
        let skip: Vec<String> = if mcp_here {
            vec![shown.to_string()]
        } else {
            Vec::new()
        };
        builtin::secrets(&self.s.rules, &self.s.dlp, &one, &skip, &mut self.findings);
        let src_findings = posture::declarative_sources(&self.s.rules, &one);
        self.findings.extend(src_findings);
    }

    fn archive(&mut self, path: &Path, shown: &str, kind: ArchiveKind) {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => return self.error(shown, format!("cannot read: {e}")),
        };
        match kind {
            ArchiveKind::Zip => {
                // The model analyser reads zips itself, including damaged
                // ones (bad CRCs, mismatched directories) that a plain
                // extraction refuses; its verdict covers every model
                // member, so the member walk below only parses text.
                match palisade_modelfile::analyze_path(path, &self.s.opts.model_limits) {
                    Ok(r) => {
                        let container = !matches!(
                            r.format,
                            palisade_modelfile::Format::Zip | palisade_modelfile::Format::Unknown
                        );
                        if container || r.verdict != palisade_modelfile::Verdict::Clean {
                            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                            self.record_model(shown, size, None, r);
                        }
                    }
                    Err(e) => self.error(shown, e.to_string()),
                }
                self.zip(file, shown)
            }
            ArchiveKind::Tar => self.tar(tar::Archive::new(file), shown),
            ArchiveKind::TarGz => {
                self.tar(tar::Archive::new(flate2::read::GzDecoder::new(file)), shown)
            }
        }
    }

    /// One archive member, already bounded in size. Zip members that are
    /// model files were judged with the whole zip (`models_done`).
    fn member(&mut self, shown: &str, name: &str, bytes: Vec<u8>, models_done: bool) {
        self.stats.files += 1;
        self.stats.bytes += bytes.len() as u64;
        let file_name = name.rsplit('/').next().unwrap_or(name);
        let kind = kind_of(file_name);
        let prefix = &bytes[..bytes.len().min(4096)];
        if kind.is_none() && palisade_modelfile::is_model_candidate(Path::new(file_name), prefix) {
            if models_done {
                self.tick();
                return;
            }
            let r = palisade_modelfile::analyze_bytes(file_name, &bytes, &self.s.opts.model_limits);
            let sha = Some(sha256_hex(&bytes));
            self.record_model(shown, bytes.len() as u64, sha, r);
        } else if let Some(k) = kind {
            if bytes.len() as u64 > self.s.opts.max_text_bytes {
                self.error(shown, "larger than the text file limit; not parsed");
            } else {
                self.text_file(shown, file_name, k, &bytes);
            }
        } else {
            self.stats.skipped += 1;
        }
        self.tick();
    }

    fn member_limit(&self) -> u64 {
        self.s
            .opts
            .max_text_bytes
            .max(self.s.opts.model_limits.max_file_bytes)
    }

    fn zip(&mut self, file: std::fs::File, shown: &str) {
        let mut zip = match zip::ZipArchive::new(file) {
            Ok(z) => z,
            Err(e) => return self.error(shown, format!("not a readable zip archive: {e}")),
        };
        let mut total = 0u64;
        let n = zip.len().min(self.s.opts.max_archive_members);
        if zip.len() > n {
            self.error(
                shown,
                format!("{} members; only the first {n} were scanned", zip.len()),
            );
        }
        for i in 0..n {
            let mut m = match zip.by_index(i) {
                Ok(m) => m,
                Err(e) => {
                    self.error(&format!("{shown}#{i}"), format!("unreadable member: {e}"));
                    continue;
                }
            };
            if m.is_dir() {
                continue;
            }
            let name = m.name().to_string();
            let member_shown = format!("{shown}!/{name}");
            if m.encrypted() {
                self.error(&member_shown, "encrypted member; not scanned");
                continue;
            }
            let limit = self.member_limit();
            if total >= self.s.opts.max_archive_bytes {
                self.error(
                    shown,
                    "archive decompression budget spent; remaining members not scanned",
                );
                break;
            }
            let mut bytes = Vec::new();
            let cap = limit.min(self.s.opts.max_archive_bytes - total);
            match (&mut m).take(cap + 1).read_to_end(&mut bytes) {
                Ok(n) if n as u64 > cap => {
                    total += n as u64;
                    self.error(
                        &member_shown,
                        format!("larger than {cap} bytes decompressed; not scanned"),
                    );
                    continue;
                }
                Ok(n) => total += n as u64,
                Err(e) => {
                    self.error(&member_shown, format!("cannot decompress: {e}"));
                    continue;
                }
            }
            self.member(&member_shown, &name, bytes, true);
        }
    }

    fn tar<R: Read>(&mut self, mut ar: tar::Archive<R>, shown: &str) {
        let entries = match ar.entries() {
            Ok(e) => e,
            Err(e) => return self.error(shown, format!("not a readable tar archive: {e}")),
        };
        let mut total = 0u64;
        for (count, entry) in entries.enumerate() {
            if count >= self.s.opts.max_archive_members {
                self.error(shown, "member limit reached; remaining members not scanned");
                break;
            }
            let mut e = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.error(shown, format!("corrupt tar entry: {e}"));
                    break;
                }
            };
            if !e.header().entry_type().is_file() {
                continue;
            }
            let name = e
                .path()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let member_shown = format!("{shown}!/{name}");
            let cap = self
                .member_limit()
                .min(self.s.opts.max_archive_bytes.saturating_sub(total));
            let mut bytes = Vec::new();
            match (&mut e).take(cap + 1).read_to_end(&mut bytes) {
                Ok(n) if n as u64 > cap => {
                    total += n as u64;
                    self.error(
                        &member_shown,
                        format!("larger than {cap} bytes; not scanned"),
                    );
                    continue;
                }
                Ok(n) => total += n as u64,
                Err(err) => {
                    self.error(&member_shown, format!("cannot read: {err}"));
                    break;
                }
            }
            self.member(&member_shown, &name, bytes, false);
            if total >= self.s.opts.max_archive_bytes {
                self.error(shown, "archive budget spent; remaining members not scanned");
                break;
            }
        }
    }

    fn finish(mut self) -> Report {
        let s = self.s;
        let components = crate::inventory::inventory(&s.catalog, &self.facts);
        let mut findings = std::mem::take(&mut self.findings);
        findings.extend(posture::declarative_facts(
            &s.rules,
            &s.catalog,
            &self.facts,
        ));
        builtin::vulns(&s.rules, &s.advisories, &components, &mut findings);
        builtin::model_files(&s.rules, &self.files, &mut findings);
        builtin::unpinned_deps(&s.rules, &components, &mut findings);
        builtin::unpinned_images(&s.rules, &components, &mut findings);
        builtin::public_buckets(&s.rules, &self.facts, &mut findings);
        crate::posture::mcp::servers(&s.rules, &s.dlp, &self.facts, &mut findings);
        let inspector = s
            .inspector
            .as_deref()
            .map(|f| f as &(dyn Fn(&str) -> ToolVerdict + Sync));
        crate::posture::mcp::tools(
            &s.rules,
            &self.facts,
            inspector,
            s.store.as_deref(),
            &mut findings,
            &mut self.errors,
        );
        // Same rule, same place, same subject: one finding.
        let mut seen = std::collections::HashSet::new();
        findings.retain(|f| seen.insert((f.id.clone(), f.path.clone(), f.line, f.subject.clone())));
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.line.cmp(&b.line))
                .then_with(|| a.id.cmp(&b.id))
        });
        let mut errors = self.errors;
        errors.append(&mut self.facts.errors);
        Report {
            target: String::new(),
            components,
            models: self.facts.models,
            files: self.files,
            findings,
            errors,
            stats: self.stats,
        }
    }
}
