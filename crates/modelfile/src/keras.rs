//! Keras model configs (`.keras` `config.json`, HDF5 `model_config`, SavedModel metadata).
//!
//! A `Lambda` layer stores its Python function as marshalled bytecode that Keras rebuilds and
//! runs on load (unless `safe_mode` is on, which older versions lack), so embedded bytecode is
//! malicious by construction. Custom objects from outside Keras need their own code to load
//! and are reported as suspicious.

use crate::util;
use crate::{put_metadata, Acc, Verdict};
use base64::Engine;
use serde_json::Value;

const MAX_DEPTH: usize = 96;
const MAX_NODES: usize = 200_000;

fn keras_module(m: &str) -> bool {
    [
        "keras",
        "tensorflow.keras",
        "tf_keras",
        "tensorflow.python.keras",
        "builtins",
    ]
    .iter()
    .any(|k| m == *k || m.starts_with(&format!("{k}.")))
}

/// Printable runs from marshalled bytecode, as a hint of what the lambda does.
fn code_strings(b64: &str) -> String {
    let cleaned: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(cleaned.as_bytes()) else {
        return String::new();
    };
    let mut runs = Vec::new();
    let mut cur = String::new();
    for &b in &bytes {
        if (0x20..0x7f).contains(&b) {
            cur.push(char::from(b));
        } else {
            if cur.len() >= 4 {
                runs.push(std::mem::take(&mut cur));
            }
            cur.clear();
        }
    }
    if cur.len() >= 4 {
        runs.push(cur);
    }
    util::truncate(&runs.join(" "), 200)
}

struct Walker<'a> {
    acc: &'a mut Acc,
    nodes: usize,
    location: &'a str,
}

