//! Where containers run: Dockerfiles, docker-compose files, Kubernetes
//! manifests (workloads, Services, KubeRay and KServe resources) and Helm
//! values. Each becomes [`Service`] facts with the same fields, so the
//! posture rules judge a compose service and a pod alike.

use crate::facts::{line_of, Exposure, Facts, Port, Service};
use serde_yaml::Value;
use std::collections::BTreeMap;

fn as_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(s)) => s.iter().filter_map(as_str).collect(),
        Some(Value::String(s)) => shell_words(s),
        _ => Vec::new(),
    }
}

/// Splits a command string roughly as a shell would (quotes, no
/// expansion): enough to see flags and their values.
pub fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() || any {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() || any {
        out.push(cur);
    }
    out
}

fn is_loopback(ip: &str) -> bool {
    let ip = ip.trim_matches(['[', ']']);
    ip.starts_with("127.") || ip == "::1" || ip == "localhost"
}

/// Parses a compose short port syntax: `8000`, `8000:8000`,
/// `127.0.0.1:8000:8000`, `[::1]:80:80`, `8000-8001:8000-8001/tcp`.
fn compose_port(s: &str) -> Port {
    let s = s.split('/').next().unwrap_or(s);
    let num = |x: &str| x.split('-').next().and_then(|p| p.parse::<u16>().ok());
    // IPv6 host addresses are bracketed.
    let (host_ip, rest) = if let Some(r) = s.strip_prefix('[') {
        match r.split_once("]:") {
            Some((ip, rest)) => (Some(ip.to_string()), rest),
            None => (None, s),
        }
    } else {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() == 3 {
            (Some(parts[0].to_string()), &s[parts[0].len() + 1..])
        } else {
            (None, s)
        }
    };
    match rest.split_once(':') {
        Some((h, c)) => Port {
            host_ip,
            host_port: num(h),
            container_port: num(c),
        },
        // A bare container port is published on a random host port.
        None => Port {
            host_ip,
            host_port: None,
            container_port: num(rest),
        },
    }
}

fn env_map(v: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match v {
        Some(Value::Sequence(items)) => {
            for it in items.iter().filter_map(as_str) {
                if let Some((k, val)) = it.split_once('=') {
                    out.insert(k.trim().to_string(), val.to_string());
                }
            }
        }
        Some(Value::Mapping(m)) => {
            for (k, val) in m {
                if let (Some(k), Some(val)) = (as_str(k), as_str(val)) {
                    out.insert(k, val);
                }
            }
        }
        _ => {}
    }
    out
}

/// A docker-compose file: one service per entry under `services:`.
pub fn compose(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    let Some(services) = doc.get("services").and_then(Value::as_mapping) else {
        return Ok(());
    };
    for (name, s) in services {
        let Some(name) = as_str(name) else { continue };
        let mut svc = Service::new(&name, "compose", path);
        svc.line = line_of(text, &format!("\n  {name}:")).map(|l| l + 1);
        svc.image = s.get("image").and_then(as_str);
        svc.args.extend(str_list(s.get("entrypoint")));
        svc.args.extend(str_list(s.get("command")));
        svc.env = env_map(s.get("environment"));
        for p in s
            .get("ports")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let port = match p {
                Value::Mapping(_) => Port {
                    host_ip: p.get("host_ip").and_then(as_str),
                    host_port: p
                        .get("published")
                        .and_then(as_str)
                        .and_then(|x| x.parse().ok()),
                    container_port: p
                        .get("target")
                        .and_then(as_str)
                        .and_then(|x| x.parse().ok()),
                },
                other => match as_str(other) {
                    Some(s) => compose_port(&s),
                    None => continue,
                },
            };
            svc.ports.push(port);
        }
        if let Some(p) = svc
            .ports
            .iter()
            .find(|p| !p.host_ip.as_deref().is_some_and(is_loopback))
        {
            let shown = match (p.host_port, p.container_port) {
                (Some(h), Some(c)) => format!("{h}:{c}"),
                (_, Some(c)) => c.to_string(),
                _ => "?".into(),
            };
            svc.expose(format!(
                "port {shown} published on {}",
                p.host_ip.as_deref().unwrap_or("all interfaces")
            ));
        }
        let net = s.get("network_mode").and_then(as_str).unwrap_or_default();
        if net == "host" {
            svc.host_network = true;
            svc.expose("network_mode: host");
        }
        svc.privileged = s
            .get("privileged")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        svc.host_ipc = s.get("ipc").and_then(as_str).as_deref() == Some("host");
        svc.host_pid = s.get("pid").and_then(as_str).as_deref() == Some("host");
        svc.cap_add = str_list(s.get("cap_add"));
        for v in s
            .get("volumes")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let src = match v {
                Value::Mapping(_) => v.get("source").and_then(as_str),
                other => as_str(other).and_then(|s| s.split(':').next().map(str::to_string)),
            };
            if let Some(src) = src.filter(|s| s.starts_with('/') || s.starts_with('~')) {
                svc.host_mounts.push(src);
            }
        }
        let runtime = s.get("runtime").and_then(as_str).unwrap_or_default();
        svc.gpu = runtime == "nvidia"
            || serde_yaml::to_string(s.get("deploy").unwrap_or(&Value::Null))
                .map(|d| d.contains("gpu") || d.contains("nvidia"))
                .unwrap_or(false);
        facts.services.push(svc);
    }
    Ok(())
}

