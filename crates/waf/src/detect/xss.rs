//! Cross-site scripting analysis.
//!
//! Rather than one regex per payload, the value is read the way a browser would
//! read it in the three places reflected input lands: HTML content (tags and their
//! attributes), an attribute value the input breaks out of (`" onfocus=...`), and a
//! script/URL context (`javascript:` URLs, calls to dialog/eval sinks, DOM sinks).
//! Input is expected already entity/percent-decoded by the normaliser.

use std::sync::LazyLock;

use regex::Regex;

/// A detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XssHit {
    /// 1..=10.
    pub score: u8,
    /// Which shape matched.
    pub reason: &'static str,
    /// Byte offset of the evidence in the lower-cased, whitespace-cleaned text.
    pub at: usize,
}

/// Tags that execute script or load active content by themselves.
const ACTIVE_TAGS: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta", "svg",
    "math", "xss", "portal", "isindex", "import", "xml", "template", "animate", "set", "handler",
    "listener", "vmlframe", "style", "link", "form", "marquee", "layer", "ilayer", "bgsound",
    "xmp", "noembed",
];
/// Ordinary tags: harmless alone, but an injected one with attributes is markup injection.
const COMMON_TAGS: &[&str] = &[
    "a", "img", "image", "input", "button", "body", "div", "span", "video", "audio", "source",
    "details", "select", "textarea", "keygen", "table", "td", "html", "p", "b", "i", "u", "h1",
    "h2", "h3", "br", "title", "textarea", "option", "label", "picture", "track", "object", "area",
    "map", "iframe",
];
/// URL-bearing attributes.
const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "background",
    "poster",
    "srcdoc",
    "lowsrc",
    "dynsrc",
    "values",
    "to",
    "from",
    "by",
    "codebase",
    "cite",
    "longdesc",
    "usemap",
    "content",
    "style",
];

