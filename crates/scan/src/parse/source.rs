//! Source code and notebooks: Python imports (components used without a
//! manifest), `pip install` cells, and the models a project names —
//! hosted model ids, hub repositories and model files.

use crate::facts::{line_at, Dependency, Facts, SourceText};
use crate::report::ModelRef;
use regex::Regex;
use std::sync::OnceLock;

struct Patterns {
    import: Regex,
    model_kv: Regex,
    hub: Regex,
    artifact: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        // These are fixed, tested patterns; a failure is a bug caught by
        // the unit tests, never by input.
        import: Regex::new(r"(?m)^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import|import[ \t]+([A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*))")
            .expect("import pattern"),
        // An ASCII `\b`: a Unicode one stops the lazy DFA at the first
        // non-ASCII byte (an accent or emoji in a comment) and the whole
        // file is then searched by the PikeVM.
        model_kv: Regex::new(r#"(?i)(?-u:\b)(?:model|model_name|model_id|engine|deployment_name|llm_model|embedding_model)["']?\s*[:=]\s*["']?([A-Za-z0-9][\w.:/-]{1,80})"#)
            .expect("model pattern"),
        hub: Regex::new(r#"(?:from_pretrained|snapshot_download|hf_hub_download|pipeline)\s*\([^)]*?["']([A-Za-z0-9][\w.-]*/[\w.-]+)["']|--model[= ]["']?([A-Za-z0-9][\w.-]*/[\w.-]+)"#)
            .expect("hub pattern"),
        artifact: Regex::new(r#"["']([\w./-]+\.(?:safetensors|gguf|pt|pth|ckpt|onnx|pkl|joblib|h5|keras|bin))["']"#)
            .expect("artifact pattern"),
    })
}

/// The provider of a hosted model id, or `None` when the id does not look
/// like a model (so arbitrary `model = "x"` strings are not reported).
pub fn hosted_provider(id: &str) -> Option<&'static str> {
    let l = id.to_ascii_lowercase();
    let prefixes: &[(&str, &str)] = &[
        ("gpt-", "openai"),
        ("o1", "openai"),
        ("o3", "openai"),
        ("o4-", "openai"),
        ("chatgpt-", "openai"),
        ("text-embedding-3", "openai"),
        ("text-embedding-ada", "openai"),
        ("davinci", "openai"),
        ("dall-e", "openai"),
        ("whisper-", "openai"),
        ("claude-", "anthropic"),
        ("qwen", "alibaba-dashscope"),
        ("text-embedding-v", "alibaba-dashscope"),
        ("gemini-", "google"),
        ("text-embedding-00", "google"),
        ("deepseek-", "deepseek"),
        ("glm-", "zhipu"),
        ("mistral-", "mistral"),
        ("mixtral-", "mistral"),
        ("codestral", "mistral"),
        ("command-r", "cohere"),
        ("embed-english", "cohere"),
        ("grok-", "xai"),
        ("llama", "meta"),
        ("moonshot-", "moonshot"),
        ("kimi-", "moonshot"),
        ("ernie-", "baidu"),
        ("hunyuan-", "tencent"),
        ("doubao-", "bytedance"),
    ];
    prefixes
        .iter()
        .find(|(p, _)| l.starts_with(p))
        .map(|(_, prov)| *prov)
}

/// Maps a top-level Python module to its PyPI distribution where the
/// names differ; otherwise the module name itself (PEP 503 treats `_` and
/// `-` alike, so `langchain_openai` finds `langchain-openai`).
fn module_to_package(module: &str) -> String {
    let mut parts = module.split('.');
    let top = parts.next().unwrap_or(module);
    let second = parts.next();
    match (top, second) {
        ("sklearn", _) => "scikit-learn".into(),
        ("google", Some("generativeai")) => "google-generativeai".into(),
        ("google", Some("genai")) => "google-genai".into(),
        ("google", Some("cloud")) => "google-cloud-aiplatform".into(),
        ("vertexai", _) => "google-cloud-aiplatform".into(),
        ("llama_index", Some("core")) | ("llama_index", None) => "llama-index-core".into(),
        ("llama_index", Some(sub)) => format!("llama-index-{}", sub.replace('_', "-")),
        ("tensorflow", _) => "tensorflow".into(),
        ("huggingface_hub", _) => "huggingface-hub".into(),
        ("faiss", _) => "faiss-cpu".into(),
        ("autogen", _) => "pyautogen".into(),
        (t, _) => t.to_string(),
    }
}