/// A Dockerfile: the final stage's image, `ENV`, `EXPOSE`, `CMD` and
/// `ENTRYPOINT`, and `pip install` lines.
pub fn dockerfile(path: &str, text: &str, facts: &mut Facts) {
    let mut svc: Option<Service> = None;
    let mut logical = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if logical.is_empty() {
            start = i + 1;
        }
        let t = raw.trim();
        if t.starts_with('#') {
            continue;
        }
        if let Some(body) = t.strip_suffix('\\') {
            logical.push_str(body);
            logical.push(' ');
            continue;
        }
        logical.push_str(t);
        let line = std::mem::take(&mut logical);
        let (instr, rest) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let rest = rest.trim();
        match instr.to_ascii_uppercase().as_str() {
            "FROM" => {
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let mut s =
                    Service::new(words.get(2).copied().unwrap_or("image"), "dockerfile", path);
                s.image = words.first().map(|w| w.to_string());
                s.line = Some(start);
                if let Some(prev) = svc.replace(s) {
                    // Earlier stages are build stages; keep their images
                    // for the inventory but not as running services.
                    facts.services.push(Service {
                        platform: "dockerfile-stage",
                        ..prev
                    });
                }
            }
            "ENV" => {
                if let Some(s) = svc.as_mut() {
                    let words = shell_words(rest);
                    if words.len() == 2 && !words[0].contains('=') {
                        s.env.insert(words[0].clone(), words[1].clone());
                    } else {
                        for w in words {
                            if let Some((k, v)) = w.split_once('=') {
                                s.env.insert(k.to_string(), v.to_string());
                            }
                        }
                    }
                }
            }
            "CMD" | "ENTRYPOINT" => {
                if let Some(s) = svc.as_mut() {
                    let args: Vec<String> =
                        serde_json::from_str(rest).unwrap_or_else(|_| shell_words(rest));
                    if instr.eq_ignore_ascii_case("ENTRYPOINT") {
                        let mut a = args;
                        a.append(&mut s.args);
                        s.args = a;
                    } else {
                        s.args.extend(args);
                    }
                }
            }
            "RUN" => crate::parse::python::pip_install_line(path, start, rest, facts),
            _ => {}
        }
    }
    if let Some(s) = svc {
        facts.services.push(s);
    }
}

