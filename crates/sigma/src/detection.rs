//! Compiled `detection` sections: selections, field tests and condition.

use crate::condition::{self, Cond};
use crate::error::LoadErrorKind;
use crate::event::{key_fold, Event, FxMap, Leaf};
use crate::value::{compile_field, CompileOptions, FieldTest, RefOp, ValueGroup, ValueMatcher};
use serde_yaml::Value as Yaml;

/// Prefilter literals shorter than this are useless (they occur in nearly
/// every event) and only slow the automaton down.
const MIN_LITERAL: usize = 3;

/// One `field|modifiers: values` test (`field == None` is a keyword search).
#[derive(Debug, Clone)]
pub(crate) struct FieldCond {
    pub(crate) field: Option<String>,
    pub(crate) test: FieldTest,
}

/// A selection: OR over alternatives, each an AND of field tests.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    alts: Vec<Vec<FieldCond>>,
}

/// A compiled detection section.
#[derive(Debug, Clone)]
pub(crate) struct Detection {
    sels: Vec<Selection>,
    cond: Cond,
    /// Field names the detection reads (original spelling), for alert
    /// field snapshots.
    pub(crate) fields_used: Vec<String>,
}

/// What an evaluation can see: the event plus per-source field aliases.
pub(crate) struct Ctx<'a> {
    pub(crate) event: &'a Event,
    pub(crate) aliases: Option<&'a FxMap<String, String>>,
}

impl Ctx<'_> {
    fn lookup(&self, key: &str) -> Option<impl Iterator<Item = &Leaf> + Clone> {
        if let Some(l) = self.event.leaves_of(key) {
            return Some(l);
        }
        let target = self.aliases?.get(key)?;
        self.event.leaves_of(target)
    }
}

fn compile_map(
    map: &serde_yaml::Mapping,
    opts: &CompileOptions,
    fields_used: &mut Vec<String>,
) -> Result<Vec<FieldCond>, LoadErrorKind> {
    let mut out = Vec::with_capacity(map.len());
    for (k, v) in map {
        let key = match k {
            Yaml::String(s) => s.clone(),
            Yaml::Number(n) => n.to_string(),
            _ => {
                return Err(LoadErrorKind::Attribute(
                    "selection keys must be strings".into(),
                ))
            }
        };
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or("").trim().to_string();
        let mods: Vec<&str> = parts.collect();
        let is_kw = field.is_empty();
        let test = compile_field(is_kw, &mods, v, opts)?;
        if !is_kw && !fields_used.contains(&field) {
            fields_used.push(field.clone());
        }
        for g in groups_of(&test) {
            for alt in &g.alts {
                if let ValueMatcher::FieldRef { field, .. } = alt {
                    if !fields_used.iter().any(|f| key_fold(f) == *field) {
                        fields_used.push(field.clone());
                    }
                }
            }
        }
        out.push(FieldCond {
            field: (!is_kw).then(|| key_fold(&field)),
            test,
        });
    }
    Ok(out)
}

fn groups_of(t: &FieldTest) -> &[ValueGroup] {
    match t {
        FieldTest::Values { groups, .. } => groups,
        FieldTest::Exists(_) => &[],
    }
}

fn compile_selection(
    v: &Yaml,
    opts: &CompileOptions,
    fields_used: &mut Vec<String>,
) -> Result<Selection, LoadErrorKind> {
    let keyword = |v: &Yaml| -> Result<FieldCond, LoadErrorKind> {
        Ok(FieldCond {
            field: None,
            test: compile_field(true, &[], v, opts)?,
        })
    };
    let alts = match v {
        Yaml::Mapping(m) => vec![compile_map(m, opts, fields_used)?],
        Yaml::Sequence(items) => {
            let mut alts = Vec::new();
            let mut kws = Vec::new();
            for it in items {
                match it {
                    Yaml::Mapping(m) => alts.push(compile_map(m, opts, fields_used)?),
                    Yaml::Sequence(_) => {
                        return Err(LoadErrorKind::Attribute("nested lists in selection".into()))
                    }
                    scalar => kws.push(scalar.clone()),
                }
            }
            if !kws.is_empty() {
                alts.push(vec![keyword(&Yaml::Sequence(kws))?]);
            }
            alts
        }
        Yaml::Tagged(_) => return Err(LoadErrorKind::Attribute("tagged YAML value".into())),
        scalar => vec![vec![keyword(scalar)?]],
    };
    Ok(Selection { alts })
}