/// Python source: imports become (imported) dependencies; models named in
/// it become model references; the text goes to the pattern rules.
pub fn python(path: &str, text: &str, facts: &mut Facts) {
    let p = patterns();
    for c in p.import.captures_iter(text) {
        let line = c.get(0).map(|m| line_at(text, m.start()));
        let mods: Vec<&str> = match (c.get(1), c.get(2)) {
            (Some(m), _) => vec![m.as_str()],
            (_, Some(m)) => m.as_str().split(',').map(str::trim).collect(),
            _ => continue,
        };
        for m in mods {
            let m = m.split_whitespace().next().unwrap_or(m);
            facts.deps.push(Dependency {
                ecosystem: "pypi",
                name: module_to_package(m),
                spec: None,
                locked: false,
                imported: true,
                path: path.to_string(),
                line,
            });
        }
    }
    models_in(path, text, facts);
    facts.sources.push(SourceText {
        path: path.to_string(),
        lang: "python",
        text: text.to_string(),
    });
}

/// Model references in any text (source or configuration).
pub fn models_in(path: &str, text: &str, facts: &mut Facts) {
    let p = patterns();
    let mut seen: Vec<String> = facts
        .models
        .iter()
        .filter(|m| m.path == path)
        .map(|m| m.name.clone())
        .collect();
    let mut push =
        |facts: &mut Facts, name: &str, provider: Option<&str>, kind: &str, at: usize| {
            if seen.iter().any(|s| s == name) {
                return;
            }
            seen.push(name.to_string());
            facts.models.push(ModelRef {
                name: name.to_string(),
                provider: provider.map(str::to_string),
                kind: kind.to_string(),
                path: path.to_string(),
                line: Some(line_at(text, at)),
            });
        };
    for c in p.hub.captures_iter(text) {
        if let Some(m) = c.get(1).or_else(|| c.get(2)) {
            push(
                facts,
                m.as_str(),
                Some("huggingface"),
                "hub-model",
                m.start(),
            );
        }
    }
    for c in p.model_kv.captures_iter(text) {
        let Some(m) = c.get(1) else { continue };
        let id = m.as_str().trim_end_matches(['"', '\'', ',']);
        if id.contains('/') {
            if id.split('/').count() == 2 && !id.starts_with("http") {
                push(facts, id, Some("huggingface"), "hub-model", m.start());
            }
        } else if let Some(prov) = hosted_provider(id) {
            push(facts, id, Some(prov), "hosted-model", m.start());
        }
    }
    for c in p.artifact.captures_iter(text) {
        if let Some(m) = c.get(1) {
            push(facts, m.as_str(), None, "model-artifact", m.start());
        }
    }
}

/// A Jupyter notebook: code cells are joined into one Python text (so
/// rules and line numbers work on code, not JSON), and `!pip`/`%pip`
/// lines become dependencies.
pub fn notebook(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid notebook JSON: {e}"))?;
    let cells = doc
        .get("cells")
        .and_then(serde_json::Value::as_array)
        .ok_or("notebook has no `cells` array")?;
    let mut code = String::new();
    for c in cells {
        if c.get("cell_type").and_then(serde_json::Value::as_str) != Some("code") {
            continue;
        }
        match c.get("source") {
            Some(serde_json::Value::Array(lines)) => {
                for l in lines.iter().filter_map(serde_json::Value::as_str) {
                    code.push_str(l);
                }
            }
            Some(serde_json::Value::String(s)) => code.push_str(s),
            _ => {}
        }
        if !code.ends_with('\n') {
            code.push('\n');
        }
    }
    let mut python_only = String::with_capacity(code.len());
    for (i, line) in code.lines().enumerate() {
        let t = line.trim_start();
        if let Some(cmd) = t.strip_prefix('!').or_else(|| t.strip_prefix('%')) {
            crate::parse::python::pip_install_line(path, i + 1, cmd, facts);
            python_only.push('\n');
        } else {
            python_only.push_str(line);
            python_only.push('\n');
        }
    }
    python(path, &python_only, facts);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_map_to_packages() {
        let mut f = Facts::default();
        python(
            "a.py",
            "import os, torch\nfrom langchain_openai import ChatOpenAI\nfrom sklearn.linear_model import X\n",
            &mut f,
        );
        let names: Vec<_> = f.deps.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["os", "torch", "langchain_openai", "scikit-learn"]
        );
    }

    #[test]
    fn models_named_in_code_and_config() {
        let mut f = Facts::default();
        models_in(
            "c",
            "llm = ChatOpenAI(model=\"gpt-4o-mini\")\nm = AutoModel.from_pretrained('someuser/finetuned-bert')\nmodel: qwen-max\nmodel = \"my-thing\"\nx = torch.load('weights/classifier.pt')\n",
            &mut f,
        );
        let got: Vec<_> = f
            .models
            .iter()
            .map(|m| (m.name.as_str(), m.kind.as_str()))
            .collect();
        assert!(got.contains(&("gpt-4o-mini", "hosted-model")), "{got:?}");
        assert!(
            got.contains(&("someuser/finetuned-bert", "hub-model")),
            "{got:?}"
        );
        assert!(got.contains(&("qwen-max", "hosted-model")), "{got:?}");
        assert!(
            got.contains(&("weights/classifier.pt", "model-artifact")),
            "{got:?}"
        );
        assert!(!got.iter().any(|g| g.0 == "my-thing"));
    }
}