/// A pod template's containers, with the pod-level host settings.
fn pod_services(
    kind: &str,
    name: &str,
    pod: &Value,
    path: &str,
    line: Option<usize>,
    facts: &mut Facts,
) -> Vec<usize> {
    let mut made = Vec::new();
    let flag = |k: &str| pod.get(k).and_then(Value::as_bool).unwrap_or(false);
    let mut host_paths: BTreeMap<String, String> = BTreeMap::new();
    for v in pod
        .get("volumes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        if let (Some(n), Some(p)) = (
            v.get("name").and_then(as_str),
            v.get("hostPath")
                .and_then(|h| h.get("path"))
                .and_then(as_str),
        ) {
            host_paths.insert(n, p);
        }
    }
    for key in ["initContainers", "containers"] {
        for c in pod
            .get(key)
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let cname = c
                .get("name")
                .and_then(as_str)
                .unwrap_or_else(|| name.to_string());
            let mut s = Service::new(&format!("{kind}/{name}/{cname}"), "kubernetes", path);
            s.line = line;
            s.image = c.get("image").and_then(as_str);
            s.args.extend(str_list(c.get("command")));
            s.args.extend(str_list(c.get("args")));
            for e in c
                .get("env")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                // `valueFrom` (secrets, config maps) is not a literal.
                if let (Some(k), Some(v)) = (
                    e.get("name").and_then(as_str),
                    e.get("value").and_then(as_str),
                ) {
                    s.env.insert(k, v);
                }
            }
            for p in c
                .get("ports")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                let port = Port {
                    host_ip: p.get("hostIP").and_then(as_str),
                    host_port: p
                        .get("hostPort")
                        .and_then(as_str)
                        .and_then(|x| x.parse().ok()),
                    container_port: p
                        .get("containerPort")
                        .and_then(as_str)
                        .and_then(|x| x.parse().ok()),
                };
                if port.host_port.is_some() && !port.host_ip.as_deref().is_some_and(is_loopback) {
                    s.expose(format!("hostPort {}", port.host_port.unwrap_or(0)));
                }
                s.ports.push(port);
            }
            let sc = c.get("securityContext");
            s.privileged = sc
                .and_then(|x| x.get("privileged"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            s.cap_add = str_list(
                sc.and_then(|x| x.get("capabilities"))
                    .and_then(|x| x.get("add")),
            );
            s.host_ipc = flag("hostIPC");
            s.host_pid = flag("hostPID");
            s.host_network = flag("hostNetwork");
            if s.host_network {
                s.expose("hostNetwork: true");
            }
            for m in c
                .get("volumeMounts")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                if let Some(hp) = m
                    .get("name")
                    .and_then(as_str)
                    .and_then(|n| host_paths.get(&n))
                {
                    s.host_mounts.push(hp.clone());
                }
            }
            let res = c.get("resources");
            s.gpu = ["limits", "requests"].iter().any(|k| {
                res.and_then(|r| r.get(*k))
                    .and_then(Value::as_mapping)
                    .is_some_and(|m| {
                        m.keys()
                            .filter_map(as_str)
                            .any(|k| k.ends_with("/gpu") || k.contains("gpu"))
                    })
            });
            facts.services.push(s);
            made.push(facts.services.len() - 1);
        }
    }
    made
}

