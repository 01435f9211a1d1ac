//! Terraform (`*.tf`): resources as JSON values for the catalogue and the
//! posture rules. `hcl-rs` parses HCL2 and turns expressions into
//! `${...}` strings, which is what the rules need (a reference is not a
//! literal secret, a literal `0.0.0.0/0` is a literal).

use crate::facts::{line_of, Facts, TfResource};
use serde_json::Value;

/// Parses one `.tf` file into resources (and `provider` blocks, recorded
/// as resources of type `provider` so secret rules see their arguments).
pub fn terraform(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: Value = hcl::from_str(text).map_err(|e| format!("invalid HCL: {e}"))?;
    for (rtype, named) in doc
        .get("resource")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (name, body) in named.as_object().into_iter().flatten() {
            // `count`/`for_each` resources still parse to one body.
            let body = match body {
                Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            facts.tf.push(TfResource {
                rtype: rtype.clone(),
                name: name.clone(),
                body,
                path: path.to_string(),
                line: line_of(text, &format!("\"{rtype}\" \"{name}\"")),
            });
        }
    }
    for (name, body) in doc
        .get("provider")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let bodies = match body {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for b in bodies {
            facts.tf.push(TfResource {
                rtype: "provider".into(),
                name: name.clone(),
                body: b,
                path: path.to_string(),
                line: line_of(text, &format!("provider \"{name}\"")),
            });
        }
    }
    Ok(())
}

/// Every string at `dotted` (objects descend by key, arrays fan out), so a
/// rule can ask for `ingress.cidr_blocks` across nested blocks.
pub fn strings_at<'a>(v: &'a Value, dotted: &str) -> Vec<&'a Value> {
    let mut cur = vec![v];
    for key in dotted.split('.') {
        let mut next = Vec::new();
        for c in cur {
            let items: Vec<&Value> = match c {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for it in items {
                if let Some(x) = it.get(key) {
                    next.push(x);
                }
            }
        }
        cur = next;
    }
    let mut out = Vec::new();
    for c in cur {
        match c {
            Value::Array(a) => out.extend(a.iter()),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_and_providers() {
        let mut f = Facts::default();
        terraform(
            "m.tf",
            "provider \"alicloud\" {\n  access_key = \"x\"\n}\nresource \"aws_security_group\" \"sg\" {\n  ingress {\n    cidr_blocks = [\"0.0.0.0/0\"]\n    from_port = 8080\n  }\n}\n",
            &mut f,
        )
        .unwrap();
        let sg =
            f.tf.iter()
                .find(|r| r.rtype == "aws_security_group")
                .unwrap();
        let cidrs = strings_at(&sg.body, "ingress.cidr_blocks");
        assert_eq!(cidrs, vec![&Value::String("0.0.0.0/0".into())]);
        assert!(f.tf.iter().any(|r| r.rtype == "provider"));
        assert!(terraform("bad.tf", "resource \"a\" {", &mut Facts::default()).is_err());
    }
}
