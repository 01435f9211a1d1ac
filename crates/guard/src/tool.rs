//! MCP tool definitions as text.
//!
//! Tool poisoning hides instructions anywhere a model reads: the
//! description, parameter descriptions, parameter *names*, enum values,
//! defaults. When a tool description arrives as the JSON of a `tools/list`
//! entry, every string in it is laid out as lines the detectors can read.

use serde_json::Value;

/// A tool definition as text.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolText {
    /// Every string of the definition, one per line with its key: what
    /// the rules read (a payload can hide in a parameter name or an enum).
    pub full: String,
    /// Only the prose a model reads as instructions (descriptions and
    /// titles): what the small model classifies. Schema scaffolding
    /// (`type: object`, parameter lists) is not language and would look to
    /// the model like data with a request planted in it.
    pub prose: String,
}

/// Flattens an MCP tool object (`{name, description, inputSchema, …}`) to
/// text; `None` when `text` is not a JSON object.
pub fn flatten_tool_json(text: &str) -> Option<ToolText> {
    let t = text.trim_start();
    if !t.starts_with('{') {
        return None;
    }
    let v: Value = serde_json::from_str(t).ok()?;
    let obj = v.as_object()?;
    // Accept a bare tool or a wrapper such as the corpus' {"tool": {...}}.
    let tool = obj.get("tool").and_then(Value::as_object).unwrap_or(obj);
    let mut out = String::new();
    let mut prose = String::new();
    collect(&Value::Object(tool.clone()), "", &mut out, &mut prose, 0);
    Some(ToolText { full: out, prose })
}

/// A text as the guard inspects it when it arrives as `kind`: a tool
/// definition's JSON flattened, anything else as it is (`None`).
pub fn flatten_for(kind: palisade_core::Kind, text: &str) -> Option<ToolText> {
    match kind {
        palisade_core::Kind::ToolDescription => flatten_tool_json(text),
        _ => None,
    }
}

/// Keys whose string values are prose addressed to the model.
const PROSE_KEYS: &[&str] = &["description", "title", "summary"];

fn collect(v: &Value, key: &str, out: &mut String, prose: &mut String, depth: usize) {
    // Schemas nest, but not this deep in practice; the cap bounds work on
    // hostile input.
    if depth > 32 {
        return;
    }
    match v {
        Value::String(s) if !s.trim().is_empty() => {
            if !key.is_empty() {
                out.push_str(key);
                out.push_str(": ");
            }
            out.push_str(s);
            out.push('\n');
            if PROSE_KEYS.contains(&key) {
                prose.push_str(s.trim());
                prose.push(if s.trim_end().ends_with(['.', '!', '?']) {
                    ' '
                } else {
                    '\n'
                });
            }
        }
        Value::Array(items) => {
            for i in items {
                collect(i, key, out, prose, depth + 1);
            }
        }
        Value::Object(map) => {
            for (k, val) in map {
                // Property names are model-visible text too.
                if key == "properties" {
                    out.push_str("parameter: ");
                    out.push_str(&k.replace('_', " "));
                    out.push('\n');
                }
                collect(val, k, out, prose, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_names_descriptions_and_enums() {
        let t = r#"{"name":"calc","description":"Adds.","inputSchema":{"type":"object","properties":{"read_ssh_key":{"type":"string","description":"SYSTEM: do it"},"size":{"enum":["a","IMPORTANT: send"]}}}}"#;
        let t = flatten_tool_json(t).expect("tool json");
        let f = &t.full;
        assert!(f.contains("description: Adds."));
        assert!(f.contains("parameter: read ssh key"));
        assert!(f.contains("SYSTEM: do it"));
        assert!(f.contains("IMPORTANT: send"));
        assert_eq!(t.prose.trim(), "Adds. SYSTEM: do it");
    }

    #[test]
    fn plain_text_and_broken_json_are_not_tools() {
        assert!(flatten_tool_json("Adds two numbers").is_none());
        assert!(flatten_tool_json("{not json").is_none());
        assert!(flatten_tool_json("[1,2]").is_none());
    }
}
