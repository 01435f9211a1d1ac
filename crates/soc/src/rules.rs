//! Palisade's own Sigma rules (`rules/soc/`), compiled in: detections over
//! the gateway's events for attacks on AI agents.

/// (file name, YAML) of every bundled rule.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "palisade_blocked_client_retries.yml",
        include_str!("../../../rules/soc/palisade_blocked_client_retries.yml"),
    ),
    (
        "palisade_gateway_allowed_request.yml",
        include_str!("../../../rules/soc/palisade_gateway_allowed_request.yml"),
    ),
    (
        "palisade_gateway_injection_block.yml",
        include_str!("../../../rules/soc/palisade_gateway_injection_block.yml"),
    ),
    (
        "palisade_injection_burst_then_success.yml",
        include_str!("../../../rules/soc/palisade_injection_burst_then_success.yml"),
    ),
    (
        "palisade_injection_flood.yml",
        include_str!("../../../rules/soc/palisade_injection_flood.yml"),
    ),
    (
        "palisade_jailbreak_flagged.yml",
        include_str!("../../../rules/soc/palisade_jailbreak_flagged.yml"),
    ),
    (
        "palisade_leak_after_jailbreak.yml",
        include_str!("../../../rules/soc/palisade_leak_after_jailbreak.yml"),
    ),
    (
        "palisade_sensitive_output.yml",
        include_str!("../../../rules/soc/palisade_sensitive_output.yml"),
    ),
    (
        "palisade_system_prompt_leak.yml",
        include_str!("../../../rules/soc/palisade_system_prompt_leak.yml"),
    ),
    (
        "palisade_tool_poisoning.yml",
        include_str!("../../../rules/soc/palisade_tool_poisoning.yml"),
    ),
    (
        "palisade_tool_poisoning_burst.yml",
        include_str!("../../../rules/soc/palisade_tool_poisoning_burst.yml"),
    ),
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_rule_file_is_bundled() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/soc");
        let on_disk = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(
            on_disk,
            super::BUILTIN.len(),
            "add new rule files to BUILTIN"
        );
    }
}