static EVENT_ATTR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?:^|["'`\s/;])(on[a-z]{3,40})\s*=\s*["'`(\[]?\s*[a-z0-9_$({\[!+\-~.'"`/]"#).ok()
});
static JS_URL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // `javascript:` / `vbscript:` followed by something that parses as code
    // (a call, property access, assignment, template, escape) - not prose.
    Regex::new(r#"(?:^|[\s"'`=(<>/,;:])(?:java|vb|live|mocha)script:\s*(?:[a-z_$][\w$.]*\s*(?:[(\[`=.]|\+=)|[(\[`'"/!~+\-]|\\[ux]|%[0-9a-f]{2}|void\b|new\b|this\b|top\b|throw\b)"#).ok()
});
static DATA_URL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"data:\s*(?:text/html|image/svg\+xml|application/(?:x-)?(?:javascript|xhtml|ecmascript))[;,]").ok()
});
static JS_SINK_CALL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // Dialog/eval sinks called with script-shaped arguments, or passed around as
    // values (`(confirm)(1)`, `[1].some(confirm)`, `onerror=eval`, `.call(`/`.apply(`).
    Regex::new(concat!(
        r#"(?:\b(?:alert|prompt|confirm|print)\s*(?:\(\s*(?:\)|[0-9]|['"`/]|document\b|window\b|this\b|top\b|self\b|location\b|navigator\b|origin\b|xss\b|string\.fromcharcode)|`|\.(?:call|apply|bind)\s*\()"#,
        r#"|\(\s*(?:alert|prompt|confirm|eval)\s*\)\s*[(`]"#,
        r#"|\.\s*(?:some|map|find|filter|every|foreach|reduce|then|sort)\s*\(\s*(?:alert|prompt|confirm|eval)\b"#,
        r#"|=\s*(?:alert|prompt|confirm|eval)\b\s*[;}\s]*(?:throw|$)"#,
        r#"|\beval\s*\(\s*(?:atob|unescape|decodeuri|string\.fromcharcode|location|name|window|document|this|["'`])"#,
        r#"|\b(?:settimeout|setinterval|execscript|importscripts)\s*\(\s*["'`]"#,
        r#"|\bnew\s+function\s*\(|\bfunction\s*\(\s*\)\s*\{[^}]{0,80}(?:alert|prompt|confirm|eval)"#,
        r#"|\bconstructor\s*[.\[]\s*['"]?constructor|\[\s*["'`]constructor["'`]\s*\]"#,
        r#"|\b(?:top|self|parent|window|globalthis|frames|this|content)\s*\[\s*["'`][a-z]{1,12}["'`]\s*(?:\+\s*["'`][a-z]{1,12}["'`]\s*)+\]"#,
        r#"|\batob\s*\(\s*["'`][a-z0-9+/=]{8,}"#,
        r#"|\b(?:eval|alert|prompt|confirm)\s*\(\s*atob\b)"#
    ))
    .ok()
});
static DOM_SINK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"\bdocument\s*(?:\.\s*(?:cookie|domain|write(?:ln)?\s*\(|location|body\.innerhtml)|\[\s*["'`](?:cookie|domain|write|location)["'`]\s*\])"#,
        r#"|\b(?:window|top|self|parent)\s*\.\s*location\s*(?:\.\s*href\s*)?="#,
        r#"|\.\s*(?:innerhtml|outerhtml)\s*="#,
        r#"|\blocation\s*(?:\.\s*(?:href|hash|search)|\[\s*["'`]href)\s*=\s*["'`/]"#,
        r#"|\bstring\s*\.\s*fromcharcode\s*\("#,
        r#"|\bwindow\s*\.\s*onerror\s*=\s*eval"#,
        r#"|\bcreateelement\s*\(\s*["'`]script"#
    ))
    .ok()
});
static JSFUCK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?:\(\s*!\s*\[\s*\]\s*\+\s*\[\s*\]\s*\)|\[\s*\+\s*!\s*\+\s*\[\s*\]\s*\]|!\s*!\s*\[\s*\])",
    )
    .ok()
});
static CSS_EXPR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:expression\s*\(|-moz-binding\s*:|behavior\s*:\s*url|@import\s|url\s*\(\s*['\x22]?\s*javascript:)").ok()
});

fn is_event(name: &str) -> bool {
    // Any `on` + letters attribute inside a tag is an event handler to the browser;
    // outside a tag we require the name to look like a DOM event, not a word like "only".
    const EVENTS: &[&str] = &[
        "load",
        "error",
        "click",
        "dblclick",
        "mouse",
        "pointer",
        "focus",
        "blur",
        "key",
        "input",
        "change",
        "submit",
        "scroll",
        "resize",
        "wheel",
        "copy",
        "cut",
        "paste",
        "drag",
        "drop",
        "touch",
        "animation",
        "transition",
        "toggle",
        "begin",
        "end",
        "start",
        "finish",
        "hashchange",
        "pageshow",
        "pagehide",
        "popstate",
        "message",
        "beforeunload",
        "unload",
        "play",
        "pause",
        "canplay",
        "ended",
        "search",
        "select",
        "show",
        "contextmenu",
        "auxclick",
        "invalid",
        "reset",
        "progress",
        "ratechange",
        "seek",
        "suspend",
        "volumechange",
        "waiting",
        "readystatechange",
        "afterprint",
        "beforeprint",
        "formdata",
        "beforeinput",
        "beforetoggle",
        "content",
        "abort",
        "cancel",
        "close",
        "cuechange",
        "durationchange",
        "emptied",
        "loadeddata",
        "loadedmetadata",
        "loadstart",
        "repeat",
        "timeupdate",
        "storage",
        "online",
        "offline",
        "bounce",
        "activate",
        "beforeactivate",
        "beforecopy",
        "beforecut",
        "beforepaste",
        "filterchange",
        "help",
        "move",
        "zoom",
        "webkit",
        "gesture",
        "fullscreen",
        "visibility",
    ];
    name.strip_prefix("on")
        .is_some_and(|rest| EVENTS.iter().any(|e| rest.starts_with(e)))
}

/// One parsed tag opening: `<name attrs...`.
struct Tag<'a> {
    name: &'a str,
    at: usize,
    attrs: Vec<(String, String)>,
    closed: bool,
}

