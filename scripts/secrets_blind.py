#!/usr/bin/env python3
"""Writes the blind secret-detection test set eval/dlp-blind/secrets.jsonl.

    python3 scripts/secrets_blind.py [OUT_FILE]

Python 3.11, standard library only. The seed is fixed and nothing reads the
clock, so two runs give byte-identical output.

What it is: random credentials in their vendors' published formats, each
placed in one context written for this file only (code in several
languages, .env, YAML, JSON, TOML, INI, Terraform, shell history, curl,
notebooks, logs, stack traces, chat, Markdown, diffs, raw HTTP, SQL,
Dockerfiles, crontabs, CSV), plus look-alikes a detector must not report
(placeholders, env references, masked keys, documented example keys,
hashes, ids, digests, public keys, publishable keys, low-entropy passwords,
base64 data, prose). The templates were written without reading the
detector, its catalogue or the earlier probe set, and no detector was run.

Record format (that of the project's secret dev corpus):
{"id": "b0000", "text": ..., "label": "secret" | "not_secret", "type": ...,
 "secret": <exact substring of text>, "note": ...}
Each record holds one secret (or one look-alike); `secret` is the credential
itself (for database URLs the password only, for PEM keys the whole block).
"""
import base64
import binascii
import gzip
import hashlib
import hmac
import json
import os
import random
import re
import string
import struct
import sys
import zlib

SEED = 20261215
NOTE = "palisade blind secrets (scripts/secrets_blind.py)"
R = random.Random(SEED)

UP = string.ascii_uppercase
LO = string.ascii_lowercase
DI = string.digits
ALNUM = UP + LO + DI
B62 = DI + UP + LO  # GitHub's checksum alphabet: 0-9A-Za-z
B64URL = ALNUM + "-_"
HEXL = "0123456789abcdef"


# ---------------------------------------------------------------- random pieces

def rs(n, alphabet=ALNUM):
    return "".join(R.choice(alphabet) for _ in range(n))


def rs_mixed(n, alphabet=ALNUM):
    """Random string that is visibly random: redrawn until it has upper,
    lower and digit where the alphabet has them, and no run of 4 equal chars."""
    while True:
        s = rs(n, alphabet)
        if re.search(r"(.)\1\1\1", s):
            continue
        need = [cls for cls in (UP, LO, DI) if set(cls) & set(alphabet)]
        if all(any(c in cls for c in s) for cls in need):
            return s


def rbytes(n):
    return bytes(R.getrandbits(8) for _ in range(n))


def b64(b):
    return base64.b64encode(b).decode()


def b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def rdate():
    return "%04d-%02d-%02d" % (R.choice([2024, 2025, 2026]), R.randint(1, 12), R.randint(1, 28))


def rts():
    return "%sT%02d:%02d:%02d" % (rdate(), R.randint(0, 23), R.randint(0, 59), R.randint(0, 59))


def ruuid():
    h = "%032x" % R.getrandbits(128)
    h = h[:12] + "4" + h[13:16] + R.choice("89ab") + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def rhex(n):
    return rs(n, HEXL)


def pem_lines(body_b64, width=64):
    return "\n".join(body_b64[i:i + width] for i in range(0, len(body_b64), width))


def fill(t, **kw):
    """Fill <<name>> slots; no brace escaping needed in JSON/Go/Rust templates."""
    for k, v in kw.items():
        t = t.replace("<<%s>>" % k, str(v))
    assert "<<" not in t or "<<EOF" in t or "<<<" in t, t
    return t


# ---------------------------------------------------------------- checksums

def base62(n, width):
    out = ""
    while n:
        n, d = divmod(n, 62)
        out = B62[d] + out
    return out.rjust(width, "0")


def gh_checksum(body):
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


# ---------------------------------------------------------------- secret values
# Each returns (full_value_as_written, secret_substring).

def one(v):
    return v, v


def cycle(*options):
    """Deterministic round-robin over variants, so every variant appears."""
    state = {"i": 0}

    def nxt():
        v = options[state["i"] % len(options)]
        state["i"] += 1
        return v
    return nxt


def g_openai_legacy():
    return one("sk-" + rs_mixed(20) + "T3BlbkFJ" + rs_mixed(20))


def g_openai_long(prefix):
    lens = cycle(74, 74, 58)

    def g():
        n = lens()
        return one(prefix + rs_mixed(n, B64URL) + "T3BlbkFJ" + rs_mixed(n, B64URL))
    return g


def g_anthropic(prefix):
    def g():
        return one(prefix + rs_mixed(93, B64URL) + "AA")
    return g


def g_hf():
    return one("hf_" + rs_mixed(34, UP + LO))


_AKID_PREFIX = cycle("AKIA", "AKIA", "ASIA")


def g_aws_akid():
    return one(_AKID_PREFIX() + rs_mixed(16, UP + "234567"))


def g_aws_secret():
    return one(rs_mixed(40, ALNUM + "/+"))


_ALI_5T = cycle(True, False, True)


def g_ali_akid():
    if _ALI_5T():
        return one("LTAI5t" + rs_mixed(18))
    return one("LTAI" + rs_mixed(20))


def g_ali_legacy():
    return one("LTAI" + rs_mixed(12))


def g_ali_secret():
    return one(rs_mixed(30))


def g_dashscope():
    return one("sk-" + rhex(32))


def g_google():
    return one("AIza" + rs_mixed(35, B64URL))


def g_ghp():
    body = rs_mixed(30)
    return one("ghp_" + body + gh_checksum(body))


def g_gh_fine():
    return one("github_pat_11" + rs_mixed(20, UP + DI) + "_" + rs_mixed(59))


def g_glpat():
    return one("glpat-" + rs_mixed(20, B64URL))


def g_slack_bot():
    a = str(R.randint(10 ** 10, 10 ** 13 - 1))
    b = str(R.randint(10 ** 10, 10 ** 13 - 1))
    return one("xoxb-%s-%s-%s" % (a, b, rs_mixed(24)))


def g_slack_hook():
    return one("https://hooks.slack.com/services/T%s/B%s/%s" % (
        rs_mixed(R.choice([8, 10]), UP + DI), rs_mixed(R.choice([8, 10]), UP + DI), rs_mixed(24)))


def g_stripe(prefix):
    short = cycle(True, False)

    def g():
        if short():
            return one(prefix + rs_mixed(24))
        return one(prefix + "51" + rs_mixed(97))
    return g


def g_groq():
    return one("gsk_" + rs_mixed(52))


def g_xai():
    return one("xai-" + rs_mixed(80))


def g_openrouter():
    return one("sk-or-v1-" + rhex(64))


def g_replicate():
    return one("r8_" + rs_mixed(37))


def g_pinecone():
    return one("pcsk_" + rs_mixed(6) + "_" + rs_mixed(63))


def g_twilio():
    return one("SK" + rhex(32))


def g_sendgrid():
    return one("SG." + rs_mixed(22, B64URL) + "." + rs_mixed(43, B64URL))


def g_npm():
    body = rs_mixed(30)
    return one("npm_" + body + gh_checksum(body))


def g_pypi():
    # PyPI tokens are base64url macaroons: location "pypi.org", a uuid
    # identifier, a caveat, then a 32-byte signature.
    caveat = json.dumps({"version": 1, "permissions": {"projects": [R.choice(
        ["acme-sdk", "tinyhttp", "fastgrid", "ledgerkit", "pyfoo-utils"])]}}, separators=(",", ":")).encode()
    ident = ruuid().encode()
    raw = (b"\x02\x01\x08pypi.org\x02" + bytes([len(ident)]) + ident + b"\x00\x02" + bytes([len(caveat)])
           + caveat + b"\x00\x00\x06\x20" + rbytes(32))
    tok = "pypi-" + b64u(raw)
    assert tok.startswith("pypi-AgEIcHlwaS5vcmc"), tok
    return one(tok)


JWT_PAYLOADS = [
    lambda: {"sub": str(R.randint(1000, 999999)), "name": R.choice(["Mara Quill", "Tomas Berg", "Ines Duarte"]),
             "role": R.choice(["admin", "editor", "user"]), "iat": 0, "exp": 0},
    lambda: {"iss": "https://auth.%s.io" % R.choice(["acmecloud", "brightlane", "northwind"]),
             "sub": ruuid(), "aud": "api", "scope": "read:orders write:orders", "iat": 0, "exp": 0},
    lambda: {"user_id": R.randint(100, 99999), "email_verified": True, "tenant": R.choice(["eu-1", "us-2"]),
             "iat": 0, "exp": 0, "jti": rhex(16)},
    lambda: {"sub": "svc-%s" % R.choice(["billing", "export", "ingest"]), "azp": "backend",
             "permissions": ["jobs:run"], "iat": 0, "exp": 0},
]


_JWT_ALG = cycle("HS256", "RS256", "HS256", "HS512", "ES256", "HS256", "RS256", "HS256")


