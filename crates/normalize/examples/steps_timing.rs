use palisade_normalize::{Normalizer, Steps};
use std::hint::black_box;
use std::time::Instant;
fn t(n: &Normalizer, input: &str) -> f64 {
    let it = 20000;
    let s = Instant::now();
    for _ in 0..it {
        black_box(n.normalize(black_box(input)));
    }
    s.elapsed().as_secs_f64() * 1e6 / it as f64
}
fn main() {
    let sentence = "Please summarise the attached quarterly report in three bullet points, \
        focusing on revenue growth, churn and the outlook for next year. ";
    let plain = sentence.repeat(2048 / sentence.len() + 1);
    let quoted = format!("{plain}\u{2019}");
    let ru_sentence = "Пожалуйста, кратко изложите приложенный квартальный отчёт в трёх пунктах, уделяя внимание росту выручки и прогнозу. ";
    let russian = ru_sentence.repeat(2048 / ru_sentence.len() + 1);
    let zh = "请总结所附的季度报告，重点关注收入增长、客户流失以及明年的前景。".repeat(20);
    for input in [&plain, &quoted, &russian, &zh] {
        println!("---- {} bytes", input.len());
        let all = Normalizer::default();
        println!("all {:.2}", t(&all, input));
        let none = Normalizer {
            steps: Steps::NONE,
            ..Default::default()
        };
        println!("none {:.2}", t(&none, input));
        for (name, f) in [
            ("leet", 0),
            ("base64", 1),
            ("hex", 2),
            ("url", 3),
            ("rot13", 4),
            ("nfkc", 5),
            ("invis", 6),
            ("conf", 7),
            ("pad", 8),
        ] {
            let mut s = Steps::NONE;
            match f {
                0 => s.leetspeak = true,
                1 => s.base64 = true,
                2 => s.hex = true,
                3 => s.url = true,
                4 => s.rot13 = true,
                5 => s.nfkc = true,
                6 => s.invisible = true,
                7 => s.confusables = true,
                _ => s.whitespace_padding = true,
            }
            let n = Normalizer {
                steps: s,
                ..Default::default()
            };
            println!("{name} {:.2}", t(&n, input));
        }
    }
}