/// Scan for tag openings `<name` / `</name` and read their attributes leniently
/// (unquoted, `/`-separated, as browsers accept).
fn tags(s: &str) -> Vec<Tag<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = s.get(i..).and_then(|r| r.find('<')) {
        let start = i + p;
        let mut j = start + 1;
        let closing = b.get(j) == Some(&b'/');
        if closing {
            j += 1;
        }
        let name_start = j;
        while b
            .get(j)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b':' || *c == b'-' || *c == b'_')
        {
            j += 1;
        }
        i = start + 1;
        if j == name_start || !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let name = s.get(name_start..j).unwrap_or("");
        // A tag name must end at whitespace, '/', '>' or end of input for a browser to see a tag.
        let term = b.get(j).copied();
        if !matches!(
            term,
            None | Some(b' ')
                | Some(b'\t')
                | Some(b'\n')
                | Some(b'\r')
                | Some(b'\x0c')
                | Some(b'/')
                | Some(b'>')
        ) {
            continue;
        }
        if closing {
            out.push(Tag {
                name,
                at: start,
                attrs: Vec::new(),
                closed: true,
            });
            continue;
        }
        // Attributes until '>' (bounded).
        let mut attrs = Vec::new();
        let mut k = j;
        let limit = (j + 2048).min(b.len());
        let mut closed = false;
        while k < limit && attrs.len() < 32 {
            while k < limit
                && matches!(
                    b.get(k),
                    Some(b' ')
                        | Some(b'\t')
                        | Some(b'\n')
                        | Some(b'\r')
                        | Some(b'/')
                        | Some(b'\x0c')
                )
            {
                k += 1;
            }
            if k >= limit {
                break;
            }
            if b.get(k) == Some(&b'>') {
                closed = true;
                break;
            }
            let an_start = k;
            while k < limit
                && !matches!(
                    b.get(k),
                    Some(b' ')
                        | Some(b'\t')
                        | Some(b'\n')
                        | Some(b'\r')
                        | Some(b'/')
                        | Some(b'=')
                        | Some(b'>')
                        | Some(b'\x0c')
                )
            {
                k += 1;
            }
            let an = s.get(an_start..k).unwrap_or("").to_string();
            while k < limit
                && matches!(
                    b.get(k),
                    Some(b' ') | Some(b'\t') | Some(b'\n') | Some(b'\r')
                )
            {
                k += 1;
            }
            let mut val = String::new();
            if b.get(k) == Some(&b'=') {
                k += 1;
                while k < limit
                    && matches!(
                        b.get(k),
                        Some(b' ') | Some(b'\t') | Some(b'\n') | Some(b'\r')
                    )
                {
                    k += 1;
                }
                let q = b.get(k).copied();
                if matches!(q, Some(b'"') | Some(b'\'') | Some(b'`')) {
                    let vs = k + 1;
                    let mut ve = vs;
                    while ve < b.len() && b.get(ve).copied() != q {
                        ve += 1;
                    }
                    val = s.get(vs..ve.min(b.len())).unwrap_or("").to_string();
                    k = ve + 1;
                } else {
                    let vs = k;
                    while k < limit
                        && !matches!(
                            b.get(k),
                            Some(b' ') | Some(b'\t') | Some(b'\n') | Some(b'\r') | Some(b'>')
                        )
                    {
                        k += 1;
                    }
                    val = s.get(vs..k).unwrap_or("").to_string();
                }
            }
            if an.is_empty() && val.is_empty() {
                k += 1;
            } else {
                attrs.push((an, val));
            }
        }
        out.push(Tag {
            name,
            at: start,
            attrs,
            closed,
        });
        if out.len() > 64 {
            break;
        }
    }
    out
}

fn find(re: &LazyLock<Option<Regex>>, s: &str) -> Option<usize> {
    re.as_ref().and_then(|r| r.find(s)).map(|m| m.start())
}

