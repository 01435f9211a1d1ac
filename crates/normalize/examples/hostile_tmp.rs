use palisade_normalize::Normalizer;
use std::time::Instant;
fn main() {
    let mb = 1 << 20;
    let cases: Vec<(&str, String)> = vec![
        (
            "zalgo",
            format!("a{}", "\u{301}\u{316}\u{345}".repeat(mb / 6)),
        ),
        ("marks only", "\u{301}".repeat(mb / 2)),
        (
            "base64",
            "aWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnM= ".repeat(mb / 45),
        ),
        ("base64 one run", "QUFB".repeat(mb / 4)),
        ("rot13", "rot13: Vtaber nyy\n".repeat(mb / 18)),
        ("rot13 markers", "rot13 ".repeat(mb / 6)),
        ("hex", "41 ".repeat(mb / 3)),
        ("hex numbers", "10 ".repeat(mb / 3)),
        ("url", "%41".repeat(mb / 3)),
        ("cyrillic", "привет ".repeat(mb / 13)),
        ("cyr word", "а".repeat(mb / 2)),
        ("mixed words", "hellо ".repeat(mb / 7)),
        ("foreign only", "ѕау ".repeat(mb / 7)),
        ("digits + foreign", "1 2 3 4 5 6 7 8 ѕау ".repeat(mb / 24)),
        ("osc", "\x1b]".repeat(mb / 2)),
        ("tags", "\u{E0041}".repeat(mb / 4)),
        ("spaces", " ".repeat(mb)),
        ("space+nbsp", " \u{A0}".repeat(mb / 3)),
        ("leet", "a1".repeat(mb / 2)),
        ("leet tokens", "h3ll0 ".repeat(mb / 6)),
        ("fdfa", "\u{FDFA}".repeat(mb / 3)),
        ("fullwidth", "\u{FF21}".repeat(mb / 3)),
        ("zw", "a\u{200B}".repeat(mb / 4)),
        ("hangul jamo", "\u{1100}\u{1161}".repeat(mb / 6)),
    ];
    let n = Normalizer::default();
    for (name, input) in &cases {
        let s = Instant::now();
        let out = n.normalize(input);
        println!(
            "{name:>18}: {:>8} bytes in, {:>9} out, {:>3} decoded, {:>8.2} ms",
            input.len(),
            out.text.len(),
            out.decoded.len(),
            s.elapsed().as_secs_f64() * 1e3
        );
    }
}
