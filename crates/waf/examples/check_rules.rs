//! Load the built-in rules and report every validation problem (quick authoring loop).
fn main() {
    match palisade_waf::rules::RuleSet::load(&[]) {
        Ok(r) => println!("{} rules OK", r.rules().len()),
        Err(e) => {
            for part in e.to_string().split("; ") {
                println!("{part}");
            }
            std::process::exit(1);
        }
    }
}