impl Detection {
    /// Compiles a `detection` mapping (selections plus `condition`).
    pub(crate) fn compile(det: &Yaml, opts: &CompileOptions) -> Result<Detection, LoadErrorKind> {
        let Yaml::Mapping(map) = det else {
            return Err(LoadErrorKind::Attribute(
                "detection must be a mapping".into(),
            ));
        };
        let mut names = Vec::new();
        let mut sels = Vec::new();
        let mut fields_used = Vec::new();
        let mut cond_src: Option<&Yaml> = None;
        for (k, v) in map {
            let Yaml::String(name) = k else {
                return Err(LoadErrorKind::Attribute(
                    "selection names must be strings".into(),
                ));
            };
            match name.as_str() {
                "condition" => cond_src = Some(v),
                // Sigma v1 leftover, meaningless without aggregations.
                "timeframe" => {}
                _ => {
                    let sel =
                        compile_selection(v, opts, &mut fields_used).map_err(|e| match e {
                            LoadErrorKind::BadValue(m) => {
                                LoadErrorKind::BadValue(format!("{name}: {m}"))
                            }
                            other => other,
                        })?;
                    names.push(name.clone());
                    sels.push(sel);
                }
            }
        }
        let conds: Vec<String> = match cond_src {
            Some(Yaml::String(s)) => vec![s.clone()],
            Some(Yaml::Sequence(items)) => items
                .iter()
                .map(|c| match c {
                    Yaml::String(s) => Ok(s.clone()),
                    _ => Err(LoadErrorKind::BadCondition(
                        "condition must be a string".into(),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(LoadErrorKind::BadCondition(
                    "condition must be a string".into(),
                ))
            }
            None => return Err(LoadErrorKind::BadCondition("missing condition".into())),
        };
        let mut parsed = Vec::with_capacity(conds.len());
        for c in &conds {
            parsed.push(condition::parse(c, &names)?);
        }
        let cond = if parsed.len() == 1 {
            parsed.remove(0)
        } else {
            Cond::Or(parsed)
        };
        Ok(Detection {
            sels,
            cond,
            fields_used,
        })
    }

    /// Evaluates the detection against an event.
    pub(crate) fn matches(&self, ctx: &Ctx<'_>) -> bool {
        self.cond.eval(&mut |i| {
            self.sels.get(i).is_some_and(|s| {
                s.alts
                    .iter()
                    .any(|alt| alt.iter().all(|c| cond_matches(c, ctx)))
            })
        })
    }

    /// Literals of which at least one must occur (case-folded) somewhere in
    /// any event this detection matches; `None` when no such set is known.
    pub(crate) fn requirement(&self) -> Option<Vec<String>> {
        self.cond_req(&self.cond)
    }

    fn cond_req(&self, c: &Cond) -> Option<Vec<String>> {
        match c {
            Cond::Sel(i) => self.sels.get(*i).and_then(sel_req),
            Cond::Not(_) => None,
            Cond::And(cs) => best(cs.iter().map(|c| self.cond_req(c))),
            Cond::Or(cs) => union(cs.iter().map(|c| self.cond_req(c))),
            Cond::Of(n, ids) => {
                let reqs = ids.iter().map(|i| self.sels.get(*i).and_then(sel_req));
                if *n == usize::MAX {
                    best(reqs)
                } else {
                    union(reqs)
                }
            }
        }
    }
}

fn sel_req(s: &Selection) -> Option<Vec<String>> {
    union(s.alts.iter().map(|alt| best(alt.iter().map(cond_req))))
}

fn cond_req(c: &FieldCond) -> Option<Vec<String>> {
    match &c.test {
        FieldTest::Exists(_) => None,
        FieldTest::Values { groups, all } => {
            let reqs = groups.iter().map(|g| {
                g.literals
                    .clone()
                    .filter(|l| !l.is_empty() && l.iter().all(|x| x.len() >= MIN_LITERAL))
            });
            if *all {
                best(reqs)
            } else {
                union(reqs)
            }
        }
    }
}

/// Union of alternatives: all must have literals.
fn union(items: impl Iterator<Item = Option<Vec<String>>>) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut any = false;
    for it in items {
        out.extend(it?);
        any = true;
    }
    any.then_some(out)
}

/// Most selective of conjuncts: longest shortest literal, then fewest.
fn best(items: impl Iterator<Item = Option<Vec<String>>>) -> Option<Vec<String>> {
    let score = |v: &Vec<String>| {
        let min = v.iter().map(String::len).min().unwrap_or(0);
        (min.min(16), usize::MAX - v.len())
    };
    items.flatten().max_by_key(score)
}

fn cond_matches(c: &FieldCond, ctx: &Ctx<'_>) -> bool {
    match &c.test {
        FieldTest::Exists(want) => {
            let present = c.field.as_deref().and_then(|f| ctx.lookup(f)).is_some();
            present == *want
        }
        FieldTest::Values { groups, all } => {
            let test = |g: &ValueGroup| match c.field.as_deref() {
                None => g.alts.iter().any(|vm| {
                    ctx.event
                        .all_leaves()
                        .iter()
                        .any(|l| leaf_matches(vm, l, ctx))
                }),
                Some(f) => {
                    let leaves = ctx.lookup(f);
                    g.alts.iter().any(|vm| match (&leaves, vm) {
                        (None, ValueMatcher::Null) => true,
                        (None, _) => false,
                        (Some(ls), ValueMatcher::Null) => ls.clone().any(Leaf::is_null),
                        (Some(ls), vm) => ls.clone().any(|l| leaf_matches(vm, l, ctx)),
                    })
                }
            };
            if *all {
                groups.iter().all(test)
            } else {
                groups.iter().any(test)
            }
        }
    }
}

fn leaf_matches(vm: &ValueMatcher, l: &Leaf, ctx: &Ctx<'_>) -> bool {
    match vm {
        ValueMatcher::Str { op, cased } => op.is_match(if *cased { l.raw() } else { l.folded() }),
        ValueMatcher::Regex(re) => !l.is_null() && re.is_match(l.raw()),
        ValueMatcher::Null => l.is_null(),
        ValueMatcher::Cidr(c) => c.contains(l.raw()),
        ValueMatcher::Num(op, n) => l.raw().trim().parse::<f64>().is_ok_and(|v| op.test(v, *n)),
        ValueMatcher::FieldRef { field, op, cased } => {
            let Some(others) = ctx.lookup(field) else {
                return false;
            };
            let a = if *cased { l.raw() } else { l.folded() };
            others.into_iter().any(|o| {
                let b = if *cased { o.raw() } else { o.folded() };
                match op {
                    RefOp::Eq => a == b,
                    RefOp::Prefix => a.starts_with(b),
                    RefOp::Suffix => a.ends_with(b),
                    RefOp::Contains => a.contains(b),
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn det(yaml: &str) -> Detection {
        let v: Yaml = serde_yaml::from_str(yaml).unwrap_or(Yaml::Null);
        match Detection::compile(&v, &CompileOptions::default()) {
            Ok(d) => d,
            Err(e) => panic!("compile failed: {e}"),
        }
    }

    fn hit(d: &Detection, ev: serde_json::Value) -> bool {
        let ev = Event::from_json(ev);
        d.matches(&Ctx {
            event: &ev,
            aliases: None,
        })
    }

    #[test]
    fn plain_equality_is_case_insensitive_and_wildcarded() {
        let d = det("sel: {Image: 'C:\\Windows\\\\*\\cmd.exe'}\ncondition: sel");
        assert!(hit(&d, json!({"Image": "c:\\windows\\system32\\CMD.EXE"})));
        assert!(!hit(&d, json!({"Image": "c:\\windows\\cmd.exe.bak"})));
    }

    #[test]
    fn contains_startswith_endswith() {
        let d =
            det("sel:\n  A|contains: mid\n  B|startswith: pre\n  C|endswith: suf\ncondition: sel");
        assert!(hit(&d, json!({"A": "xMIDx", "B": "PREfix", "C": "xSuF"})));
        assert!(!hit(&d, json!({"A": "xMIDx", "B": "xpre", "C": "xSuF"})));
    }

    #[test]
    fn all_modifier_and_list_or() {
        let d = det("sel:\n  A|contains|all: [foo, bar]\ncondition: sel");
        assert!(hit(&d, json!({"A": "foo bar"})));
        assert!(!hit(&d, json!({"A": "foo"})));
        let d = det("sel:\n  A|contains: [foo, bar]\ncondition: sel");
        assert!(hit(&d, json!({"A": "bar"})));
    }

    #[test]
    fn cased_modifier() {
        let d = det("sel:\n  A|cased: Foo\ncondition: sel");
        assert!(hit(&d, json!({"A": "Foo"})));
        assert!(!hit(&d, json!({"A": "foo"})));
    }

    #[test]
    fn escaped_wildcards() {
        let d = det("sel:\n  A: 'a\\*b'\ncondition: sel");
        assert!(hit(&d, json!({"A": "a*b"})));
        assert!(!hit(&d, json!({"A": "axxb"})));
        let d = det("sel:\n  A: 'a?c'\ncondition: sel");
        assert!(hit(&d, json!({"A": "abc"})));
    }

    #[test]
    fn regex_and_submodifiers() {
        let d = det("sel:\n  A|re: '^fo+$'\ncondition: sel");
        assert!(hit(&d, json!({"A": "foo"})));
        assert!(!hit(&d, json!({"A": "FOO"})));
        let d = det("sel:\n  A|re|i: '^fo+$'\ncondition: sel");
        assert!(hit(&d, json!({"A": "FOO"})));
        let d = det("sel:\n  A|re|s: 'a.b'\ncondition: sel");
        assert!(hit(&d, json!({"A": "a\nb"})));
        let d = det("sel:\n  A|re|m: '^b$'\ncondition: sel");
        assert!(hit(&d, json!({"A": "a\nb"})));
    }

    #[test]
    fn base64_variants() {
        let d = det("sel:\n  A|base64: 'http://'\ncondition: sel");
        assert!(hit(&d, json!({"A": "aHR0cDovLw=="})));
        let d = det("sel:\n  A|base64offset|contains: '/bin/sh'\ncondition: sel");
        assert!(hit(&d, json!({"A": "xxL2Jpbi9zaxx"})));
        assert!(hit(&d, json!({"A": "echo IC9iaW4vc2g= |"})));
        // "Invoke" in UTF-16LE, base64 with offsets (PowerShell -enc payloads).
        let d = det("sel:\n  A|utf16le|base64offset|contains: 'Invoke'\ncondition: sel");
        let enc = {
            use base64::Engine as _;
            let data: Vec<u8> = "xInvoke-Expression"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect();
            base64::engine::general_purpose::STANDARD.encode(data)
        };
        assert!(hit(&d, json!({ "A": enc })));
        let d = det("sel:\n  A|wide|base64: 'a'\ncondition: sel");
        assert!(hit(&d, json!({"A": "YQA="})));
    }

    #[test]
    fn windash_matches_all_dashes() {
        let d = det("sel:\n  CommandLine|windash|contains: ' -enc '\ncondition: sel");
        for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
            assert!(hit(
                &d,
                json!({ "CommandLine": format!("powershell {dash}enc AAA") })
            ));
        }
        assert!(!hit(&d, json!({"CommandLine": "powershell +enc AAA"})));
    }

    #[test]
    fn cidr_exists_null_numbers() {
        let d = det("sel:\n  Ip|cidr: ['10.0.0.0/8', 'fe80::/10']\ncondition: sel");
        assert!(hit(&d, json!({"Ip": "10.2.3.4"})));
        assert!(hit(&d, json!({"Ip": "fe80::abcd"})));
        assert!(!hit(&d, json!({"Ip": "192.168.0.1"})));
        let d = det("sel:\n  A|exists: true\ncondition: sel");
        assert!(hit(&d, json!({"A": 1})));
        assert!(!hit(&d, json!({"B": 1})));
        let d = det("sel:\n  A|exists: false\ncondition: sel");
        assert!(hit(&d, json!({"B": 1})));
        let d = det("sel:\n  A: null\ncondition: sel");
        assert!(hit(&d, json!({"B": 1})));
        assert!(hit(&d, json!({"A": null})));
        assert!(!hit(&d, json!({"A": "x"})));
        let d = det("sel:\n  EventID: 4688\ncondition: sel");
        assert!(hit(&d, json!({"EventID": 4688})));
        assert!(hit(&d, json!({"EventID": "4688"})));
        let d = det("sel:\n  N|gte: 10\n  M|lt: 2.5\ncondition: sel");
        assert!(hit(&d, json!({"N": 10, "M": "2"})));
        assert!(!hit(&d, json!({"N": 9, "M": 2})));
        let d = det("sel:\n  N|gt: 10\n  M|lte: 2\ncondition: sel");
        assert!(hit(&d, json!({"N": 11, "M": 2})));
        assert!(!hit(&d, json!({"N": "abc", "M": 2})));
    }

    #[test]
    fn fieldref() {
        let d = det("sel:\n  A|fieldref: B\ncondition: sel");
        assert!(hit(&d, json!({"A": "x", "B": "X"})));
        assert!(!hit(&d, json!({"A": "x", "B": "y"})));
        let d = det("sel:\n  A|fieldref|contains: B\ncondition: sel");
        assert!(hit(&d, json!({"A": "xyz", "B": "y"})));
    }

    #[test]
    fn keywords_and_list_of_maps() {
        let d = det("keywords: [evil, bad]\ncondition: keywords");
        assert!(hit(&d, json!({"x": {"y": "very EVIL thing"}})));
        assert!(!hit(&d, json!({"x": "good"})));
        let d = det("sel:\n  - {A: 1}\n  - {B: 2}\ncondition: sel");
        assert!(hit(&d, json!({"B": 2})));
        assert!(!hit(&d, json!({"A": 2})));
        let d = det("kw:\n  '|all': [foo, bar]\ncondition: kw");
        assert!(hit(&d, json!({"a": "foo", "b": "bar"})));
        assert!(!hit(&d, json!({"a": "foo"})));
    }

    #[test]
    fn condition_list_is_or() {
        let d = det("a: {A: 1}\nb: {B: 1}\ncondition: [a, b]");
        assert!(hit(&d, json!({"B": 1})));
    }

    #[test]
    fn load_errors() {
        let bad = |y: &str| {
            let v: Yaml = serde_yaml::from_str(y).unwrap_or(Yaml::Null);
            Detection::compile(&v, &CompileOptions::default()).err()
        };
        assert!(matches!(
            bad("s: {A|nope: 1}\ncondition: s"),
            Some(LoadErrorKind::UnknownModifier(_))
        ));
        assert!(matches!(
            bad("s: {A|re: '('}\ncondition: s"),
            Some(LoadErrorKind::BadRegex(_))
        ));
        assert!(matches!(
            bad("s: {A: 1}\ncondition: t"),
            Some(LoadErrorKind::BadCondition(_))
        ));
        assert!(matches!(
            bad("s: {A|cidr: 'x'}\ncondition: s"),
            Some(LoadErrorKind::BadValue(_))
        ));
        assert!(matches!(
            bad("s: {A|expand: '%x%'}\ncondition: s"),
            Some(LoadErrorKind::Unsupported(_))
        ));
        assert!(matches!(
            bad("s: {A|i: 'x'}\ncondition: s"),
            Some(LoadErrorKind::BadModifier(_))
        ));
    }

    #[test]
    fn requirement_literals() {
        let d = det("sel:\n  Image|endswith: '\\cmd.exe'\n  CommandLine|contains: [' /c ', 'whoami']\ncondition: sel");
        let r = d.requirement().unwrap_or_default();
        assert_eq!(r, vec!["\\cmd.exe".to_string()]);
        let d = det("sel: {A: x}\ncondition: not sel");
        assert!(d.requirement().is_none());
    }
}
