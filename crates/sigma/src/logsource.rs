//! Logsource → event selection, driven by `data/windows-logsources.yml`.

use crate::event::{key_fold, FxMap};
use crate::rule::LogSource;
use serde::Deserialize;
use std::collections::HashMap;

/// The built-in mapping file, embedded so the engine works without a
/// data directory; it is parsed (not hard-coded) at start-up.
const BUILTIN: &str = include_str!("../data/windows-logsources.yml");

#[derive(Debug, Deserialize)]
struct TargetSpec {
    channel: String,
    #[serde(default)]
    event_ids: Vec<u32>,
}

#[derive(Debug, Deserialize)]
struct AliasSpec {
    channel: String,
    event_ids: Vec<u32>,
    aliases: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct MapFile {
    #[serde(default)]
    channels: HashMap<String, String>,
    #[serde(default)]
    services: HashMap<String, Vec<String>>,
    #[serde(default)]
    categories: HashMap<String, Vec<TargetSpec>>,
    #[serde(default)]
    field_aliases: Vec<AliasSpec>,
}

/// Where a rule applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// Windows events of these (folded channel, EventID or any) targets.
    Targets(Vec<(String, Option<u32>)>),
    /// Any Windows event (product windows, no category/service).
    AnyWindows,
    /// Events without a Windows channel (non-Windows products, or Windows
    /// logsources with no known mapping).
    Unmapped,
    /// Every event (rule has no logsource at all).
    Everything,
}

/// The logsource mapping: services and categories to Windows channels and
/// EventIDs, plus per-source field aliases.
#[derive(Debug, Clone)]
pub struct LogSourceMap {
    services: HashMap<String, Vec<String>>,
    categories: HashMap<String, Vec<(String, Vec<u32>)>>,
    pub(crate) aliases: FxMap<(String, u32), FxMap<String, String>>,
}

impl LogSourceMap {
    /// The mapping shipped with the crate.
    pub fn builtin() -> Result<Self, String> {
        Self::from_yaml_str(BUILTIN)
    }

    /// A mapping with no entries (every Windows rule is unmapped).
    pub fn empty() -> Self {
        LogSourceMap {
            services: HashMap::new(),
            categories: HashMap::new(),
            aliases: FxMap::default(),
        }
    }

    /// Parses a mapping file (same format as the built-in one).
    pub fn from_yaml_str(text: &str) -> Result<Self, String> {
        let f: MapFile = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        let chan = |c: &str| key_fold(f.channels.get(c).map(String::as_str).unwrap_or(c));
        let services = f
            .services
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.iter().map(|c| chan(c)).collect()))
            .collect();
        let categories = f
            .categories
            .iter()
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    v.iter()
                        .map(|t| (chan(&t.channel), t.event_ids.clone()))
                        .collect(),
                )
            })
            .collect();
        let mut aliases: FxMap<(String, u32), FxMap<String, String>> = FxMap::default();
        for a in &f.field_aliases {
            for id in &a.event_ids {
                let e = aliases.entry((chan(&a.channel), *id)).or_default();
                for (k, v) in &a.aliases {
                    e.insert(key_fold(k), key_fold(v));
                }
            }
        }
        Ok(LogSourceMap {
            services,
            categories,
            aliases,
        })
    }

    /// Resolves a rule's logsource.
    pub(crate) fn resolve(&self, ls: &LogSource) -> Resolution {
        let low = |s: &Option<String>| s.as_ref().map(|x| x.trim().to_ascii_lowercase());
        let (product, category, service) = (low(&ls.product), low(&ls.category), low(&ls.service));
        if product.is_none() && category.is_none() && service.is_none() {
            return Resolution::Everything;
        }
        if product.as_deref().is_some_and(|p| p != "windows") {
            return Resolution::Unmapped;
        }
        let service_channels = service.as_ref().map(|s| self.services.get(s));
        if let Some(cat) = category {
            let Some(targets) = self.categories.get(&cat) else {
                return Resolution::Unmapped;
            };
            let mut out = Vec::new();
            for (ch, ids) in targets {
                if let Some(Some(allowed)) = &service_channels {
                    if !allowed.contains(ch) {
                        continue;
                    }
                }
                if ids.is_empty() {
                    out.push((ch.clone(), None));
                } else {
                    out.extend(ids.iter().map(|i| (ch.clone(), Some(*i))));
                }
            }
            return if out.is_empty() {
                Resolution::Unmapped
            } else {
                Resolution::Targets(out)
            };
        }
        match service_channels {
            Some(Some(chs)) => Resolution::Targets(chs.iter().map(|c| (c.clone(), None)).collect()),
            Some(None) => Resolution::Unmapped,
            None => Resolution::AnyWindows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(p: Option<&str>, c: Option<&str>, s: Option<&str>) -> LogSource {
        LogSource {
            product: p.map(String::from),
            category: c.map(String::from),
            service: s.map(String::from),
            definition: None,
        }
    }

    #[test]
    fn builtin_mapping() {
        let m = match LogSourceMap::builtin() {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        let r = m.resolve(&ls(Some("windows"), Some("process_creation"), None));
        assert_eq!(
            r,
            Resolution::Targets(vec![
                ("microsoft-windows-sysmon/operational".into(), Some(1)),
                ("security".into(), Some(4688)),
            ])
        );
        assert_eq!(
            m.resolve(&ls(Some("windows"), None, Some("security"))),
            Resolution::Targets(vec![("security".into(), None)])
        );
        assert_eq!(
            m.resolve(&ls(Some("linux"), Some("process_creation"), None)),
            Resolution::Unmapped
        );
        assert_eq!(
            m.resolve(&ls(Some("windows"), None, None)),
            Resolution::AnyWindows
        );
        assert_eq!(
            m.resolve(&ls(Some("windows"), Some("nope"), None)),
            Resolution::Unmapped
        );
        assert!(m.aliases.contains_key(&("security".to_string(), 4688)));
    }
}
