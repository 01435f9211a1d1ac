//! MCP configurations: the servers a client launches or reaches (Claude
//! Desktop, Cursor, Windsurf and Cline `mcpServers`; VS Code `mcp.json`
//! `servers` and `settings.json` `mcp.servers`; Zed `context_servers`;
//! Continue's `mcpServers` list; Codex `[mcp_servers.*]`), a server's own
//! listener settings, and tool lists (`tools/list` results saved to a
//! file).

use crate::facts::{line_of, Facts, McpListener, McpServer, ToolDef};
use serde_json::Value;
use std::collections::BTreeMap;

fn str_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Number(n) => Some((k.clone(), n.to_string())),
                    Value::Bool(b) => Some((k.clone(), b.to_string())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn server_from(name: &str, v: &Value, path: &str, text: &str) -> Option<McpServer> {
    let obj = v.as_object()?;
    let command = obj
        .get("command")
        .and_then(Value::as_str)
        .map(str::to_string);
    let url = obj
        .get("url")
        .or_else(|| obj.get("serverUrl"))
        .or_else(|| obj.get("httpUrl"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if command.is_none() && url.is_none() {
        return None;
    }
    let mut args: Vec<String> = obj
        .get("args")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    // Some clients accept the whole command line in `command`.
    let command = command.map(|c| {
        let mut words = crate::parse::containers::shell_words(&c);
        if words.len() > 1 {
            let first = words.remove(0);
            words.append(&mut args);
            args = words;
            first
        } else {
            c
        }
    });
    Some(McpServer {
        name: name.to_string(),
        command,
        args,
        env: str_map(obj.get("env").or_else(|| obj.get("environment"))),
        url,
        headers: str_map(obj.get("headers")),
        path: path.to_string(),
        line: line_of(text, &format!("\"{name}\"")).or_else(|| line_of(text, name)),
    })
}

/// Reads client configurations from a parsed JSON/YAML/TOML document.
/// Returns whether anything MCP-shaped was found.
pub fn from_value(path: &str, text: &str, doc: &Value, facts: &mut Facts) -> bool {
    let mut found = false;
    let mut tables: Vec<&Value> = Vec::new();
    for key in ["mcpServers", "servers", "context_servers", "mcp_servers"] {
        if let Some(v) = doc.get(key) {
            tables.push(v);
        }
    }
    if let Some(v) = doc.get("mcp").and_then(|m| m.get("servers")) {
        tables.push(v);
    }
    for t in tables {
        match t {
            Value::Object(m) => {
                for (name, v) in m {
                    if let Some(s) = server_from(name, v, path, text) {
                        facts.mcp_servers.push(s);
                        found = true;
                    }
                }
            }
            // Continue lists servers with a `name` each.
            Value::Array(items) => {
                for v in items {
                    let name = v.get("name").and_then(Value::as_str).unwrap_or("server");
                    if let Some(s) = server_from(name, v, path, text) {
                        facts.mcp_servers.push(s);
                        found = true;
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(server) = doc.get("server").filter(|s| s.is_object()) {
        let transport = server.get("transport").and_then(Value::as_str);
        let looks_mcp = transport.is_some_and(|t| {
            matches!(
                t,
                "sse" | "streamable-http" | "http" | "stdio" | "streamable_http"
            )
        }) || path.to_ascii_lowercase().contains("mcp");
        if looks_mcp {
            let auth = match server.get("auth").or_else(|| server.get("authentication")) {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => !s.is_empty() && s != "none",
                Some(Value::Object(o)) => !o.is_empty(),
                Some(_) => true,
            };
            let cors = server
                .get("cors_allow_origins")
                .or_else(|| server.get("cors_origins"))
                .or_else(|| server.get("cors").and_then(|c| c.get("allow_origins")))
                .or_else(|| server.get("allowed_origins"));
            let cors_origins = match cors {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                Some(Value::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            };
            facts.mcp_listeners.push(McpListener {
                host: server
                    .get("host")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                port: server
                    .get("port")
                    .and_then(Value::as_u64)
                    .and_then(|p| u16::try_from(p).ok()),
                transport: transport.map(str::to_string),
                auth,
                cors_origins,
                path: path.to_string(),
            });
            found = true;
        }
    }
    found |= tools_from(path, doc, facts);
    found
}

fn tool_def(server: &str, t: &Value, path: &str) -> Option<ToolDef> {
    let name = t.get("name")?.as_str()?;
    let description = t.get("description").and_then(Value::as_str).unwrap_or("");
    // A tool list entry has a schema; a bare {name, description} could be
    // anything (a package.json `author`, a YAML menu), so demand one.
    t.get("inputSchema")
        .or_else(|| t.get("input_schema"))
        .or_else(|| t.get("parameters"))?;
    Some(ToolDef {
        server: server.to_string(),
        name: name.to_string(),
        description: description.to_string(),
        definition: t.clone(),
        path: path.to_string(),
    })
}

/// Tool lists: `{"tools": [...]}` (a `tools/list` result, maybe inside
/// `result`), a bare array of tools, or an array of `{server, tool}`
/// records.
fn tools_from(path: &str, doc: &Value, facts: &mut Facts) -> bool {
    let stem = std::path::Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("tools")
        .to_string();
    let list = doc
        .get("tools")
        .or_else(|| doc.get("result").and_then(|r| r.get("tools")))
        .and_then(Value::as_array)
        .or_else(|| doc.as_array());
    let Some(list) = list else { return false };
    let server_of_doc = doc
        .get("server")
        .and_then(|s| s.as_str().or_else(|| s.get("name").and_then(Value::as_str)))
        .unwrap_or(&stem)
        .to_string();
    let mut found = false;
    for item in list {
        let (server, t) = match item.get("tool") {
            Some(t) if t.is_object() => (
                item.get("server")
                    .and_then(Value::as_str)
                    .unwrap_or(&server_of_doc)
                    .to_string(),
                t,
            ),
            _ => (server_of_doc.clone(), item),
        };
        if let Some(d) = tool_def(&server, t, path) {
            facts.tools.push(d);
            found = true;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claude_and_vscode_and_continue_shapes() {
        let mut f = Facts::default();
        let d = json!({"mcpServers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/"]}}});
        assert!(from_value("c.json", "", &d, &mut f));
        let d = json!({"servers": {"gh": {"type": "http", "url": "https://api.example/mcp"}}});
        assert!(from_value("mcp.json", "", &d, &mut f));
        let d =
            json!({"mcpServers": [{"name": "x", "command": "uvx mcp-server-git --repository ."}]});
        assert!(from_value("config.yaml", "", &d, &mut f));
        assert_eq!(f.mcp_servers.len(), 3);
        assert_eq!(f.mcp_servers[2].command.as_deref(), Some("uvx"));
        assert_eq!(f.mcp_servers[2].args[0], "mcp-server-git");
    }

    #[test]
    fn tool_lists_need_a_schema() {
        let mut f = Facts::default();
        let d = json!({"tools": [{"name": "a", "description": "d", "inputSchema": {}}, {"name": "b", "description": "no schema"}]});
        assert!(from_value("tools.json", "", &d, &mut f));
        assert_eq!(f.tools.len(), 1);
        assert!(!from_value(
            "package.json",
            "",
            &json!({"name": "x", "description": "y"}),
            &mut Facts::default()
        ));
    }

    #[test]
    fn listener_settings() {
        let mut f = Facts::default();
        let d = json!({"server": {"transport": "streamable-http", "host": "0.0.0.0", "port": 8000, "auth": null, "cors_allow_origins": ["*"]}});
        assert!(from_value("srv.yaml", "", &d, &mut f));
        let l = &f.mcp_listeners[0];
        assert!(!l.auth);
        assert_eq!(l.cors_origins, vec!["*"]);
    }
}