def g_jwt():
    alg = _JWT_ALG()
    header = {"alg": alg, "typ": "JWT"}
    if alg in ("RS256", "ES256"):
        header["kid"] = rs_mixed(R.choice([16, 27]), B64URL)
    payload = R.choice(JWT_PAYLOADS)()
    iat = R.randint(1_700_000_000, 1_790_000_000)
    payload["iat"] = iat
    payload["exp"] = iat + R.choice([900, 3600, 86400, 604800])
    si = b64u(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64u(json.dumps(payload, separators=(",", ":")).encode())
    if alg == "HS256":
        sig = hmac.new(rbytes(32), si.encode(), hashlib.sha256).digest()
    elif alg == "HS512":
        sig = hmac.new(rbytes(64), si.encode(), hashlib.sha512).digest()
    elif alg == "RS256":
        sig = rbytes(256)
    else:
        sig = rbytes(64)
    return one(si + "." + b64u(sig))


def der_len(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return b"\x81" + bytes([n])
    return b"\x82" + struct.pack(">H", n)


def der_int(b):
    if b[0] & 0x80:
        b = b"\x00" + b
    return b"\x02" + der_len(len(b)) + b


_PK_KIND = cycle("RSA", "OPENSSH", "EC")


def g_private_key():
    kind = _PK_KIND()
    if kind == "RSA":
        # PKCS#1 RSAPrivateKey layout with random integers (2048-bit shape).
        def big(n):
            b = bytearray(rbytes(n))
            b[0] |= 0x80
            return bytes(b)
        ints = [b"\x00", big(256), b"\x01\x00\x01", big(256), big(128), big(128), big(128), big(128), big(128)]
        seq = b"".join(der_int(i) if i != b"\x00" else b"\x02\x01\x00" for i in ints)
        der = b"\x30" + der_len(len(seq)) + seq
        block = "-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----" % pem_lines(b64(der))
    elif kind == "EC":
        der = (b"\x30\x77\x02\x01\x01\x04\x20" + rbytes(32) +
               b"\xa0\x0a\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07\xa1\x44\x03\x42\x00\x04" + rbytes(64))
        block = "-----BEGIN EC PRIVATE KEY-----\n%s\n-----END EC PRIVATE KEY-----" % pem_lines(b64(der))
    else:
        def sstr(b):
            return struct.pack(">I", len(b)) + b
        pk = rbytes(32)
        pub = sstr(b"ssh-ed25519") + sstr(pk)
        chk = rbytes(4)
        comment = R.choice([b"deploy@ci-runner-3", b"mara@laptop", b"backup@db-2"])
        priv = chk + chk + sstr(b"ssh-ed25519") + sstr(pk) + sstr(rbytes(32) + pk) + sstr(comment)
        pad = 1
        while len(priv) % 8:
            priv += bytes([pad])
            pad += 1
        raw = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"") + struct.pack(">I", 1)
               + sstr(pub) + sstr(priv))
        block = "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----" % pem_lines(b64(raw), 70)
    return one(block)


def url_password():
    return rs_mixed(R.randint(14, 24), ALNUM + "-_~.")


DB_USERS = ["app", "svc_orders", "analytics", "reporting", "api_rw", "etl", "django", "backend"]
DB_NAMES = ["orders", "prod", "billing", "inventory", "app_db", "metrics", "crm", "warehouse"]
PG_HOSTS = ["db.internal", "10.0.3.17", "pg-primary.prod.svc.cluster.local",
            "orders-db.c9xk2lq.eu-west-1.rds.amazonaws.com", "localhost"]
MY_HOSTS = ["mysql-01.corp.lan", "172.20.0.5", "db.internal", "shop-mysql.cx81ab2.us-east-1.rds.amazonaws.com", "127.0.0.1"]
MG_HOSTS = ["mongo-0.mongo.data.svc.cluster.local", "10.0.7.21", "localhost", "mongo.internal"]


def g_db(scheme_choices, port, hosts):
    schemes = cycle(*scheme_choices)

    def g():
        pw = url_password()
        scheme = schemes()
        host = R.choice(hosts)
        if scheme == "mongodb+srv":
            url = "mongodb+srv://%s:%s@cluster0.%s.mongodb.net/%s?retryWrites=true&w=majority" % (
                R.choice(DB_USERS), pw, rs(5, LO + DI), R.choice(DB_NAMES))
        else:
            url = "%s://%s:%s@%s:%d/%s" % (scheme, R.choice(DB_USERS), pw, host, port, R.choice(DB_NAMES))
            if scheme.startswith("mongodb") and R.random() < 0.5:
                url += "?authSource=admin"
            if scheme.startswith("postgres") and R.random() < 0.3:
                url += "?sslmode=require"
        return url, pw
    return g


def g_password():
    sym = "!^*-_+=.~@"
    while True:
        s = rs(R.randint(16, 40), ALNUM + sym + sym)
        if (s[0] in ALNUM and s[-1] in ALNUM and any(c in UP for c in s) and any(c in LO for c in s) and any(c in DI for c in s)
                and any(c in sym for c in s) and not re.search(r"(.)\1\1", s)):
            return one(s)


# ---------------------------------------------------------------- contexts
# A context gets (spec, names, value) and returns text. names = (ENV, snake, camel).

NS = ["prod", "staging", "payments", "data", "default", "ml"]
SERVICES = ["worker", "api", "ingest", "scheduler", "notifier", "gateway"]


def c_dotenv(s, n, v):
    lines = [R.choice(["NODE_ENV=production", "APP_ENV=staging", "ENVIRONMENT=dev"]),
             "PORT=%d" % R.choice([3000, 8000, 8080, 5000]), "LOG_LEVEL=%s" % R.choice(["info", "debug", "warn"]),
             "%s=%s" % (n[0], v)]
    if R.random() < 0.5:
        lines.insert(3, "# %s" % s["label"])
    if R.random() < 0.5:
        lines.append("REDIS_HOST=redis.%s.svc" % R.choice(NS))
    return "\n".join(lines) + "\n"


def c_python(s, n, v):
    return R.choice([
        fill('import os\n\n# TODO move to vault\n<<SN>> = "<<v>>"\nTIMEOUT = 30\n', SN=n[1].upper(), v=v),
        fill('class Settings:\n    debug = False\n    <<sn>> = "<<v>>"\n    region = "eu-west-1"\n', sn=n[1], v=v),
        fill('import os\nos.environ["<<ENV>>"] = "<<v>>"\n\nfrom app import main\nmain()\n', ENV=n[0], v=v),
    ])


def c_js(s, n, v):
    return R.choice([
        fill("const config = {\n  port: 3000,\n  <<c>>: '<<v>>',\n  retries: 3,\n};\n\nmodule.exports = config;\n", c=n[2], v=v),
        fill('// quick test, remove before commit\nexport const <<C>> = "<<v>>";\n', C=n[0], v=v),
        fill('process.env.<<ENV>> = process.env.<<ENV>> || "<<v>>";\n', ENV=n[0], v=v),
    ])


def c_go(s, n, v):
    return R.choice([
        fill('package config\n\nconst <<c>> = "<<v>>"\n', c=n[2], v=v),
        fill('func init() {\n\tos.Setenv("<<ENV>>", "<<v>>")\n}\n', ENV=n[0], v=v),
        fill('cfg := Config{\n\tEndpoint: "<<u>>",\n\t<<C>>: "<<v>>",\n}\n', u=s["url"] or "https://api.internal.example.com",
             C=n[2][0].upper() + n[2][1:], v=v),
    ])


def c_java(s, n, v):
    return R.choice([
        fill('public final class Secrets {\n    private static final String <<ENV>> = "<<v>>";\n}\n', ENV=n[0], v=v),
        fill('Map<String, String> env = new HashMap<>();\nenv.put("<<ENV>>", "<<v>>");\npb.environment().putAll(env);\n',
             ENV=n[0], v=v),
    ])


def c_rust(s, n, v):
    return R.choice([
        fill('const <<ENV>>: &str = "<<v>>";\n\nfn main() {\n    let client = Client::new(<<ENV>>);\n}\n', ENV=n[0], v=v),
        fill('let <<sn>> = String::from("<<v>>");\n', sn=n[1], v=v),
    ])


def c_csharp(s, n, v):
    return R.choice([
        fill('var <<c>> = "<<v>>";\nvar http = new HttpClient();\n', c=n[2], v=v),
        fill('Environment.SetEnvironmentVariable("<<ENV>>", "<<v>>");\n', ENV=n[0], v=v),
    ])


def c_k8s_secret(s, n, v):
    return fill("apiVersion: v1\nkind: Secret\nmetadata:\n  name: <<svc>>-credentials\n  namespace: <<ns>>\n"
                "type: Opaque\nstringData:\n  <<ENV>>: \"<<v>>\"\n", svc=s["svc"], ns=R.choice(NS), ENV=n[0], v=v)


def c_k8s_deploy(s, n, v):
    return fill("    spec:\n      containers:\n      - name: <<app>>\n        image: registry.example.com/<<app>>:1.4.2\n"
                "        env:\n        - name: <<ENV>>\n          value: \"<<v>>\"\n        - name: LOG_LEVEL\n"
                "          value: info\n", app=R.choice(SERVICES), ENV=n[0], v=v)


def c_compose(s, n, v):
    return fill("services:\n  <<app>>:\n    image: ghcr.io/acme/<<app>>:latest\n    restart: unless-stopped\n"
                "    environment:\n      - <<ENV>>=<<v>>\n      - TZ=UTC\n", app=R.choice(SERVICES), ENV=n[0], v=v)


def c_gha(s, n, v):
    return fill("name: nightly\non:\n  schedule:\n    - cron: '0 2 * * *'\njobs:\n  run:\n    runs-on: ubuntu-latest\n"
                "    env:\n      <<ENV>>: <<v>>\n    steps:\n      - uses: actions/checkout@v4\n      - run: make sync\n",
                ENV=n[0], v=v)