fn labels_match(selector: &Value, labels: &Value) -> bool {
    let Some(sel) = selector.as_mapping().filter(|m| !m.is_empty()) else {
        return false;
    };
    sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// One or more Kubernetes documents (`---`-separated). Returns `false` when
/// nothing in the file looks like Kubernetes.
pub fn kubernetes(path: &str, text: &str, facts: &mut Facts) -> Result<bool, String> {
    let mut any = false;
    // (service indexes, pod labels) per workload; Services checked after.
    let mut workloads: Vec<(Vec<usize>, Value, String)> = Vec::new();
    let mut exposers: Vec<(Value, String)> = Vec::new();
    for (n, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let v = match <Value as serde::Deserialize>::deserialize(doc) {
            Ok(v) => v,
            Err(e) => return Err(format!("invalid YAML in document {}: {e}", n + 1)),
        };
        let (Some(api), Some(kind)) = (
            v.get("apiVersion").and_then(as_str),
            v.get("kind").and_then(as_str),
        ) else {
            continue;
        };
        any = true;
        let name = v
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(as_str)
            .unwrap_or_default();
        let line = line_of(text, &format!("name: {name}"));
        let spec = v.get("spec").cloned().unwrap_or(Value::Null);
        let group = api.split('/').next().unwrap_or("");
        facts.k8s.push(crate::facts::K8sObject {
            group: if api.contains('/') {
                group.to_string()
            } else {
                String::new()
            },
            kind: kind.clone(),
            name: name.clone(),
            path: path.to_string(),
            line,
        });
        match kind.as_str() {
            "Pod" => {
                let labels = v
                    .get("metadata")
                    .and_then(|m| m.get("labels"))
                    .cloned()
                    .unwrap_or(Value::Null);
                let made = pod_services(&kind, &name, &spec, path, line, facts);
                workloads.push((made, labels, kind.clone()));
            }
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                let tpl = spec.get("template").cloned().unwrap_or(Value::Null);
                let labels = tpl
                    .get("metadata")
                    .and_then(|m| m.get("labels"))
                    .cloned()
                    .unwrap_or(Value::Null);
                let pod = tpl.get("spec").cloned().unwrap_or(Value::Null);
                let made = pod_services(&kind, &name, &pod, path, line, facts);
                workloads.push((made, labels, kind.clone()));
            }
            "CronJob" => {
                let pod = spec
                    .get("jobTemplate")
                    .and_then(|j| j.get("spec"))
                    .and_then(|s| s.get("template"))
                    .and_then(|t| t.get("spec"))
                    .cloned()
                    .unwrap_or(Value::Null);
                pod_services(&kind, &name, &pod, path, line, facts);
            }
            "RayCluster" | "RayService" | "RayJob" if group == "ray.io" => {
                let cluster = if kind == "RayCluster" {
                    Some(spec.clone())
                } else {
                    spec.get("rayClusterConfig")
                        .or_else(|| spec.get("rayClusterSpec"))
                        .cloned()
                };
                if let Some(c) = cluster {
                    let head = c.get("headGroupSpec").cloned().unwrap_or(Value::Null);
                    let made = pod_services(
                        &kind,
                        &format!("{name}-head"),
                        head.get("template")
                            .and_then(|t| t.get("spec"))
                            .unwrap_or(&Value::Null),
                        path,
                        line,
                        facts,
                    );
                    let svc_type = head.get("serviceType").and_then(as_str).unwrap_or_default();
                    let host = head
                        .get("rayStartParams")
                        .and_then(|p| p.get("dashboard-host"))
                        .and_then(as_str)
                        .unwrap_or_default();
                    for &i in &made {
                        if let Some(s) = facts.services.get_mut(i) {
                            if matches!(svc_type.as_str(), "LoadBalancer" | "NodePort") {
                                s.expose(format!("head service type {svc_type}"));
                            }
                            if !host.is_empty() {
                                s.args.push(format!("--dashboard-host={host}"));
                            }
                        }
                    }
                    for w in c
                        .get("workerGroupSpecs")
                        .and_then(Value::as_sequence)
                        .into_iter()
                        .flatten()
                    {
                        let wn = w
                            .get("groupName")
                            .and_then(as_str)
                            .unwrap_or_else(|| "worker".into());
                        pod_services(
                            &kind,
                            &format!("{name}-{wn}"),
                            w.get("template")
                                .and_then(|t| t.get("spec"))
                                .unwrap_or(&Value::Null),
                            path,
                            line,
                            facts,
                        );
                    }
                }
            }
            "InferenceService" if group == "serving.kserve.io" => {
                let pred = spec.get("predictor").cloned().unwrap_or(Value::Null);
                let made = pod_services(&kind, &name, &pred, path, line, facts);
                let mut s = Service::new(&format!("InferenceService/{name}"), "kubernetes", path);
                s.line = line;
                s.image = Some("kserve/kserve-controller".into());
                if let Some(uri) = pred
                    .get("model")
                    .and_then(|m| m.get("storageUri"))
                    .or_else(|| pred.get("storageUri"))
                    .and_then(as_str)
                {
                    let (kind, provider) = match uri.split_once("://") {
                        Some(("hf", _)) => ("hub-model", Some("huggingface".to_string())),
                        _ => ("model-artifact", None),
                    };
                    let name = uri.strip_prefix("hf://").unwrap_or(&uri).to_string();
                    facts.models.push(crate::report::ModelRef {
                        name,
                        provider,
                        kind: kind.into(),
                        path: path.to_string(),
                        line,
                    });
                    s.env.insert("STORAGE_URI".into(), uri);
                }
                if made.is_empty() {
                    facts.services.push(s);
                }
            }
            "Service" => {
                let t = spec.get("type").and_then(as_str).unwrap_or_default();
                if matches!(t.as_str(), "LoadBalancer" | "NodePort") {
                    exposers.push((
                        spec.get("selector").cloned().unwrap_or(Value::Null),
                        format!("Service {name} of type {t}"),
                    ));
                }
            }
            _ => {}
        }
    }
    for (selector, reason) in exposers {
        for (idx, labels, _) in &workloads {
            if labels_match(&selector, labels) {
                for &i in idx {
                    if let Some(s) = facts.services.get_mut(i) {
                        s.expose(reason.clone());
                    }
                }
            }
        }
    }
    Ok(any)
}

