#!/usr/bin/env python3
"""Writes eval/dlp-probes/secrets.jsonl: credentials in new shapes.

The dev secrets file (../shared/datasets/infra/secrets/samples.jsonl) holds
184 snippets in the shapes its authors chose (env files, YAML, JSON,
Python, JS, Dockerfile, curl, k8s, Terraform); the team's held-out set uses
the same kinds of keys in other snippets. These probes put keys made here
(random, fake, in each provider's published format; GitHub classic tokens
carry their CRC32 check) into snippets the dev file does not use: docker
and kubectl command lines, PowerShell and cmd, Helm and CI variables,
notebooks, PaaS CLIs, MCP configs, logs of request headers, chat messages.
Look-alikes that must not be reported come in the same new shapes:
variable references of each tool, placeholders, masked keys, documentation
examples, digests, revisions, trace ids.

Same record format as the dev file: id, text, label (secret|not_secret),
type, secret (exact value; "a|b" for a pair), note. Fixed seed.

Usage: scripts/secret_probes.py [OUT_FILE]  (default eval/dlp-probes/secrets.jsonl)
"""
import json
import os
import random
import string
import sys
import zlib

R = random.Random(2026113011)
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rs(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, d = divmod(n, 62)
        out = B62[d] + out
    return out.rjust(width, "0")


def github_classic():
    body = rs(ALNUM, 30)
    return "ghp_" + body + b62(zlib.crc32(body.encode()), 6)


KEYS = {  # type: (maker, variable names)
    "openai-legacy": (lambda: "sk-" + rs(ALNUM, 20) + "T3BlbkFJ" + rs(ALNUM, 20), ["OPENAI_API_KEY", "OPENAI_KEY"]),
    "openai-project": (lambda: "sk-proj-" + rs(URLSAFE, 74) + "T3BlbkFJ" + rs(URLSAFE, 74), ["OPENAI_API_KEY"]),
    "openai-svcacct": (lambda: "sk-svcacct-" + rs(URLSAFE, 58) + "T3BlbkFJ" + rs(URLSAFE, 58), ["OPENAI_API_KEY"]),
    "anthropic-api": (lambda: "sk-ant-api03-" + rs(URLSAFE, 93) + "AA", ["ANTHROPIC_API_KEY", "CLAUDE_API_KEY"]),
    "anthropic-admin": (lambda: "sk-ant-admin01-" + rs(URLSAFE, 93) + "AA", ["ANTHROPIC_ADMIN_KEY"]),
    "huggingface-token": (lambda: "hf_" + rs(string.ascii_letters, 34), ["HF_TOKEN", "HUGGINGFACEHUB_API_TOKEN"]),
    "huggingface-org": (lambda: "api_org_" + rs(string.ascii_letters, 34), ["HF_ORG_TOKEN"]),
    "google-api-key": (lambda: "AIza" + rs(URLSAFE, 35), ["GOOGLE_API_KEY", "GEMINI_API_KEY"]),
    "aws-access-key-id": (lambda: "AKIA" + rs(string.ascii_uppercase + "234567", 16), ["AWS_ACCESS_KEY_ID"]),
    "aws-secret-access-key": (lambda: rs(ALNUM + "/+", 40), ["AWS_SECRET_ACCESS_KEY"]),
    "alibaba-access-key-id": (lambda: "LTAI5t" + rs(ALNUM, 18), ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY"]),
    "alibaba-access-key-id-legacy16": (lambda: "LTAI" + rs(ALNUM, 12), ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY"]),
    "alibaba-access-key-secret": (lambda: rs(ALNUM, 30), ["ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY"]),
    "alibaba-dashscope": (lambda: "sk-" + rs(HEX, 32), ["DASHSCOPE_API_KEY"]),
    "deepseek": (lambda: "sk-" + rs(HEX, 32), ["DEEPSEEK_API_KEY"]),
    "azure-openai-key": (lambda: rs(HEX, 32), ["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_KEY"]),
    "groq": (lambda: "gsk_" + rs(ALNUM, 52), ["GROQ_API_KEY"]),
    "replicate": (lambda: "r8_" + rs(ALNUM, 37), ["REPLICATE_API_TOKEN"]),
    "perplexity": (lambda: "pplx-" + rs(ALNUM, 48), ["PERPLEXITY_API_KEY", "PPLX_API_KEY"]),
    "xai": (lambda: "xai-" + rs(ALNUM, 80), ["XAI_API_KEY", "GROK_API_KEY"]),
    "openrouter": (lambda: "sk-or-v1-" + rs(HEX, 64), ["OPENROUTER_API_KEY"]),
    "mistral": (lambda: rs(ALNUM, 32), ["MISTRAL_API_KEY"]),
    "cohere": (lambda: rs(ALNUM, 40), ["COHERE_API_KEY", "CO_API_KEY"]),
    "langsmith": (lambda: "lsv2_" + R.choice(["pt", "sk"]) + "_" + rs(HEX, 32) + "_" + rs(HEX, 10), ["LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"]),
    "pinecone": (lambda: "pcsk_" + rs(ALNUM, 5) + "_" + rs(ALNUM, 63), ["PINECONE_API_KEY"]),
    "github-pat": (github_classic, ["GITHUB_TOKEN", "GH_TOKEN"]),
    "github-fine-grained": (lambda: "github_pat_" + rs(ALNUM, 22) + "_" + rs(ALNUM, 59), ["GITHUB_TOKEN", "GH_TOKEN"]),
    "slack-bot": (lambda: "xoxb-" + rs(string.digits, 11) + "-" + rs(string.digits, 13) + "-" + rs(ALNUM, 24), ["SLACK_BOT_TOKEN"]),
    "stripe-live": (lambda: "sk_live_" + rs(ALNUM, R.choice([24, 99])), ["STRIPE_SECRET_KEY", "STRIPE_API_KEY"]),
    "vault-service-token": (lambda: "hvs." + rs(URLSAFE, 94), ["VAULT_TOKEN"]),
    "tencent-secret-id": (lambda: "AKID" + rs(ALNUM, 32), ["TENCENTCLOUD_SECRET_ID"]),
    "wandb": (lambda: rs(HEX, 40), ["WANDB_API_KEY"]),
    "elevenlabs": (lambda: "sk_" + rs(HEX, 48), ["ELEVENLABS_API_KEY", "ELEVEN_API_KEY"]),
}

# Keys whose format names their provider; the others (plain hex or
# alphanumerics) are only credentials by the name next to them, so they
# only go into snippets that carry one.
SELF_EVIDENT = {
    "openai-legacy", "openai-project", "openai-svcacct", "anthropic-api", "anthropic-admin",
    "huggingface-token", "huggingface-org", "google-api-key", "aws-access-key-id",
    "alibaba-access-key-id", "groq", "replicate", "perplexity", "xai", "openrouter", "langsmith",
    "pinecone", "github-pat", "github-fine-grained", "slack-bot", "stripe-live",
    "vault-service-token", "tencent-secret-id",
}

NAMED = [  # snippets with the variable's name
    "docker run --rm -e {VAR}={KEY} -p 8000:8000 acme/agent:1.4",
    '$env:{VAR} = "{KEY}"',
    '        - name: {VAR}\n          value: "{KEY}"',
    "set {VAR}={KEY}",
    "os.environ.setdefault(\"{VAR}\", \"{KEY}\")",
    'process.env.{VAR} ??= "{KEY}";',
    "{VAR}='{KEY}' python agent.py --task nightly",
    "%env {VAR}={KEY}",
    "kubectl create secret generic llm-keys --from-literal={VAR}={KEY}",
    "fly secrets set {VAR}={KEY}",
    "heroku config:set {VAR}={KEY} -a my-agent",
    'gh secret set {VAR} --body "{KEY}"',
    '{"mcpServers": {"tools": {"command": "npx", "args": ["-y", "@acme/mcp"], "env": {"{VAR}": "{KEY}"}}}}',
    "llm:\n  provider: default\n  {var}: {KEY}\n  timeout: 30",
]
BARE = [  # snippets without a variable name; self-evident formats only
    'curl https://api.example.com/v1/models -H "Authorization: Bearer {KEY}"',
    "my key is {KEY} but every call returns 401, what am I doing wrong?",
    "DEBUG outgoing headers={{'Authorization': 'Bearer {KEY}', 'Content-Type': 'application/json'}}",
    'client = Client(api_key="{KEY}", timeout=30)',
    "git remote set-url origin https://x-access-token:{KEY}@github.com/acme/agent.git",
]


def secret_records():
    out = []
    for kind, (make, names) in KEYS.items():
        for i in range(4):
            key = make()
            var = R.choice(names)
            if kind in SELF_EVIDENT and i % 2 == 1:
                pool = BARE if kind.startswith("github") else BARE[:4]
                t = R.choice(pool)
            else:
                t = R.choice(NAMED)
            text = t.replace("{VAR}", var).replace("{var}", var.lower()).replace("{KEY}", key)
            text = text.replace("{{", "{").replace("}}", "}")
            out.append({"label": "secret", "type": kind, "secret": key, "text": text})
    # Pairs and whole-value secrets.
    for _ in range(3):
        kid, sec = "AKIA" + rs(string.ascii_uppercase + "234567", 16), rs(ALNUM + "/+", 40)
        out.append({"label": "secret", "type": "aws-access-key-pair", "secret": kid + "|" + sec,
                    "text": "aws configure set aws_access_key_id %s && aws configure set aws_secret_access_key %s" % (kid, sec)})
        kid, sec = "LTAI5t" + rs(ALNUM, 18), rs(ALNUM, 30)
        out.append({"label": "secret", "type": "alibaba-access-key-pair", "secret": kid + "|" + sec,
                    "text": "aliyun configure set --mode AK --access-key-id %s --access-key-secret %s --region cn-hangzhou" % (kid, sec)})
        pw = rs(ALNUM, 16)
        url = "postgres://rag_app:%s@10.0.3.12:5432/vectors?sslmode=require" % pw
        out.append({"label": "secret", "type": "postgres-url-password", "secret": url,
                    "text": 'engine = create_engine("%s")' % url})
        url = "mysql://root:%s@mysql.internal:3306/agent" % rs(ALNUM, 14)
        out.append({"label": "secret", "type": "mysql-url-password", "secret": url,
                    "text": "DATABASE_URL: %s" % url})
    body = "\n".join(rs(ALNUM + "+/", 64) for _ in range(6))
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "\n-----END OPENSSH PRIVATE KEY-----"
    out.append({"label": "secret", "type": "private-key", "secret": pem,
                "text": "cat > ~/.ssh/deploy_key <<'EOF'\n" + pem + "\nEOF"})
    return out


def lookalikes():
    h40, h64, h32 = (lambda: rs(HEX, 40)), (lambda: rs(HEX, 64)), (lambda: rs(HEX, 32))
    rows = [
        ("env-reference", "docker run --rm -e OPENAI_API_KEY=$OPENAI_API_KEY -e ANTHROPIC_API_KEY acme/agent:1.4"),
        ("env-reference", '$env:GROQ_API_KEY = [Environment]::GetEnvironmentVariable("GROQ_API_KEY", "User")'),
        ("env-reference", "OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}"),
        ("env-reference", 'api_key: "{{ .Values.openai.apiKey }}"'),
        ("env-reference", 'key = os.getenv("MISTRAL_API_KEY", "")'),
        ("env-reference", "set DEEPSEEK_API_KEY=%DEEPSEEK_KEY_FROM_VAULT%"),
        ("env-reference", '"env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${env:GH_TOKEN}"}'),
        ("secret-manager-reference", '$env:ANTHROPIC_API_KEY = $(op read "op://Private/Anthropic/credential")'),
        ("secret-manager-reference", "aws secretsmanager get-secret-value --secret-id prod/llm/openai --query SecretString"),
        ("secret-manager-reference", "valueFrom: projects/acme-prod/secrets/gemini-api-key/versions/latest"),
        ("placeholder", "GROQ_API_KEY=gsk_..."),
        ("placeholder", '"apiKey": "YOUR_API_KEY_HERE"'),
        ("placeholder", "ANTHROPIC_API_KEY=sk-ant-xxxxxxxxxxxxxxxxxxxxxxxx"),
        ("placeholder", "export HF_TOKEN=<paste your token>"),
        ("placeholder", "STRIPE_SECRET_KEY=sk_live_XXXXXXXXXXXXXXXXXXXXXXXX"),
        ("placeholder", "fly secrets set OPENROUTER_API_KEY=replace-me"),
        ("placeholder", "gh secret set GH_TOKEN --body \"$(cat token.txt)\""),
        ("masked", "Using key sk-proj-\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u20223kQz from your organisation settings."),
        ("masked", "token=ghp_************************************ (hidden)"),
        ("masked", "HF_TOKEN: hf_***redacted***"),
        ("masked", "AccessKeyId: AKIA****************, last used 3 days ago"),
        ("masked", "DASHSCOPE_API_KEY=sk-1a2b...e9f0"),
        ("documented-example", "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE"),
        ("documented-example", "AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("prose", "Rotate the sk- keys every 90 days and never paste an AKIA id into a chat window."),
        ("prose", "The pcsk_ prefix marks Pinecone keys and gsk_ marks Groq keys, so scanners can find them."),
        # Public by design or derived, next to secret-like names.
        ("public-key", "ssh_public_key = \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI%s deploy@ci\"" % rs(ALNUM + "+/", 43)),
        ("publishable-key", "STRIPE_PUBLISHABLE_KEY=pk_live_%s" % rs(ALNUM, 24)),
        ("oauth-client-id", "GOOGLE_CLIENT_ID=%s-%s.apps.googleusercontent.com" % (rs(string.digits, 12), rs(string.ascii_lowercase + string.digits, 32))),
        ("password-hash", 'password_hash = "$2b$12$%s"' % rs(ALNUM + "./", 53)),
        ("token-type", '{"access_token_expires_in": 3600, "token_type": "Bearer", "scope": "read:models"}'),
        ("key-id", 'api_key_id: "key_%s"  # the id shown in the console, not the key' % rs(string.ascii_uppercase + string.digits, 26)),
        ("integrity", '<script src="/app.js" integrity="sha384-%s" crossorigin="anonymous"></script>' % rs(ALNUM + "+/", 64)),
    ]
    for _ in range(4):
        rows += [
            ("git-sha", "Merge commit '%s' into release/2.3" % h40()),
            ("model-revision", 'snapshot_download("meta-llama/Llama-3.1-8B", revision="%s")' % h40()),
            ("file-hash", "%s  model-00001-of-00004.safetensors" % h64()),
            ("file-hash", "md5sum: %s" % h32()),
            ("trace-id", "traceparent: 00-%s-%s-01" % (h32(), rs(HEX, 16))),
            ("etag", 'ETag: "%s"' % h40()),
            ("uuid", "run_id=%s-%s-4%s-8%s-%s" % (rs(HEX, 8), rs(HEX, 4), rs(HEX, 3), rs(HEX, 3), rs(HEX, 12))),
            ("image-digest", "FROM python:3.12-slim@sha256:%s" % h64()),
        ]
    return [{"label": "not_secret", "type": k, "secret": None, "text": t} for k, t in rows]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "eval", "dlp-probes", "secrets.jsonl")
    rows = secret_records() + lookalikes()
    with open(out, "w", encoding="utf-8") as f:
        for i, r in enumerate(rows):
            rec = {"id": "p%04d" % i, "text": r["text"], "label": r["label"], "type": r["type"],
                   "secret": r["secret"], "note": "palisade secret probes (scripts/secret_probes.py)"}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print("%s: %d records (%d secrets, %d look-alikes)" % (
        out, len(rows), sum(r["label"] == "secret" for r in rows), sum(r["label"] != "secret" for r in rows)))


if __name__ == "__main__":
    main()