def c_helm(s, n, v):
    return fill("# values-<<ns>>.yaml\nreplicaCount: 2\n<<svc>>:\n  enabled: true\n  <<c>>: \"<<v>>\"\n",
                ns=R.choice(NS), svc=s["svc"], c=n[2], v=v)


def c_vscode(s, n, v):
    return fill('{\n  "editor.formatOnSave": true,\n  "files.trimTrailingWhitespace": true,\n'
                '  "<<svc>>.<<c>>": "<<v>>"\n}\n', svc=s["svc"], c=n[2], v=v)


def c_mcp(s, n, v):
    return fill('{\n  "mcpServers": {\n    "<<svc>>": {\n      "command": "npx",\n      "args": ["-y", "@acme/<<svc>>-mcp"],\n'
                '      "env": {\n        "<<ENV>>": "<<v>>"\n      }\n    }\n  }\n}\n', svc=s["svc"], ENV=n[0], v=v)


def c_json(s, n, v):
    return fill('{\n  "name": "<<app>>",\n  "version": "2.3.0",\n  "<<svc>>": {\n    "<<c>>": "<<v>>",\n'
                '    "timeoutMs": 15000\n  }\n}\n', app=R.choice(SERVICES) + "-service", svc=s["svc"], c=n[2], v=v)


def c_toml(s, n, v):
    return fill('[<<svc>>]\n<<sn>> = "<<v>>"\nretries = 3\n\n[server]\nport = 8080\n', svc=s["svc"], sn=n[1], v=v)


def c_ini(s, n, v):
    return fill("[<<svc>>]\n<<sn>> = <<v>>\nenabled = true\n\n[logging]\nlevel = INFO\n", svc=s["svc"], sn=n[1], v=v)


def c_terraform(s, n, v):
    return R.choice([
        fill('variable "<<sn>>" {\n  type      = string\n  sensitive = true\n  default   = "<<v>>"\n}\n', sn=n[1], v=v),
        fill('resource "kubernetes_secret" "<<svc>>" {\n  metadata {\n    name = "<<svc>>"\n  }\n  data = {\n'
             '    <<sn>> = "<<v>>"\n  }\n}\n', svc=s["svc"], sn=n[1], v=v),
    ])


def c_shell(s, n, v):
    q = R.choice(['"', "'", ""])
    return R.choice([
        fill("  501  cd ~/src/<<svc>>-sync\n  502  export <<ENV>>=<<q>><<v>><<q>>\n  503  python run.py --dry-run\n",
             svc=s["svc"], ENV=n[0], q=q, v=v),
        fill("$ export <<ENV>>=<<q>><<v>><<q>>\n$ make deploy\n", ENV=n[0], q=q, v=v),
        fill("<<ENV>>=<<q>><<v>><<q>> ./scripts/backfill.sh --since 2024-01-01\n", ENV=n[0], q=q, v=v),
    ])


def auth_args(s, v):
    a = s.get("auth")
    if a == "bearer":
        return '-H "Authorization: Bearer %s"' % v
    if a == "basic":
        return "-u %s:" % v
    if a and a.startswith("header:"):
        return '-H "%s: %s"' % (a.split(":", 1)[1], v)
    raise AssertionError(s)


def c_curl(s, n, v):
    return fill('$ curl -s <<url>> \\\n    <<auth>> \\\n    -H "Content-Type: application/json"\n',
                url=s["url"], auth=auth_args(s, v))


def c_http(s, n, v):
    a = s["auth"]
    if a == "bearer":
        hdr = "Authorization: Bearer " + v
    elif a == "basic":
        raise AssertionError("basic auth would hide the value")
    else:
        hdr = "%s: %s" % (a.split(":", 1)[1], v)
    m = re.match(r"https://([^/]+)(/.*)?", s["url"])
    return fill("<<meth>> <<path>> HTTP/1.1\nHost: <<host>>\nUser-Agent: python-requests/2.31.0\n<<hdr>>\n"
                "Accept: application/json\n\n", meth="POST" if re.search(r"completions|send|messages|predictions|postMessage|embeddings", s["url"]) else "GET", path=m.group(2) or "/",
                host=m.group(1), hdr=hdr)


def c_jupyter(s, n, v):
    return R.choice([
        fill('{\n "cell_type": "code",\n "execution_count": <<k>>,\n "metadata": {},\n "outputs": [],\n "source": [\n'
             '  "import os\\n",\n  "os.environ[\\"<<ENV>>\\"] = \\"<<v>>\\"\\n"\n ]\n}\n', k=R.randint(1, 30), ENV=n[0], v=v),
        fill("In [<<k>>]: <<sn>> = '<<v>>'\n\nIn [<<k1>>]: len(<<sn>>)\nOut[<<k1>>]: <<len>>\n", k=R.randint(1, 9),
             k1=R.randint(10, 19), sn=n[1], v=v, len=len(v)),
    ])


def c_log(s, n, v):
    ts = rts()
    return R.choice([
        fill('<<ts>>Z DEBUG config: loaded settings {"env": "prod", "<<sn>>": "<<v>>", "workers": 4}\n', ts=ts, sn=n[1], v=v),
        fill('time="<<ts>>Z" level=debug msg="starting client" <<sn>>=<<v>> retries=3\n', ts=ts, sn=n[1], v=v),
        fill('[<<ts>>] INFO  <<app>> - environment: <<ENV>>=<<v>>\n', ts=ts.replace("T", " "), app=R.choice(SERVICES),
             ENV=n[0], v=v),
    ])


def c_stack(s, n, v):
    return R.choice([
        fill('Traceback (most recent call last):\n  File "/srv/app/jobs/<<svc>>_sync.py", line <<ln>>, in run\n'
             '    client = make_client(<<sn>>="<<v>>", timeout=10)\n  File "/srv/app/lib/http.py", line 41, in make_client\n'
             '    raise ConnectionError("upstream unreachable")\nConnectionError: upstream unreachable\n',
             svc=s["svc"], ln=R.randint(20, 300), sn=n[1], v=v),
        fill('Exception in thread "main" java.lang.IllegalStateException: <<svc>> client init failed (<<c>>=<<v>>)\n'
             '\tat com.acme.<<svc>>.ClientFactory.create(ClientFactory.java:<<ln>>)\n\tat com.acme.App.main(App.java:22)\n',
             svc=s["svc"], c=n[2], v=v, ln=R.randint(20, 200)),
    ])


def c_chat(s, n, v):
    return R.choice([
        fill("hey, here is my <<label>> for the staging box: <<v>> can you check why the job keeps failing?", label=s["label"], v=v),
        fill("[10:42] dana: which key do I use?\n[10:43] lee: use this <<label>> <<v>> and don't share it pls", label=s["label"], v=v),
        fill("Sure! Set <<ENV>> to <<v>> and restart the service, it should pick it up.", ENV=n[0], v=v),
        fill("my <<label>> is <<v>>, why do I get 401?", label=s["label"], v=v),
    ])


def c_markdown(s, n, v):
    return fill("## Quick start\n\n1. Clone the repo\n2. Put this in `.env`:\n\n```\n<<ENV>>=<<v>>\n```\n\n3. Run `make dev`\n",
                ENV=n[0], v=v)


def c_diff(s, n, v):
    f = R.choice([".env", "config/settings.env", "deploy/.env.production"])
    return fill("diff --git a/<<f>> b/<<f>>\n--- a/<<f>>\n+++ b/<<f>>\n@@ -1,3 +1,4 @@\n APP_NAME=<<app>>\n PORT=8080\n"
                "+<<ENV>>=<<v>>\n LOG_LEVEL=info\n", f=f, app=R.choice(SERVICES), ENV=n[0], v=v)


def c_sql(s, n, v):
    return fill("INSERT INTO integration_credentials (provider, <<sn>>, created_at) VALUES ('<<svc>>', '<<v>>', '<<d>>');\n",
                sn=n[1], svc=s["svc"], v=v, d=rdate())


def c_dockerfile(s, n, v):
    return fill("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nENV <<ENV>>=<<v>>\n"
                "CMD [\"python\", \"main.py\"]\n", ENV=n[0], v=v)


def c_crontab(s, n, v):
    return fill("# m h dom mon dow command\n<<m>> <<h>> * * * <<ENV>>=<<v>> /opt/<<svc>>/bin/sync >> /var/log/<<svc>>-sync.log 2>&1\n",
                m=R.choice(["0", "*/15", "30"]), h=R.choice(["*", "3", "2"]), ENV=n[0], v=v, svc=s["svc"])


def c_csv(s, n, v):
    return fill("provider,<<sn>>,owner,created\n<<svc>>,<<v>>,platform-team,<<d>>\n", sn=n[1], svc=s["svc"], v=v, d=rdate())


GENERIC = {
    "dotenv": c_dotenv, "python": c_python, "js": c_js, "go": c_go, "java": c_java, "rust": c_rust, "csharp": c_csharp,
    "k8s-secret": c_k8s_secret, "k8s-deploy": c_k8s_deploy, "compose": c_compose, "gha": c_gha, "helm": c_helm,
    "vscode": c_vscode, "mcp": c_mcp, "json": c_json, "toml": c_toml, "ini": c_ini, "terraform": c_terraform,
    "shell": c_shell, "curl": c_curl, "http": c_http, "jupyter": c_jupyter, "log": c_log, "stacktrace": c_stack,
    "chat": c_chat, "markdown": c_markdown, "diff": c_diff, "sql": c_sql, "dockerfile": c_dockerfile,
    "crontab": c_crontab, "csv": c_csv,
}
NEEDS_AUTH = {"curl", "http"}


