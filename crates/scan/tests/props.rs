//! Property tests: every parser takes arbitrary text (and mutations of
//! valid documents) without panicking, and the whole scan of a folder of
//! such files finishes with per-file errors.

use palisade_scan::facts::Facts;
use palisade_scan::parse::{kind_of, parse_text};
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "requirements.txt",
    "pyproject.toml",
    "Pipfile",
    "Pipfile.lock",
    "poetry.lock",
    "environment.yml",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "Cargo.toml",
    "Cargo.lock",
    "go.mod",
    "pom.xml",
    "Dockerfile",
    "docker-compose.yml",
    "main.tf",
    "nb.ipynb",
    "app.py",
    "mcp.json",
    "deploy.yaml",
    "values.yaml",
    "config.toml",
    ".env",
];

const SEEDS: &[&str] = &[
    "services:\n  a:\n    image: ollama/ollama:0.1.33\n    ports: [\"11434:11434\"]\n    environment: [OLLAMA_ORIGINS=*]\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostIPC: true\n  containers:\n  - {name: c, image: x, securityContext: {privileged: true}}\n",
    "{\"mcpServers\": {\"fs\": {\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"/\"]}}}",
    "resource \"alicloud_oss_bucket\" \"m\" {\n  acl = \"public-read\"\n}\n",
    "[project]\ndependencies = [\"torch==2.2.1\", \"mcp[cli]>=1\"]\n",
    "<project><dependencies><dependency><groupId>a</groupId><artifactId>b</artifactId><version>1</version></dependency></dependencies></project>",
    "{\"cells\": [{\"cell_type\": \"code\", \"source\": [\"!pip install vllm==0.6.3\\n\", \"torch.load('x.pt')\"]}]}",
    "FROM vllm/vllm-openai:v0.6.3\nRUN pip install transformers==4.35.2\nCMD [\"--trust-remote-code\"]\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(name in proptest::sample::select(NAMES), text in "\\PC{0,400}") {
        if let Some(kind) = kind_of(name) {
            let mut f = Facts::default();
            parse_text(name, name, kind, &text, &mut f);
        }
    }

    #[test]
    fn mutated_documents_never_panic(
        name in proptest::sample::select(NAMES),
        seed in proptest::sample::select(SEEDS),
        cut in 0usize..400,
        insert in "[\\[\\]{}:,\"'\\n -]{0,8}",
    ) {
        let at = seed.char_indices().map(|(i, _)| i).nth(cut % seed.chars().count().max(1)).unwrap_or(0);
        let text = format!("{}{insert}{}", &seed[..at], &seed[at..]);
        if let Some(kind) = kind_of(name) {
            let mut f = Facts::default();
            parse_text(name, name, kind, &text, &mut f);
        }
    }
}

#[test]
fn deep_yaml_and_json_nesting_is_an_error_not_a_crash() {
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_yaml = format!("{}x", "- ".repeat(50_000));
    for (name, text) in [
        ("tools.json", deep_json.as_str()),
        ("values.yaml", deep_yaml.as_str()),
        ("package.json", deep_json.as_str()),
    ] {
        let mut f = Facts::default();
        if let Some(kind) = kind_of(name) {
            parse_text(name, name, kind, text, &mut f);
        }
    }
}