impl Walker<'_> {
    fn add(&mut self, sev: Verdict, kind: &str, detail: String) {
        self.acc
            .add(sev, kind, detail, Some(self.location.to_string()));
    }

    fn lambda(&mut self, layer: &serde_json::Map<String, Value>) {
        let name = layer
            .get("config")
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let cfg = layer.get("config");
        let func = cfg.and_then(|c| c.get("function"));
        let ftype = cfg
            .and_then(|c| c.get("function_type"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let code = match func {
            Some(Value::Object(f))
                if f.get("class_name").and_then(Value::as_str) == Some("__lambda__") =>
            {
                f.get("config")
                    .and_then(|c| c.get("code"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            }
            Some(Value::Array(a)) if ftype == "lambda" || ftype.is_empty() => {
                a.first().and_then(Value::as_str).map(str::to_string)
            }
            Some(Value::String(s)) if ftype == "lambda" => Some(s.clone()),
            _ => None,
        };
        match code {
            Some(c) => {
                let hint = code_strings(&c);
                self.add(
                    Verdict::Malicious,
                    "lambda-layer",
                    format!(
                        "Lambda layer {name:?} embeds marshalled Python bytecode ({} chars){}",
                        c.len(),
                        if hint.is_empty() {
                            String::new()
                        } else {
                            format!(": {hint}")
                        }
                    ),
                );
            }
            None => self.add(
                Verdict::Suspicious,
                "lambda-layer",
                format!("Lambda layer {name:?} references an external function"),
            ),
        }
    }

    fn visit(&mut self, v: &Value, depth: usize) {
        self.nodes += 1;
        if depth > MAX_DEPTH || self.nodes > MAX_NODES {
            return;
        }
        match v {
            Value::Object(map) => {
                let class = map
                    .get("class_name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if class == "Lambda" {
                    self.lambda(map);
                } else if class == "__lambda__" && depth > 0 {
                    // Lambdas outside a Lambda layer (activations, initialisers) run the same way.
                    let code = map
                        .get("config")
                        .and_then(|c| c.get("code"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    self.add(
                        Verdict::Malicious,
                        "lambda-layer",
                        format!("serialized __lambda__ function: {}", code_strings(code)),
                    );
                } else if class == "TFOpLambda" {
                    let f = map
                        .get("config")
                        .and_then(|c| c.get("function"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let l = f.to_ascii_lowercase();
                    if [
                        "io.",
                        "py_function",
                        "numpy_function",
                        "write_file",
                        "read_file",
                        "gfile",
                    ]
                    .iter()
                    .any(|p| l.contains(p))
                    {
                        self.add(Verdict::Malicious, "tf-op", format!("TFOpLambda calls {f}"));
                    }
                }
                if let Some(module) = map.get("module").and_then(Value::as_str) {
                    if !class.is_empty() && !keras_module(module) {
                        self.add(
                            Verdict::Suspicious,
                            "custom-object",
                            format!("custom object {module}.{class}"),
                        );
                    }
                }
                if let Some(reg) = map.get("registered_name").and_then(Value::as_str) {
                    if reg.contains('>') && !reg.starts_with("keras") {
                        self.add(
                            Verdict::Suspicious,
                            "custom-object",
                            format!("registered custom object {reg}"),
                        );
                    }
                }
                if map.get("function_type").and_then(Value::as_str) == Some("lambda")
                    && class != "Lambda"
                {
                    self.add(
                        Verdict::Malicious,
                        "lambda-layer",
                        "object with a marshalled lambda function".into(),
                    );
                }
                for (k, child) in map {
                    if k == "config" && class == "Lambda" {
                        continue;
                    }
                    self.visit(child, depth + 1);
                }
            }
            Value::Array(items) => {
                for i in items {
                    self.visit(i, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// Checks a parsed Keras model config, reporting findings at `location`.
pub(crate) fn analyze_config(v: &Value, acc: &mut Acc, location: &str) {
    if acc.info.architecture.is_none() {
        if let Some(c) = v.get("class_name").and_then(Value::as_str) {
            acc.info.architecture = Some(util::truncate(c, 128));
        }
    }
    let mut w = Walker {
        acc,
        nodes: 0,
        location,
    };
    w.visit(v, 0);
}

/// Parses and checks a `.keras` `config.json`.
pub(crate) fn analyze_config_bytes(bytes: &[u8], acc: &mut Acc) {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => analyze_config(&v, acc, "config.json"),
        Err(e) => acc.error(format!("config.json is not valid JSON: {e}")),
    }
}

/// Reads `metadata.json` (Keras version) into the model info.
pub(crate) fn analyze_metadata(bytes: &[u8], acc: &mut Acc) {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        if let Some(ver) = v.get("keras_version").and_then(Value::as_str) {
            put_metadata(&mut acc.info, "keras_version", ver);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(json: &str) -> Verdict {
        let mut acc = Acc::default();
        analyze_config_bytes(json.as_bytes(), &mut acc);
        acc.verdict()
    }

    #[test]
    fn lambda_with_code_is_malicious() {
        let j = r#"{"module":"keras","class_name":"Sequential","config":{"layers":[{"module":"keras.layers","class_name":"Lambda","config":{"name":"l","function":{"class_name":"__lambda__","config":{"code":"YwAAAA=="}}}}]}}"#;
        assert_eq!(verdict(j), Verdict::Malicious);
        let legacy = r#"{"class_name":"Model","config":{"layers":[{"class_name":"Lambda","config":{"name":"l","function":["4wEAAAA=",null,null],"function_type":"lambda"}}]}}"#;
        assert_eq!(verdict(legacy), Verdict::Malicious);
    }

    #[test]
    fn plain_layers_are_clean_custom_are_suspicious() {
        let j = r#"{"module":"keras","class_name":"Sequential","config":{"layers":[{"module":"keras.layers","class_name":"Dense","config":{"units":4}}]}}"#;
        assert_eq!(verdict(j), Verdict::Clean);
        let c = r#"{"module":"keras","class_name":"Sequential","config":{"layers":[{"module":"mypkg.layers","class_name":"Fancy","config":{}}]}}"#;
        assert_eq!(verdict(c), Verdict::Suspicious);
    }
}