# ---------------------------------------------------------------- type-specific contexts
# Each is fn(value) -> text and is used once for its type.

def x(t, **kw):
    return lambda v: fill(t, v=v, **kw)


OPENAI_SDK = x('from openai import OpenAI\n\nclient = OpenAI(api_key="<<v>>")\nresp = client.responses.create(model="gpt-4.1-mini", input="ping")\n')
SPECIFIC = {
    "openai-legacy": [
        x('import openai\nopenai.api_key = "<<v>>"\ncompletion = openai.Completion.create(engine="text-davinci-003", prompt=p)\n'),
    ],
    "openai-project": [OPENAI_SDK],
    "openai-svcacct": [
        x("Service account created.\n\nName: ci-evals\nProject: proj_evals\nAPI key (shown once): <<v>>\n"),
    ],
    "anthropic-api": [
        x('import anthropic\n\nclient = anthropic.Anthropic(api_key="<<v>>")\nmsg = client.messages.create(model="claude-sonnet-4-5", max_tokens=512, messages=msgs)\n'),
    ],
    "anthropic-admin": [
        x('curl "https://api.anthropic.com/v1/organizations/users?limit=20" \\\n  --header "anthropic-version: 2023-06-01" \\\n  --header "x-api-key: <<v>>"\n'),
    ],
    "huggingface-token": [
        x("$ huggingface-cli login --token <<v>>\nToken is valid (permission: write).\nLogin successful\n"),
        x("git clone https://mlteam:<<v>>@huggingface.co/acme/sentiment-large\n"),
    ],
    "aws-access-key-id": [
        x('s3 = boto3.client(\n    "s3",\n    aws_access_key_id="<<v>>",\n    region_name="us-east-1",\n)\n'),
        x('{\n    "AccessKeyMetadata": [\n        {\n            "UserName": "ci-deployer",\n            "AccessKeyId": "<<v>>",\n'
          '            "Status": "Active",\n            "CreateDate": "2025-02-11T09:14:03+00:00"\n        }\n    ]\n}\n'),
    ],
    "aws-secret-access-key": [
        x("$ aws configure\nAWS Access Key ID [None]: \nAWS Secret Access Key [None]: <<v>>\nDefault region name [None]: eu-central-1\nDefault output format [None]: json\n"),
        x('session = boto3.Session(\n    aws_secret_access_key="<<v>>",\n    region_name="us-west-2",\n)\n'),
    ],
    "alibaba-access-key-id": [
        x("$ aliyun configure --profile prod\nConfiguring profile 'prod' in 'AK' authenticate mode...\nAccess Key Id []: <<v>>\n"),
        x('Config config = new Config()\n        .setAccessKeyId("<<v>>")\n        .setEndpoint("ecs.cn-hangzhou.aliyuncs.com");\n'),
    ],
    "alibaba-access-key-id-legacy16": [
        x("# 老的 OSS 上传脚本\naccess_key_id = '<<v>>'\nbucket = oss2.Bucket(auth, 'http://oss-cn-shanghai.aliyuncs.com', 'media-archive')\n"),
    ],
    "alibaba-access-key-secret": [
        x("$ aliyun configure --profile prod\nAccess Key Secret []: <<v>>\nDefault Region Id []: cn-hangzhou\n"),
        x('config.setAccessKeySecret("<<v>>");\n'),
    ],
    "alibaba-dashscope": [
        x('import dashscope\n\ndashscope.api_key = "<<v>>"\nresp = dashscope.Generation.call(model="qwen-plus", prompt="你好")\n'),
        x('client = OpenAI(\n    api_key="<<v>>",\n    base_url="https://dashscope.aliyuncs.com/compatible-mode/v1",\n)\n'),
        x("同事发我的百炼 DashScope API Key：<<v>>，先用着，月底额度会重置。"),
    ],
    "google-api-key": [
        x("GET https://maps.googleapis.com/maps/api/geocode/json?address=1600+Amphitheatre+Parkway&key=<<v>> 200 412ms\n"),
        x('const firebaseConfig = {\n  apiKey: "<<v>>",\n  authDomain: "shopfront-7c1e2.firebaseapp.com",\n  projectId: "shopfront-7c1e2",\n};\n'),
    ],
    "github-pat": [
        x("$ git remote -v\norigin\thttps://<<v>>@github.com/acme/infra.git (fetch)\n"),
        x("https://octocat-bot:<<v>>@github.com\n"),
        x("const octokit = new Octokit({ auth: '<<v>>' });\n"),
    ],
    "github-fine-grained": [
        x("$ echo <<v>> | gh auth login --with-token\n"),
    ],
    "gitlab-pat": [
        x('curl --header "PRIVATE-TOKEN: <<v>>" "https://gitlab.example.com/api/v4/projects/42/pipelines"\n'),
        x("git clone https://oauth2:<<v>>@gitlab.com/acme/platform/deploy-tools.git\n"),
    ],
    "slack-bot": [
        x('from slack_sdk import WebClient\n\nclient = WebClient(token="<<v>>")\nclient.chat_postMessage(channel="#deploys", text="done")\n'),
    ],
    "slack-webhook": [
        x("curl -X POST -H 'Content-type: application/json' --data '{\"text\":\"Backup finished\"}' <<v>>\n"),
        x("receivers:\n  - name: oncall\n    slack_configs:\n      - api_url: '<<v>>'\n        channel: '#alerts'\n"),
        x('requests.post("<<v>>", json={"text": f"deploy {version} ok"})\n'),
    ],
    "stripe-live": [
        x('import stripe\nstripe.api_key = "<<v>>"\nstripe.Charge.create(amount=2000, currency="usd", source=tok)\n'),
    ],
    "stripe-restricted": [
        x("const stripe = require('stripe')('<<v>>');\n"),
    ],
    "groq": [
        x('from groq import Groq\n\nclient = Groq(api_key="<<v>>")\n'),
    ],
    "xai": [
        x('client = OpenAI(api_key="<<v>>", base_url="https://api.x.ai/v1")\n'),
    ],
    "openrouter": [
        x('const openai = new OpenAI({\n  baseURL: "https://openrouter.ai/api/v1",\n  apiKey: "<<v>>",\n});\n'),
    ],
    "replicate": [
        x('import replicate\nrc = replicate.Client(api_token="<<v>>")\n'),
    ],
    "pinecone": [
        x('from pinecone import Pinecone\npc = Pinecone(api_key="<<v>>")\nindex = pc.Index("docs")\n'),
    ],
    "twilio-api-key": [
        x("TWILIO_ACCOUNT_REGION=us1\nTWILIO_API_KEY=<<v>>\n"),
    ],
    "sendgrid": [
        x("sg = SendGridAPIClient('<<v>>')\nresponse = sg.send(message)\n"),
    ],
    "npm-token": [
        x("registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=<<v>>\n"),
        x("$ npm config set //registry.npmjs.org/:_authToken <<v>>\n"),
    ],
    "pypi-token": [
        x("[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = <<v>>\n"),
        x("$ twine upload -u __token__ -p <<v>> dist/*\n"),
    ],
    "jwt": [
        x("GET /api/v2/orders?page=2 HTTP/1.1\nHost: shop.example.com\nCookie: theme=dark; access_token=<<v>>\n"),
        x('localStorage.setItem("auth_token", "<<v>>");\n'),
        x("Authorization: Bearer <<v>>\n"),
    ],
    "private-key": [
        x("$ cat ~/.ssh/id_deploy\n<<v>>\n$ \n"),
        x("can someone check why ssh says invalid format? this is the key I'm using:\n\n<<v>>\n\nthanks"),
        x("Server access for the new box:\n\n```\n<<v>>\n```\n"),
        x('SSL_KEY="<<v>>"\n'),
        x('SIGNING_KEY = """<<v>>"""\n'),
        x('resource "tls_locally_signed_cert" "svc" {\n  ca_private_key_pem = <<EOF\n<<v>>\nEOF\n}\n'),
    ],
    "postgres-url-password": [
        x('engine = create_engine("<<v>>", pool_size=10)\n'),
        x('datasource db {\n  provider = "postgresql"\n  url      = "<<v>>"\n}\n'),
    ],
    "mysql-url-password": [
        x('SQLALCHEMY_DATABASE_URI = "<<v>>"\n'),
        x("[alembic]\nscript_location = migrations\nsqlalchemy.url = <<v>>\n"),
    ],
    "mongodb-url-password": [
        x('$ mongosh "<<v>>"\nCurrent Mongosh Log ID: 65f0c2\nConnecting to: mongodb://<credentials>@...\n'),
        x("const client = new MongoClient('<<v>>');\nawait client.connect();\n"),
    ],
    "generic-password-assignment": [
        x("spring.datasource.username=app\nspring.datasource.password=<<v>>\nspring.jpa.hibernate.ddl-auto=validate\n"),
        x('"ConnectionStrings": {\n  "Default": "Server=sql01;Database=Orders;User Id=app;Password=<<v>>;"\n}\n'),
        x("CREATE USER reporting WITH PASSWORD '<<v>>';\n"),
        x("    environment:\n      MYSQL_ROOT_PASSWORD: \"<<v>>\"\n      MYSQL_DATABASE: shop\n"),
        x('resource "aws_db_instance" "main" {\n  engine   = "postgres"\n  username = "dbadmin"\n  password = "<<v>>"\n}\n'),
    ],
}


