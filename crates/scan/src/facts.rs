//! What the parsers extract from files, before the catalogue decides what
//! is an AI component and the posture rules decide what is risky. Keeping
//! the two apart lets every parser stay a plain reader of its format and
//! every rule work on any format that yields the same fact (a service from
//! docker-compose and one from Kubernetes are judged alike).

use serde_json::Value;
use std::collections::BTreeMap;

/// A declared or locked package dependency.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    /// `pypi`, `npm`, `cargo`, `golang`, `maven`, `conda`.
    pub ecosystem: &'static str,
    /// As written.
    pub name: String,
    /// The requirement as written (`==1.2.3`, `>=1`, `^2`), or the locked
    /// version.
    pub spec: Option<String>,
    /// From a lockfile (exact and transitive) rather than a manifest.
    pub locked: bool,
    /// Inferred from an `import` rather than declared.
    pub imported: bool,
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: Option<usize>,
}

/// A published port of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    /// The host address it binds (`None` = all interfaces).
    pub host_ip: Option<String>,
    /// The host port (`None` for Kubernetes container ports).
    pub host_port: Option<u16>,
    /// The container port.
    pub container_port: Option<u16>,
}

/// How far a service is reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exposure {
    /// Not published, or only on loopback.
    Internal,
    /// Published on all interfaces, a LoadBalancer/NodePort, host network.
    Public,
}

/// A container that runs somewhere: a compose service, a Kubernetes
/// container, a Dockerfile's final image.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Service or container name.
    pub name: String,
    /// `compose`, `kubernetes`, `dockerfile`, `mcp`.
    pub platform: &'static str,
    /// The image reference as written.
    pub image: Option<String>,
    /// Entrypoint, command and arguments, in order.
    pub args: Vec<String>,
    /// Literal environment values (references to secrets are omitted).
    pub env: BTreeMap<String, String>,
    /// Published ports.
    pub ports: Vec<Port>,
    /// How far it is reachable.
    pub exposure: Exposure,
    /// Why it counts as public, for the evidence.
    pub exposure_reason: Option<String>,
    /// Runs privileged.
    pub privileged: bool,
    /// Shares the host's IPC namespace.
    pub host_ipc: bool,
    /// Shares the host's PID namespace.
    pub host_pid: bool,
    /// Uses the host's network.
    pub host_network: bool,
    /// Host paths mounted into the container.
    pub host_mounts: Vec<String>,
    /// Requests GPUs.
    pub gpu: bool,
    /// Extra Linux capabilities added.
    pub cap_add: Vec<String>,
    /// The file.
    pub path: String,
    /// 1-based line of the service.
    pub line: Option<usize>,
}

impl Service {
    /// An empty service of a platform.
    pub fn new(name: &str, platform: &'static str, path: &str) -> Service {
        Service {
            name: name.to_string(),
            platform,
            image: None,
            args: Vec::new(),
            env: BTreeMap::new(),
            ports: Vec::new(),
            exposure: Exposure::Internal,
            exposure_reason: None,
            privileged: false,
            host_ipc: false,
            host_pid: false,
            host_network: false,
            host_mounts: Vec::new(),
            gpu: false,
            cap_add: Vec::new(),
            path: path.to_string(),
            line: None,
        }
    }

    /// Marks the service public with a reason (the first reason wins).
    pub fn expose(&mut self, reason: impl Into<String>) {
        if self.exposure != Exposure::Public {
            self.exposure = Exposure::Public;
            self.exposure_reason = Some(reason.into());
        }
    }

    /// The arguments joined by spaces, for pattern checks.
    pub fn command_line(&self) -> String {
        self.args.join(" ")
    }
}

/// A Terraform resource with its body as JSON (blocks become objects or
/// arrays of objects, expressions become `${...}` strings).
#[derive(Debug, Clone, PartialEq)]
pub struct TfResource {
    /// `aws_sagemaker_endpoint`.
    pub rtype: String,
    /// The resource name.
    pub name: String,
    /// The body.
    pub body: Value,
    /// The file.
    pub path: String,
    /// 1-based line of the block.
    pub line: Option<usize>,
}

impl TfResource {
    /// `type.name`.
    pub fn address(&self) -> String {
        format!("{}.{}", self.rtype, self.name)
    }
}

/// An MCP server as a client configuration launches or reaches it.
#[derive(Debug, Clone, PartialEq)]
pub struct McpServer {
    /// The key in the configuration.
    pub name: String,
    /// `command` (stdio servers).
    pub command: Option<String>,
    /// Arguments.
    pub args: Vec<String>,
    /// Environment, as written.
    pub env: BTreeMap<String, String>,
    /// Remote URL (HTTP/SSE servers).
    pub url: Option<String>,
    /// HTTP headers, as written.
    pub headers: BTreeMap<String, String>,
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: Option<usize>,
}

/// The listening side of an MCP server (its own configuration file).
#[derive(Debug, Clone, PartialEq)]
pub struct McpListener {
    /// Bind address.
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Transport (`stdio`, `sse`, `streamable-http`).
    pub transport: Option<String>,
    /// Whether any authentication is configured.
    pub auth: bool,
    /// Allowed CORS origins.
    pub cors_origins: Vec<String>,
    /// The file.
    pub path: String,
}

/// A tool definition as an MCP server lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    /// The server it belongs to (or the file stem when unknown).
    pub server: String,
    /// The tool name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The whole definition (name, description, input schema).
    pub definition: Value,
    /// The file.
    pub path: String,
}

/// A source file (Python, notebook code, JavaScript) or a configuration
/// file whose text the pattern rules read.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceText {
    /// The file.
    pub path: String,
    /// `python`, `javascript`, `config`, `shell`.
    pub lang: &'static str,
    /// The text.
    pub text: String,
}

/// A Kubernetes object of an AI kind (RayCluster, InferenceService, …).
#[derive(Debug, Clone, PartialEq)]
pub struct K8sObject {
    /// API group (`ray.io`).
    pub group: String,
    /// Kind (`RayCluster`).
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: Option<usize>,
}

/// Everything extracted from one scan.
#[derive(Debug, Default)]
pub struct Facts {
    /// Dependencies.
    pub deps: Vec<Dependency>,
    /// Services.
    pub services: Vec<Service>,
    /// Terraform resources.
    pub tf: Vec<TfResource>,
    /// Kubernetes objects (every kind; the catalogue picks the AI ones).
    pub k8s: Vec<K8sObject>,
    /// MCP servers in client configurations.
    pub mcp_servers: Vec<McpServer>,
    /// MCP server listener configurations.
    pub mcp_listeners: Vec<McpListener>,
    /// MCP tool definitions.
    pub tools: Vec<ToolDef>,
    /// Texts for pattern rules.
    pub sources: Vec<SourceText>,
    /// Models named in configuration (`model: qwen-max`).
    pub models: Vec<crate::report::ModelRef>,
    /// Parse errors, per file.
    pub errors: Vec<crate::report::ScanError>,
}

/// The 1-based line of the first occurrence of `needle` in `text`.
pub fn line_of(text: &str, needle: &str) -> Option<usize> {
    let at = text.find(needle)?;
    Some(text[..at].bytes().filter(|&b| b == b'\n').count() + 1)
}

/// The 1-based line of byte offset `at`.
pub fn line_at(text: &str, at: usize) -> usize {
    text.as_bytes()
        .get(..at.min(text.len()))
        .map(|b| b.iter().filter(|&&c| c == b'\n').count() + 1)
        .unwrap_or(1)
}