/// Helm `values*.yaml`: image references as `{repository, tag}` maps or
/// `image: repo:tag` strings anywhere in the tree.
pub fn helm_values(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    let mut stack = vec![(doc, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > 64 {
            continue;
        }
        match &v {
            Value::Mapping(m) => {
                let repo = m.get("repository").and_then(as_str);
                if let Some(repo) = repo {
                    let registry = m.get("registry").and_then(as_str);
                    let full = match registry {
                        Some(r) if !r.is_empty() => format!("{r}/{repo}"),
                        _ => repo,
                    };
                    let tag = m.get("tag").and_then(as_str).filter(|t| !t.is_empty());
                    let mut s = Service::new(&full, "helm", path);
                    s.image = Some(match tag {
                        Some(t) => format!("{full}:{t}"),
                        None => full.clone(),
                    });
                    s.line = line_of(text, "repository:");
                    facts.services.push(s);
                }
                for (k, child) in m {
                    if as_str(k).as_deref() == Some("image") {
                        if let Some(img) = as_str(child) {
                            let mut s = Service::new(&img, "helm", path);
                            s.image = Some(img);
                            facts.services.push(s);
                            continue;
                        }
                    }
                    stack.push((child.clone(), depth + 1));
                }
            }
            Value::Sequence(items) => {
                for it in items {
                    stack.push((it.clone(), depth + 1));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether a service counts as public.
pub fn is_public(s: &Service) -> bool {
    s.exposure == Exposure::Public
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_ports() {
        assert_eq!(
            compose_port("127.0.0.1:11434:11434").host_ip.as_deref(),
            Some("127.0.0.1")
        );
        let p = compose_port("3000:8080");
        assert_eq!(
            (p.host_ip, p.host_port, p.container_port),
            (None, Some(3000), Some(8080))
        );
        assert_eq!(compose_port("[::1]:80:80").host_ip.as_deref(), Some("::1"));
        assert_eq!(
            compose_port("8000-8001:8000-8001/udp").host_port,
            Some(8000)
        );
    }

    #[test]
    fn compose_exposure_respects_loopback() {
        let mut f = Facts::default();
        compose(
            "c.yml",
            "services:\n  a:\n    image: ollama/ollama:0.3.12\n    ports: [\"127.0.0.1:11434:11434\"]\n  b:\n    image: qdrant/qdrant\n    ports: [\"6333:6333\"]\n",
            &mut f,
        )
        .unwrap();
        assert_eq!(f.services[0].exposure, Exposure::Internal);
        assert_eq!(f.services[1].exposure, Exposure::Public);
    }

    #[test]
    fn kubernetes_service_exposes_selected_pods() {
        let mut f = Facts::default();
        let y = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: t}\nspec:\n  template:\n    metadata: {labels: {app: t}}\n    spec:\n      hostIPC: true\n      containers:\n      - name: c\n        image: x\n        securityContext: {privileged: true}\n        resources: {limits: {nvidia.com/gpu: 1}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: LoadBalancer, selector: {app: t}}\n";
        assert!(kubernetes("k.yaml", y, &mut f).unwrap());
        let s = &f.services[0];
        assert!(s.privileged && s.gpu && s.host_ipc);
        assert_eq!(s.exposure, Exposure::Public);
    }

    #[test]
    fn shell_words_keep_quoted_empties() {
        assert_eq!(
            shell_words("start --NotebookApp.token='' --x \"a b\""),
            vec!["start", "--NotebookApp.token=", "--x", "a b"]
        );
    }
}