# ---------------------------------------------------------------- type specs
# names: (ENV, snake_field, camelField) choices; auth: how curl/HTTP carry it.

def spec(gen, names, label, svc, n=6, auth=None, url=None, only=None, exclude=(), base=None):
    return dict(gen=gen, names=names, label=label, svc=svc, n=n, auth=auth, url=url, only=only, exclude=set(exclude), base=base)


DBX = ("curl", "http", "sql", "csv", "vscode", "jupyter")
SPECS = {
    "openai-legacy": spec(g_openai_legacy, [("OPENAI_API_KEY", "openai_api_key", "openaiApiKey"), ("OPENAI_KEY", "openai_key", "openAiKey")],
                          "OpenAI key", "openai", auth="bearer", url="https://api.openai.com/v1/models"),
    "openai-project": spec(g_openai_long("sk-proj-"), [("OPENAI_API_KEY", "openai_api_key", "openaiApiKey")],
                           "OpenAI API key", "openai", n=7, auth="bearer", url="https://api.openai.com/v1/chat/completions"),
    "openai-svcacct": spec(g_openai_long("sk-svcacct-"), [("OPENAI_API_KEY", "openai_api_key", "apiKey"), ("OPENAI_SERVICE_KEY", "openai_service_key", "openaiServiceKey")],
                           "OpenAI service account key", "openai", auth="bearer", url="https://api.openai.com/v1/embeddings"),
    "anthropic-api": spec(g_anthropic("sk-ant-api03-"), [("ANTHROPIC_API_KEY", "anthropic_api_key", "anthropicApiKey"), ("CLAUDE_API_KEY", "claude_api_key", "claudeApiKey")],
                          "Anthropic API key", "anthropic", n=7, auth="header:x-api-key", url="https://api.anthropic.com/v1/messages"),
    "anthropic-admin": spec(g_anthropic("sk-ant-admin01-"), [("ANTHROPIC_ADMIN_KEY", "anthropic_admin_key", "adminApiKey")],
                            "Anthropic admin key", "anthropic", auth="header:x-api-key", url="https://api.anthropic.com/v1/organizations/api_keys"),
    "huggingface-token": spec(g_hf, [("HF_TOKEN", "hf_token", "hfToken"), ("HUGGINGFACEHUB_API_TOKEN", "huggingface_token", "hubToken")],
                              "Hugging Face token", "huggingface", auth="bearer", url="https://huggingface.co/api/whoami-v2"),
    "aws-access-key-id": spec(g_aws_akid, [("AWS_ACCESS_KEY_ID", "aws_access_key_id", "accessKeyId")],
                              "AWS access key id", "aws", n=7),
    "aws-secret-access-key": spec(g_aws_secret, [("AWS_SECRET_ACCESS_KEY", "aws_secret_access_key", "awsSecretAccessKey")],
                                  "AWS secret access key", "aws", n=7, exclude=("csv",)),
    "alibaba-access-key-id": spec(g_ali_akid, [("ALIBABA_CLOUD_ACCESS_KEY_ID", "access_key_id", "accessKeyId"), ("ALICLOUD_ACCESS_KEY", "alicloud_access_key", "aliyunAccessKeyId")],
                                  "Alibaba Cloud AccessKey ID", "aliyun"),
    "alibaba-access-key-id-legacy16": spec(g_ali_legacy, [("ALIYUN_ACCESS_KEY_ID", "access_key_id", "accessKeyId")],
                                           "Aliyun AccessKey ID", "aliyun"),
    "alibaba-access-key-secret": spec(g_ali_secret, [("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "access_key_secret", "accessKeySecret"), ("ALIYUN_ACCESS_KEY_SECRET", "aliyun_access_key_secret", "accessKeySecret")],
                                      "Alibaba Cloud AccessKey Secret", "aliyun", exclude=("csv",)),
    "alibaba-dashscope": spec(g_dashscope, [("DASHSCOPE_API_KEY", "dashscope_api_key", "dashscopeApiKey")],
                              "DashScope API key", "dashscope", n=7, auth="bearer",
                              url="https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions"),
    "google-api-key": spec(g_google, [("GOOGLE_API_KEY", "google_api_key", "googleApiKey"), ("GEMINI_API_KEY", "gemini_api_key", "geminiApiKey")],
                           "Google API key", "google", auth="header:x-goog-api-key",
                           url="https://generativelanguage.googleapis.com/v1beta/models"),
    "github-pat": spec(g_ghp, [("GITHUB_TOKEN", "github_token", "githubToken"), ("GH_TOKEN", "gh_token", "ghToken")],
                       "GitHub token", "github", n=8, auth="bearer", url="https://api.github.com/user/repos"),
    "github-fine-grained": spec(g_gh_fine, [("GITHUB_PAT", "github_pat", "githubPat")], "GitHub fine-grained token",
                                "github", auth="bearer", url="https://api.github.com/repos/acme/infra/actions/runs"),
    "gitlab-pat": spec(g_glpat, [("GITLAB_TOKEN", "gitlab_token", "gitlabToken")], "GitLab access token", "gitlab",
                       auth="header:PRIVATE-TOKEN", url="https://gitlab.com/api/v4/projects"),
    "slack-bot": spec(g_slack_bot, [("SLACK_BOT_TOKEN", "slack_bot_token", "botToken")], "Slack bot token", "slack",
                      auth="bearer", url="https://slack.com/api/chat.postMessage"),
    "slack-webhook": spec(g_slack_hook, [("SLACK_WEBHOOK_URL", "slack_webhook_url", "webhookUrl")], "Slack webhook", "slack"),
    "stripe-live": spec(g_stripe("sk_live_"), [("STRIPE_SECRET_KEY", "stripe_secret_key", "stripeSecretKey")],
                        "Stripe secret key", "stripe", auth="basic", url="https://api.stripe.com/v1/charges", exclude=("http",)),
    "stripe-restricted": spec(g_stripe("rk_live_"), [("STRIPE_RESTRICTED_KEY", "stripe_restricted_key", "stripeKey")],
                              "Stripe restricted key", "stripe", auth="basic", url="https://api.stripe.com/v1/customers", exclude=("http",)),
    "groq": spec(g_groq, [("GROQ_API_KEY", "groq_api_key", "groqApiKey")], "Groq API key", "groq", auth="bearer",
                 url="https://api.groq.com/openai/v1/chat/completions"),
    "xai": spec(g_xai, [("XAI_API_KEY", "xai_api_key", "xaiApiKey"), ("GROK_API_KEY", "grok_api_key", "grokApiKey")],
                "xAI API key", "xai", auth="bearer", url="https://api.x.ai/v1/chat/completions"),
    "openrouter": spec(g_openrouter, [("OPENROUTER_API_KEY", "openrouter_api_key", "openrouterApiKey")], "OpenRouter key",
                       "openrouter", auth="bearer", url="https://openrouter.ai/api/v1/chat/completions"),
    "replicate": spec(g_replicate, [("REPLICATE_API_TOKEN", "replicate_api_token", "replicateToken")], "Replicate token",
                      "replicate", auth="bearer", url="https://api.replicate.com/v1/predictions"),
    "pinecone": spec(g_pinecone, [("PINECONE_API_KEY", "pinecone_api_key", "pineconeApiKey")], "Pinecone API key",
                     "pinecone", auth="header:Api-Key", url="https://api.pinecone.io/indexes"),
    "twilio-api-key": spec(g_twilio, [("TWILIO_API_KEY", "twilio_api_key", "twilioApiKey"), ("TWILIO_API_KEY_SID", "api_key_sid", "apiKeySid")],
                           "Twilio API key", "twilio"),
    "sendgrid": spec(g_sendgrid, [("SENDGRID_API_KEY", "sendgrid_api_key", "sendgridApiKey")], "SendGrid API key",
                     "sendgrid", auth="bearer", url="https://api.sendgrid.com/v3/mail/send"),
    "npm-token": spec(g_npm, [("NPM_TOKEN", "npm_token", "npmToken"), ("NODE_AUTH_TOKEN", "node_auth_token", "authToken")],
                      "npm token", "npm", auth="bearer", url="https://registry.npmjs.org/-/whoami"),
    "pypi-token": spec(g_pypi, [("PYPI_TOKEN", "pypi_token", "pypiToken"), ("TWINE_PASSWORD", "twine_password", "twinePassword"),
                                ("UV_PUBLISH_TOKEN", "publish_token", "publishToken")], "PyPI token", "pypi"),
    "jwt": spec(g_jwt, [("ACCESS_TOKEN", "access_token", "accessToken"), ("SERVICE_JWT", "service_jwt", "serviceJwt"),
                        ("AUTH_TOKEN", "auth_token", "authToken")], "access token", "auth", n=8, auth="bearer",
                url="https://api.example.com/v1/me"),
    "private-key": spec(g_private_key, [("", "", "")], "private key", "ssh", n=6, only=()),
    "postgres-url-password": spec(g_db(["postgresql", "postgres", "postgresql+psycopg2"], 5432, PG_HOSTS),
                                  [("DATABASE_URL", "database_url", "databaseUrl"), ("PG_DSN", "pg_dsn", "pgDsn")],
                                  "Postgres connection string", "postgres", exclude=DBX),
    "mysql-url-password": spec(g_db(["mysql", "mysql+pymysql"], 3306, MY_HOSTS),
                               [("DATABASE_URL", "database_url", "databaseUrl"), ("MYSQL_URL", "mysql_url", "mysqlUrl")],
                               "MySQL connection string", "mysql", exclude=DBX),
    "mongodb-url-password": spec(g_db(["mongodb", "mongodb+srv", "mongodb"], 27017, MG_HOSTS),
                                 [("MONGO_URI", "mongo_uri", "mongoUri"), ("MONGODB_URL", "mongodb_url", "mongoUrl")],
                                 "MongoDB URI", "mongodb", exclude=DBX),
    "generic-password-assignment": spec(g_password, [
        ("DB_PASSWORD", "db_password", "dbPassword"), ("PASSWORD", "password", "password"), ("ADMIN_PASSWD", "passwd", "passwd"),
        ("SMTP_PWD", "smtp_pwd", "pwd"), ("JWT_SECRET", "jwt_secret", "jwtSecret"), ("APP_SECRET", "secret", "clientSecret"),
        ("WEBHOOK_TOKEN", "token", "webhookToken"), ("API_KEY", "api_key", "apiKey")], "password", "app", n=12,
        exclude=("curl", "http", "csv", "crontab", "diff", "markdown")),
}

GEN_PW_LABELS = {"db_password": "db password", "password": "password", "passwd": "admin password", "smtp_pwd": "SMTP password",
                 "jwt_secret": "JWT secret", "secret": "app secret", "token": "webhook token", "api_key": "api key"}


def make_secrets():
    used = {k: 0 for k in GENERIC}
    recs = []
    for typ, s in SPECS.items():
        extras = SPECIFIC.get(typ, [])
        allowed = [] if s["only"] is not None else [
            c for c in GENERIC if c not in s["exclude"] and (c not in NEEDS_AUTH or s["auth"])]
        for i in range(max(s["n"], len(extras))):
            full, secret = s["gen"]()
            if i < len(extras):
                text = extras[i](full)
                ctx = "specific"
            else:
                # least-used allowed context, ties broken at random
                low = min(used[c] for c in allowed)
                ctx = R.choice([c for c in allowed if used[c] == low])
                allowed.remove(ctx)
                used[ctx] += 1
                names = R.choice(s["names"])
                ss = dict(s)
                if typ == "generic-password-assignment":
                    ss["label"] = GEN_PW_LABELS[names[1]]
                text = GENERIC[ctx](ss, names, full)
            assert secret in text, (typ, ctx)
            recs.append({"text": text, "label": "secret", "type": typ, "secret": secret, "_ctx": ctx})
    return recs


# ---------------------------------------------------------------- look-alikes

def png_1x1():
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    w = h = R.choice([2, 4, 8])
    raw = b"".join(b"\x00" + rbytes(w * 3) for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def ssh_rsa_pub():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    n = bytearray(rbytes(256))
    n[0] |= 0x80
    return "ssh-rsa " + b64(sstr(b"ssh-rsa") + sstr(b"\x01\x00\x01") + sstr(b"\x00" + bytes(n)))


def ssh_ed_pub():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    return "ssh-ed25519 " + b64(sstr(b"ssh-ed25519") + sstr(rbytes(32)))


def rsa_spki_pem():
    n = bytearray(rbytes(256))
    n[0] |= 0x80
    der = (bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100") + bytes(n)
           + bytes.fromhex("0203010001"))
    return "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----" % pem_lines(b64(der))


def ec_spki_pem():
    der = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + b"\x04" + rbytes(64)
    return "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----" % pem_lines(b64(der))


def sha(kind):
    return hashlib.new(kind, rbytes(64)).hexdigest()


def bech32_like(n):
    return rs(n, "qpzry9x8gf2tvdw0s3jn54khce6mua7l")


def lookalikes():
    L = []

    def add(kind, text, value):
        assert value in text, (kind, value)
        L.append({"text": text, "label": "not_secret", "type": kind, "secret": value})

    # placeholder
    v = "sk-" + "x" * 48
    add("placeholder", "# copy to .env and fill in\nOPENAI_API_KEY=%s\nOPENAI_MODEL=gpt-4o-mini\n" % v, v)
    add("placeholder", "llm:\n  provider: openai\n  api_key: <YOUR_API_KEY>\n  temperature: 0.2\n", "<YOUR_API_KEY>")
    add("placeholder", '{\n  "endpoint": "https://api.example.com",\n  "apiKey": "your-key-here"\n}\n', "your-key-here")
    add("placeholder", "Then set your key:\n\n```bash\nexport ANTHROPIC_API_KEY=sk-ant-...\n```\n", "sk-ant-...")
    add("placeholder", "STRIPE_SECRET_KEY=REPLACE_ME\nSTRIPE_CURRENCY=eur\n", "REPLACE_ME")
    v = "ghp_" + "X" * 36
    add("placeholder", "# Personal access token with repo scope\nGITHUB_TOKEN=%s\n" % v, v)
    add("placeholder", "[default]\naws_secret_access_key = <your-secret-access-key>\nregion = us-east-1\n", "<your-secret-access-key>")
    add("placeholder", 'client = OpenAI(api_key="YOUR_OPENAI_API_KEY")  # replace before running\n', "YOUR_OPENAI_API_KEY")
    add("placeholder", "Authorization: Bearer <token>\n\nReplace <token> with the value from the dashboard.", "<token>")
    add("placeholder", "DATABASE_URL=postgres://user:password@localhost:5432/mydb\n", "password")
    add("placeholder", "HUGGINGFACEHUB_API_TOKEN=hf_your_token_here\n", "hf_your_token_here")
    add("placeholder", 'variable "api_key" {\n  type    = string\n  default = "xxxx-xxxx-xxxx-xxxx"\n}\n', "xxxx-xxxx-xxxx-xxxx")
    add("placeholder", "# 在控制台创建后填入\nDASHSCOPE_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
    v = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
    add("placeholder", "SLACK_WEBHOOK_URL=%s  # example from the Slack docs\n" % v, v)
    add("placeholder", "Paste your key into the settings page (it looks like `sk-...`) and press Save.", "sk-...")

    # env-reference
    add("env-reference", "    environment:\n      - OPENAI_API_KEY=${OPENAI_API_KEY}\n", "${OPENAI_API_KEY}")
    add("env-reference", 'git clone "https://x-access-token:$GITHUB_TOKEN@github.com/acme/infra.git"\n', "$GITHUB_TOKEN")
    add("env-reference", 'client = anthropic.Anthropic(api_key=os.environ["ANTHROPIC_API_KEY"])\n', 'os.environ["ANTHROPIC_API_KEY"]')
    add("env-reference", "const stripe = new Stripe(process.env.STRIPE_SECRET_KEY);\n", "process.env.STRIPE_SECRET_KEY")
    add("env-reference", "        - name: API_KEY\n          value: {{ .Values.apiKey | quote }}\n", "{{ .Values.apiKey | quote }}")
    add("env-reference", "      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n", "${{ secrets.NPM_TOKEN }}")
    add("env-reference", "C:\\> curl -H \"Authorization: Bearer %OPENAI_API_KEY%\" https://api.openai.com/v1/models\n", "%OPENAI_API_KEY%")
    add("env-reference", 'PS> $headers = @{ Authorization = "Bearer $env:GROQ_API_KEY" }\n', "$env:GROQ_API_KEY")
    add("env-reference", 'secret := os.Getenv("AWS_SECRET_ACCESS_KEY")\n', 'os.Getenv("AWS_SECRET_ACCESS_KEY")')
    add("env-reference", 'let key = std::env::var("XAI_API_KEY").expect("XAI_API_KEY not set");\n', 'std::env::var("XAI_API_KEY")')
    add("env-reference", 'var key = Environment.GetEnvironmentVariable("SENDGRID_API_KEY");\n', 'Environment.GetEnvironmentVariable("SENDGRID_API_KEY")')
    add("env-reference", 'provider "pinecone" {\n  api_key = var.pinecone_api_key\n}\n', "var.pinecone_api_key")
    add("env-reference", "        env:\n        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef:\n              name: db-credentials\n              key: password\n", "secretKeyRef")
    add("env-reference", "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}\n", "${POSTGRES_PASSWORD:?set it in .env}")
    add("env-reference", '"env": {\n  "GITHUB_PERSONAL_ACCESS_TOKEN": "${input:github_token}"\n}\n', "${input:github_token}")

    # masked
    v = "sk-****" + rs_mixed(4)
    add("masked", "Key saved: %s (created %s)" % (v, rdate()), v)
    add("masked", "Token: ghp_••••••  (last used 3 days ago)", "ghp_••••••")
    v = "AKIA************" + rs_mixed(4, UP + "234567")
    add("masked", "Access key %s was deactivated by admin on %s." % (v, rdate()), v)
    v = "sk-proj-" + "*" * 24 + rs_mixed(4)
    add("masked", "openai.AuthenticationError: Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys." % v, v)
    add("masked", "slack: using bot token xoxb-****-****-**** for workspace acme", "xoxb-****-****-****")
    add("masked", "db:\n  user: app\n  password: ********\n", "********")
    v = "sk_live_" + "•" * 12 + rs_mixed(4)
    add("masked", "Secret key  %s   Reveal live key" % v, v)
    v = "hf_" + "*" * 26 + rs_mixed(4, UP + LO)
    add("masked", "Logged in with token %s (role: read)" % v, v)
    add("masked", '{"provider": "sendgrid", "api_key": "[REDACTED]", "status": 202}', "[REDACTED]")
    add("masked", "GITLAB_TOKEN=glpat-********************   # masked by CI", "glpat-********************")

    # documented-example
    add("documented-example", "From the AWS docs: an access key ID looks like AKIAIOSFODNN7EXAMPLE.", "AKIAIOSFODNN7EXAMPLE")
    add("documented-example", "# example only\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    add("documented-example", "$ export AWS_ACCESS_KEY_ID=AKIAI44QH8DHBEXAMPLE\n", "AKIAI44QH8DHBEXAMPLE")
    add("documented-example", "AWS_SECRET_ACCESS_KEY=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY  # sample value from the IAM guide\n",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY")
    add("documented-example", "curl https://api.stripe.com/v1/charges \\\n  -u sk_test_4eC39HqLyjWDarjtT1zdp7dc: \\\n  -d amount=2000\n",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc")
    v = "sk_test_51" + rs_mixed(97)
    add("documented-example", "# test mode, safe to share with the team\nSTRIPE_SECRET_KEY=%s\n" % v, v)
    v = "sk_test_" + rs_mixed(24)
    add("documented-example", 'stripe.api_key = "%s"  # test mode\n' % v, v)
    v = "rk_test_" + rs_mixed(24)
    add("documented-example", "STRIPE_RESTRICTED_KEY=%s\n" % v, v)
    v = "sk_test_51" + rs_mixed(97)
    add("documented-example", "const stripe = require('stripe')('%s');\n" % v, v)
    add("documented-example", "In the sample credentials file, replace AKIAIOSFODNN7EXAMPLE with your own key id.", "AKIAIOSFODNN7EXAMPLE")

    # hash
    v = sha("sha256")
    add("hash", "%s  palisade-0.9.1-x86_64-unknown-linux-gnu.tar.gz\n" % v, v)
    v = sha("sha256")
    add("hash", '[[package]]\nname = "serde"\nversion = "1.0.210"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "%s"\n' % v, v)
    v = sha("md5")
    add("hash", 'HTTP/1.1 200 OK\nContent-Type: application/pdf\nETag: "%s"\nContent-Length: 48213\n' % v, v)
    v = sha("sha256")
    add("hash", "requests==2.32.3 \\\n    --hash=sha256:%s\n" % v, v)
    v = sha("sha1")
    add("hash", "SHA1 (installer.pkg) = %s\n" % v, v)
    v = sha("md5")
    add("hash", '{"file": "report-q3.xlsx", "size": 20481, "md5": "%s"}' % v, v)
    v = "h1:" + b64(rbytes(32))
    add("hash", "github.com/google/uuid v1.6.0 %s\n" % v, v)
    v = sha("sha256")
    add("hash", '  url "https://example.com/tool-2.1.0.tar.gz"\n  sha256 "%s"\n' % v, v)
    v = sha("sha512")
    add("hash", "sha512sum: %s" % v, v)
    v = sha("sha256")
    add("hash", "| file | sha256 |\n| --- | --- |\n| model.safetensors | %s |\n" % v, v)

    # uuid
    v = ruuid()
    add("uuid", "%sZ INFO request completed status=200 request_id=%s duration_ms=41\n" % (rts(), v), v)
    v = rhex(32)
    add("uuid", "X-Trace-Id: %s\n" % v, v)
    v = ruuid()
    add("uuid", '{"level": "error", "correlationId": "%s", "msg": "payment declined"}' % v, v)
    v = ruuid()
    add("uuid", 'provider "azurerm" {\n  features {}\n  tenant_id = "%s"\n}\n' % v, v)
    v = ruuid()
    add("uuid", "REPORT RequestId: %s Duration: 102.51 ms Billed Duration: 103 ms\n" % v, v)
    v = ruuid()
    add("uuid", "metadata:\n  name: web-7f9c\n  uid: %s\n" % v, v)
    v = rhex(32)
    add("uuid", "Sentry event %s captured" % v, v)
    v = ruuid()
    add("uuid", "Your support ticket id is %s, please quote it in replies." % v, v)

    # git-sha
    v = sha("sha1")
    add("git-sha", "commit %s\nAuthor: Lee Park <lee@example.com>\nDate:   Tue Mar 4 10:12:44 2025 +0100\n\n    fix flaky test\n" % v, v)
    v = sha("sha1")
    add("git-sha", "      - uses: actions/checkout@%s # v4.1.7\n" % v, v)
    v = sha("sha1")
    add("git-sha", "$ git revert %s\n" % v, v)
    v = sha("sha1")[:7]
    add("git-sha", "Merge pull request #412 from acme/fix-retries (%s)" % v, v)
    v = sha("sha1")
    add("git-sha", '"resolved": "git+https://github.com/acme/left-pad.git#%s"' % v, v)
    v = sha("sha1")[:12]
    add("git-sha", "require golang.org/x/exp v0.0.0-20240506185415-%s\n" % v, v)
    v = sha("sha1")
    add("git-sha", 'source = "git+https://github.com/acme/tiny-http?rev=main#%s"\n' % v, v)
    v = sha("sha1")[:7]
    add("git-sha", "HEAD is now at %s Bump version to 3.2.0" % v, v)

    # image-digest
    v = "sha256:" + sha("sha256")
    add("image-digest", "1.27: Pulling from library/nginx\nDigest: %s\nStatus: Downloaded newer image for nginx:1.27\n" % v, v)
    v = "sha256:" + sha("sha256")
    add("image-digest", "      containers:\n      - name: web\n        image: ghcr.io/acme/web@%s\n" % v, v)
    v = "sha256:" + sha("sha256")
    add("image-digest", "FROM python:3.12-slim@%s\n" % v, v)
    v = "sha256:" + sha("sha256")
    add("image-digest", '"RepoDigests": [\n    "redis@%s"\n]' % v, v)
    v = "sha256:" + sha("sha256")
    add("image-digest", "image:\n  repository: acme/api\n  digest: %s\n" % v, v)
    v = "sha256:" + sha("sha256")
    add("image-digest", "pushed: registry.example.com/ml/trainer:2.0 digest: %s size: 2841" % v, v)

    # integrity
    v = "sha512-" + b64(rbytes(64))
    add("integrity", '"node_modules/lodash": {\n  "version": "4.17.21",\n  "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz",\n  "integrity": "%s"\n}' % v, v)
    v = "sha512-" + b64(rbytes(64))
    add("integrity", 'chalk@^5.3.0:\n  version "5.3.0"\n  resolved "https://registry.yarnpkg.com/chalk/-/chalk-5.3.0.tgz"\n  integrity %s\n' % v, v)
    v = "sha512-" + b64(rbytes(64))
    add("integrity", "  /ms@2.1.3:\n    resolution: {integrity: %s}\n    dev: false\n" % v, v)
    v = "sha384-" + b64(rbytes(48))
    add("integrity", '<script src="https://cdn.example.com/lib.min.js" integrity="%s" crossorigin="anonymous"></script>' % v, v)
    v = "sha256-" + b64(rbytes(32))
    add("integrity", '<link rel="stylesheet" href="/app.css" integrity="%s">' % v, v)
    v = "sha512-" + b64(rbytes(64))
    add("integrity", '"integrity": "%s",' % v, v)

    # public-key
    v = ssh_rsa_pub()
    add("public-key", "%s deploy@ci\n" % v, v)
    v = ssh_ed_pub()
    add("public-key", "#cloud-config\nusers:\n  - name: ops\n    ssh_authorized_keys:\n      - %s ops@laptop\n" % v, v)
    v = rsa_spki_pem()
    add("public-key", "Use this key to verify webhook signatures:\n\n%s\n" % v, v)
    v = ec_spki_pem()
    add("public-key", 'JWT_PUBLIC_KEY="%s"\n' % v, v)
    v = "age1" + bech32_like(58)
    add("public-key", "# recipients for sops\ncreation_rules:\n  - path_regex: secrets/.*\n    age: %s\n" % v, v)
    v = b64(rbytes(32))
    add("public-key", "[Peer]\nPublicKey = %s\nAllowedIPs = 10.8.0.2/32\nEndpoint = vpn.example.com:51820\n" % v, v)
    v = ssh_ed_pub()
    add("public-key", "Add this deploy key to the repo (read-only):\n\n    %s\n" % v, v)
    v = "ecdsa-sha2-nistp256 " + b64(struct.pack(">I", 19) + b"ecdsa-sha2-nistp256" + struct.pack(">I", 8) + b"nistp256"
                                      + struct.pack(">I", 65) + b"\x04" + rbytes(64))
    add("public-key", "github.com %s\n" % v, v)

    # publishable-key
    v = "pk_live_51" + rs_mixed(97)
    add("publishable-key", "<script>\n  const stripe = Stripe('%s');\n</script>\n" % v, v)
    v = "pk_live_" + rs_mixed(24)
    add("publishable-key", "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=%s\n" % v, v)
    v = "pk_test_" + rs_mixed(24)
    add("publishable-key", "const stripe = await loadStripe('%s');\n" % v, v)
    v = "pk_live_51" + rs_mixed(97)
    add("publishable-key", '{"publishableKey": "%s", "currency": "eur"}' % v, v)
    v = "phc_" + rs_mixed(43)
    add("publishable-key", "posthog.init('%s', { api_host: 'https://eu.i.posthog.com' })\n" % v, v)
    v = "https://%s@o%d.ingest.sentry.io/%d" % (rhex(32), R.randint(100000, 999999), R.randint(1000000, 9999999))
    add("publishable-key", 'Sentry.init({ dsn: "%s" });\n' % v, v)

    # key-id
    v = "arn:aws:kms:us-east-1:%012d:key/%s" % (R.randint(10 ** 11, 10 ** 12 - 1), ruuid())
    add("key-id", 'resource "aws_s3_bucket_server_side_encryption_configuration" "b" {\n  kms_master_key_id = "%s"\n}\n' % v, v)
    v = sha("sha1").upper()
    add("key-id", "pub   ed25519 2024-05-02 [SC]\n      %s\nuid           [ultimate] Lee Park <lee@example.com>\n" % v, v)
    v = rs_mixed(R.choice([27, 43]), B64URL)
    add("key-id", '{"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "%s"}]}' % v, v)
    v = "org-" + rs_mixed(24)
    add("key-id", "OPENAI_ORG_ID=%s\n" % v, v)
    v = ruuid()
    add("key-id", "AZURE_CLIENT_ID=%s\n" % v, v)
    v = "%d-%s.apps.googleusercontent.com" % (R.randint(10 ** 11, 10 ** 12 - 1), rs(32, LO + DI))
    add("key-id", '<meta name="google-signin-client_id" content="%s">' % v, v)
    v = "SHA256:" + b64(rbytes(32)).rstrip("=")
    add("key-id", "The key fingerprint is:\n%s mara@laptop\n" % v, v)
    v = "acct_1" + rs_mixed(15)
    add("key-id", "Connected account %s finished onboarding." % v, v)

    # low-entropy
    add("low-entropy", 'password = "password123"\n', "password123")
    add("low-entropy", "auth:\n  token: test\n", "test")
    add("low-entropy", "POSTGRES_PASSWORD=postgres\n", "postgres")
    add("low-entropy", '{"username": "admin", "secret": "secret"}', "secret")
    add("low-entropy", 'API_KEY = "abc123"  # local mock server\n', "abc123")
    add("low-entropy", "PGPASSWORD=admin psql -h localhost -U admin\n", "admin")
    add("low-entropy", "requirepass foobared\n", "foobared")
    add("low-entropy", "wifi:\n  ssid: office\n  pwd: 12345678\n", "12345678")

    # base64-data
    v = "data:image/png;base64," + b64(png_1x1())
    add("base64-data", '<img alt="dot" src="%s">' % v, v)
    v = b64(b"wOF2\x00\x01\x00\x00" + rbytes(90))
    add("base64-data", "@font-face {\n  font-family: 'Inter';\n  src: url(data:font/woff2;base64,%s) format('woff2');\n}\n" % v, v)
    v = b64u(json.dumps({"offset": R.randint(100, 5000), "sort": "created_at"}).encode())
    add("base64-data", "GET /api/v1/items?limit=50&cursor=%s HTTP/1.1\n" % v, v)
    v = b64(gzip.compress(b"server {\n  listen 80;\n  location / { proxy_pass http://app:8080; }\n}\n", mtime=0))
    add("base64-data", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nginx-conf\nbinaryData:\n  default.conf.gz: %s\n" % v, v)
    v = b64(b"Hi team,\r\nattached are the Q3 numbers.\r\nBest, Ana\r\n")
    add("base64-data", 'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n%s\n' % v, v)
    v = b64(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + rbytes(60))
    add("base64-data", '{"id": 88, "thumbnail": "%s"}' % v, v)

    # prose
    add("prose", "Reminder: rotate your sk- keys every 90 days and delete the ones nobody uses.", "sk-")
    add("prose", "AWS access key IDs start with AKIA for long-term users and ASIA for temporary STS credentials.", "AKIA")
    add("prose", "Classic GitHub tokens begin with ghp_, fine-grained ones with github_pat_.", "ghp_")
    add("prose", "Never paste your API key into a chat window; use the secrets manager instead.", "API key")
    add("prose", "The token expired, so I generated a new one in the dashboard and updated the vault entry.", "token")
    add("prose", "Stripe secret keys (sk_live_) must stay on the server; publishable keys can go in the browser.", "sk_live_")
    add("prose", "Q: where do I find my Anthropic key?\nA: Console → Settings → API keys. Keys start with sk-ant-.", "sk-ant-")
    add("prose", "Password policy: at least 14 characters, no reuse of the last 5 passwords.", "Password")

    return L


# ---------------------------------------------------------------- checks

def check(rec):
    assert rec["secret"] in rec["text"], rec
    t, v = rec["type"], rec["secret"]
    if rec["label"] != "secret":
        return
    pats = {
        "openai-legacy": r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}",
        "openai-project": r"sk-proj-(?:[\w-]{74}T3BlbkFJ[\w-]{74}|[\w-]{58}T3BlbkFJ[\w-]{58})",
        "openai-svcacct": r"sk-svcacct-(?:[\w-]{74}T3BlbkFJ[\w-]{74}|[\w-]{58}T3BlbkFJ[\w-]{58})",
        "anthropic-api": r"sk-ant-api03-[\w-]{93}AA", "anthropic-admin": r"sk-ant-admin01-[\w-]{93}AA",
        "huggingface-token": r"hf_[A-Za-z]{34}", "aws-access-key-id": r"(?:AKIA|ASIA)[A-Z2-7]{16}",
        "aws-secret-access-key": r"[A-Za-z0-9/+]{40}", "alibaba-access-key-id": r"LTAI[A-Za-z0-9]{20}",
        "alibaba-access-key-id-legacy16": r"LTAI[A-Za-z0-9]{12}", "alibaba-access-key-secret": r"[A-Za-z0-9]{30}",
        "alibaba-dashscope": r"sk-[0-9a-f]{32}", "google-api-key": r"AIza[\w-]{35}", "github-pat": r"ghp_[A-Za-z0-9]{36}",
        "github-fine-grained": r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}", "gitlab-pat": r"glpat-[\w-]{20}",
        "slack-bot": r"xoxb-\d{10,13}-\d{10,13}-[A-Za-z0-9]{24}",
        "slack-webhook": r"https://hooks\.slack\.com/services/T[A-Z0-9]{8,10}/B[A-Z0-9]{8,10}/[A-Za-z0-9]{24}",
        "stripe-live": r"sk_live_[A-Za-z0-9]{24,99}", "stripe-restricted": r"rk_live_[A-Za-z0-9]{24,99}",
        "groq": r"gsk_[A-Za-z0-9]{52}", "xai": r"xai-[A-Za-z0-9]{80}", "openrouter": r"sk-or-v1-[0-9a-f]{64}",
        "replicate": r"r8_[A-Za-z0-9]{37}", "pinecone": r"pcsk_[A-Za-z0-9]{6}_[A-Za-z0-9]{63}",
        "twilio-api-key": r"SK[0-9a-f]{32}", "sendgrid": r"SG\.[\w-]{22}\.[\w-]{43}", "npm-token": r"npm_[A-Za-z0-9]{36}",
        "pypi-token": r"pypi-AgEIcHlwaS5vcmc[\w-]{50,}", "jwt": r"[\w-]+\.[\w-]+\.[\w-]+",
        "private-key": r"-----BEGIN (RSA|EC|OPENSSH) PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END \1 PRIVATE KEY-----",
        "postgres-url-password": r"[\w.~-]{14,24}", "mysql-url-password": r"[\w.~-]{14,24}",
        "mongodb-url-password": r"[\w.~-]{14,24}", "generic-password-assignment": r"[A-Za-z0-9!^*\-_+=.~@]{16,40}",
    }
    assert re.fullmatch(pats[t], v), (t, v)
    if t in ("github-pat", "npm-token"):
        body, chk = v[4:34], v[34:]
        assert gh_checksum(body) == chk
    if t == "jwt":
        head = json.loads(base64.urlsafe_b64decode(v.split(".")[0] + "=="))
        assert "alg" in head and "typ" in head
        json.loads(base64.urlsafe_b64decode(v.split(".")[1] + "=="))
    if t.endswith("-url-password"):
        assert ":" + v + "@" in rec["text"]
    if t == "private-key":
        body = "".join(v.splitlines()[1:-1])
        base64.b64decode(body, validate=True)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "eval", "dlp-blind", "secrets.jsonl")
    recs = make_secrets() + lookalikes()
    if os.environ.get("SECRETS_BLIND_CTX"):
        import collections
        print(collections.Counter(r.get("_ctx") for r in recs if r["label"] == "secret"))
    for r in recs:
        check(r)
    R.shuffle(recs)
    seen = set()
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for i, r in enumerate(recs):
            assert r["secret"] not in seen or r["label"] == "not_secret", r["secret"]
            seen.add(r["secret"])
            row = {"id": "b%04d" % i, "text": r["text"], "label": r["label"], "type": r["type"],
                   "secret": r["secret"], "note": NOTE}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    n_s = sum(r["label"] == "secret" for r in recs)
    print("wrote %s: %d records (%d secret, %d not_secret)" % (out, len(recs), n_s, len(recs) - n_s))


if __name__ == "__main__":
    main()
