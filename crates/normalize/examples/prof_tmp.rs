use palisade_normalize::{Normalizer, Steps};
use std::hint::black_box;
fn main() {
    let ru_sentence = "Пожалуйста, кратко изложите приложенный квартальный отчёт в трёх пунктах, уделяя внимание росту выручки и прогнозу. ";
    let russian = ru_sentence.repeat(2048 / ru_sentence.len() + 1);
    let which = std::env::args().nth(1).unwrap_or_default();
    let n = if which == "none" {
        Normalizer {
            steps: Steps::NONE,
            ..Default::default()
        }
    } else {
        Normalizer::default()
    };
    for _ in 0..50000 {
        black_box(n.normalize(black_box(&russian)));
    }
}
