use palisade_guard::dataset::load_paths;
use palisade_guard::eval::sized_texts;
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = "../shared/datasets/guard";
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    paths.sort();
    let rows = load_paths(&paths)?;
    let texts = sized_texts(&rows, 2048, 3200);
    let guard = palisade_guard::Guard::new(
        palisade_rules::RuleSet::builtin()?,
        Some(palisade_model::GuardModel::builtin()?),
        palisade_guard::Policy::default(),
    )?;
    for _ in 0..std::env::var("PASSES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
    {
        for t in &texts {
            std::hint::black_box(guard.check(&palisade_guard::Request::prompt(t)));
        }
    }
    Ok(())
}