/// Analyse a (normalised) value.
pub fn detect(input: &str) -> Option<XssHit> {
    // Browsers drop tabs/newlines inside URL schemes (`java\tscript:`); do the same.
    let lower: String = input
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .flat_map(char::to_lowercase)
        .collect();
    let mut best: Option<XssHit> = None;
    let mut bump = |score: u8, reason: &'static str, at: usize| {
        if !matches!(&best, Some(b) if b.score >= score) {
            best = Some(XssHit { score, reason, at });
        }
    };
    if lower.contains('<') {
        for t in tags(&lower) {
            let active = ACTIVE_TAGS.contains(&t.name);
            if t.name == "script" {
                bump(10, "script-tag", t.at);
            }
            for (an, av) in &t.attrs {
                if an.starts_with("on")
                    && an.len() > 3
                    && an.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                {
                    bump(9, "event-handler-attribute", t.at);
                }
                if URL_ATTRS.contains(&an.as_str()) || an.ends_with(":href") {
                    let v = av.trim_start();
                    let v: String = v
                        .chars()
                        .filter(|c| !c.is_whitespace() && !c.is_control())
                        .collect();
                    if v.starts_with("javascript:")
                        || v.starts_with("vbscript:")
                        || v.starts_with("data:text/html")
                        || v.starts_with("data:image/svg")
                        || v.starts_with("data:application")
                    {
                        bump(9, "script-url-attribute", t.at);
                    }
                    if an == "style" && find(&CSS_EXPR, &v).is_some() {
                        bump(8, "css-expression", t.at);
                    }
                }
                if an == "srcdoc" && av.contains('<') {
                    bump(9, "srcdoc", t.at);
                }
                if t.name == "meta" && an == "http-equiv" && av.contains("refresh") {
                    bump(8, "meta-refresh", t.at);
                }
            }
            if active && t.name != "script" {
                let s = if t.closed || !t.attrs.is_empty() {
                    8
                } else {
                    5
                };
                bump(s, "active-tag", t.at);
            } else if COMMON_TAGS.contains(&t.name)
                && (t.closed || !t.attrs.is_empty())
                && !t.name.is_empty()
            {
                bump(3, "html-tag", t.at);
            }
        }
        if let Some(p) = lower.find("<!--") {
            if lower.get(p..).is_some_and(|r| {
                r.contains("<script") || r.contains("onload") || r.contains("onerror")
            }) {
                bump(7, "comment-wrapped-markup", p);
            }
        }
        if let Some(p) = lower.find("<?import").or_else(|| lower.find("<!entity")) {
            bump(6, "markup-declaration", p);
        }
    }
    // Attribute break-out: `" onfocus=...`, `'/onx=...`.
    if let Some(m) = EVENT_ATTR.as_ref().and_then(|r| r.captures(&lower)) {
        if let Some(name) = m.get(1) {
            if is_event(name.as_str()) {
                let before = lower.get(..name.start()).unwrap_or("");
                let broke_out = before.contains('"')
                    || before.contains('\'')
                    || before.contains('<')
                    || before.ends_with('/')
                    || before.trim().is_empty();
                bump(if broke_out { 8 } else { 5 }, "event-handler", name.start());
            }
        }
    }
    if let Some(p) = find(&JS_URL, &lower) {
        bump(8, "javascript-url", p);
    }
    if let Some(p) = find(&DATA_URL, &lower) {
        bump(7, "data-url", p);
    }
    if let Some(p) = find(&JS_SINK_CALL, &lower) {
        bump(8, "js-sink-call", p);
    }
    if let Some(p) = find(&DOM_SINK, &lower) {
        bump(7, "dom-sink", p);
    }
    if let Some(p) = find(&JSFUCK, &lower) {
        bump(7, "jsfuck", p);
    }
    if lower.contains("expression") || lower.contains("binding") || lower.contains("behavior") {
        if let Some(p) = find(&CSS_EXPR, &lower) {
            if lower.contains("style") || lower.contains('{') {
                bump(6, "css-expression", p);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(s: &str) -> u8 {
        detect(s).map_or(0, |h| h.score)
    }

    #[test]
    fn attacks() {
        for a in [
            "<script>alert(1)</script>",
            "<svg/onload=alert(1)>",
            "<img src=x onerror=\"prompt(1)\">",
            "\"><iframe/onload=alert(1)//",
            "<object/data=javascript:alert()>",
            "<a href=javascript:prompt(document.domain)>xss",
            "javascript:alert(1)",
            "javascript:setInterval('ale'+'rt(document.domain)')",
            "'-alert(1)//",
            "prompt.call(null,1)",
            "alert.apply(null, [1])",
            "eval(atob(\"YWxlcnQoKQ==\"))",
            "document[\"cookie\"]",
            "<x/onpointerrawupdate=confirm()>xxxx",
            "\"//Onx=\"\"//onfocus=prompt(1)>",
            "\"OnCliCk=\"(prompt`1`)",
            "(![]+[])[+!+[]]",
            "<svg\nonauxclick=0;[1].some(confirm)//",
            "<j id=x style=\"-webkit-user-modify:read-write\" onfocus={window.onerror=eval}throw/0/+name>h</j>#x",
        ] {
            assert!(score(a) >= 6, "missed {a:?}: {:?}", detect(a));
        }
    }

    #[test]
    fn regexes_compile() {
        // The statics degrade to "no match" if a pattern is invalid; make that loud here.
        for (n, r) in [
            ("event", &EVENT_ATTR),
            ("jsurl", &JS_URL),
            ("data", &DATA_URL),
            ("sink", &JS_SINK_CALL),
            ("dom", &DOM_SINK),
            ("jsfuck", &JSFUCK),
            ("css", &CSS_EXPR),
        ] {
            assert!(r.is_some(), "{n} regex does not compile");
        }
    }

    #[test]
    fn benign() {
        for b in [
            "h2<h1",
            "JavaScript: Basics of JavaScript Language",
            "and >I would like to see all of the items that are type <enter type here>.",
            "if a < b and c > d then",
            "Only one option here",
            "Please send an alert (by email) to the team",
            "the prompt (as written) was too long",
            "I love <3 my cat",
            "onboarding = done",
        ] {
            assert!(score(b) < 6, "false positive {b:?}: {:?}", detect(b));
        }
    }
}
